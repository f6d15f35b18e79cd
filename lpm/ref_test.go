package lpm

import (
	"math/rand/v2"
	"net/netip"
)

// ref is the reference the tables are checked against: a plain list of
// rules scanned in full for every lookup.
type ref struct {
	rules map[netip.Prefix]uint32
}

func newRef() *ref { return &ref{rules: map[netip.Prefix]uint32{}} }

func (r *ref) lookup(a netip.Addr) (uint32, bool) {
	best, nh, ok := -1, uint32(0), false
	for p, h := range r.rules {
		if p.Bits() > best && p.Contains(a) {
			best, nh, ok = p.Bits(), h, true
		}
	}
	return nh, ok
}

// lpmTable is what the differential tests need of Table and Table6.
type lpmTable interface {
	Add(netip.Prefix, uint32) error
	Delete(netip.Prefix) error
	Lookup(netip.Addr) (uint32, bool)
	Len() int
	GroupsInUse() int
	Close() error
}

// addrsFor returns addresses worth checking for p: its first and last
// address, one inside at random, and the neighbours just outside.
func addrsFor(rng *rand.Rand, p netip.Prefix) []netip.Addr {
	first := p.Masked().Addr()
	n := first.BitLen()
	b := first.AsSlice()
	last := make([]byte, len(b))
	rnd := make([]byte, len(b))
	for i := range b {
		bits := p.Bits() - 8*i
		var m byte
		switch {
		case bits >= 8:
			m = 0xff
		case bits > 0:
			m = ^byte(0) << (8 - bits)
		}
		last[i] = b[i] | ^m
		rnd[i] = b[i] | byte(rng.Uint32())&^m
	}
	out := []netip.Addr{first}
	if a, ok := netip.AddrFromSlice(last); ok {
		out = append(out, a, a.Next())
	}
	if a, ok := netip.AddrFromSlice(rnd); ok {
		out = append(out, a)
	}
	if pr := first.Prev(); pr.IsValid() {
		out = append(out, pr)
	}
	_ = n
	var valid []netip.Addr
	for _, a := range out {
		if a.IsValid() {
			valid = append(valid, a)
		}
	}
	return valid
}

func randAddr4(rng *rand.Rand) netip.Addr {
	v := rng.Uint32()
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func randAddr6(rng *rand.Rand) netip.Addr {
	var b [16]byte
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	if b[0] == 0 { // keep clear of ::ffff:0:0/96 mapped addresses
		b[0] = 0x20
	}
	return netip.AddrFrom16(b)
}
