// Package mempool is a pool of fixed-size objects like DPDK's rte_mempool:
// the allocator behind every mbuf.
//
// A Pool carves N objects out of an eal.Arena (off the Go heap), each on a
// 64-byte boundary, EltSize bytes apart. The free objects sit in a lock-free
// ring.Ring (multi-producer/multi-consumer unless the Flags say otherwise),
// sized so that all N fit.
//
// # Per-lcore caches
//
// With a CacheSize, every lcore id below eal.MaxLcore has a cache of its
// own, laid out like rte_mempool_cache (a count on its own cache line, then
// room for 2*MaxCacheSize pointers) in memory the kernel backs only when an
// lcore first touches it. The fast path follows DPDK 22.11 exactly:
//
//   - Put: objects go on top of the cache. If that would take the cache past
//     its flush threshold (CacheSize*3/2), the whole cache goes to the ring
//     first. A request larger than the threshold goes straight to the ring.
//   - Get: served from the top of the cache (the hottest objects) when it
//     holds enough; otherwise the cache takes CacheSize plus the shortfall
//     from the ring in one bulk dequeue, or, if the ring has not that many,
//     the shortfall alone comes from the ring. All or nothing: on failure
//     the pool and the caller's slice are unchanged.
//
// The lcore argument of Get/Put is the caller's lcore id (what an
// eal.LcoreFunc receives) or LcoreAny, which, like an lcore id at or above
// eal.MaxLcore or a pool without a cache, goes straight to the ring. A cache
// is not locked: each lcore id must be used by one goroutine at a time, as
// in DPDK. Objects cached by one lcore are invisible to the others until it
// puts them back past the threshold or calls FlushCache.
//
// The fast path (Get, Put, GetBulk, PutBulk) never allocates, never blocks
// and holds no lock; it keeps no statistics (DPDK's are off by default).
// Objects are moved as raw words, without write barriers: slices passed to
// it must not hold pointers into the Go heap. None of these calls inlines
// (each has a slow path to call), and a Go call costs the calling loop its
// registers; TryGetBulk and TryPutBulk are the cache fast path alone,
// inlinable, for loops that move a few objects at a time:
//
//	if !p.TryGetBulk(lcore, objs) && !p.GetBulk(lcore, objs) { ... }
//	if !p.TryPutBulk(lcore, objs) { p.PutBulk(lcore, objs) }
//
// # Registry
//
// Every live pool has an ID in 1..65535; ByID finds it without a lock, so an
// mbuf can name its pool in two bytes. IDs are reused after Close.
//
// # Lifetime
//
// Close unmaps the pool's own arena and its caches: an object or a Get/Put
// after Close crashes the process, like a use after free in C.
package mempool
