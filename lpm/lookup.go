package lpm

import "net/netip"

// LookupIP returns the next hop for ip (host order) and whether a route
// covers it.
//
// It is one load and one test when the /24 has no group. The branch on
// whether it has one stays a branch: branch-free versions (always loading
// a group entry, a mask picking the result) were measured 2x slower on a
// 1M-route table, even when the extra load hits a cached line: a load
// that waits for the first-level miss holds a scheduler slot, and fewer
// lookups are then in flight at once.
func (t *Table) LookupIP(ip uint32) (uint32, bool) {
	e := t.l1.load(ip >> 8)
	if int32(e) < 0 { // ext
		// e<<8 drops the flag and depth bits: (group index)*256.
		e = t.l2.load(e<<8 | ip&0xff)
	}
	return e & nhMask, e&validBit != 0
}

// Lookup returns the next hop for a (an IPv4 address) and whether a route
// covers it; an address that is not IPv4 is never covered.
//
// It is LookupIP written out again rather than called: the call would put
// it over the inlining budget. The table is read before the family is
// looked at (the low 32 bits of any address are an index in range), so
// that the test is data, not a branch.
func (t *Table) Lookup(a netip.Addr) (uint32, bool) {
	ip := addr4(&a)
	e := t.l1.load(ip >> 8)
	if int32(e) < 0 {
		e = t.l2.load(e<<8 | ip&0xff)
	}
	if !a.Is4() {
		e = 0
	}
	return e & nhMask, e&validBit != 0
}

// LookupBulk writes the next hop of ips[i] to hops[i], or def when no route
// covers it (rte_lpm_lookup_bulk). It looks up min(len(ips), len(hops))
// addresses.
//
// It first prefetches the first-level entry of every address (so that
// their cache misses overlap), then looks them up one by one. An assembly
// loop after the prefetch, four lookups at a time as LookupX4, measured
// the same (14.5 cycles a lookup on a 1M-route table): the prefetches
// already have every miss in flight.
func (t *Table) LookupBulk(ips, hops []uint32, def uint32) {
	n := min(len(ips), len(hops))
	ips, hops = ips[:n], hops[:n]
	l1, l2 := t.l1, t.l2
	prefetch24(l1, ips)
	for i, ip := range ips {
		e := l1.load(ip >> 8)
		if int32(e) < 0 {
			e = l2.load(e<<8 | ip&0xff)
		}
		hops[i] = hop(e, def)
	}
}

// lookupX4Go is LookupX4 in Go: the version other architectures use, and
// the one the amd64 assembly jumps to without AVX2 or when an entry links
// a group (a function, not a method, for that jump).
func lookupX4Go(t *Table, ips, hops *[4]uint32, def uint32) {
	l1, l2 := t.l1, t.l2
	e0 := l1.load(ips[0] >> 8)
	e1 := l1.load(ips[1] >> 8)
	e2 := l1.load(ips[2] >> 8)
	e3 := l1.load(ips[3] >> 8)
	if int32(e0) < 0 {
		e0 = l2.load(e0<<8 | ips[0]&0xff)
	}
	if int32(e1) < 0 {
		e1 = l2.load(e1<<8 | ips[1]&0xff)
	}
	if int32(e2) < 0 {
		e2 = l2.load(e2<<8 | ips[2]&0xff)
	}
	if int32(e3) < 0 {
		e3 = l2.load(e3<<8 | ips[3]&0xff)
	}
	hops[0], hops[1], hops[2], hops[3] = hop(e0, def), hop(e1, def), hop(e2, def), hop(e3, def)
}

func hop(e, def uint32) uint32 {
	r := e & nhMask
	if e&validBit == 0 {
		r = def
	}
	return r
}
