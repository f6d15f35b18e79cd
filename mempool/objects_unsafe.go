package mempool

import (
	"errors"
	"fmt"
	"sync/atomic"
	"unsafe"
)

// ObjAt returns object i (0 <= i < Size()); objects are in address order.
// It panics if i is out of range.
func (p *Pool) ObjAt(i int) unsafe.Pointer {
	if uint(i) >= uint(p.n) {
		panic(fmt.Sprintf("mempool %s: object index %d out of range [0, %d)", p.name, i, p.n))
	}
	return unsafe.Add(unsafe.Pointer(unsafe.SliceData(p.objs)), uintptr(i)*p.elt)
}

// ObjIndex returns the index of obj in the pool, or -1 if obj is not the
// start of one of its objects.
func (p *Pool) ObjIndex(obj unsafe.Pointer) int {
	off := uintptr(obj) - p.base // wraps for obj < base
	if off >= uintptr(p.n)*p.elt || off%p.elt != 0 {
		return -1
	}
	return int(off / p.elt)
}

// Contains reports whether obj is the start of one of the pool's objects
// (a pointer into the middle of an object is not).
func (p *Pool) Contains(obj unsafe.Pointer) bool { return p.ObjIndex(obj) >= 0 }

// Walk calls fn for every object, free or not, in address order
// (rte_mempool_obj_iter).
func (p *Pool) Walk(fn func(idx int, obj unsafe.Pointer)) {
	for i := 0; i < p.n; i++ {
		fn(i, p.ObjAt(i))
	}
}

// Audit checks the pool's consistency: every free object, in the ring or
// in a cache, is an object of this pool and is free only once, no cache is
// past its flush threshold, and the counts add up. It must be called when
// no goroutine is using the pool (it takes the ring's objects out and puts
// them back in the same order). The error lists up to ten problems.
func (p *Pool) Audit() error {
	if p.closed.Load() {
		return fmt.Errorf("mempool %q: audit: %w", p.name, ErrClosed)
	}
	var errs []error
	problem := func(format string, args ...any) {
		if len(errs) < 10 {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	where := make([]int32, p.n) // 0: not free; 1: ring; 2+l: lcore l's cache
	place := func(w int32) string {
		if w == 1 {
			return "the ring"
		}
		return fmt.Sprintf("lcore %d's cache", w-2)
	}
	check := func(obj unsafe.Pointer, w int32, slot int) {
		i := p.ObjIndex(obj)
		switch {
		case i < 0:
			problem("%s slot %d holds %p, not an object of the pool", place(w), slot, obj)
		case where[i] != 0:
			problem("object %d (%p) is free twice: in %s and in %s slot %d", i, obj, place(where[i]), place(w), slot)
		default:
			where[i] = w
		}
	}

	inRing := p.ring.Count()
	tmp := make([]unsafe.Pointer, p.ring.Capacity())
	got := p.ring.DequeueBurst(tmp)
	if p.ring.EnqueueBulk(tmp[:got]) != got {
		problem("could not put %d objects back in the ring (is the pool in use?)", got)
	}
	if got != inRing {
		problem("ring count %d but %d objects dequeued (is the pool in use?)", inRing, got)
	}
	for k, obj := range tmp[:got] {
		check(obj, 1, k)
	}
	free := got
	for l := uint(0); l < p.cacheLcores; l++ {
		c := p.cacheOf(l)
		n := atomic.LoadUint32(&c.len)
		if n > p.flushThresh {
			problem("lcore %d's cache holds %d objects, past the flush threshold %d", l, n, p.flushThresh)
			n = min(n, uint32(len(c.objs)))
		}
		for k, obj := range c.objs[:n] {
			check(obj, int32(2+l), k)
		}
		free += int(n)
	}
	if free > p.n {
		problem("%d free objects in a pool of %d", free, p.n)
	}
	if a := p.avail(); a != min(free, p.n) {
		problem("Avail %d but %d free objects found", a, free)
	}
	if errs != nil {
		return fmt.Errorf("mempool %q: audit: %w", p.name, errors.Join(errs...))
	}
	return nil
}
