package lpm

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
)

func FuzzReadRoutes(f *testing.F) {
	for _, s := range []string{
		"10.0.0.0/8 1\n", "0.0.0.0/0 5\n1.2.3.4/32 4294967295\n", "# c\n\n2001:db8::/32 7\r\n",
		"10.0.0.1/8 1", "10.0.0.0/33 1", "10.0.0.0/8", "10.0.0.0/8 1 2", "10.0.0.0/8 -1", "::ffff:1.2.3.4/128 1",
		"fe80::1%eth0/64 1", "0000:fd70:0000:0000:0000:0000:0000:0000/29 1229027\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		routes, err := ReadRoutes(bytes.NewReader(data))
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SyntaxError", err)
			}
			if se.Line < 1 || se.Col < 1 {
				t.Fatalf("error %v: line/column not set", err)
			}
			return
		}
		var b strings.Builder
		for _, r := range routes {
			if !r.Prefix.IsValid() || r.Prefix != r.Prefix.Masked() {
				t.Fatalf("route %v not valid and masked", r.Prefix)
			}
			fmt.Fprintf(&b, "%v %d\n", r.Prefix, r.NextHop)
		}
		again, err := ReadRoutes(strings.NewReader(b.String()))
		if err != nil || len(again) != len(routes) {
			t.Fatalf("re-reading %q: %v (%d routes, want %d)", b.String(), err, len(again), len(routes))
		}
		for i := range again {
			if again[i] != routes[i] {
				t.Fatalf("route %d: %v then %v", i, routes[i], again[i])
			}
		}
	})
}

func FuzzReadAddrs(f *testing.F) {
	for _, s := range []string{"1.2.3.4\n", "::1\n\n# x\n10.0.0.1\r\n", "1.2.3", "1.2.3.4 5", "fe80::1%eth0"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		addrs, err := ReadAddrs(bytes.NewReader(data))
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line < 1 || se.Col < 1 {
				t.Fatalf("error %v is not a located *SyntaxError", err)
			}
			return
		}
		for _, a := range addrs {
			if !a.IsValid() || a.Zone() != "" {
				t.Fatalf("address %v", a)
			}
		}
	})
}

// fuzzOps decodes data into add/delete operations on prefixes drawn from a
// small space (so that they nest and collide) and checks the table against
// the reference after each one. Depths below 8 are rare: they rewrite
// millions of entries.
// maxFuzzOps bounds the operations fuzzOps runs for one input, and
// maxShortOps those on prefixes of depth 0..2, each of which rewrites most
// of the first level (16M entries for IPv6): an input of thousands of them
// outlasted the fuzzer's 10 s per input.
const (
	maxFuzzOps  = 128
	maxShortOps = 4
)

func fuzzOps(t *testing.T, tb lpmTable, data []byte, bits int) {
	r := newRef()
	defer func() { // leave the shared table empty for the next input
		for p := range r.rules {
			if err := tb.Delete(p); err != nil {
				t.Fatalf("cleanup delete %v: %v", p, err)
			}
		}
		if tb.Len() != 0 || tb.GroupsInUse() != 0 {
			t.Fatalf("cleanup: %d rules, %d groups left", tb.Len(), tb.GroupsInUse())
		}
	}()
	rng := rand.New(rand.NewPCG(uint64(len(data)), 1))
	short := 0
	for ops := 0; len(data) >= 4 && len(r.rules) < 64 && ops < maxFuzzOps; ops++ {
		op, x, y, z := data[0], data[1], data[2], data[3]
		data = data[4:]
		var a netip.Addr
		var d int
		if bits == 32 {
			a = netip.AddrFrom4([4]byte{10, x & 3, y, z})
			d = 8 + int(op>>2)%25
		} else {
			a = netip.AddrFrom16([16]byte{0x20, 1, 0xd, 0xb8, x & 3, y, 0, 0, z, z, 0, 0, 0, 0, y, z})
			d = 8 + int(op>>2)%121
		}
		if op>>2 == 63 && short < maxShortOps {
			d = int(x) % 3 // depth 0..2, now and then
			short++
		}
		p := netip.PrefixFrom(a, d).Masked()
		nh := uint32(y)
		if op&1 == 0 {
			if err := tb.Add(p, nh); err != nil {
				t.Fatalf("add %v: %v", p, err)
			}
			r.rules[p] = nh
		} else {
			err := tb.Delete(p)
			_, had := r.rules[p]
			if had != (err == nil) || (!had && !errors.Is(err, ErrNotFound)) {
				t.Fatalf("delete %v: %v (in reference: %v)", p, err, had)
			}
			delete(r.rules, p)
		}
		var probe []netip.Addr
		for q := range r.rules {
			probe = append(probe, addrsFor(rng, q)...)
		}
		probe = append(probe, addrsFor(rng, p)...)
		for _, a := range probe {
			want, wok := r.lookup(a)
			got, gok := tb.Lookup(a)
			if got != want || gok != wok {
				t.Fatalf("after %v: lookup %v = %d,%v, reference %d,%v", p, a, got, gok, want, wok)
			}
		}
		if t4, ok := tb.(*Table); ok {
			checkMulti4(t, t4, probe)
		}
	}
}

// checkMulti4 compares LookupBulk and LookupX4 (assembly on amd64) with
// Lookup on addrs.
func checkMulti4(t *testing.T, tb *Table, addrs []netip.Addr) {
	const def = 0xabcdef
	ips := make([]uint32, len(addrs)+3)
	for i := range addrs {
		ips[i] = addr4(&addrs[i])
	}
	hops := make([]uint32, len(ips))
	tb.LookupBulk(ips, hops, def)
	var x4 [4]uint32
	for i := range addrs {
		if i%4 == 0 {
			tb.LookupX4((*[4]uint32)(ips[i:i+4]), &x4, def)
		}
		want, ok := tb.Lookup(addrs[i])
		if !ok {
			want = def
		}
		if hops[i] != want || x4[i%4] != want {
			t.Fatalf("lookup %v: bulk %d, x4 %d, Lookup %d", addrs[i], hops[i], x4[i%4], want)
		}
	}
}

func FuzzOps4(f *testing.F) {
	f.Add([]byte("\x00\x01\x02\x03\x60\x01\x02\x03\x01\x01\x02\x03"))
	f.Add([]byte("\xfc\x00\x00\x00\x00\x01\x02\x03\xfd\x00\x00\x00\x61\x01\x02\x03"))
	tb := newTestTable(f, Config{NumGroups: 256})
	f.Fuzz(func(t *testing.T, data []byte) { fuzzOps(t, tb, data, 32) })
}

func FuzzOps6(f *testing.F) {
	f.Add([]byte("\x00\x01\x02\x03\xf0\x01\x02\x03\x01\x01\x02\x03"))
	f.Add([]byte("\xfc\x00\x00\x00\x00\x01\x02\x03\xfd\x00\x00\x00\x61\x01\x02\x03"))
	tb := newTestTable6(f, Config{NumGroups: 2048})
	f.Fuzz(func(t *testing.T, data []byte) { fuzzOps(t, tb, data, 128) })
}
