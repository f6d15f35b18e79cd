package lpm

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
)

func newTestTable(t testing.TB, cfg Config) *Table {
	t.Helper()
	if cfg.NumGroups == 0 {
		cfg.NumGroups = 1024
	}
	tb, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tb.Close() })
	return tb
}

func newTestTable6(t testing.TB, cfg Config) *Table6 {
	t.Helper()
	if cfg.NumGroups == 0 {
		cfg.NumGroups = 4096
	}
	tb, err := New6(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tb.Close() })
	return tb
}

// check compares tb with r on addrs and on the edges of every rule.
func check(t *testing.T, tb lpmTable, r *ref, rng *rand.Rand, addrs []netip.Addr, what string) {
	t.Helper()
	for p := range r.rules {
		addrs = append(addrs, addrsFor(rng, p)...)
	}
	bad := 0
	for _, a := range addrs {
		want, wok := r.lookup(a)
		got, gok := tb.Lookup(a)
		if got != want || gok != wok {
			t.Errorf("%s: lookup %v = %d,%v; reference says %d,%v", what, a, got, gok, want, wok)
			if bad++; bad > 5 {
				t.FailNow()
			}
		}
	}
	if tb.Len() != len(r.rules) {
		t.Errorf("%s: %d rules, reference has %d", what, tb.Len(), len(r.rules))
	}
	if bad > 0 {
		t.FailNow()
	}
}

func mustAdd(t *testing.T, tb lpmTable, r *ref, p string, nh uint32) {
	t.Helper()
	pp := netip.MustParsePrefix(p)
	if err := tb.Add(pp, nh); err != nil {
		t.Fatalf("add %s: %v", p, err)
	}
	r.rules[pp.Masked()] = nh
}

func mustDel(t *testing.T, tb lpmTable, r *ref, p string) {
	t.Helper()
	pp := netip.MustParsePrefix(p)
	if err := tb.Delete(pp); err != nil {
		t.Fatalf("delete %s: %v", p, err)
	}
	delete(r.rules, pp.Masked())
}

func TestBasic4(t *testing.T) {
	tb, r, rng := newTestTable(t, Config{}), newRef(), rand.New(rand.NewPCG(1, 2))
	a := func(s string) netip.Addr { return netip.MustParseAddr(s) }
	if _, ok := tb.Lookup(a("1.2.3.4")); ok {
		t.Fatal("empty table found a route")
	}
	mustAdd(t, tb, r, "10.0.0.0/8", 1)
	mustAdd(t, tb, r, "10.1.0.0/16", 2)
	mustAdd(t, tb, r, "10.1.2.0/24", 3)
	mustAdd(t, tb, r, "10.1.2.128/25", 4)
	mustAdd(t, tb, r, "10.1.2.129/32", 5)
	mustAdd(t, tb, r, "0.0.0.0/0", 6)
	for s, want := range map[string]uint32{
		"10.9.9.9": 1, "10.1.9.9": 2, "10.1.2.1": 3, "10.1.2.130": 4, "10.1.2.129": 5, "11.0.0.0": 6,
	} {
		if got, ok := tb.Lookup(a(s)); !ok || got != want {
			t.Errorf("lookup %s = %d,%v, want %d", s, got, ok, want)
		}
	}
	check(t, tb, r, rng, nil, "after adds")
	mustDel(t, tb, r, "10.1.2.0/24")
	check(t, tb, r, rng, nil, "delete /24 under /25")
	mustDel(t, tb, r, "10.1.2.128/25")
	check(t, tb, r, rng, nil, "delete /25")
	mustDel(t, tb, r, "10.1.2.129/32")
	check(t, tb, r, rng, nil, "delete /32")
	if g := tb.GroupsInUse(); g != 0 {
		t.Errorf("%d groups in use after the deep routes went, want 0", g)
	}
	mustDel(t, tb, r, "0.0.0.0/0")
	check(t, tb, r, rng, []netip.Addr{a("0.0.0.0"), a("255.255.255.255")}, "delete /0")
	// changing a next hop
	mustAdd(t, tb, r, "10.1.0.0/16", 9)
	check(t, tb, r, rng, nil, "next hop change")
}

func TestBasic6(t *testing.T) {
	tb, r, rng := newTestTable6(t, Config{}), newRef(), rand.New(rand.NewPCG(1, 3))
	mustAdd(t, tb, r, "2001:db8::/32", 1)
	mustAdd(t, tb, r, "2001:db8:1::/48", 2)
	mustAdd(t, tb, r, "2001:db8:1:2::/64", 3)
	mustAdd(t, tb, r, "2001:db8:1:2::1/128", 4)
	mustAdd(t, tb, r, "::/0", 5)
	mustAdd(t, tb, r, "2001:d00::/20", 6)
	check(t, tb, r, rng, nil, "adds")
	if got, ok := tb.Lookup(netip.MustParseAddr("2001:db8:1:2::1")); !ok || got != 4 {
		t.Errorf("lookup /128 = %d,%v", got, ok)
	}
	for _, p := range []string{"2001:db8:1::/48", "2001:db8:1:2::1/128", "2001:db8:1:2::/64", "::/0", "2001:db8::/32"} {
		mustDel(t, tb, r, p)
		check(t, tb, r, rng, nil, "delete "+p)
	}
	if g := tb.GroupsInUse(); g != 0 {
		t.Errorf("%d groups in use with only a /20 left, want 0", g)
	}
}

// genPrefixes returns n random prefixes of bits-bit addresses, half of
// them nested inside a few bases so that routes overlap heavily.
func genPrefixes(rng *rand.Rand, n, bits int) []netip.Prefix {
	randA := randAddr4
	if bits == 128 {
		randA = randAddr6
	}
	bases := []netip.Addr{randA(rng), randA(rng), randA(rng)}
	out := make([]netip.Prefix, 0, n)
	for len(out) < n {
		var a netip.Addr
		if rng.IntN(2) == 0 {
			a = bases[rng.IntN(len(bases))]
			// flip a few low-order bits so the nested routes differ
			b := a.AsSlice()
			b[len(b)-1-rng.IntN(3)] ^= byte(rng.Uint32())
			a, _ = netip.AddrFromSlice(b)
		} else {
			a = randA(rng)
		}
		// Routes shorter than /8 rewrite millions of first-level entries:
		// a few of them (depth 0 included) are enough.
		var d int
		switch k := rng.IntN(40); {
		case k == 0:
			d = rng.IntN(3)
		case k < 8:
			d = 8 + rng.IntN(bits-7)
		case k < 14:
			d = bits
		default:
			d = bits/2 + rng.IntN(bits/2+1)
		}
		out = append(out, netip.PrefixFrom(a, d).Masked())
	}
	return out
}

func differential(t *testing.T, tb lpmTable, bits int, seed uint64, ops int) {
	if raceEnabled {
		ops /= 10
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	r := newRef()
	pool := genPrefixes(rng, 150, bits)
	randA := randAddr4
	if bits == 128 {
		randA = randAddr6
	}
	for i := range ops {
		p := pool[rng.IntN(len(pool))]
		if _, ok := r.rules[p]; ok && rng.IntN(3) > 0 {
			if err := tb.Delete(p); err != nil {
				t.Fatalf("op %d: delete %v: %v", i, p, err)
			}
			delete(r.rules, p)
		} else {
			nh := uint32(rng.IntN(1000))
			if err := tb.Add(p, nh); err != nil {
				t.Fatalf("op %d: add %v: %v", i, p, err)
			}
			r.rules[p] = nh
		}
		if i%97 == 0 || i == ops-1 {
			var addrs []netip.Addr
			for range 200 {
				addrs = append(addrs, randA(rng))
			}
			check(t, tb, r, rng, addrs, fmt.Sprintf("op %d", i))
		}
	}
	// delete everything: the table must be empty and hold no group
	for p := range r.rules {
		if err := tb.Delete(p); err != nil {
			t.Fatalf("final delete %v: %v", p, err)
		}
		delete(r.rules, p)
	}
	check(t, tb, r, rng, []netip.Addr{randA(rng)}, "all deleted")
	if g := tb.GroupsInUse(); g != 0 {
		t.Errorf("%d groups in use in an empty table", g)
	}
}

func TestDifferential4(t *testing.T) {
	tb := newTestTable(t, Config{})
	for seed := range uint64(3) {
		differential(t, tb, 32, seed, 1000)
	}
}

func TestDifferential6(t *testing.T) {
	tb := newTestTable6(t, Config{})
	for seed := range uint64(3) {
		differential(t, tb, 128, seed, 1000)
	}
}

// TestNestedChain4 adds /0 to /32 all covering one address, then deletes
// and re-adds them in random orders.
func TestNestedChain(t *testing.T) {
	for _, bits := range []int{32, 128} {
		var tb lpmTable
		if bits == 32 {
			tb = newTestTable(t, Config{})
		} else {
			tb = newTestTable6(t, Config{})
		}
		rng := rand.New(rand.NewPCG(uint64(bits), 1))
		r := newRef()
		a := netip.MustParseAddr("10.123.45.67")
		if bits == 128 {
			a = netip.MustParseAddr("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff")
		}
		var chain []netip.Prefix
		for d := 0; d <= bits; d++ {
			chain = append(chain, netip.PrefixFrom(a, d).Masked())
		}
		rounds := 4
		if raceEnabled {
			rounds = 1
		}
		for round := range rounds {
			for _, i := range rng.Perm(len(chain)) {
				if err := tb.Add(chain[i], uint32(i+round)); err != nil {
					t.Fatal(err)
				}
				r.rules[chain[i]] = uint32(i + round)
			}
			check(t, tb, r, rng, nil, fmt.Sprintf("/%d chain round %d added", bits, round))
			for k, i := range rng.Perm(len(chain)) {
				if err := tb.Delete(chain[i]); err != nil {
					t.Fatal(err)
				}
				delete(r.rules, chain[i])
				if k%7 == 0 {
					check(t, tb, r, rng, []netip.Addr{a}, fmt.Sprintf("/%d chain round %d deleting", bits, round))
				}
			}
			check(t, tb, r, rng, []netip.Addr{a}, "chain deleted")
			if g := tb.GroupsInUse(); g != 0 {
				t.Fatalf("/%d: %d groups in use in an empty table", bits, g)
			}
		}
	}
}

func TestErrors4(t *testing.T) {
	tb := newTestTable(t, Config{MaxRules: 3, NumGroups: 2})
	if err := tb.AddIP(0, 33, 1); !errors.Is(err, ErrDepth) {
		t.Errorf("depth 33: %v", err)
	}
	if err := tb.AddIP(0, -1, 1); !errors.Is(err, ErrDepth) {
		t.Errorf("depth -1: %v", err)
	}
	if err := tb.DeleteIP(0, 40); !errors.Is(err, ErrDepth) {
		t.Errorf("delete depth 40: %v", err)
	}
	if err := tb.Add(netip.MustParsePrefix("::/0"), 1); !errors.Is(err, ErrFamily) {
		t.Errorf("v6 prefix: %v", err)
	}
	if err := tb.Add(netip.Prefix{}, 1); !errors.Is(err, ErrDepth) {
		t.Errorf("zero prefix: %v", err)
	}
	if err := tb.AddIP(0, 8, MaxNextHop+1); !errors.Is(err, ErrNextHop) {
		t.Errorf("next hop 2^24: %v", err)
	}
	if err := tb.AddIP(0, 8, MaxNextHop); err != nil {
		t.Errorf("next hop 2^24-1: %v", err)
	}
	if err := tb.Delete(netip.MustParsePrefix("1.0.0.0/8")); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete absent: %v", err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(tb.Add(netip.MustParsePrefix("1.0.0.0/25"), 1))
	must(tb.Add(netip.MustParsePrefix("1.0.1.0/25"), 1))
	if err := tb.Add(netip.MustParsePrefix("1.0.2.0/25"), 1); !errors.Is(err, ErrFull) {
		t.Errorf("4th rule in a 3-rule table: %v", err)
	}
	must(tb.Add(netip.MustParsePrefix("1.0.1.0/25"), 2)) // update, not a new rule
	must(tb.Delete(netip.MustParsePrefix("0.0.0.0/8")))
	if err := tb.Add(netip.MustParsePrefix("1.0.2.0/25"), 1); !errors.Is(err, ErrNoGroups) {
		t.Errorf("3rd group of 2: %v", err)
	}
	if _, ok := tb.Lookup(netip.MustParseAddr("1.0.2.1")); ok {
		t.Error("a failed add left a route behind")
	}
	if nh, ok := tb.Get(0x01000100, 25); !ok || nh != 2 {
		t.Errorf("Get = %d,%v", nh, ok)
	}
	tb.Close()
	if err := tb.AddIP(0, 8, 1); !errors.Is(err, ErrClosed) {
		t.Errorf("add after close: %v", err)
	}
	if _, err := New(Config{NumGroups: MaxGroups + 1}); !errors.Is(err, ErrConfig) {
		t.Errorf("too many groups: %v", err)
	}
}

func TestErrors6(t *testing.T) {
	tb := newTestTable6(t, Config{MaxRules: 2, NumGroups: 3})
	// 2001:db8:N::/48 needs three groups (bytes 3, 4 and 5), shared by all N
	if err := tb.AddIP([16]byte{}, 129, 1); !errors.Is(err, ErrDepth) {
		t.Errorf("depth 129: %v", err)
	}
	if err := tb.Add(netip.MustParsePrefix("1.0.0.0/8"), 1); !errors.Is(err, ErrFamily) {
		t.Errorf("v4 prefix: %v", err)
	}
	if err := tb.AddIP([16]byte{}, 8, MaxNextHop6+1); !errors.Is(err, ErrNextHop) {
		t.Errorf("next hop: %v", err)
	}
	// a /56 needs 4 groups: none may be taken when it does not fit
	if err := tb.Add(netip.MustParsePrefix("2001:db8:0:100::/56"), 1); !errors.Is(err, ErrNoGroups) {
		t.Errorf("/56 with 3 groups: %v", err)
	}
	if g := tb.GroupsInUse(); g != 0 {
		t.Errorf("failed add left %d groups in use", g)
	}
	if err := tb.Add(netip.MustParsePrefix("2001:db8:1::/48"), 1); err != nil {
		t.Fatal(err)
	}
	if err := tb.Add(netip.MustParsePrefix("2001:db8:2::/48"), 1); err != nil {
		t.Fatal(err)
	}
	if err := tb.Add(netip.MustParsePrefix("2001:db8:3::/48"), 1); !errors.Is(err, ErrFull) {
		t.Errorf("3rd rule of 2: %v", err)
	}
	if err := tb.Delete(netip.MustParsePrefix("2001:db8:3::/48")); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete absent: %v", err)
	}
}

func TestBulkAndX4(t *testing.T) {
	tb := newTestTable(t, Config{})
	rng := rand.New(rand.NewPCG(5, 5))
	var ips []uint32
	for i, p := range genPrefixes(rng, 300, 32) {
		if err := tb.Add(p, uint32(i)); err != nil {
			t.Fatal(err)
		}
		for _, a := range addrsFor(rng, p) {
			b := a.As4()
			ips = append(ips, uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3]))
		}
	}
	for range 1000 {
		ips = append(ips, rng.Uint32())
	}
	const def = 0xdead
	for _, n := range []int{0, 1, 7, 8, 9, 63, len(ips)} {
		hops := make([]uint32, n)
		tb.LookupBulk(ips[:n], hops, def)
		for i, ip := range ips[:n] {
			want, ok := tb.LookupIP(ip)
			if !ok {
				want = def
			}
			if hops[i] != want {
				t.Fatalf("bulk(%d)[%d] %#x = %d, single lookup %d", n, i, ip, hops[i], want)
			}
		}
	}
	for i := 0; i+4 <= len(ips); i += 4 {
		var got [4]uint32
		tb.LookupX4((*[4]uint32)(ips[i:i+4]), &got, def)
		for j := range 4 {
			want, ok := tb.LookupIP(ips[i+j])
			if !ok {
				want = def
			}
			if got[j] != want {
				t.Fatalf("x4 %#x = %d, single lookup %d", ips[i+j], got[j], want)
			}
		}
	}

	t6 := newTestTable6(t, Config{})
	var ips6 [][16]byte
	for i, p := range genPrefixes(rng, 300, 128) {
		if err := t6.Add(p, uint32(i)); err != nil {
			t.Fatal(err)
		}
		for _, a := range addrsFor(rng, p) {
			ips6 = append(ips6, a.As16())
		}
	}
	hops := make([]uint32, len(ips6))
	t6.LookupBulk(ips6, hops, def)
	for i := range ips6 {
		want, ok := t6.LookupIP(&ips6[i])
		if !ok {
			want = def
		}
		if hops[i] != want {
			t.Fatalf("bulk6[%d] %v = %d, single lookup %d", i, netip.AddrFrom16(ips6[i]), hops[i], want)
		}
	}
}

func TestNoAllocs(t *testing.T) {
	tb := newTestTable(t, Config{})
	t6 := newTestTable6(t, Config{})
	rng := rand.New(rand.NewPCG(9, 9))
	for i, p := range genPrefixes(rng, 100, 32) {
		tb.Add(p, uint32(i))
	}
	for i, p := range genPrefixes(rng, 100, 128) {
		t6.Add(p, uint32(i))
	}
	ips := make([]uint32, 64)
	hops := make([]uint32, 64)
	ips6 := make([][16]byte, 64)
	for i := range ips {
		ips[i] = rng.Uint32()
		ips6[i] = randAddr6(rng).As16()
	}
	a4, a6 := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("2001:db8::1")
	var sink uint32
	for name, fn := range map[string]func(){
		"LookupIP":    func() { v, _ := tb.LookupIP(ips[3]); sink += v },
		"Lookup":      func() { v, _ := tb.Lookup(a4); sink += v },
		"LookupBulk":  func() { tb.LookupBulk(ips, hops, 0) },
		"LookupX4":    func() { tb.LookupX4((*[4]uint32)(ips[:4]), (*[4]uint32)(hops[:4]), 0) },
		"Lookup6IP":   func() { v, _ := t6.LookupIP(&ips6[1]); sink += v },
		"Lookup6":     func() { v, _ := t6.Lookup(a6); sink += v },
		"Lookup6Bulk": func() { t6.LookupBulk(ips6, hops, 0) },
	} {
		if n := testing.AllocsPerRun(100, fn); n != 0 {
			t.Errorf("%s: %v allocs per run, want 0", name, n)
		}
	}
	_ = sink
}
