package afpacket

import (
	"encoding/binary"
	"sync/atomic"

	afp "github.com/dpkit/dpkit/internal/afpacket"
	"github.com/dpkit/dpkit/mbuf"
	"golang.org/x/sys/unix"
)

type rxQueue struct {
	s      *afp.Socket
	pool   *mbuf.Pool
	lcore  uint
	port   uint16
	strip  bool       // vlan_strip: the tag goes to the mbuf, not the data
	pk     afp.Packet // the packet being delivered
	held   bool       // pk was read but not delivered (no mbuf for it)
	nombuf atomic.Uint64
	trunc  atomic.Uint64 // frames longer than a ring frame (dropped)
}

// RxBurst copies up to len(pkts) packets out of the rx ring into mbufs. A
// packet that finds no mbuf stays for the next burst.
func (q *rxQueue) RxBurst(pkts []*mbuf.Mbuf) int {
	n := 0
	for n < len(pkts) {
		if !q.held {
			if !q.s.Next(&q.pk) {
				break
			}
			if q.pk.Len > len(q.pk.Data) {
				q.trunc.Add(1) // cut by the ring: not the packet that was sent
				continue
			}
			q.held = true
		}
		m := q.copyIn(&q.pk)
		if m == nil {
			q.nombuf.Add(1)
			break
		}
		q.held = false
		pkts[n] = m
		n++
	}
	return n
}

// copyIn makes an mbuf (a chain if needed) of p, or returns nil when the
// pool runs out.
func (q *rxQueue) copyIn(p *afp.Packet) *mbuf.Mbuf {
	m := q.pool.Alloc(q.lcore)
	if m == nil {
		return nil
	}
	m.SetPort(q.port)
	var fl uint64
	if p.RxHash != 0 {
		m.SetRSSHash(p.RxHash)
		fl |= mbuf.RxRSSHash
	}
	switch {
	case p.Status&unix.TP_STATUS_CSUM_VALID != 0:
		fl |= mbuf.RxL4CksumGood
	case p.Status&unix.TP_STATUS_CSUMNOTREADY != 0:
		fl |= mbuf.RxL4CksumNone
	}
	data := p.Data
	vlan := p.Status&unix.TP_STATUS_VLAN_VALID != 0
	var ok bool
	switch {
	case vlan && q.strip:
		m.SetVLANTCI(p.VLANTCI)
		fl |= mbuf.RxVLAN | mbuf.RxVLANStripped
		ok = q.fill(m, data)
	case vlan && len(data) >= 12:
		// Put the tag the kernel took back between the MACs and the type.
		tpid := uint16(0x8100)
		if p.Status&unix.TP_STATUS_VLAN_TPID_VALID != 0 && p.VLANTPID != 0 {
			tpid = p.VLANTPID
		}
		var tag [4]byte
		binary.BigEndian.PutUint16(tag[0:], tpid)
		binary.BigEndian.PutUint16(tag[2:], p.VLANTCI)
		ok = q.fill(m, data[:12]) && q.fill(m, tag[:]) && q.fill(m, data[12:])
	default:
		if d := m.Append(len(data)); d != nil { // the usual case: one segment
			copy(d, data)
			ok = true
		} else {
			ok = q.fill(m, data)
		}
	}
	if !ok {
		m.Free(q.lcore)
		return nil
	}
	m.SetOlFlags(fl)
	return m
}

// fill appends b to the packet m, adding segments from the pool when the
// last one is full.
func (q *rxQueue) fill(m *mbuf.Mbuf, b []byte) bool {
	for len(b) > 0 {
		last := m.LastSeg()
		room := last.Tailroom()
		if room == 0 {
			seg := q.pool.Alloc(q.lcore)
			if seg == nil {
				return false
			}
			seg.SetHeadroom(0)
			last.SetNext(seg)
			m.SetNbSegs(m.NbSegs() + 1)
			continue
		}
		k := min(room, len(b))
		copy(m.Append(k), b[:k])
		b = b[k:]
	}
	return true
}

type txQueue struct {
	s       *afp.Socket
	lcore   uint
	oerrors atomic.Uint64
}

// TxBurst copies packets into the tx ring's frames, frees them, and kicks
// the kernel once. It stops when the ring is full; a packet too long for a
// frame is dropped (freed, counted in oerrors).
func (q *txQueue) TxBurst(pkts []*mbuf.Mbuf) int {
	n := 0
	for ; n < len(pkts); n++ {
		buf := q.s.TxFrame()
		if buf == nil {
			break
		}
		m := pkts[n]
		l := m.PktLen()
		vlan := m.OlFlags()&mbuf.TxVLAN != 0
		if vlan {
			l += 4
		}
		if l > len(buf) || (vlan && m.PktLen() < 12) {
			q.oerrors.Add(1)
			continue
		}
		if vlan {
			// Copy after room for the tag, then slide the MACs down.
			m.CopyTo(buf[4:l])
			copy(buf[0:12], buf[4:16])
			binary.BigEndian.PutUint16(buf[12:], 0x8100)
			binary.BigEndian.PutUint16(buf[14:], m.VLANTCI())
		} else {
			m.CopyTo(buf[:l])
		}
		q.s.TxCommit(l)
	}
	mbuf.FreeBulk(q.lcore, pkts[:n])
	q.s.Flush()
	return n
}
