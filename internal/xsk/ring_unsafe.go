package xsk

import (
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ring is the part common to the four rings: the kernel's producer and
// consumer indices and flags word in the shared mapping, and our cached
// copies. Indices are free-running uint32 counters; slot = index & mask.
type ring struct {
	producer *uint32
	consumer *uint32
	flags    *uint32
	mask     uint32
	size     uint32
	// For a ring we produce on (fill, tx): prod is the next slot to
	// reserve, cons our last view of the kernel's consumer. For a ring we
	// consume from (rx, completion): cons is the next slot to read, prod
	// our last view of the kernel's producer.
	prod, cons uint32
	mem        []byte // the mapping, for munmap
}

func (r *ring) init(mem []byte, off *unix.XDPRingOffset, size uint32) {
	r.mem = mem
	r.producer = (*uint32)(unsafe.Pointer(&mem[off.Producer]))
	r.consumer = (*uint32)(unsafe.Pointer(&mem[off.Consumer]))
	r.flags = (*uint32)(unsafe.Pointer(&mem[off.Flags]))
	r.size = size
	r.mask = size - 1
	r.prod = atomic.LoadUint32(r.producer)
	r.cons = atomic.LoadUint32(r.consumer)
}

// reserve claims up to n slots to produce into, reading the kernel's
// consumer index only when the cached view has too little room. It
// returns the first slot's index and how many were claimed.
func (r *ring) reserve(n int) (uint32, int) {
	free := r.size - (r.prod - r.cons)
	if uint32(n) > free {
		r.cons = atomic.LoadUint32(r.consumer)
		free = r.size - (r.prod - r.cons)
		if uint32(n) > free {
			n = int(free)
		}
	}
	idx := r.prod
	r.prod += uint32(n)
	return idx, n
}

// submit hands every reserved slot to the kernel (one store-release).
func (r *ring) submit() { atomic.StoreUint32(r.producer, r.prod) }

// cancel gives back n reserved slots not yet submitted.
func (r *ring) cancel(n int) { r.prod -= uint32(n) }

// peek returns the first of up to n filled slots, reading the kernel's
// producer index only when the cached view has too few.
func (r *ring) peek(n int) (uint32, int) {
	avail := r.prod - r.cons
	if uint32(n) > avail {
		r.prod = atomic.LoadUint32(r.producer)
		avail = r.prod - r.cons
		if uint32(n) > avail {
			n = int(avail)
		}
	}
	return r.cons, n
}

// release gives n peeked slots back to the kernel.
func (r *ring) release(n int) {
	r.cons += uint32(n)
	atomic.StoreUint32(r.consumer, r.cons)
}

func (r *ring) needWakeup() bool {
	return atomic.LoadUint32(r.flags)&unix.XDP_RING_NEED_WAKEUP != 0
}

// AddrRing is the fill or the completion ring: its descriptors are UMEM
// addresses (offsets of frames from the start of the UMEM).
type AddrRing struct {
	ring
	addrs []uint64
}

func (r *AddrRing) init(mem []byte, off *unix.XDPRingOffset, size uint32) {
	r.ring.init(mem, off, size)
	r.addrs = unsafe.Slice((*uint64)(unsafe.Pointer(&mem[off.Desc])), size)
}

// DescRing is the rx or the tx ring: its descriptors are (address,
// length, options) of one packet in the UMEM.
type DescRing struct {
	ring
	descs []unix.XDPDesc
}

func (r *DescRing) init(mem []byte, off *unix.XDPRingOffset, size uint32) {
	r.ring.init(mem, off, size)
	r.descs = unsafe.Slice((*unix.XDPDesc)(unsafe.Pointer(&mem[off.Desc])), size)
}

// Reserve claims up to n slots of a ring we produce on (fill, tx); it
// returns the index of the first and how many. Fill them with Set and
// hand them over with Submit.
func (r *AddrRing) Reserve(n int) (uint32, int) { return r.reserve(n) }

// Reserve claims up to n slots of the tx ring (see AddrRing.Reserve).
func (r *DescRing) Reserve(n int) (uint32, int) { return r.reserve(n) }

// Submit hands every reserved slot to the kernel.
func (r *AddrRing) Submit() { r.submit() }

// Submit hands every reserved slot to the kernel.
func (r *DescRing) Submit() { r.submit() }

// Cancel forgets the last n reserved, not yet submitted slots.
func (r *AddrRing) Cancel(n int) { r.cancel(n) }

// Cancel forgets the last n reserved, not yet submitted slots.
func (r *DescRing) Cancel(n int) { r.cancel(n) }

// Peek returns the index of the first of up to n descriptors the kernel
// has produced (rx, completion) and how many. Read them with Addr or
// Desc, then Release them.
func (r *AddrRing) Peek(n int) (uint32, int) { return r.peek(n) }

// Peek returns the first of up to n received descriptors (see
// AddrRing.Peek).
func (r *DescRing) Peek(n int) (uint32, int) { return r.peek(n) }

// Release gives n peeked descriptors back to the kernel.
func (r *AddrRing) Release(n int) { r.release(n) }

// Release gives n peeked descriptors back to the kernel.
func (r *DescRing) Release(n int) { r.release(n) }

// Set writes the address in slot idx.
func (r *AddrRing) Set(idx uint32, addr uint64) { r.addrs[idx&r.mask] = addr }

// Addr reads the address in slot idx.
func (r *AddrRing) Addr(idx uint32) uint64 { return r.addrs[idx&r.mask] }

// Set writes the descriptor in slot idx.
func (r *DescRing) Set(idx uint32, d unix.XDPDesc) { r.descs[idx&r.mask] = d }

// Desc reads the descriptor in slot idx.
func (r *DescRing) Desc(idx uint32) unix.XDPDesc { return r.descs[idx&r.mask] }

// Size is the number of slots.
func (r *ring) Size() int { return int(r.size) }

// NeedWakeup says whether the kernel asks for a syscall to go on
// working this ring (XDP_RING_NEED_WAKEUP, with XDP_USE_NEED_WAKEUP).
func (r *ring) NeedWakeup() bool { return r.needWakeup() }
