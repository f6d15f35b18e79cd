package acl

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// FuzzParseRules: any input gives rules or a *ParseError, never a panic,
// and parsed rules always build.
func FuzzParseRules(f *testing.F) {
	f.Add([]byte("@192.168.1.0/24\t10.0.0.1/32\t0 : 65535\t1024 : 0x800\t0x06/0xff\n"), uint8(0))
	f.Add([]byte("# c\n@0.0.0.0/0 0.0.0.0/0 010 : 010 0 : 0 17/255 x\n"), uint8(0))
	f.Add([]byte("@2001:db8::/40 ::/0 0 : 1 2 : 3 6/0xff\n"), uint8(1))
	f.Add([]byte("@2001:db8::/72 ::1/128 0 : 1 2 : 3 6/0xff\n"), uint8(2))
	f.Fuzz(func(t *testing.T, in []byte, fm uint8) {
		format := Format(fm % 3)
		rules, err := ParseRules(bytes.NewReader(in), format)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a ParseError", err)
			}
			return
		}
		if len(rules) > 64 {
			rules = rules[:64]
		}
		if _, err := Build(Config{Fields: format.Fields(), Categories: 1}, rules); err != nil {
			t.Fatalf("parsed rules do not build: %v", err)
		}
	})
}

// FuzzParseTrace: any input gives keys or a *ParseError, never a panic.
func FuzzParseTrace(f *testing.F) {
	f.Add([]byte("3232235777 0x0a000001 1 0x50 6 99\n"), uint8(0))
	f.Add([]byte("2001:db8::1 ::2 1 2 17\n"), uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, fm uint8) {
		format := Format(fm % 3)
		keys, err := ParseTrace(bytes.NewReader(in), format, 0)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a ParseError", err)
			}
			return
		}
		if len(keys)%format.KeyLen() != 0 {
			t.Fatalf("%d key bytes, not a multiple of %d", len(keys), format.KeyLen())
		}
	})
}

// FuzzClassify decodes a config, rules and keys from the input, and checks
// Build and Classify against the reference (or that Build rejects the
// config or rules with an error).
func FuzzClassify(f *testing.F) {
	f.Add([]byte{2, 3, 0x12, 0, 0x44, 1, 1, 0, 0, 0, 5, 0, 9, 0xff, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Add(bytes.Repeat([]byte{0x31, 0x7f, 0x80, 0x00, 0xff}, 40))
	f.Fuzz(func(t *testing.T, in []byte) {
		next := func() byte {
			if len(in) == 0 {
				return 0
			}
			b := in[0]
			in = in[1:]
			return b
		}
		val := func(size int) uint64 {
			var b [8]byte
			for i := 8 - size; i < 8; i++ {
				b[i] = next()
			}
			return binary.BigEndian.Uint64(b[:])
		}
		nf := 1 + int(next()%4)
		cfg := Config{Categories: 1 + int(next()%4)}
		if next()%4 == 0 {
			cfg.SplitSize = 1
		}
		for range nf {
			x := next()
			cfg.Fields = append(cfg.Fields, FieldDef{
				Type:   FieldType(1 + x%4),
				Size:   []int{1, 2, 4, 8}[x>>2&3],
				Offset: int(x >> 4 & 7),
			})
		}
		nr := int(next() % 24)
		var rules []Rule
		for i := range nr {
			r := Rule{Priority: int32(next() % 4), CategoryMask: uint32(next()), Userdata: uint32(i + 1)}
			for _, d := range cfg.Fields {
				a, b := val(d.Size), val(d.Size)
				switch d.Type {
				case FieldRange:
					a, b = min(a, b), max(a, b)
				case FieldPrefix:
					b %= uint64(8*d.Size + 1)
				}
				r.Fields = append(r.Fields, Field{a, b})
			}
			rules = append(rules, r)
		}
		c, err := Build(cfg, rules)
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
		var keys [][]byte
		for len(in) > 0 && len(keys) < 64 {
			k := make([]byte, cfg.KeyLen())
			for i := range k {
				k[i] = next()
			}
			keys = append(keys, k)
			// Keys near the rules' edges.
			if len(rules) > 0 {
				r := rules[int(next())%len(rules)]
				k2 := make([]byte, len(k))
				for j, d := range cfg.Fields {
					var b [8]byte
					binary.BigEndian.PutUint64(b[:], r.Fields[j].Value+uint64(next()%3)-1)
					copy(k2[d.Offset:], b[8-d.Size:])
				}
				keys = append(keys, k2)
			}
		}
		cats := cfg.Categories
		want := refClassify(&cfg, rules, keys, cats)
		got := make([]uint32, len(keys)*cats)
		if err := c.Classify(keys, got, cats); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("key %x category %d: got %d, want %d", keys[i/cats], i%cats, got[i], want[i])
			}
		}
	})
}
