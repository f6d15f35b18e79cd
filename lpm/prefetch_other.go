//go:build !amd64

package lpm

// prefetch24 does nothing where dpkit has no prefetch instruction in
// assembly; the bulk lookups are then plain loops.
func prefetch24(tbl memBase, ips []uint32) {}

func prefetch24x6(tbl *tbl24, ips [][16]byte) {}

// useAVX2 is false where there is no assembly LookupX4.
var useAVX2 = false

// LookupX4 looks up the four addresses ips and writes their next hops to
// hops, def for those no route covers (rte_lpm_lookupx4). The arrays are
// passed by pointer: Go passes arrays of more than one element in memory,
// pointers in registers.
func (t *Table) LookupX4(ips, hops *[4]uint32, def uint32) { lookupX4Go(t, ips, hops, def) }
