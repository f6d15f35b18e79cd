package lpm

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
