package acl

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

func TestParseRules(t *testing.T) {
	in := "# comment\n\n  \t# indented comment\n" +
		"@192.168.1.0/24\t10.0.0.1/32\t0 : 65535\t1024 : 0x800\t0x06/0xff\textra 0x0000/0x0000\n" +
		"@0.0.0.0/0 0.0.0.0/0 010 : 010 0 : 0 17/255\r\n"
	rules, err := ParseRules(strings.NewReader(in), FormatIPv4)
	if err != nil {
		t.Fatal(err)
	}
	want := []Rule{
		{Fields: []Field{{6, 0xff}, {0xc0a80100, 24}, {0x0a000001, 32}, {0, 65535}, {1024, 2048}}, Priority: MaxPriority - 1, CategoryMask: 0xffff, Userdata: 1},
		{Fields: []Field{{17, 255}, {0, 0}, {0, 0}, {8, 8}, {0, 0}}, Priority: MaxPriority - 2, CategoryMask: 0xffff, Userdata: 2},
	}
	if len(rules) != len(want) {
		t.Fatalf("got %d rules, want %d", len(rules), len(want))
	}
	for i := range want {
		if got := rules[i]; got.Priority != want[i].Priority || got.Userdata != want[i].Userdata ||
			got.CategoryMask != want[i].CategoryMask || len(got.Fields) != len(want[i].Fields) {
			t.Fatalf("rule %d: got %+v, want %+v", i, got, want[i])
		}
		for j := range want[i].Fields {
			if rules[i].Fields[j] != want[i].Fields[j] {
				t.Errorf("rule %d field %d: got %+v, want %+v", i, j, rules[i].Fields[j], want[i].Fields[j])
			}
		}
	}

	v6, err := ParseRules(strings.NewReader("@2001:db8::/40 ::/0 0 : 1 2 : 3 6/0xff\n"), FormatIPv6)
	if err != nil {
		t.Fatal(err)
	}
	wantSrc := []Field{{0x20010db8, 32}, {0, 8}, {0, 0}, {0, 0}}
	for j, f := range wantSrc {
		if v6[0].Fields[1+j] != f {
			t.Errorf("ipv6 4B src word %d: got %+v, want %+v", j, v6[0].Fields[1+j], f)
		}
	}
	v68, err := ParseRules(strings.NewReader("@2001:db8::/72 ::/0 0 : 1 2 : 3 6/0xff\n"), FormatIPv6Words8)
	if err != nil {
		t.Fatal(err)
	}
	if v68[0].Fields[1] != (Field{0x20010db800000000, 64}) || v68[0].Fields[2] != (Field{0, 8}) {
		t.Errorf("ipv6 8B src: got %+v %+v", v68[0].Fields[1], v68[0].Fields[2])
	}
	if len(v68[0].Fields) != len(FormatIPv6Words8.Fields()) {
		t.Errorf("ipv6 8B: %d fields, want %d", len(v68[0].Fields), len(FormatIPv6Words8.Fields()))
	}
}

func TestParseRulesErrors(t *testing.T) {
	for _, tc := range []struct {
		line     string
		f        Format
		col      int
		contains string
	}{
		{" @1.2.3.4/32 1.2.3.4/32 0 : 0 0 : 0 6/0xff", FormatIPv4, 1, "'@'"},
		{"1.2.3.4/32 1.2.3.4/32 0 : 0 0 : 0 6/0xff", FormatIPv4, 1, "'@'"},
		{"@1.2.3.4/33 1.2.3.4/32 0 : 0 0 : 0 6/0xff", FormatIPv4, 10, "prefix length"},
		{"@1.2.3/32 1.2.3.4/32 0 : 0 0 : 0 6/0xff", FormatIPv4, 2, "address"},
		{"@1.2.3.4 1.2.3.4/32 0 : 0 0 : 0 6/0xff", FormatIPv4, 2, "address>/<length"},
		{"@1.2.3.4/32 ::1/32 0 : 0 0 : 0 6/0xff", FormatIPv4, 13, "IPv4"},
		{"@1.2.3.4/32 1.2.3.4/32 0 - 0 0 : 0 6/0xff", FormatIPv4, 26, "':'"},
		{"@1.2.3.4/32 1.2.3.4/32 0 : 65536 0 : 0 6/0xff", FormatIPv4, 28, "out of range"},
		{"@1.2.3.4/32 1.2.3.4/32 9 : 8 0 : 0 6/0xff", FormatIPv4, 24, "empty port range"},
		{"@1.2.3.4/32 1.2.3.4/32 0 : 0 0 : 0 6", FormatIPv4, 36, "protocol"},
		{"@1.2.3.4/32 1.2.3.4/32 0 : 0 0 : 0 6/0x100", FormatIPv4, 38, "out of range"},
		{"@1.2.3.4/32 1.2.3.4/32 0 : 0 0 : 0x 6/0xff", FormatIPv4, 34, "port"},
		{"@1.2.3.4/32 1.2.3.4/32 0 : 0 0 :", FormatIPv4, 33, "missing destination port high"},
		{"@1.2.3.4/32 1.2.3.4/32 0 : 0 0 : 0 0/0", FormatIPv6, 2, "IPv6"},
		{"@fe80::1%eth0/64 ::/0 0 : 0 0 : 0 0/0", FormatIPv6, 2, "IPv6"},
		{"@::/129 ::/0 0 : 0 0 : 0 0/0", FormatIPv6, 5, "prefix length"},
		{"@1.2.3.4/32 1.2.3.4/32 0 : 0 0 : 0 6/08", FormatIPv4, 38, "bad protocol mask"},
	} {
		_, err := ParseRules(strings.NewReader("# first\n"+tc.line+"\n"), tc.f)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%q: got %v, want a ParseError", tc.line, err)
			continue
		}
		if pe.Line != 2 || pe.Column != tc.col || !strings.Contains(pe.Msg, tc.contains) {
			t.Errorf("%q: got %v, want line 2, column %d, containing %q", tc.line, err, tc.col, tc.contains)
		}
	}
	long := "@" + strings.Repeat("x", maxLine+10) + "\n"
	var pe *ParseError
	if _, err := ParseRules(strings.NewReader(long), FormatIPv4); !errors.As(err, &pe) {
		t.Errorf("over-long line: got %v, want a ParseError", err)
	}
	if _, err := ParseRules(strings.NewReader(""), Format(7)); !errors.Is(err, ErrConfig) {
		t.Errorf("bad format: got %v, want ErrConfig", err)
	}
}

func TestParseTrace(t *testing.T) {
	keys, err := ParseTrace(strings.NewReader("# c\n3232235777 0x0a000001 1 0x50 6 99\n0 0 0 0 0\n"), FormatIPv4, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{6, 0, 0, 0, 192, 168, 1, 1, 10, 0, 0, 1, 0, 1, 0, 0x50}
	if !bytes.Equal(keys[:16], want) || len(keys) != 32 {
		t.Fatalf("got %x, want %x and 32 bytes", keys, want)
	}
	one, err := ParseTrace(strings.NewReader("1 2 3 4 5\n6 7 8 9 10\n"), FormatIPv4, 1)
	if err != nil || len(one) != 16 {
		t.Fatalf("max 1: got %d bytes, %v", len(one), err)
	}
	k6, err := ParseTrace(strings.NewReader("2001:db8::1 ::2 1 2 17\n"), FormatIPv6, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(k6) != 40 || k6[0] != 17 || k6[4] != 0x20 || k6[19] != 1 || k6[35] != 2 || k6[37] != 1 || k6[39] != 2 {
		t.Fatalf("ipv6 key %x", k6)
	}
	for _, tc := range []struct {
		line string
		f    Format
		col  int
	}{
		{"1 2 3 4", FormatIPv4, 8},
		{"4294967296 2 3 4 5", FormatIPv4, 1},
		{"1 2 3 65536 5", FormatIPv4, 7},
		{"1.2.3.4 2 3 4 5", FormatIPv4, 1},
		{"1 2 3 4 256", FormatIPv4, 9},
		{"1.2.3.4 ::1 3 4 5", FormatIPv6, 1},
	} {
		_, err := ParseTrace(strings.NewReader(tc.line+"\n"), tc.f, 0)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != 1 || pe.Column != tc.col {
			t.Errorf("%q: got %v, want line 1 column %d", tc.line, err, tc.col)
		}
	}
}

// TestRuleFileRoundTrip builds parsed random rules and checks them against
// the reference on parsed random traces.
func TestRuleFileRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	dir := t.TempDir()
	for _, f := range []Format{FormatIPv4, FormatIPv6, FormatIPv6Words8} {
		rf, tf := writeRuleFiles(t, r, dir, f != FormatIPv4, 200, 1000)
		rules := mustParseRules(t, rf, f)
		raw := mustParseTrace(t, tf, f)
		kl := f.KeyLen()
		var keys [][]byte
		for i := 0; i < len(raw); i += kl {
			keys = append(keys, raw[i:i+kl])
		}
		cfg := Config{Fields: f.Fields(), Categories: 2}
		checkSame(t, &cfg, rules, keys)
	}
}

func mustParseRules(t *testing.T, path string, f Format) []Rule {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := ParseRules(bytes.NewReader(b), f)
	if err != nil {
		t.Fatal(err)
	}
	return rules
}

func mustParseTrace(t *testing.T, path string, f Format) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ParseTrace(bytes.NewReader(b), f, 0)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}
