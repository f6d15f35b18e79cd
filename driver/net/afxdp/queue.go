package afxdp

import (
	"sync/atomic"

	"github.com/dpkit/dpkit/internal/xsk"
	"github.com/dpkit/dpkit/mbuf"
	"golang.org/x/sys/unix"
)

// Bursts of the fill ring refill and of the completion ring reclaim.
const fillBurst = 64

// xdpHeadroom is what the kernel leaves free before a packet it writes
// into a frame in copy mode (XDP_PACKET_HEADROOM); zero-copy drivers leave
// about as much. minFrame is the least frame size a UMEM chunk must hold
// after it.
const (
	xdpHeadroom = unix.XDP_PACKET_HEADROOM
	minFrame    = 1518
)

type rxQueue struct {
	// Set up by RxQueueSetup, kept across Start/Stop.
	pool  *mbuf.Pool
	lcore uint
	port  uint16
	nb    int // ring size asked for

	// Set at Start, cleared at Stop.
	s *xsk.Socket
	// UMEM mode (u != nil): the socket's UMEM is the pool's memory.
	u      *umem
	held   bitset // mbufs in the fill and rx rings (or with the kernel between them)
	target int    // mbufs to keep with the kernel
	posted int    // mbufs with the kernel
	zc     bool   // zero-copy: chunks must not cross a hugepage
	park   []*mbuf.Mbuf
	fill   [fillBurst]*mbuf.Mbuf

	nombuf atomic.Uint64
}

// RxBurst receives up to len(pkts) packets.
func (q *rxQueue) RxBurst(pkts []*mbuf.Mbuf) int {
	if q.u != nil {
		return q.rxUmem(pkts)
	}
	return q.rxCopy(pkts)
}

// rxUmem hands out the mbufs the kernel received into (an rx descriptor
// is an mbuf: its address is the object's, plus the packet's offset in
// the top bits), and refills the fill ring with fresh mbufs in bursts.
func (q *rxQueue) rxUmem(pkts []*mbuf.Mbuf) int {
	s, u := q.s, q.u
	idx, n := s.Rx.Peek(len(pkts))
	for i := range n {
		d := s.Rx.Desc(idx + uint32(i))
		c := s.FrameOf(d.Addr)
		k := u.index(c)
		m := u.mbufOf(k)
		q.held.clear(k)
		m.SetHeadroom(int(s.Addr(d.Addr)-c) - u.hdr)
		m.SetLen(int(d.Len))
		m.SetPktLen(int(d.Len))
		pkts[i] = m
	}
	if n > 0 {
		s.Rx.Release(n)
		q.posted -= n
	}
	if q.target-q.posted >= min(fillBurst, q.target) {
		q.refill(n > 0)
	}
	s.WakeRx()
	return n
}

// refill gives the kernel fresh mbufs of the pool until it holds target,
// in bursts of fillBurst; when count (a burst received packets) it counts
// in nombuf those the pool lacks.
func (q *rxQueue) refill(count bool) {
	s, u := q.s, q.u
	for q.posted < q.target {
		k := min(fillBurst, q.target-q.posted)
		bufs := q.fill[:k]
		if !q.pool.AllocBulk(q.lcore, bufs) {
			if count {
				q.nombuf.Add(uint64(k))
			}
			return
		}
		idx, got := s.Fill.Reserve(k) // the ring holds target: room
		j := 0
		for _, m := range bufs {
			c := u.chunk(m)
			if q.zc && u.crosses(c, uint64(u.size)) {
				q.park = append(q.park, m)
				continue
			}
			if j == got {
				m.Free(q.lcore)
				continue
			}
			s.Fill.Set(idx+uint32(j), c)
			q.held.set(u.index(c))
			j++
		}
		s.Fill.Cancel(got - j)
		s.Fill.Submit()
		q.posted += j
		if j == 0 {
			return
		}
	}
}

// rxCopy copies up to len(pkts) received packets into mbufs and gives
// their frames back to the fill ring. A packet that finds no mbuf stays in
// the rx ring for the next burst.
func (q *rxQueue) rxCopy(pkts []*mbuf.Mbuf) int {
	s := q.s
	idx, n := s.Rx.Peek(len(pkts))
	if n == 0 {
		s.WakeRx()
		return 0
	}
	k := 0
	for ; k < n; k++ {
		m := q.copyIn(s.Packet(s.Rx.Desc(idx + uint32(k))))
		if m == nil {
			q.nombuf.Add(1)
			break
		}
		pkts[k] = m
	}
	if k == 0 {
		return 0
	}
	// The fill ring is as large as the receive frames: room for these.
	fi, fn := s.Fill.Reserve(k)
	for i := range fn {
		s.Fill.Set(fi+uint32(i), s.FrameOf(s.Rx.Desc(idx+uint32(i)).Addr))
	}
	s.Fill.Submit()
	s.Rx.Release(k)
	s.WakeRx()
	return k
}

// copyIn makes an mbuf (a chain if needed) of data, or returns nil when
// the pool runs out.
func (q *rxQueue) copyIn(data []byte) *mbuf.Mbuf {
	m := q.pool.Alloc(q.lcore)
	if m == nil {
		return nil
	}
	m.SetPort(q.port)
	if d := m.Append(len(data)); d != nil {
		copy(d, data)
		return m
	}
	for len(data) > 0 {
		last := m.LastSeg()
		room := last.Tailroom()
		if room == 0 {
			seg := q.pool.Alloc(q.lcore)
			if seg == nil {
				m.Free(q.lcore)
				return nil
			}
			seg.SetHeadroom(0)
			last.SetNext(seg)
			m.SetNbSegs(m.NbSegs() + 1)
			continue
		}
		c := min(room, len(data))
		copy(m.Append(c), data[:c])
		data = data[c:]
	}
	return m
}

type txQueue struct {
	lcore uint
	nb    int

	s *xsk.Socket
	// UMEM mode (u != nil): mbufs of u's pool go on the tx ring as they
	// are; others are copied into an mbuf of the pool.
	u      *umem
	held   bitset // mbufs in the tx and completion rings
	zc     bool
	park   []*mbuf.Mbuf
	done   [fillBurst]*mbuf.Mbuf
	copied uint64 // packets copied into an mbuf of the UMEM's pool
	// Copy mode: UMEM frames free to transmit from.
	free []uint64

	oerrors atomic.Uint64
}

// txBatch is how many descriptors the kernel sends per sendto in copy
// mode (its TX_BATCH_SIZE): TxBurst kicks once per txBatch packets.
const txBatch = 32

// TxBurst puts packets on the tx ring and kicks the kernel, if it asks,
// after each txBatch of them. It stops when the ring (or, copying, the
// frames or the pool) runs out; a packet too long for a frame is dropped
// (freed, counted in oerrors).
func (q *txQueue) TxBurst(pkts []*mbuf.Mbuf) int {
	done := 0
	for done < len(pkts) {
		want := min(txBatch, len(pkts)-done)
		var n int
		if q.u != nil {
			n = q.sendUmem(pkts[done : done+want])
		} else {
			n = q.sendCopy(pkts[done : done+want])
		}
		done += n
		if n < want {
			break
		}
	}
	return done
}

// reclaimUmem frees the mbufs the completion ring gives back.
func (q *txQueue) reclaimUmem() {
	s, u := q.s, q.u
	for {
		idx, n := s.Comp.Peek(fillBurst)
		if n == 0 {
			return
		}
		for i := range n {
			k := u.index(s.Comp.Addr(idx + uint32(i)))
			q.done[i] = u.mbufOf(k)
			q.held.clear(k)
		}
		s.Comp.Release(n)
		mbuf.FreeBulk(q.lcore, q.done[:n])
		if n < fillBurst {
			return
		}
	}
}

// sendUmem sends up to txBatch packets with one kick: an mbuf of the
// UMEM's pool (direct, one segment, not on the ring already) by its
// address, any other copied into an mbuf of the pool.
func (q *txQueue) sendUmem(pkts []*mbuf.Mbuf) int {
	s, u := q.s, q.u
	q.reclaimUmem()
	idx, n := s.Tx.Reserve(len(pkts))
	poolID := u.pool.ID()
	used, took := 0, 0
	for ; took < n; took++ {
		m := pkts[took]
		l := m.PktLen()
		if m.PoolID() == poolID && m.NbSegs() == 1 && m.IsDirect() {
			a, i := u.dataAddr(m), u.index(u.chunk(m))
			if !q.held.test(i) && !(q.zc && u.crosses(a, uint64(l))) {
				q.held.set(i)
				s.Tx.Set(idx+uint32(used), unix.XDPDesc{Addr: a, Len: uint32(l)})
				used++
				continue
			}
		}
		c := q.allocCopy()
		if c == nil {
			break // the pool is empty: the caller keeps the rest
		}
		d := c.Append(l)
		if d == nil {
			c.Free(q.lcore)
			m.Free(q.lcore)
			q.oerrors.Add(1)
			continue
		}
		m.CopyTo(d)
		m.Free(q.lcore)
		q.copied++
		q.held.set(u.index(u.chunk(c)))
		s.Tx.Set(idx+uint32(used), unix.XDPDesc{Addr: u.dataAddr(c), Len: uint32(l)})
		used++
	}
	s.Tx.Cancel(n - used)
	if used > 0 {
		s.Tx.Submit()
	}
	_ = s.Kick(false)
	return took
}

// allocCopy takes an mbuf of the UMEM's pool to copy a packet into (in
// zero-copy mode one whose data room crosses no hugepage).
func (q *txQueue) allocCopy() *mbuf.Mbuf {
	for {
		c := q.u.pool.Alloc(q.lcore)
		if c == nil || !q.zc || !q.u.crosses(q.u.chunk(c), uint64(q.u.size)) {
			return c
		}
		q.park = append(q.park, c)
	}
}

// reclaim takes the frames the kernel has sent back from the completion
// ring (copy mode).
func (q *txQueue) reclaim() {
	s := q.s
	idx, n := s.Comp.Peek(cap(q.free) - len(q.free))
	for i := range n {
		q.free = append(q.free, s.Comp.Addr(idx+uint32(i)))
	}
	s.Comp.Release(n)
}

// sendCopy copies up to txBatch packets into free frames, frees them, and
// kicks once.
func (q *txQueue) sendCopy(pkts []*mbuf.Mbuf) int {
	s := q.s
	q.reclaim()
	want := min(len(pkts), len(q.free))
	if want == 0 {
		_ = s.Kick(false)
		return 0
	}
	idx, n := s.Tx.Reserve(want)
	umem := s.UMEM()
	fs := s.FrameSize()
	used := 0
	for i := range n {
		m := pkts[i]
		l := m.PktLen()
		if l > fs {
			q.oerrors.Add(1)
			continue
		}
		a := q.free[len(q.free)-1]
		q.free = q.free[:len(q.free)-1]
		m.CopyTo(umem[a : a+uint64(l)])
		s.Tx.Set(idx+uint32(used), unix.XDPDesc{Addr: a, Len: uint32(l)})
		used++
	}
	s.Tx.Cancel(n - used)
	if used > 0 {
		s.Tx.Submit()
	}
	mbuf.FreeBulk(q.lcore, pkts[:n])
	_ = s.Kick(false)
	return n
}
