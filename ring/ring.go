package ring

import (
	"errors"
	"fmt"
	"math/bits"
	"runtime"
	"sync/atomic"
)

// Flags choose the ring's synchronisation modes at creation.
type Flags uint32

const (
	// SingleProducer: only one goroutine at a time enqueues (RING_F_SP_ENQ).
	SingleProducer Flags = 1 << iota
	// SingleConsumer: only one goroutine at a time dequeues (RING_F_SC_DEQ).
	SingleConsumer
	// ExactSize: count need not be a power of two and the ring holds exactly
	// count elements (RING_F_EXACT_SZ). Without it count must be a power of
	// two and the ring holds count-1 elements, as rte_ring does.
	ExactSize
)

// MaxSize is the largest slot array a ring may have (RTE_RING_SZ_MASK+1).
const MaxSize = 1 << 31

const cacheLine = 64

var (
	// ErrSize reports a count that is zero, negative, too large, or not a
	// power of two without ExactSize.
	ErrSize = errors.New("ring: invalid size")
	// ErrFlags reports unknown flag bits.
	ErrFlags = errors.New("ring: invalid flags")
)

// side is one end of the ring. Head is where the next reservation starts,
// tail is what the other side may see. cached is a single-thread side's copy
// of the other side's tail (never read by anyone else).
type side struct {
	head   uint32
	tail   uint32
	cached uint32
	single bool
	_      [cacheLine - 13]byte
}

// Ring is a bounded lock-free FIFO of T. Create it with New; the zero Ring
// is not usable.
type Ring[T any] struct {
	_        [cacheLine]byte
	slots    []T
	mask     uint32
	capacity uint32
	flags    Flags
	name     string
	_        [cacheLine - 24 - 12 - 16]byte
	prod     side
	cons     side
}

// New creates a ring named name that can hold count elements (count-1 for
// a power-of-two count without ExactSize, as rte_ring_create does).
func New[T any](name string, count int, flags Flags) (*Ring[T], error) {
	if flags&^(SingleProducer|SingleConsumer|ExactSize) != 0 {
		return nil, fmt.Errorf("%w: %#x", ErrFlags, uint32(flags))
	}
	var size, capacity uint64
	switch {
	case count <= 0:
		return nil, fmt.Errorf("%w: count %d must be positive", ErrSize, count)
	case flags&ExactSize != 0:
		if uint64(count) >= MaxSize {
			return nil, fmt.Errorf("%w: count %d exceeds %d", ErrSize, count, MaxSize-1)
		}
		size = uint64(1) << bits.Len64(uint64(count)) // next power of two above count
		capacity = uint64(count)
	default:
		if count&(count-1) != 0 {
			return nil, fmt.Errorf("%w: count %d is not a power of two (use ExactSize)", ErrSize, count)
		}
		if uint64(count) > MaxSize || count < 2 {
			return nil, fmt.Errorf("%w: count %d out of range [2, %d]", ErrSize, count, uint64(MaxSize))
		}
		size = uint64(count)
		capacity = size - 1
	}
	r := &Ring[T]{
		slots:    make([]T, size),
		mask:     uint32(size - 1),
		capacity: uint32(capacity),
		flags:    flags,
		name:     name,
	}
	r.prod.single = flags&SingleProducer != 0
	r.cons.single = flags&SingleConsumer != 0
	return r, nil
}

// Name returns the name given to New.
func (r *Ring[T]) Name() string { return r.name }

// Flags returns the flags given to New.
func (r *Ring[T]) Flags() Flags { return r.flags }

// Capacity is the number of elements the ring can hold.
func (r *Ring[T]) Capacity() int { return int(r.capacity) }

// Size is the number of slots (a power of two).
func (r *Ring[T]) Size() int { return len(r.slots) }

// Count is the number of elements in the ring. Concurrent calls see a
// value that was true at some instant.
func (r *Ring[T]) Count() int {
	prod := atomic.LoadUint32(&r.prod.tail)
	cons := atomic.LoadUint32(&r.cons.tail)
	n := prod - cons
	if n > r.capacity {
		return int(r.capacity)
	}
	return int(n)
}

// FreeCount is the number of elements that can still be enqueued.
func (r *Ring[T]) FreeCount() int { return int(r.capacity) - r.Count() }

// Full reports whether the ring holds Capacity elements.
func (r *Ring[T]) Full() bool { return r.FreeCount() == 0 }

// Empty reports whether the ring holds no element.
func (r *Ring[T]) Empty() bool { return r.Count() == 0 }

// String describes the ring for logs.
func (r *Ring[T]) String() string {
	return fmt.Sprintf("ring %q size=%d capacity=%d count=%d flags=%#x",
		r.name, len(r.slots), r.capacity, r.Count(), uint32(r.flags))
}

// EnqueueBulk enqueues all of objs or none; it returns len(objs) or 0.
func (r *Ring[T]) EnqueueBulk(objs []T) int {
	if r.prod.single {
		return r.enqueueSP(objs, true)
	}
	return r.enqueueMP(objs, true)
}

// EnqueueBurst enqueues as many of objs as fit, in order, and returns how
// many. The caller keeps ownership of objs[n:].
func (r *Ring[T]) EnqueueBurst(objs []T) int {
	if r.prod.single {
		return r.enqueueSP(objs, false)
	}
	return r.enqueueMP(objs, false)
}

// Enqueue enqueues one element; it reports false when the ring is full.
func (r *Ring[T]) Enqueue(obj T) bool {
	if r.prod.single {
		return r.enqueueOneSP(obj)
	}
	one := [1]T{obj}
	return r.enqueueMP(one[:], true) == 1
}

// DequeueBulk fills all of objs or nothing; it returns len(objs) or 0.
func (r *Ring[T]) DequeueBulk(objs []T) int {
	if r.cons.single {
		return r.dequeueSC(objs, true)
	}
	return r.dequeueMC(objs, true)
}

// DequeueBurst fills objs with as many elements as are available, in
// order, and returns how many.
func (r *Ring[T]) DequeueBurst(objs []T) int {
	if r.cons.single {
		return r.dequeueSC(objs, false)
	}
	return r.dequeueMC(objs, false)
}

// Dequeue removes one element; ok is false when the ring is empty.
func (r *Ring[T]) Dequeue() (obj T, ok bool) {
	if r.cons.single {
		return r.dequeueOneSC()
	}
	var one [1]T
	ok = r.dequeueMC(one[:], true) == 1
	return one[0], ok
}

// Peek copies up to len(objs) elements from the head of the ring without
// removing them and returns how many; Discard then removes them. Only a
// single-consumer ring may be peeked: on a multi-consumer ring Peek
// returns 0.
func (r *Ring[T]) Peek(objs []T) int {
	if !r.cons.single {
		return 0
	}
	tail := r.cons.tail
	avail := atomic.LoadUint32(&r.prod.tail) - tail
	n := uint32(len(objs))
	if avail < n {
		n = avail
	}
	r.copyOut(objs[:n], tail)
	return int(n)
}

// Discard removes up to n elements from the head of a single-consumer ring
// (after a Peek) and returns how many it removed; 0 on a multi-consumer
// ring.
func (r *Ring[T]) Discard(n int) int {
	if !r.cons.single || n <= 0 {
		return 0
	}
	tail := r.cons.tail
	avail := atomic.LoadUint32(&r.prod.tail) - tail
	if uint32(n) > avail || n > int(r.capacity) {
		n = int(avail)
	}
	storeRelease(&r.cons.tail, tail+uint32(n))
	return n
}

// Reset empties the ring. It is not safe while other goroutines use it.
func (r *Ring[T]) Reset() {
	var zero T
	for i := range r.slots {
		r.slots[i] = zero
	}
	atomic.StoreUint32(&r.prod.head, 0)
	atomic.StoreUint32(&r.prod.cached, 0)
	atomic.StoreUint32(&r.cons.head, 0)
	atomic.StoreUint32(&r.cons.cached, 0)
	atomic.StoreUint32(&r.cons.tail, 0)
	atomic.StoreUint32(&r.prod.tail, 0)
}

// copyIn writes objs into the slots starting at index idx (free-running).
func (r *Ring[T]) copyIn(objs []T, idx uint32) {
	i := int(idx & r.mask)
	if n := copy(r.slots[i:], objs); n < len(objs) {
		copy(r.slots, objs[n:])
	}
}

// copyOut reads len(objs) slots starting at index idx into objs.
func (r *Ring[T]) copyOut(objs []T, idx uint32) {
	i := int(idx & r.mask)
	if n := copy(objs, r.slots[i:]); n < len(objs) {
		copy(objs[n:], r.slots)
	}
}

func (r *Ring[T]) enqueueSP(objs []T, bulk bool) int {
	n := uint32(len(objs))
	head := r.prod.tail // only this producer writes it
	free := r.capacity + r.prod.cached - head
	if free < n {
		r.prod.cached = atomic.LoadUint32(&r.cons.tail)
		free = r.capacity + r.prod.cached - head
		if free < n {
			if bulk || free == 0 {
				return 0
			}
			n = free
		}
	}
	r.copyIn(objs[:n], head)
	storeRelease(&r.prod.tail, head+n)
	return int(n)
}

func (r *Ring[T]) enqueueOneSP(obj T) bool {
	head := r.prod.tail
	if r.capacity+r.prod.cached == head {
		r.prod.cached = atomic.LoadUint32(&r.cons.tail)
		if r.capacity+r.prod.cached == head {
			return false
		}
	}
	r.slots[head&r.mask] = obj
	storeRelease(&r.prod.tail, head+1)
	return true
}

func (r *Ring[T]) dequeueSC(objs []T, bulk bool) int {
	n := uint32(len(objs))
	tail := r.cons.tail // only this consumer writes it
	avail := r.cons.cached - tail
	if avail < n {
		r.cons.cached = atomic.LoadUint32(&r.prod.tail)
		avail = r.cons.cached - tail
		if avail < n {
			if bulk || avail == 0 {
				return 0
			}
			n = avail
		}
	}
	r.copyOut(objs[:n], tail)
	storeRelease(&r.cons.tail, tail+n)
	return int(n)
}

func (r *Ring[T]) dequeueOneSC() (obj T, ok bool) {
	tail := r.cons.tail
	if r.cons.cached == tail {
		r.cons.cached = atomic.LoadUint32(&r.prod.tail)
		if r.cons.cached == tail {
			return obj, false
		}
	}
	obj = r.slots[tail&r.mask]
	storeRelease(&r.cons.tail, tail+1)
	return obj, true
}

func (r *Ring[T]) enqueueMP(objs []T, bulk bool) int {
	var head, n uint32
	for {
		n = uint32(len(objs))
		head = atomic.LoadUint32(&r.prod.head)
		free := r.capacity + atomic.LoadUint32(&r.cons.tail) - head
		if free < n {
			if bulk || free == 0 {
				return 0
			}
			n = free
		}
		if atomic.CompareAndSwapUint32(&r.prod.head, head, head+n) {
			break
		}
	}
	r.copyIn(objs[:n], head)
	waitTail(&r.prod.tail, head)
	storeRelease(&r.prod.tail, head+n)
	return int(n)
}

func (r *Ring[T]) dequeueMC(objs []T, bulk bool) int {
	var head, n uint32
	for {
		n = uint32(len(objs))
		head = atomic.LoadUint32(&r.cons.head)
		avail := atomic.LoadUint32(&r.prod.tail) - head
		if avail < n {
			if bulk || avail == 0 {
				return 0
			}
			n = avail
		}
		if atomic.CompareAndSwapUint32(&r.cons.head, head, head+n) {
			break
		}
	}
	r.copyOut(objs[:n], head)
	waitTail(&r.cons.tail, head)
	storeRelease(&r.cons.tail, head+n)
	return int(n)
}

// waitTail waits until the earlier reservations of the same side have
// published (tail reaches want). An lcore that holds its CPU gets there in
// a few pauses; a goroutine preempted mid-operation makes the others yield
// rather than burn their time slice.
func waitTail(tail *uint32, want uint32) {
	for spins := 0; atomic.LoadUint32(tail) != want; spins++ {
		if spins&127 == 127 {
			runtime.Gosched()
		} else {
			pause()
		}
	}
}
