//go:build amd64 && !race

package ethdev

// addCounter adds v to a counter that only the calling goroutine writes
// (the queue's poller). On amd64 an aligned 64-bit store is atomic and
// Stats reads with atomic loads, so a plain add suffices, as in DPDK's
// drivers; race builds and other architectures use sync/atomic.
func addCounter(p *uint64, v uint64) { *p += v }
