package lpm

import (
	"net/netip"
	"sync/atomic"
)

// LookupIP returns the next hop for ip (host order) and whether a route
// covers it.
//
// The branch on whether the /24 has a group stays a branch: a branch-free
// version (always loading a group entry, a mask picking the result) was
// measured 2.6x slower on random addresses over a 1M-route table, where
// a predicted branch lets the processor run on into the next lookups while
// the first-level load misses the cache.
func (t *Table) LookupIP(ip uint32) (uint32, bool) {
	e := atomic.LoadUint32(&t.tbl24[ip>>8])
	if e&extBit != 0 {
		e = atomic.LoadUint32(&t.groups[(e&nhMask)<<8|ip&0xff])
	}
	return e & nhMask, e&validBit != 0
}

// Lookup returns the next hop for a (an IPv4 address) and whether a route
// covers it; an address that is not IPv4 is never covered.
func (t *Table) Lookup(a netip.Addr) (uint32, bool) {
	if !a.Is4() {
		return 0, false
	}
	b := a.As4()
	return t.LookupIP(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]))
}

// LookupBulk writes the next hop of ips[i] to hops[i], or def when no route
// covers it (rte_lpm_lookup_bulk). It looks up min(len(ips), len(hops))
// addresses.
//
// It first prefetches the first-level entry of every address (so that
// their cache misses overlap), then looks them up one by one.
func (t *Table) LookupBulk(ips, hops []uint32, def uint32) {
	n := min(len(ips), len(hops))
	ips, hops = ips[:n], hops[:n]
	l1, l2 := t.tbl24, t.groups
	prefetch24(l1, ips)
	for i, ip := range ips {
		e := atomic.LoadUint32(&l1[ip>>8])
		if e&extBit != 0 {
			e = atomic.LoadUint32(&l2[(e&nhMask)<<8|ip&0xff])
		}
		r := e & nhMask
		if e&validBit == 0 {
			r = def
		}
		hops[i] = r
	}
}

// LookupX4 looks up the four addresses ips and writes their next hops to
// hops, def for those no route covers (rte_lpm_lookupx4). The arrays are
// passed by pointer: Go passes arrays of more than one element in memory,
// pointers in registers.
func (t *Table) LookupX4(ips, hops *[4]uint32, def uint32) {
	l1, l2 := t.tbl24, t.groups
	e0 := atomic.LoadUint32(&l1[ips[0]>>8])
	e1 := atomic.LoadUint32(&l1[ips[1]>>8])
	e2 := atomic.LoadUint32(&l1[ips[2]>>8])
	e3 := atomic.LoadUint32(&l1[ips[3]>>8])
	if (e0|e1|e2|e3)&extBit != 0 {
		if e0&extBit != 0 {
			e0 = atomic.LoadUint32(&l2[(e0&nhMask)<<8|ips[0]&0xff])
		}
		if e1&extBit != 0 {
			e1 = atomic.LoadUint32(&l2[(e1&nhMask)<<8|ips[1]&0xff])
		}
		if e2&extBit != 0 {
			e2 = atomic.LoadUint32(&l2[(e2&nhMask)<<8|ips[2]&0xff])
		}
		if e3&extBit != 0 {
			e3 = atomic.LoadUint32(&l2[(e3&nhMask)<<8|ips[3]&0xff])
		}
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
