package lpm

import (
	"math/rand/v2"
	"net/netip"
	"runtime/debug"
	"testing"
)

// TestAddr4 checks addr4's reading of netip.Addr against As4.
func TestAddr4(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 100000 {
		v := rng.Uint32()
		a := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
		if got := addr4(&a); got != v {
			t.Fatalf("addr4(%v) = %#x, want %#x", a, got, v)
		}
	}
}

// TestLookupNotIPv4: with a default route every IPv4 address is covered,
// and no other address is, whatever its low 32 bits.
func TestLookupNotIPv4(t *testing.T) {
	tb := newTestTable(t, Config{})
	for _, r := range []struct {
		p  string
		nh uint32
	}{{"0.0.0.0/0", 7}, {"1.2.3.0/24", 8}, {"1.2.3.4/32", 9}} {
		if err := tb.Add(netip.MustParsePrefix(r.p), r.nh); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []string{"::ffff:1.2.3.4", "::1.2.3.4", "2001:db8::102:304", "fe80::102:304%eth0", "::"} {
		if nh, ok := tb.Lookup(netip.MustParseAddr(s)); ok || nh != 0 {
			t.Errorf("Lookup(%s) = %d,%v; want 0,false", s, nh, ok)
		}
	}
	if nh, ok := tb.Lookup(netip.Addr{}); ok || nh != 0 {
		t.Errorf("Lookup(zero Addr) = %d,%v; want 0,false", nh, ok)
	}
	for s, want := range map[string]uint32{"1.2.3.4": 9, "1.2.3.5": 8, "9.9.9.9": 7, "0.0.0.0": 7} {
		if nh, ok := tb.Lookup(netip.MustParseAddr(s)); !ok || nh != want {
			t.Errorf("Lookup(%s) = %d,%v; want %d,true", s, nh, ok, want)
		}
	}
}

// TestLookupAfterClose: a lookup on a closed table faults (it reads a
// reserved range without access) rather than reading unmapped memory
// that may have been mapped again.
func TestLookupAfterClose(t *testing.T) {
	tb, err := New(Config{NumGroups: 16})
	if err != nil {
		t.Fatal(err)
	}
	if err := tb.Add(netip.MustParsePrefix("10.0.0.0/8"), 1); err != nil {
		t.Fatal(err)
	}
	tb.Close()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	for _, ip := range []uint32{0x0a000001, 0, 0xffffffff} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("LookupIP(%#x) on a closed table did not fault", ip)
				}
			}()
			nh, ok := tb.LookupIP(ip)
			t.Errorf("LookupIP(%#x) on a closed table returned %d,%v", ip, nh, ok)
		}()
	}
}
