package afxdp

import (
	"sync/atomic"

	"github.com/dpkit/dpkit/internal/xsk"
	"github.com/dpkit/dpkit/mbuf"
	"golang.org/x/sys/unix"
)

type rxQueue struct {
	s      *xsk.Socket
	pool   *mbuf.Pool
	lcore  uint
	port   uint16
	nombuf atomic.Uint64
}

// RxBurst copies up to len(pkts) received packets into mbufs and gives
// their frames back to the fill ring. A packet that finds no mbuf stays in
// the rx ring for the next burst.
func (q *rxQueue) RxBurst(pkts []*mbuf.Mbuf) int {
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
	s       *xsk.Socket
	lcore   uint
	free    []uint64 // UMEM frames free to transmit from
	oerrors atomic.Uint64
}

// reclaim takes the frames the kernel has sent back from the completion
// ring.
func (q *txQueue) reclaim() {
	s := q.s
	idx, n := s.Comp.Peek(cap(q.free) - len(q.free))
	for i := range n {
		q.free = append(q.free, s.Comp.Addr(idx+uint32(i)))
	}
	s.Comp.Release(n)
}

// txBatch is how many descriptors the kernel sends per sendto in copy
// mode (its TX_BATCH_SIZE): TxBurst kicks once per txBatch packets.
const txBatch = 32

// TxBurst copies packets into free frames, frees them, and kicks the
// kernel, if it asks, after each txBatch of them. It stops when frames or
// tx ring slots run out; a packet too long for a frame is dropped (freed,
// counted in oerrors).
func (q *txQueue) TxBurst(pkts []*mbuf.Mbuf) int {
	done := 0
	for done < len(pkts) {
		want := min(txBatch, len(pkts)-done)
		n := q.sendBatch(pkts[done : done+want])
		done += n
		if n < want {
			break
		}
	}
	return done
}

// sendBatch sends up to txBatch packets with one kick.
func (q *txQueue) sendBatch(pkts []*mbuf.Mbuf) int {
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
