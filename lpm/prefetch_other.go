//go:build !amd64

package lpm

// prefetch24 does nothing where dpkit has no prefetch instruction in
// assembly; the bulk lookups are then plain loops.
func prefetch24(tbl memBase, ips []uint32) {}

func prefetch24x6(tbl *tbl24, ips [][16]byte) {}
