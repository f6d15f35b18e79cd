// Package mbuf is dpkit's packet buffer, like DPDK's rte_mbuf and
// rte_pktmbuf: a 128-byte header (Mbuf) laid over the start of a mempool
// object in arena memory, followed by an application private area and the
// packet buffer.
//
//	p, _ := mbuf.NewPool(mbuf.PoolConfig{Name: "rx", N: 8191, CacheSize: 256})
//	m := p.Alloc(lcore)                 // nil when the pool is empty: drop
//	copy(m.Append(len(frame)), frame)   // nil when it does not fit
//	eth := m.Prepend(14)                // nil past the headroom
//	m.Free(lcore)
//
// # Layout
//
// Every object of a Pool is one contiguous block; the buffer starts after
// the header and the private area, and Alloc leaves Headroom bytes free at
// its front so that headers can be prepended without copying:
//
//	 object start (64-byte aligned)
//	 |
//	 v
//	 +----------------+--------------+------------------------------------------------+
//	 | Mbuf header    | private area |                     buffer                     |
//	 | 128 B, 2 lines | PrivSize     |<------------ BufLen = DataRoomSize ----------->|
//	 +----------------+--------------+-----------+--------------------+---------------+
//	                                 | headroom  |        data        |   tailroom    |
//	                                 +-----------+--------------------+---------------+
//	                                 ^           ^                    ^               ^
//	                                 BufAddr     DataAddr             |               |
//	                                 |<-Headroom>|<------ Len ------->|<-- Tailroom ->|
//
//	Prepend(n): the data grows into the headroom     Adj(n):  the data loses n bytes at the front
//	Append(n):  the data grows into the tailroom     Trim(n): the data loses n bytes at the end
//
// A packet longer than one buffer is a chain of segments linked by Next;
// the first segment carries the packet's NbSegs and PktLen, every segment
// its own Len:
//
//	head (NbSegs 3, PktLen a+b+c) --> seg (Len b) --> seg (Len c) --> nil
//	Len a
//
// The header never points into the Go heap, because the garbage collector
// does not scan arena memory: its buffer address is in an arena (or in an
// ExtBuf, kept alive by a Go-side table and named by a 32-bit handle), its
// pool is a 16-bit id (PoolByID), and Next points into an arena.
//
// # Ownership
//
//   - An mbuf has one owner at a time: whoever got it from Alloc, AllocBulk,
//     Clone or a port's RxBurst. Passing it on (TxBurst, a ring enqueue)
//     passes ownership; the owner must Free it or pass it on, exactly once.
//     TxBurst takes the packets it reports sent; the caller frees the rest.
//   - Free and FreeBulk free the whole chain. A segment is a part of its
//     packet: never free a segment on its own unless you unlinked it
//     (FreeSeg). Chain gives the tail packet to the head; Linearize frees
//     the segments it empties.
//   - A buffer may be shared: Clone and Attach make indirect mbufs that
//     point to another mbuf's buffer and take a reference on that mbuf
//     (its Refcnt goes up). Each of the sharers frees its own mbuf; the
//     buffer's owner goes back to its pool when the last one is freed, in
//     whatever order. Shared data is read-only: write to a packet only when
//     every segment IsDirect and has Refcnt 1.
//   - An ExtBuf is memory from outside the pools; its callback runs once,
//     when the last mbuf attached to it is freed (see NewExtBuf).
//   - Pool.Close releases the memory of every mbuf of the pool: all of them
//     must have been freed, and no *Mbuf may be kept afterwards.
//
// # Lcores and concurrency
//
// Alloc and Free take the caller's lcore id, which selects the mempool's
// per-lcore cache (mempool.LcoreAny bypasses it). One goroutine at a time
// may use a given lcore id. An mbuf is not locked: only its owner touches
// it, except the reference count, which sharers update atomically.
//
// # Fast path
//
// Alloc, AllocBulk, Free, FreeBulk, Clone and every data operation neither
// allocate nor return errors: an empty pool gives nil, a full buffer a nil
// slice or false. Data, Len, Append, Prepend and Adj are inlined (a test
// holds this). Building with -tags dpkit_debug turns on
// RTE_LIBRTE_MBUF_DEBUG-style checks that panic on a double free, a
// reference count underflow, a free into the wrong pool or a corrupt
// header; Check runs the same header checks in any build.
package mbuf
