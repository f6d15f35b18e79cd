package ring

import (
	"errors"
	"fmt"
	"math/bits"
	"runtime"
	"sync/atomic"
	"unsafe"
)

// Flags choose the ring's synchronisation modes at creation.
type Flags uint32

const (
	// SingleProducer: only one goroutine at a time enqueues (RING_F_SP_ENQ).
	SingleProducer Flags = 1 << 0
	// SingleConsumer: only one goroutine at a time dequeues (RING_F_SC_DEQ).
	SingleConsumer Flags = 1 << 1
	// OffHeap declares that the elements' pointers lead only outside the Go
	// heap: into dpkit arenas (mbufs, mempool objects) or other memory the
	// garbage collector does not manage. A ring moves elements as raw
	// memory, without the collector's write barriers, so New refuses an
	// element type that holds pointers unless this flag vouches for them.
	// Storing a Go heap pointer in an OffHeap ring can let the collector
	// free an object that is still in use: pass Go objects over channels.
	OffHeap Flags = 1 << 3
	// ExactSize: count need not be a power of two and the ring holds exactly
	// count elements (RING_F_EXACT_SZ). Without it count must be a power of
	// two and the ring holds count-1 elements, as rte_ring does.
	ExactSize Flags = 1 << 2
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
	// ErrElem reports an element type a ring cannot carry: one whose size is
	// not a non-zero multiple of 4 bytes (as rte_ring_elem requires), or
	// one holding pointers without OffHeap.
	ErrElem = errors.New("ring: invalid element type")
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
	base     unsafe.Pointer // &slots[0]
	esz      uintptr        // element size in bytes, a multiple of 4
	size     uint32         // len(slots)
	mask     uint32
	capacity uint32
	flags    Flags
	name     string
	_        [2*cacheLine - 24 - 8 - 8 - 16 - 16]byte
	prod     side
	cons     side
}

// New creates a ring named name that can hold count elements (count-1 for
// a power-of-two count without ExactSize, as rte_ring_create does).
func New[T any](name string, count int, flags Flags) (*Ring[T], error) {
	if flags&^(SingleProducer|SingleConsumer|ExactSize|OffHeap) != 0 {
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
	esz, err := elemSize[T](flags&OffHeap != 0)
	if err != nil {
		return nil, err
	}
	r := &Ring[T]{
		esz:      esz,
		slots:    make([]T, size),
		size:     uint32(size),
		mask:     uint32(size - 1),
		capacity: uint32(capacity),
		flags:    flags,
		name:     name,
	}
	r.base = unsafe.Pointer(unsafe.SliceData(r.slots))
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
func (r *Ring[T]) EnqueueBulk(objs []T) int { return r.enqueue(objs, true) }

// EnqueueBurst enqueues as many of objs as fit, in order, and returns how
// many. The caller keeps ownership of objs[n:].
func (r *Ring[T]) EnqueueBurst(objs []T) int { return r.enqueue(objs, false) }

// DequeueBulk fills all of objs or nothing; it returns len(objs) or 0.
func (r *Ring[T]) DequeueBulk(objs []T) int { return r.dequeue(objs, true) }

// DequeueBurst fills objs with as many elements as are available, in
// order, and returns how many.
func (r *Ring[T]) DequeueBurst(objs []T) int { return r.dequeue(objs, false) }

// enqueue is the whole producer side: reserve (SP: no atomics; MP: CAS on
// the head), copy, wait for earlier MP reservations, publish the tail. It
// is one function that calls nothing, on purpose: the compiler then
// builds it as a leaf without a stack frame, and for small bursts the
// frame, the stack check and the spills around a call cost more than the
// work (TestInlining holds the parts that must inline into it).
func (r *Ring[T]) enqueue(objs []T, bulk bool) int {
	n := uint32(len(objs))
	if n == 0 {
		// An empty MP/MC reservation would share its head with the next
		// one and could publish after it, moving the tail backwards.
		return 0
	}
	var head uint32
	if r.prod.single {
		head = r.prod.tail // only this producer writes it
		if free := r.capacity + r.prod.cached - head; free < n {
			r.prod.cached = atomic.LoadUint32(&r.cons.tail)
			if free = r.capacity + r.prod.cached - head; free < n {
				if bulk || free == 0 {
					return 0
				}
				n = free
			}
		}
	} else {
		for {
			head = atomic.LoadUint32(&r.prod.head)
			if free := r.capacity + atomic.LoadUint32(&r.cons.tail) - head; free < n {
				if bulk || free == 0 {
					return 0
				}
				n = free
			}
			if atomic.CompareAndSwapUint32(&r.prod.head, head, head+n) {
				break
			}
			n = uint32(len(objs))
		}
	}
	// Copy in at most two segments (the second after the wrap). The
	// accounting above guarantees n <= capacity < size.
	i := head & r.mask
	nb := uintptr(n) * r.esz
	seg := min(nb, uintptr(r.size-i)*r.esz)
	src := unsafe.Pointer(unsafe.SliceData(objs))
	dst := unsafe.Add(r.base, uintptr(i)*r.esz)
	copyBytes(dst, src, seg)
	if seg < nb {
		copyBytes(r.base, unsafe.Add(src, seg), nb-seg)
	}
	if !r.prod.single {
		// Wait for earlier reservations to publish (see spinning below).
		for atomic.LoadUint32(&r.prod.tail) != head {
			if raceEnabled {
				runtime.Gosched()
			}
		}
	}
	storeRelease(&r.prod.tail, head+n)
	return int(n)
}

// dequeue is the whole consumer side, the mirror of enqueue.
func (r *Ring[T]) dequeue(objs []T, bulk bool) int {
	n := uint32(len(objs))
	if n == 0 {
		// An empty MP/MC reservation would share its head with the next
		// one and could publish after it, moving the tail backwards.
		return 0
	}
	var head uint32
	if r.cons.single {
		head = r.cons.tail // only this consumer writes it
		if avail := r.cons.cached - head; avail < n {
			r.cons.cached = atomic.LoadUint32(&r.prod.tail)
			if avail = r.cons.cached - head; avail < n {
				if bulk || avail == 0 {
					return 0
				}
				n = avail
			}
		}
	} else {
		for {
			head = atomic.LoadUint32(&r.cons.head)
			if avail := atomic.LoadUint32(&r.prod.tail) - head; avail < n {
				if bulk || avail == 0 {
					return 0
				}
				n = avail
			}
			if atomic.CompareAndSwapUint32(&r.cons.head, head, head+n) {
				break
			}
			n = uint32(len(objs))
		}
	}
	i := head & r.mask
	nb := uintptr(n) * r.esz
	seg := min(nb, uintptr(r.size-i)*r.esz)
	dst := unsafe.Pointer(unsafe.SliceData(objs))
	src := unsafe.Add(r.base, uintptr(i)*r.esz)
	copyBytes(dst, src, seg)
	if seg < nb {
		copyBytes(unsafe.Add(dst, seg), r.base, nb-seg)
	}
	if !r.cons.single {
		for atomic.LoadUint32(&r.cons.tail) != head {
			if raceEnabled {
				runtime.Gosched()
			}
		}
	}
	storeRelease(&r.cons.tail, head+n)
	return int(n)
}

// Enqueue enqueues one element; it reports false when the ring is full.
func (r *Ring[T]) Enqueue(obj T) bool {
	if !r.prod.single {
		return r.enqueueOneMP(obj)
	}
	head := r.prod.tail
	if r.capacity+r.prod.cached == head && !r.refreshProd(head) {
		return false
	}
	*(*T)(unsafe.Add(r.base, uintptr(head&r.mask)*r.esz)) = obj
	storeRelease(&r.prod.tail, head+1)
	return true
}

// Dequeue removes one element; ok is false when the ring is empty.
func (r *Ring[T]) Dequeue() (obj T, ok bool) {
	if !r.cons.single {
		return r.dequeueOneMC()
	}
	tail := r.cons.tail
	if r.cons.cached == tail && !r.refreshCons(tail) {
		return obj, false
	}
	obj = *(*T)(unsafe.Add(r.base, uintptr(tail&r.mask)*r.esz))
	storeRelease(&r.cons.tail, tail+1)
	return obj, true
}

// refreshProd reloads the consumer tail; it reports whether a slot is free.
func (r *Ring[T]) refreshProd(head uint32) bool {
	r.prod.cached = atomic.LoadUint32(&r.cons.tail)
	return r.capacity+r.prod.cached != head
}

// refreshCons reloads the producer tail; it reports whether an element is
// available.
func (r *Ring[T]) refreshCons(tail uint32) bool {
	r.cons.cached = atomic.LoadUint32(&r.prod.tail)
	return r.cons.cached != tail
}

func (r *Ring[T]) enqueueOneMP(obj T) bool {
	var head uint32
	for {
		head = atomic.LoadUint32(&r.prod.head)
		if r.capacity+atomic.LoadUint32(&r.cons.tail) == head {
			return false
		}
		if atomic.CompareAndSwapUint32(&r.prod.head, head, head+1) {
			break
		}
	}
	*(*T)(unsafe.Add(r.base, uintptr(head&r.mask)*r.esz)) = obj
	for atomic.LoadUint32(&r.prod.tail) != head {
		if raceEnabled {
			runtime.Gosched()
		}
	}
	storeRelease(&r.prod.tail, head+1)
	return true
}

func (r *Ring[T]) dequeueOneMC() (obj T, ok bool) {
	var head uint32
	for {
		head = atomic.LoadUint32(&r.cons.head)
		if atomic.LoadUint32(&r.prod.tail) == head {
			return obj, false
		}
		if atomic.CompareAndSwapUint32(&r.cons.head, head, head+1) {
			break
		}
	}
	obj = *(*T)(unsafe.Add(r.base, uintptr(head&r.mask)*r.esz))
	for atomic.LoadUint32(&r.cons.tail) != head {
		if raceEnabled {
			runtime.Gosched()
		}
	}
	storeRelease(&r.cons.tail, head+1)
	return obj, true
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
	for k := uint32(0); k < n; k++ {
		objs[k] = *(*T)(unsafe.Add(r.base, uintptr((tail+k)&r.mask)*r.esz))
	}
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

// # Spinning
//
// An MP/MC operation publishes its tail only after every earlier
// reservation of the same side has published, so it waits for them, as
// rte_ring does. The burst functions must call nothing (see enqueue), so
// they spin without PAUSE or yielding: like rte_ring, an MP/MC ring
// assumes that a producer or consumer is not descheduled between its
// reservation and its publication, which holds for lcores that each own a
// CPU. A goroutine preempted there stalls the others of its side until it
// runs again (Go's asynchronous preemption guarantees that it does, within
// a scheduler slice); use SP/SC rings, one per producer, where threads
// outnumber CPUs. (Race-detector builds instrument these functions with
// calls, so they can be preempted anywhere; there the spin yields.)
// (A leaf cannot be preempted by Go at all: the compiler
// makes frameless functions nosplit, which are not asynchronous safe
// points, so only the operating system can deschedule a thread there.)
//
// Single elements are stored with a typed store: its write barrier is
// harmless for OffHeap values, and loads need none.
