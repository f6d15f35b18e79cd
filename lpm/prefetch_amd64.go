package lpm

import "golang.org/x/sys/cpu"

// prefetch24 asks the processor to bring the first-level entry of every
// address of ips into the cache (PREFETCHT0). Unlike a load, a prefetch
// retires at once: the misses of a whole burst are in flight together
// while the lookups that follow proceed. Go has no prefetch intrinsic, so
// this is one assembly call per burst.
//
//go:noescape
func prefetch24(tbl memBase, ips []uint32)

// prefetch24x6 is prefetch24 for IPv6 addresses (first 24 bits).
//
//go:noescape
func prefetch24x6(tbl *tbl24, ips [][16]byte)

// useAVX2 selects the assembly LookupX4; tests turn it off to compare it
// with lookupX4Go.
var useAVX2 = cpu.X86.HasAVX2

// LookupX4 looks up the four addresses ips and writes their next hops to
// hops, def for those no route covers (rte_lpm_lookupx4). The arrays are
// passed by pointer: Go passes arrays of more than one element in memory,
// pointers in registers.
//
// On amd64 with AVX2 it is assembly (lookupX4 in prefetch_amd64.s): the
// Go version, lookupX4Go, a call per four lookups that does not inline,
// took twice rte_lpm_lookupx4's cycles on a 1M-route table; the assembly
// 0.8 of the Go version's. LookupX4 itself is inlined: the caller
// calls the assembly directly.
func (t *Table) LookupX4(ips, hops *[4]uint32, def uint32) { lookupX4(t, ips, hops, def) }

//go:noescape
func lookupX4(t *Table, ips, hops *[4]uint32, def uint32)

// lookupX4 jumps to lookupX4Go, which Go code on amd64 does not call.
var _ = lookupX4Go
