package lpm

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"runtime/debug"
	"testing"
	"unsafe"
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

// TestAddr16 checks addr16's reading of netip.Addr against As16.
func TestAddr16(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 7))
	for range 100000 {
		var b [16]byte
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		a := netip.AddrFrom16(b)
		hi, lo := addr16(&a)
		if hi != binary.BigEndian.Uint64(b[:8]) || lo != binary.BigEndian.Uint64(b[8:]) {
			t.Fatalf("addr16(%v) = %#x %#x", a, hi, lo)
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
	t6, err := New6(Config{NumGroups: 16})
	if err != nil {
		t.Fatal(err)
	}
	t6.Close()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("Table6.LookupIP on a closed table did not fault")
			}
		}()
		nh, ok := t6.LookupIP(&[16]byte{0x20, 1})
		t.Errorf("Table6.LookupIP on a closed table returned %d,%v", nh, ok)
	}()
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

// TestTableLayout: the assembly LookupX4 reads t.l1 and t.l2 as the first
// two words of Table.
func TestTableLayout(t *testing.T) {
	var tb Table
	if unsafe.Offsetof(tb.l1) != 0 || unsafe.Offsetof(tb.l2) != 8 || unsafe.Sizeof(tb.l1) != 8 {
		t.Fatalf("Table.l1 at %d, l2 at %d: the assembly expects 0 and 8", unsafe.Offsetof(tb.l1), unsafe.Offsetof(tb.l2))
	}
}

// TestX4Versions compares the assembly LookupX4 (when the machine has it)
// and the Go one with LookupIP, on quads with and without group links,
// invalid entries and a non-zero default.
func TestX4Versions(t *testing.T) {
	tb := newTestTable(t, Config{})
	rng := rand.New(rand.NewPCG(7, 8))
	var ips []uint32
	for i, p := range genPrefixes(rng, 400, 32) {
		if err := tb.Add(p, uint32(i)|uint32(i&1)<<23); err != nil {
			t.Fatal(err)
		}
		for _, a := range addrsFor(rng, p) {
			ips = append(ips, addr4(&a))
		}
	}
	for range 1000 {
		ips = append(ips, rng.Uint32())
	}
	rng.Shuffle(len(ips), func(i, j int) { ips[i], ips[j] = ips[j], ips[i] })
	saved := useAVX2
	defer func() { useAVX2 = saved }()
	for _, avx := range []bool{saved, false} {
		useAVX2 = avx
		for _, def := range []uint32{0, 0xdead, MaxNextHop} {
			for i := 0; i+4 <= len(ips); i += 4 {
				got := [4]uint32{1, 2, 3, 4}
				tb.LookupX4((*[4]uint32)(ips[i:i+4]), &got, def)
				for j := range 4 {
					want, ok := tb.LookupIP(ips[i+j])
					if !ok {
						want = def
					}
					if got[j] != want {
						t.Fatalf("avx2 %v: x4 %#x = %d, LookupIP %d", avx, ips[i+j], got[j], want)
					}
				}
			}
		}
	}
}
