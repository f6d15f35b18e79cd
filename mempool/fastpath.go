package mempool

import "unsafe"

// GetBulk fills objs with free objects, all of them or none: it returns
// false, with objs and the pool unchanged, when the pool (lcore's cache plus
// the ring) has fewer than len(objs) free objects. Objects cached by other
// lcores do not count, as in DPDK.
//
// Objects are pointers into an arena and are moved as raw words, without
// the garbage collector's write barriers: objs must not hold pointers into
// the Go heap (whatever it held is overwritten).
func (p *Pool) GetBulk(lcore uint, objs []unsafe.Pointer) bool {
	if lcore < p.cacheLcores {
		c := p.cacheOf(lcore)
		// l wraps, failing the test, when the cache holds fewer than
		// len(objs); it never holds more than the flush threshold.
		if l := uint(c.len) - uint(len(objs)); l <= uint(p.flushThresh) {
			// The whole request from the top of the cache.
			c.len = uint32(l)
			d, s, n := unsafe.Pointer(unsafe.SliceData(objs)), c.slot(l), uint(len(objs))
			if n >= 16 {
				copyLarge(d, s, n)
				return true
			}
			copySmall(d, s, n)
			return true
		}
		// Only tail calls on the other paths: nothing is live across a
		// call, so the fast path spills no register.
		return p.getRefill(c, objs)
	}
	return p.getRing(objs)
}

// getRing takes objs straight from the ring.
func (p *Pool) getRing(objs []unsafe.Pointer) bool {
	// An empty MC dequeue must not reach the ring (see enqueue).
	return len(objs) == 0 || p.ring.DequeueBulk(objs) == len(objs)
}

// getRefill serves a request the cache cannot: as DPDK 22.11, it takes what
// the cache has and refills it from the ring with CacheSize plus the
// shortfall, or takes the shortfall alone from the ring if the ring has not
// that many (or the shortfall exceeds MaxCacheSize).
func (p *Pool) getRefill(c *lcoreCache, objs []unsafe.Pointer) bool {
	l, n, size := uint(c.len), uint(len(objs)), uint(p.cacheSize)
	short := n - l
	// DPDK dequeues over the objects it has just copied out of the cache;
	// objs must stay untouched until success, so the refill lands above
	// them: objs[:l] of the cache, then size+short new ones. (l is at most
	// the flush threshold, so size+n always fits.)
	if short <= MaxCacheSize && size+n <= uint(len(c.objs)) {
		fill := c.objs[l : size+n]
		if p.ring.DequeueBulk(fill) == len(fill) {
			copy(objs[:l], c.objs[:l])
			copy(objs[l:], c.objs[l+size:size+n])
			// The cache is now c.objs[l:l+size]; move its top min(l, size)
			// objects into the hole at the bottom.
			k := min(l, size)
			copy(c.objs[:k], c.objs[l+size-k:l+size])
			c.len = uint32(size)
			return true
		}
	}
	if p.ring.DequeueBulk(objs[l:]) != int(short) {
		return false
	}
	copy(objs[:l], c.objs[:l])
	c.len = 0
	return true
}

// PutBulk returns objs to the pool. They must have been got from this pool
// and not put back since; the caller may reuse the slice at once.
func (p *Pool) PutBulk(lcore uint, objs []unsafe.Pointer) {
	if lcore < p.cacheLcores {
		c := p.cacheOf(lcore)
		l := uint(c.len)
		if m := l + uint(len(objs)); m <= uint(p.flushThresh) {
			c.len = uint32(m)
			d, s, n := c.slot(l), unsafe.Pointer(unsafe.SliceData(objs)), uint(len(objs))
			if n >= 16 {
				copyLarge(d, s, n)
				return
			}
			copySmall(d, s, n)
			return
		}
		p.putFlush(c, objs)
		return
	}
	p.enqueue(objs)
}

// putFlush handles a put that would take the cache past its threshold
// (DPDK 22.11): the whole cache goes to the ring, then objs into the cache;
// a put larger than the threshold goes to the ring alone.
func (p *Pool) putFlush(c *lcoreCache, objs []unsafe.Pointer) {
	if uint(len(objs)) > uint(p.flushThresh) {
		p.enqueue(objs)
		return
	}
	p.enqueue(c.objs[:c.len])
	copyObjs(c.slot(0), unsafe.Pointer(unsafe.SliceData(objs)), uint(len(objs)))
	c.len = uint32(len(objs))
}

// enqueue puts objs in the common ring, which has room for every object of
// the pool: if it is full, objects were put back twice.
func (p *Pool) enqueue(objs []unsafe.Pointer) {
	// An empty MP enqueue must not reach the ring: it would publish its
	// (empty) reservation after a later one and move the tail back.
	if len(objs) != 0 && p.ring.EnqueueBulk(objs) != len(objs) {
		p.overflow(len(objs))
	}
}

//go:noinline
func (p *Pool) overflow(n int) {
	panic("mempool " + p.name + ": put of more objects than the pool has free room for (double free, or objects of another pool?)")
}

// Get returns one free object, ok false if there is none.
func (p *Pool) Get(lcore uint) (obj unsafe.Pointer, ok bool) {
	if lcore < p.cacheLcores {
		c := p.cacheOf(lcore)
		if l := c.len; l != 0 {
			l--
			obj = c.objs[l]
			c.len = l
			return obj, true
		}
	}
	return p.getOneSlow(lcore)
}

func (p *Pool) getOneSlow(lcore uint) (unsafe.Pointer, bool) {
	var one [1]unsafe.Pointer
	if lcore < p.cacheLcores {
		if !p.getRefill(p.cacheOf(lcore), one[:]) {
			return nil, false
		}
		return one[0], true
	}
	return p.ring.Dequeue()
}

// Put returns one object to the pool.
func (p *Pool) Put(lcore uint, obj unsafe.Pointer) {
	if lcore < p.cacheLcores {
		c := p.cacheOf(lcore)
		if l := c.len; l < p.flushThresh {
			c.objs[l] = obj
			c.len = l + 1
			return
		}
	}
	p.putOneSlow(lcore, obj)
}

func (p *Pool) putOneSlow(lcore uint, obj unsafe.Pointer) {
	one := [1]unsafe.Pointer{obj}
	p.PutBulk(lcore, one[:])
}

// FlushCache puts every object in lcore's cache back in the ring, where
// other lcores can get them (rte_mempool_cache_flush). Like Get and Put, it
// must not run while another goroutine uses lcore's cache. No-op for an
// lcore without a cache.
func (p *Pool) FlushCache(lcore uint) {
	if lcore >= p.cacheLcores {
		return
	}
	c := p.cacheOf(lcore)
	p.enqueue(c.objs[:c.len])
	c.len = 0
}

// fill puts every object in the ring, in address order.
func (p *Pool) fill() {
	var batch [64]unsafe.Pointer
	for i := 0; i < p.n; {
		k := 0
		for ; k < len(batch) && i < p.n; k, i = k+1, i+1 {
			batch[k] = p.ObjAt(i)
		}
		p.enqueue(batch[:k])
	}
}

// copyObjs copies n object pointers from s to d (which do not overlap) as
// raw words: they point into arenas, so the garbage collector needs no
// write barrier. Small bursts are copied inline; from 16 on, copyLarge
// uses the widest moves the CPU has. (The fast paths spell it out, as
// copyObjs itself is too big to inline.)
func copyObjs(d, s unsafe.Pointer, n uint) {
	if n >= 16 {
		copyLarge(d, s, n)
		return
	}
	copySmall(d, s, n)
}

// copySmall copies n words in 16-byte pairs of moves, then one by one.
func copySmall(d, s unsafe.Pointer, n uint) {
	i, end := uintptr(0), uintptr(n)*8
	for ; i+32 <= end; i += 32 {
		*(*[2]uint64)(unsafe.Add(d, i)) = *(*[2]uint64)(unsafe.Add(s, i))
		*(*[2]uint64)(unsafe.Add(d, i+16)) = *(*[2]uint64)(unsafe.Add(s, i+16))
	}
	for ; i < end; i += 8 {
		*(*uint64)(unsafe.Add(d, i)) = *(*uint64)(unsafe.Add(s, i))
	}
}

// TryGetBulk is GetBulk's fast path alone, small enough to be inlined into
// the caller's loop: it fills objs from the top of lcore's cache if the
// cache holds at least len(objs) objects and reports whether it did;
// otherwise it changes nothing and the caller falls back to GetBulk:
//
//	if !p.TryGetBulk(lcore, objs) && !p.GetBulk(lcore, objs) {
//		// not enough free objects
//	}
//
// In a hot loop, keep the fallback call out of the loop that calls
// TryGetBulk: a loop with no call in it keeps its variables in registers
// (measured 10-30% on mempool_perf's loop with bursts of 1 and 4):
//
//	for i < n && p.TryGetBulk(lcore, objs[i:i+burst]) {
//		i += burst
//	}
//	if i < n { /* GetBulk for objs[i:i+burst], then loop again */ }
//
// Why: a Go call costs the calling loop its registers (Go has no
// callee-saved ones), which for a burst of one to a few objects is as much
// as the work itself; DPDK's fast path is an inline function for the same
// reason. TryGetBulk copies a word at a time: for bursts larger than about
// eight objects GetBulk, which copies with vector moves, is faster.
func (p *Pool) TryGetBulk(lcore uint, objs []unsafe.Pointer) bool {
	if lcore >= p.cacheLcores {
		return false
	}
	c := unsafe.Add(p.caches, lcore*uint(cacheStride)) // *lcoreCache, spelled out to stay inlinable
	l := uint(*(*uint32)(c)) - uint(len(objs))
	if l > uint(p.flushThresh) {
		return false
	}
	*(*uint32)(c) = uint32(l)
	s := unsafe.Add(c, cacheLine+l*8)
	for i := range uintptr(len(objs)) {
		*(*uint64)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(objs)), i*8)) = *(*uint64)(unsafe.Add(s, i*8))
	}
	return true
}

// TryPutBulk is PutBulk's fast path alone, inlinable like TryGetBulk: it
// puts objs on top of lcore's cache if they fit below the flush threshold
// and reports whether it did; otherwise it changes nothing and the caller
// falls back to PutBulk:
//
//	if !p.TryPutBulk(lcore, objs) {
//		p.PutBulk(lcore, objs)
//	}
func (p *Pool) TryPutBulk(lcore uint, objs []unsafe.Pointer) bool {
	if lcore >= p.cacheLcores {
		return false
	}
	c := unsafe.Add(p.caches, lcore*uint(cacheStride))
	l := uint(*(*uint32)(c))
	if l+uint(len(objs)) > uint(p.flushThresh) {
		return false
	}
	*(*uint32)(c) = uint32(l + uint(len(objs)))
	d := unsafe.Add(c, cacheLine+l*8)
	for i := range uintptr(len(objs)) {
		*(*uint64)(unsafe.Add(d, i*8)) = *(*uint64)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(objs)), i*8))
	}
	return true
}
