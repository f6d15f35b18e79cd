package offload

import (
	"encoding/binary"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/gso"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

// maxSegs bounds the segments of one TSO packet (64 KiB at an MSS of 256).
const maxSegs = 256

// txQueue is one tx queue's software stage.
type txQueue struct {
	mask  uint64  // the mbuf tx flags this stage acts on
	l4    [4]bool // by TxL4Mask value: the L4 checksum is ours
	tso   bool    // TxTCPSeg / TxUDPSeg are ours
	lcore uint    // for the mbufs TSO allocates and frees
	gso   gso.Context
	segs  [maxSegs]*mbuf.Mbuf
}

func newTxQueue(c *ethdev.SoftTxConf) *txQueue {
	q := &txQueue{lcore: c.Lcore}
	o := c.Offloads
	add := func(off ethdev.TxOffload, fl uint64) {
		if o&off != 0 {
			q.mask |= fl
		}
	}
	add(ethdev.TxOffloadIPv4Cksum, mbuf.TxIPCksum)
	add(ethdev.TxOffloadOuterIPv4Cksum, mbuf.TxOuterIPCksum)
	add(ethdev.TxOffloadOuterUDPCksum, mbuf.TxOuterUDPCksum)
	add(ethdev.TxOffloadVLANInsert, mbuf.TxVLAN)
	add(ethdev.TxOffloadQinQInsert, mbuf.TxQinQ)
	add(ethdev.TxOffloadTCPTSO, mbuf.TxTCPSeg)
	add(ethdev.TxOffloadUDPTSO, mbuf.TxUDPSeg)
	for i, off := range [4]ethdev.TxOffload{0, ethdev.TxOffloadTCPCksum, ethdev.TxOffloadSCTPCksum, ethdev.TxOffloadUDPCksum} {
		if off != 0 && o&off != 0 {
			q.l4[i] = true
			q.mask |= mbuf.TxL4Mask
		}
	}
	q.tso = o&(ethdev.TxOffloadTCPTSO|ethdev.TxOffloadUDPTSO) != 0
	return q
}

// TxBurst does the software offloads of pkts and sends them on dev (see
// ethdev.SoftTxQueue and the package doc).
func (q *txQueue) TxBurst(dev ethdev.TxQueue, pkts []*mbuf.Mbuf) ethdev.SoftTxResult {
	var r ethdev.SoftTxResult
	start := 0 // pkts[start:i] are done and not yet sent
	for i, m := range pkts {
		f := m.OlFlags()
		if f&q.mask == 0 {
			continue
		}
		if q.tso && f&q.mask&(mbuf.TxTCPSeg|mbuf.TxUDPSeg) != 0 {
			if m.PktLen() > tsoHdrLen(m, f)+m.TSOSegsz() {
				if !send(dev, pkts[start:i], &r) || !q.segment(dev, m, f, &r) {
					return r // the device is full
				}
				start = i + 1
				continue
			}
			if !shortSeg(m, f) {
				send(dev, pkts[start:i], &r)
				return r
			}
			if f = m.OlFlags(); f&q.mask == 0 {
				continue
			}
		}
		if !q.do(m, f) {
			send(dev, pkts[start:i], &r)
			return r
		}
	}
	send(dev, pkts[start:], &r)
	return r
}

// send gives run to the device and reports whether it took all.
func send(dev ethdev.TxQueue, run []*mbuf.Mbuf, r *ethdev.SoftTxResult) bool {
	if len(run) == 0 {
		return true
	}
	b := sumLen(run)
	n := dev.TxBurst(run)
	if n < len(run) {
		b -= sumLen(run[n:])
	}
	r.Taken += n
	r.Frames += n
	r.Bytes += b
	return n == len(run)
}

func sumLen(pkts []*mbuf.Mbuf) uint64 {
	var b uint64
	for _, m := range pkts {
		b += uint64(m.PktLen())
	}
	return b
}

// tsoHdrLen is the length of every header of a TSO packet.
func tsoHdrLen(m *mbuf.Mbuf, f uint64) int {
	_, _, l4 := hdrOffsets(m, f)
	if f&mbuf.TxUDPSeg != 0 && f&mbuf.TxTCPSeg == 0 {
		return l4 + proto.UDPLen
	}
	return l4 + m.L4Len()
}

// shortSeg does what segmentation would have done to a TSO packet that
// fits in one segment: its checksums (TCP, and IPv4 as every segment
// gets; for UDP those asked for). It clears those flags.
func shortSeg(m *mbuf.Mbuf, f uint64) bool {
	_, l3, l4 := hdrOffsets(m, f)
	tcp := f&mbuf.TxTCPSeg != 0
	if f&mbuf.TxIPv4 != 0 && (tcp || f&mbuf.TxIPCksum != 0) && !ipv4Cksum(m, l3, m.L3Len()) {
		return false
	}
	switch {
	case tcp:
		if !setL4(m, l3, l4, proto.IPProtoTCP) {
			return false
		}
	case f&mbuf.TxL4Mask == mbuf.TxUDPCksum:
		if !setL4(m, l3, l4, proto.IPProtoUDP) {
			return false
		}
	}
	m.ClearOlFlags(mbuf.TxTCPSeg | mbuf.TxUDPSeg | mbuf.TxIPCksum | mbuf.TxL4Mask)
	return true
}

// do does the non-TSO offloads of m that are ours; f is m's flags.
func (q *txQueue) do(m *mbuf.Mbuf, f uint64) bool {
	outer, l3, l4 := hdrOffsets(m, f)
	var done uint64
	if f&mbuf.TxIPCksum != 0 && q.mask&mbuf.TxIPCksum != 0 {
		if f&mbuf.TxIPv6 != 0 || !ipv4Cksum(m, l3, m.L3Len()) {
			return false
		}
		done |= mbuf.TxIPCksum
	}
	if k := (f & mbuf.TxL4Mask) >> 52; k != 0 && q.l4[k] {
		if !setL4(m, l3, l4, l4Protos[k]) {
			return false
		}
		done |= f & mbuf.TxL4Mask
	}
	if f&mbuf.TxOuterIPCksum != 0 && q.mask&mbuf.TxOuterIPCksum != 0 {
		if !ipv4Cksum(m, m.OuterL2Len(), m.OuterL3Len()) {
			return false
		}
		done |= mbuf.TxOuterIPCksum
	}
	if f&mbuf.TxOuterUDPCksum != 0 && q.mask&mbuf.TxOuterUDPCksum != 0 {
		o3 := m.OuterL2Len()
		if outer == 0 || proto.SetL4ChecksumMbuf(m, o3, o3+m.OuterL3Len(), proto.IPProtoUDP) != nil {
			return false
		}
		done |= mbuf.TxOuterUDPCksum
	}
	if f&q.mask&(mbuf.TxVLAN|mbuf.TxQinQ) != 0 {
		if !insertTags(m, f) {
			return false
		}
		done |= mbuf.TxVLAN | mbuf.TxQinQ
	}
	if done != 0 {
		m.ClearOlFlags(done)
	}
	return true
}

// insertTags inserts the VLAN tag, or the QinQ tags, m asks for.
func insertTags(m *mbuf.Mbuf, f uint64) bool {
	if !m.IsDirect() || m.Refcnt() != 1 || m.Len() < 12 {
		return false
	}
	n := 4
	if f&mbuf.TxQinQ != 0 {
		n = 8
	}
	if m.Prepend(n) == nil {
		return false
	}
	d := m.Data()
	copy(d[:12], d[n:n+12])
	if f&mbuf.TxQinQ != 0 {
		binary.BigEndian.PutUint16(d[12:], uint16(proto.EtherTypeQinQ))
		binary.BigEndian.PutUint16(d[14:], m.VLANTCIOuter())
		binary.BigEndian.PutUint16(d[16:], uint16(proto.EtherTypeVLAN))
		binary.BigEndian.PutUint16(d[18:], m.VLANTCI())
	} else {
		binary.BigEndian.PutUint16(d[12:], uint16(proto.EtherTypeVLAN))
		binary.BigEndian.PutUint16(d[14:], m.VLANTCI())
	}
	if f&(mbuf.TxOuterIPv4|mbuf.TxOuterIPv6|mbuf.TxTunnelMask) != 0 {
		m.SetOuterL2Len(m.OuterL2Len() + n)
	} else {
		m.SetL2Len(m.L2Len() + n)
	}
	return true
}

// segment cuts the TSO packet m into segments, does their tags and sends
// them; it reports whether the device took them all. When it took none,
// m stays the caller's; when it took some, m counts as taken.
func (q *txQueue) segment(dev ethdev.TxQueue, m *mbuf.Mbuf, f uint64, r *ethdev.SoftTxResult) bool {
	p := m.Pool()
	if p == nil {
		return false
	}
	if f&mbuf.TxTCPSeg == 0 && f&mbuf.TxL4Mask == mbuf.TxUDPCksum {
		// UDP fragmentation: the datagram's checksum first, over all of it.
		_, l3, l4 := hdrOffsets(m, f)
		if !setL4(m, l3, l4, proto.IPProtoUDP) {
			return false
		}
	}
	q.gso.Direct, q.gso.Indirect = p, p
	q.gso.Size = tsoHdrLen(m, f) + m.TSOSegsz()
	n, err := q.gso.Segment(m, q.segs[:], q.lcore)
	if err != nil {
		return false
	}
	segs := q.segs[:n]
	for _, s := range segs {
		// gso computed every checksum; the tags are still to insert.
		s.ClearOlFlags(cksumFlags)
		s.SetVLANTCI(m.VLANTCI())
		s.SetVLANTCIOuter(m.VLANTCIOuter())
		if sf := s.OlFlags(); sf&q.mask&(mbuf.TxVLAN|mbuf.TxQinQ) != 0 {
			if !insertTags(s, sf) {
				mbuf.FreeBulk(q.lcore, segs)
				clear(segs)
				return false
			}
			s.ClearOlFlags(mbuf.TxVLAN | mbuf.TxQinQ)
		}
	}
	b := sumLen(segs)
	k := dev.TxBurst(segs)
	if k == 0 {
		mbuf.FreeBulk(q.lcore, segs)
		clear(segs)
		return false
	}
	if k < n {
		b -= sumLen(segs[k:])
		mbuf.FreeBulk(q.lcore, segs[k:])
		r.Dropped += n - k
	}
	clear(segs)
	m.Free(q.lcore)
	r.Taken++
	r.Frames += k
	r.Bytes += b
	return k == n
}

// setL4 writes the L4 checksum of m: on the data when m is one segment
// (TCP, UDP), else through proto.SetL4ChecksumMbuf.
func setL4(m *mbuf.Mbuf, l3, l4 int, p uint8) bool {
	if d := m.Data(); m.Next() == nil && (p == proto.IPProtoTCP || p == proto.IPProtoUDP) {
		field := l4 + 6
		if p == proto.IPProtoTCP {
			field = l4 + 16
		}
		if field >= 0 && field+2 <= len(d) {
			old := binary.BigEndian.Uint16(d[field:])
			d[field], d[field+1] = 0, 0
			if s, _, ok := l4Sum(d, l3, l4, p); ok {
				c := ^s
				if c == 0 && p == proto.IPProtoUDP {
					c = 0xffff
				}
				binary.BigEndian.PutUint16(d[field:], c)
				return true
			}
			binary.BigEndian.PutUint16(d[field:], old)
		}
	}
	return proto.SetL4ChecksumMbuf(m, l3, l4, p) == nil
}
