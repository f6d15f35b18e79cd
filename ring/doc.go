// Package ring is a bounded, lock-free FIFO like DPDK's rte_ring.
//
// A Ring holds up to Capacity elements of type T in a power-of-two array of
// slots indexed by free-running 32-bit counters. The producer side and the
// consumer side each choose, at creation, between a single-thread mode (SP,
// SC: no atomic read-modify-write at all) and a multi-thread mode (MP, MC: a
// compare-and-swap on the head, then an in-order tail update), exactly as
// rte_ring does. Producer state and consumer state live on cache lines of
// their own; a single-thread side also caches the other side's tail so that
// it touches the shared line only when the ring looks full (or empty).
//
// Bulk calls move all of the elements or none; burst calls move as many as
// fit. Neither allocates, blocks or returns an error: a count says what
// happened, as in DPDK's fast path.
//
//	r, _ := ring.New[*mbuf.Mbuf]("rx-to-worker", 1024, ring.SingleProducer|ring.SingleConsumer)
//	n := r.EnqueueBurst(pkts[:nb])  // the caller still owns pkts[n:nb]
//	m := r.DequeueBurst(out[:32])
//
// # Elements and the garbage collector
//
// The slots are an ordinary Go slice and elements are copied with copy, so
// any T is safe, including pointers into the Go heap. The fast path is meant
// for pointers into dpkit's arenas (mbufs, mempool objects), handles and
// small values such as [2]uint64 (DPDK's 16-byte "elem" rings).
//
// # Memory ordering
//
// A side publishes its new tail with a release store and reads the other
// side's tail with an acquire load. On amd64 a release store is a plain MOV
// (x86 is TSO), which is what DPDK compiles to; Go's atomic.Store would emit
// XCHG, a full barrier that costs tens of cycles per burst. Builds with the
// race detector, and other architectures, use sync/atomic throughout.
package ring
