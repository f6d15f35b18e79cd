package memifproto

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// A Queue is one ring as one side uses it: a producer (tx) or a consumer
// (rx), on the client or on the server. The four roles differ in which
// index is whose and in whom to trust:
//
//   - client tx (C2S): fills its own buffers at head, the server hands
//     them back by moving tail;
//   - server rx (C2S): reads from its cursor to head, validating every
//     descriptor against the regions, then moves tail;
//   - client rx (S2C): offers its buffers by moving head, reads from its
//     cursor to tail; it trusts only the length (bounded by its buffer
//     size), never an offset the server wrote;
//   - server tx (S2C): fills the client's empty buffers at tail, each
//     validated, and moves tail.
//
// Indices read from shared memory that jump (more entries than the ring
// holds) make the queue report ErrRingCorrupt; nothing outside the regions
// is ever read or written. A Queue is used by one goroutine at a time.
type Queue struct {
	ring    Ring
	mem     Regions
	efd     int
	role    role
	mask    uint16
	cursor  uint16 // consumer: next slot to read; producer: next slot to fill
	head    uint16 // client's own head (client tx, client rx)
	bufBase uint32 // client: offset of slot 0's buffer in region 0
	bufSize uint32 // client: buffer size
	region0 []byte
	zc      bool   // zero-copy client: the caller owns every descriptor
	reclaim uint16 // zero-copy client tx: tail as last reclaimed
}

type role uint8

const (
	clientTx role = iota
	clientRx
	serverTx
	serverRx
)

// ErrRingCorrupt reports ring indices that no well-behaved peer writes.
var ErrRingCorrupt = errors.New("memif: ring indices out of range")

// ClientTxQueue returns the client's transmit queue on C2S ring i.
func (s *Session) ClientTxQueue(i int) *Queue { return s.clientQueue(true, i) }

// ClientRxQueue returns the client's receive queue on S2C ring i.
func (s *Session) ClientRxQueue(i int) *Queue { return s.clientQueue(false, i) }

func (s *Session) clientQueue(c2s bool, i int) *Queue {
	ri, r := s.S2C[i], clientRx
	if c2s {
		ri, r = s.C2S[i], clientTx
	}
	q := &Queue{ring: ri.Ring, mem: s.mem, efd: ri.Eventfd, role: r, mask: uint16(ri.Ring.Size() - 1),
		bufBase: s.Layout.BufOffset(c2s, i, 0), bufSize: s.Layout.BufSize, region0: s.mem[0]}
	q.head = ri.Ring.Head()
	q.cursor = q.head
	q.zc, q.reclaim = s.ZeroCopy, ri.Ring.Tail()
	if r == clientRx {
		q.cursor = ri.Ring.Tail()
	}
	return q
}

// ServerRxQueue returns the server's receive queue on C2S ring i.
func (s *Session) ServerRxQueue(i int) *Queue {
	ri := s.C2S[i]
	return &Queue{ring: ri.Ring, mem: s.mem, efd: ri.Eventfd, role: serverRx, mask: uint16(ri.Ring.Size() - 1), cursor: ri.Ring.Tail()}
}

// ServerTxQueue returns the server's transmit queue on S2C ring i.
func (s *Session) ServerTxQueue(i int) *Queue {
	ri := s.S2C[i]
	return &Queue{ring: ri.Ring, mem: s.mem, efd: ri.Eventfd, role: serverTx, mask: uint16(ri.Ring.Size() - 1), cursor: ri.Ring.Tail()}
}

// Size is the number of descriptors of the ring.
func (q *Queue) Size() int { return int(q.mask) + 1 }

// Eventfd is the ring's interrupt fd: readable when the producer kicked.
func (q *Queue) Eventfd() int { return q.efd }

// Ready returns how many filled descriptors a consumer can read, or how
// many free ones a producer can fill, starting at its cursor.
func (q *Queue) Ready() (int, error) {
	size := uint16(q.mask) + 1
	var n uint16
	switch q.role {
	case serverRx:
		n = q.ring.Head() - q.cursor
	case clientRx:
		n = q.ring.Tail() - q.cursor
	case clientTx:
		tail := q.ring.Tail()
		if q.zc {
			tail = q.reclaim // slots not reclaimed still hold the caller's packets
		}
		used := q.head - tail
		if used > size {
			return 0, fmt.Errorf("%w: %d in flight on a ring of %d", ErrRingCorrupt, used, size)
		}
		n = size - used
	case serverTx:
		n = q.ring.Head() - q.cursor
	}
	if n > size {
		return 0, fmt.Errorf("%w: %d ready on a ring of %d", ErrRingCorrupt, n, size)
	}
	return int(n), nil
}

// Buf returns the buffer of the i-th descriptor from the cursor: for a
// consumer the packet bytes and whether the packet continues in the next
// descriptor, for a producer the room to fill. ok is false if the
// descriptor points outside the regions (a consumer should drop it, a
// producer skip it) or, for the client, is longer than its buffer.
func (q *Queue) Buf(i int) (b []byte, next bool, ok bool) {
	slot := q.cursor + uint16(i)
	d := q.ring.Desc(slot)
	switch q.role {
	case serverRx, serverTx:
		b, ok = q.mem.Buf(d.Region, d.Offset, d.Length)
	case clientRx:
		if d.Length > q.bufSize {
			return nil, false, false
		}
		off := q.bufBase + uint32(slot&q.mask)*q.bufSize
		b, ok = q.region0[off:off+d.Length:off+d.Length], true
	case clientTx:
		off := q.bufBase + uint32(slot&q.mask)*q.bufSize
		b, ok = q.region0[off:off+q.bufSize:off+q.bufSize], true
	}
	return b, d.Flags&DescFlagNext != 0, ok
}

// Set records, for a producer, that the i-th descriptor from the cursor
// holds n bytes (n <= len of its Buf), continued in the next one if next.
func (q *Queue) Set(i int, n uint32, next bool) {
	slot := q.cursor + uint16(i)
	var f uint16
	if next {
		f = DescFlagNext
	}
	if q.role == clientTx {
		q.ring.SetDesc(slot, Desc{Flags: f, Offset: q.bufBase + uint32(slot&q.mask)*q.bufSize, Length: n})
		return
	}
	q.ring.SetDescLen(slot, n, f)
}

// Done moves the cursor past n descriptors and publishes them: a consumer
// hands them back (the client offers its buffers again), a producer makes
// them visible and signals the peer's eventfd unless the peer masked it.
func (q *Queue) Done(n int) {
	if n == 0 {
		return
	}
	q.cursor += uint16(n)
	switch q.role {
	case serverRx:
		q.ring.SetTail(q.cursor)
	case clientRx:
		if !q.zc {
			q.Refill()
		}
	case clientTx:
		q.head = q.cursor
		q.ring.SetHead(q.head)
		q.kick()
	case serverTx:
		q.ring.SetTail(q.cursor)
		q.kick()
	}
}

// Refill offers the client's free buffers of an S2C ring to the server:
// every slot the client has consumed gets its buffer back at full size.
// Done calls it; call it once after connecting, before any packet can
// come.
func (q *Queue) Refill() {
	if q.role != clientRx || q.zc {
		return
	}
	end := q.cursor + q.mask + 1
	for s := q.head; s != end; s++ {
		q.ring.SetDesc(s, Desc{Offset: q.bufBase + uint32(s&q.mask)*q.bufSize, Length: q.bufSize})
	}
	q.head = end
	q.ring.SetHead(end)
}

// SetInterrupt asks the producer (a consumer's call) to signal the
// eventfd (on) or not (off: the consumer polls, DPDK's default).
func (q *Queue) SetInterrupt(on bool) {
	if on {
		q.ring.SetFlags(0)
	} else {
		q.ring.SetFlags(RingFlagMaskInt)
	}
}

func (q *Queue) kick() {
	if q.ring.Flags()&RingFlagMaskInt != 0 || q.efd < 0 {
		return
	}
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	unix.Write(q.efd, one[:]) // EAGAIN: the counter is already non-zero
}

// ClearInterrupt reads the eventfd (after a wake-up), non-blocking.
func (q *Queue) ClearInterrupt() {
	var b [8]byte
	unix.Read(q.efd, b[:])
}

// Zero-copy client queues: the descriptors point into the caller's own
// regions (its mbuf arenas), and the caller keeps track of what each slot
// holds.

// Desc returns a copy of the i-th descriptor from the cursor.
func (q *Queue) Desc(i int) Desc { return q.ring.Desc(q.cursor + uint16(i)) }

// Slot is the ring slot of the i-th descriptor from the cursor (masked):
// what a zero-copy caller indexes its per-slot state with.
func (q *Queue) Slot(i int) int { return int((q.cursor + uint16(i)) & q.mask) }

// Put writes the i-th descriptor from the cursor whole (zero-copy tx).
func (q *Queue) Put(i int, d Desc) { q.ring.SetDesc(q.cursor+uint16(i), d) }

// Completed returns the slots a zero-copy client's tx ring got back from
// the server since the last Reclaimed: n slots from ring slot first
// (masked, may wrap). Their buffers may be freed.
func (q *Queue) Completed() (first, n int, err error) {
	done := q.ring.Tail() - q.reclaim
	if done > q.head-q.reclaim {
		return 0, 0, fmt.Errorf("%w: tail %d past head %d", ErrRingCorrupt, q.reclaim+done, q.head)
	}
	return int(q.reclaim & q.mask), int(done), nil
}

// Reclaimed records that the caller freed n completed slots.
func (q *Queue) Reclaimed(n int) { q.reclaim += uint16(n) }

// Offerable returns the slots a zero-copy client's rx ring can be given
// buffers in: n slots from ring slot first (masked, may wrap).
func (q *Queue) Offerable() (first, n int) {
	return int(q.head & q.mask), int(q.cursor + q.mask + 1 - q.head)
}

// PutOffer writes the descriptor of the i-th offerable slot.
func (q *Queue) PutOffer(i int, d Desc) { q.ring.SetDesc(q.head+uint16(i), d) }

// Offer hands the first n offerable slots to the server.
func (q *Queue) Offer(n int) {
	q.head += uint16(n)
	q.ring.SetHead(q.head)
}
