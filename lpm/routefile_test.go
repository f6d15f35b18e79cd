package lpm

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestReadRoutes(t *testing.T) {
	in := "# comment\n10.0.0.0/8 1\n\n  10.1.2.3/16\t2\r\n2001:db8::/32 3\n0000:fd70:0000:0000:0000:0000:0000:0000/29 1229027\n"
	routes, err := ReadRoutes(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Route{
		{netip.MustParsePrefix("10.0.0.0/8"), 1},
		{netip.MustParsePrefix("10.1.0.0/16"), 2},
		{netip.MustParsePrefix("2001:db8::/32"), 3},
		{netip.MustParsePrefix("0:fd70::/29"), 1229027},
	}
	if len(routes) != len(want) {
		t.Fatalf("got %v", routes)
	}
	for i := range want {
		if routes[i] != want[i] {
			t.Errorf("route %d = %v, want %v", i, routes[i], want[i])
		}
	}
}

func TestReadRoutesErrors(t *testing.T) {
	for _, c := range []struct {
		in        string
		line, col int
		msg       string
	}{
		{"10.0.0.0/8 1\n10.0.0.0/33 1\n", 2, 1, "bad prefix"},
		{"10.0.0.0/8 1\n\n  10.0.0.0/8\n", 3, 13, "missing next hop"},
		{"10.0.0.0/8 x1\n", 1, 12, "bad next hop"},
		{"10.0.0.0/8 4294967296\n", 1, 12, "bad next hop"},
		{"10.0.0.0/8 1 junk\n", 1, 14, "unexpected \"junk\""},
		{"::ffff:1.2.3.4/128 1\n", 1, 1, "plain IPv4 or IPv6"},
		{"fe80::1%eth0/64 1\n", 1, 1, "bad prefix"},
		{"10.0.0.0 1\n", 1, 1, "bad prefix"},
		{strings.Repeat("x", 5000) + "\n", 1, 1, "longer than"},
	} {
		_, err := ReadRoutes(strings.NewReader(c.in))
		var se *SyntaxError
		if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
			t.Errorf("%q: error %v, want a *SyntaxError", c.in, err)
			continue
		}
		if se.Line != c.line || se.Col != c.col || !strings.Contains(se.Msg, c.msg) {
			t.Errorf("%q: %v, want line %d, column %d, %q", c.in, err, c.line, c.col, c.msg)
		}
	}
	_, err := ReadAddrs(strings.NewReader("1.2.3.4\n1.2.3\n"))
	if err == nil || err.Error() != `line 2, column 1: bad address "1.2.3"` {
		t.Errorf("bad address: %v", err)
	}
}

func TestLoadRoutesErrors(t *testing.T) {
	tb := newTestTable(t, Config{MaxRules: 1})
	err := tb.LoadRoutes([]Route{{netip.MustParsePrefix("10.0.0.0/8"), 1}, {netip.MustParsePrefix("11.0.0.0/8"), 1}})
	if !errors.Is(err, ErrFull) || !strings.Contains(err.Error(), "route 1 (11.0.0.0/8)") {
		t.Errorf("load into a full table: %v", err)
	}
	if err := tb.LoadRoutes([]Route{{netip.MustParsePrefix("2001:db8::/32"), 1}}); !errors.Is(err, ErrFamily) {
		t.Errorf("v6 route into a v4 table: %v", err)
	}
}
