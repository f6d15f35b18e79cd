// Package lpm holds longest-prefix-match tables for IPv4 and IPv6 routes,
// dpkit's rte_lpm and rte_lpm6.
//
// Table (IPv4) is a DIR-24-8 table: a first-level array of 2^24 entries
// indexed by the top 24 bits of the address, and second-level groups of
// 256 entries for the /24s that hold a longer route. Every lookup is one or
// two memory reads. Table6 (IPv6) uses the same idea with a 2^24 first
// level and 256-entry groups for each further byte, so a lookup reads one
// entry per 8 bits of the longest prefix that covers the address beyond
// the first 24.
//
// Both tables live off the Go heap in eal arenas (hugepages when the host
// has them, which cuts the TLB misses of the 64 MiB first level) and keep
// their rules in an ordinary Go map. Adding a route rewrites the entries
// it covers whose depth is not deeper than its own; deleting a route
// rewrites the entries that carry its depth with the next covering route,
// found in the rule map in at most 32 (128) probes, and gives a group that
// became uniform back to the pool.
//
// One writer and any number of readers may use a table at once: entries are
// read and written atomically, a new group is filled before it is linked,
// and a group that is unlinked is reused only after every reader registered
// with the table's QSBR (Config.QSBR) has reported a quiescent state, as
// with rte_lpm_rcu_qsbr_add. Without a QSBR freed groups are reused at once,
// which is safe only when no lookup runs concurrently with Delete.
//
// Lookups never allocate and never fail: a miss is reported by the bool
// result, or by the default next hop given to the bulk lookups.
//
// Routes come from netip.Prefix values; ReadRoutes and ReadAddrs parse the
// route and address files of DPDK's dpdk-test-fib (one "prefix next-hop"
// per line; one address per line).
package lpm
