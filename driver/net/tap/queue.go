package tap

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"

	"github.com/dpkit/dpkit/ethdev"
	itap "github.com/dpkit/dpkit/internal/tap"
	"github.com/dpkit/dpkit/mbuf"
	"golang.org/x/sys/unix"
)

// rxQueue reads frames straight into mbufs: readv scatters the virtio-net
// header into hdr and the frame over the buffers of segs, allocated ahead
// (enough for the largest frame); the buffers a frame did not use wait for
// the next one.
type rxQueue struct {
	tap    *itap.Tap
	q      int
	pool   *mbuf.Pool
	lcore  uint
	port   uint16
	segs   []*mbuf.Mbuf // buffers for the next read; nil where used
	iov    []unix.Iovec // hdr, then one per seg
	hdr    [itap.VnetHdrLen]byte
	room   int // bytes the buffers of segs hold together
	nombuf atomic.Uint64
	errors atomic.Uint64
}

func newRxQueue(t *itap.Tap, q int, conf *ethdev.RxQueueConf, maxLen int) (*rxQueue, error) {
	room := conf.Pool.DataRoomSize() - mbuf.Headroom
	if room <= 0 {
		return nil, fmt.Errorf("net_tap: pool %s has no room after the headroom: %w", conf.Pool.Name(), ethdev.ErrInvalid)
	}
	// The first buffer keeps its headroom; the others are used whole.
	n := 1
	if maxLen > room {
		n += (maxLen - room + conf.Pool.DataRoomSize() - 1) / conf.Pool.DataRoomSize()
	}
	rq := &rxQueue{tap: t, q: q, pool: conf.Pool, lcore: conf.Lcore, port: conf.Port,
		segs: make([]*mbuf.Mbuf, n), iov: make([]unix.Iovec, n+1)}
	rq.room = room + (n-1)*conf.Pool.DataRoomSize()
	rq.iov[0].Base = &rq.hdr[0]
	rq.iov[0].SetLen(len(rq.hdr))
	return rq, nil
}

// refill allocates the missing buffers and points the iovecs at them.
func (q *rxQueue) refill() bool {
	for i, m := range q.segs {
		if m != nil {
			continue
		}
		m = q.pool.Alloc(q.lcore)
		if m == nil {
			return false
		}
		if i > 0 {
			m.SetHeadroom(0)
		}
		b := m.Append(m.Tailroom())
		q.iov[i+1].Base = &b[0]
		q.iov[i+1].SetLen(len(b))
		q.segs[i] = m
	}
	return true
}

// release frees the buffers kept for the next read.
func (q *rxQueue) release() {
	for i, m := range q.segs {
		if m != nil {
			m.Free(q.lcore)
			q.segs[i] = nil
		}
	}
}

func (q *rxQueue) RxBurst(pkts []*mbuf.Mbuf) int {
	n := 0
	for n < len(pkts) {
		if !q.refill() {
			q.nombuf.Add(1)
			break
		}
		r, err := q.tap.ReadIov(q.q, q.iov)
		if err != nil || r == 0 {
			if err != nil {
				q.errors.Add(1)
			}
			break
		}
		l := r - itap.VnetHdrLen
		var h itap.VnetHdr
		h.Decode(q.hdr[:])
		// A frame that fills every buffer was likely cut to fit (a TAP
		// MTU raised after the queue was set up): drop it.
		if l < 14 || l >= q.room || h.Check(l) != nil {
			q.errors.Add(1)
			continue // the buffers stay for the next read
		}
		// Take the buffers the frame used and cut them to its length.
		head := q.segs[0]
		q.segs[0] = nil
		head.SetLen(min(l, head.Len()))
		left := l - head.Len()
		last, nseg := head, 1
		for i := 1; left > 0; i++ {
			s := q.segs[i]
			q.segs[i] = nil
			s.SetLen(min(left, s.Len()))
			s.SetPktLen(s.Len())
			left -= s.Len()
			last.SetNext(s)
			last = s
			nseg++
		}
		head.SetPktLen(l)
		head.SetNbSegs(nseg)
		head.SetPort(q.port)
		head.SetOlFlags(rxFlags(head, &h))
		pkts[n] = head
		n++
	}
	return n
}

// rxFlags turns the kernel's virtio-net header into mbuf flags.
func rxFlags(m *mbuf.Mbuf, h *itap.VnetHdr) uint64 {
	var fl uint64
	switch {
	case h.Flags&itap.VnetHdrFDataValid != 0:
		fl |= mbuf.RxL4CksumGood
	case h.Flags&itap.VnetHdrFNeedsCsum != 0:
		fl |= mbuf.RxL4CksumNone // the data is good, the field still to fill
	}
	if h.GSOType != itap.VnetHdrGSONone {
		fl |= mbuf.RxLRO
		m.SetTSOSegsz(int(h.GSOSize))
	}
	return fl
}

type txQueue struct {
	tap     *itap.Tap
	q       int
	lcore   uint
	hdr     [itap.VnetHdrLen]byte
	tag     [4]byte
	bufs    [itap.MaxSegments][]byte
	oerrors atomic.Uint64
}

// TxBurst writes each packet (one writev: header, segments) and frees it.
// It stops, keeping the rest for the caller, when the kernel pushes back
// (EAGAIN); a packet the kernel refuses or with too many segments is
// dropped and counted in oerrors.
func (q *txQueue) TxBurst(pkts []*mbuf.Mbuf) int {
	n := 0
	for ; n < len(pkts); n++ {
		m := pkts[n]
		bufs, ok := q.gather(m)
		if !ok {
			q.oerrors.Add(1)
			m.Free(q.lcore)
			continue
		}
		_, err := q.tap.Writev(q.q, bufs)
		clear(q.bufs[:len(bufs)])
		if err == unix.EAGAIN {
			break
		}
		if err != nil {
			q.oerrors.Add(1)
		}
		m.Free(q.lcore)
	}
	return n
}

// gather builds the writev list of m: the virtio-net header from its
// offload flags, then its segments (with a VLAN tag after the MACs for
// TxVLAN).
func (q *txQueue) gather(m *mbuf.Mbuf) ([][]byte, bool) {
	fl := m.OlFlags()
	vlan := fl&mbuf.TxVLAN != 0
	extra := 0
	if vlan {
		extra = 4
	}
	var h itap.VnetHdr
	l2 := m.L2Len() + extra
	l3 := m.L3Len()
	if fl&mbuf.TxOuterIPv4|fl&mbuf.TxOuterIPv6 != 0 {
		l2 += m.OuterL2Len() + m.OuterL3Len()
	}
	switch {
	case fl&mbuf.TxTCPSeg != 0:
		h = itap.VnetHdr{Flags: itap.VnetHdrFNeedsCsum, GSOType: itap.VnetHdrGSOTCPv4, CsumOffset: 16,
			GSOSize: uint16(m.TSOSegsz()), HdrLen: uint16(l2 + l3 + m.L4Len())}
		if fl&mbuf.TxIPv6 != 0 {
			h.GSOType = itap.VnetHdrGSOTCPv6
		}
	case fl&mbuf.TxUDPSeg != 0:
		h = itap.VnetHdr{Flags: itap.VnetHdrFNeedsCsum, GSOType: itap.VnetHdrGSOUDPL4, CsumOffset: 6,
			GSOSize: uint16(m.TSOSegsz()), HdrLen: uint16(l2 + l3 + 8)}
	case fl&mbuf.TxL4Mask == mbuf.TxTCPCksum:
		h = itap.VnetHdr{Flags: itap.VnetHdrFNeedsCsum, CsumOffset: 16}
	case fl&mbuf.TxL4Mask == mbuf.TxUDPCksum:
		h = itap.VnetHdr{Flags: itap.VnetHdrFNeedsCsum, CsumOffset: 6}
	}
	if h.Flags != 0 {
		h.CsumStart = uint16(l2 + l3)
	}
	h.Encode(q.hdr[:])
	q.bufs[0] = q.hdr[:]
	k := 1
	for s := m; s != nil; s = s.Next() {
		if k+2 >= len(q.bufs) {
			return nil, false
		}
		d := s.Data()
		if vlan && s == m {
			if len(d) < 12 {
				return nil, false
			}
			binary.BigEndian.PutUint16(q.tag[0:], 0x8100)
			binary.BigEndian.PutUint16(q.tag[2:], m.VLANTCI())
			q.bufs[k], q.bufs[k+1] = d[:12], q.tag[:]
			k += 2
			d = d[12:]
		}
		q.bufs[k] = d
		k++
	}
	return q.bufs[:k], true
}
