package offload

import (
	"encoding/binary"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

// rxQueue is one rx queue's software stage.
type rxQueue struct {
	vlan, qinq bool // strip
	ip         bool // IPv4 header checksum
	l4         [4]bool
	outerIP    bool
	outerUDP   bool
	ptype      bool
	parse      bool   // anything needs the packet type
	clearMask  uint64 // the flags this stage sets
}

// rxL4 indexes rxQueue.l4.
const (
	rxTCP = iota
	rxUDP
	rxSCTP
)

func newRxQueue(c *ethdev.SoftRxConf) *rxQueue {
	o := c.Offloads
	q := &rxQueue{
		vlan:     o&ethdev.RxOffloadVLANStrip != 0,
		qinq:     o&ethdev.RxOffloadQinQStrip != 0,
		ip:       o&ethdev.RxOffloadIPv4Cksum != 0,
		outerIP:  o&ethdev.RxOffloadOuterIPv4Cksum != 0,
		outerUDP: o&ethdev.RxOffloadOuterUDPCksum != 0,
		ptype:    c.Ptypes,
	}
	q.l4[rxTCP] = o&ethdev.RxOffloadTCPCksum != 0
	q.l4[rxUDP] = o&ethdev.RxOffloadUDPCksum != 0
	q.l4[rxSCTP] = o&ethdev.RxOffloadSCTPCksum != 0
	q.parse = q.ptype || q.ip || q.outerIP || q.outerUDP || q.l4 != [4]bool{}
	if q.ip {
		q.clearMask |= mbuf.RxIPCksumMask
	}
	if q.l4 != [4]bool{} {
		q.clearMask |= mbuf.RxL4CksumMask
	}
	if q.outerIP {
		q.clearMask |= mbuf.RxOuterIPCksumBad
	}
	if q.outerUDP {
		q.clearMask |= mbuf.RxOuterL4CksumMask
	}
	return q
}

// RxBurst does the software rx offloads on pkts.
func (q *rxQueue) RxBurst(pkts []*mbuf.Mbuf) {
	for _, m := range pkts {
		if q.vlan || q.qinq {
			q.strip(m)
		}
		if q.parse {
			q.check(m)
		}
	}
}

// strip removes the leading VLAN tag(s) of m.
func (q *rxQueue) strip(m *mbuf.Mbuf) {
	d := m.Data()
	if len(d) < proto.EthernetLen+proto.VLANLen {
		return
	}
	t := proto.EtherType(binary.BigEndian.Uint16(d[12:]))
	if q.qinq && len(d) >= proto.EthernetLen+2*proto.VLANLen &&
		(t == proto.EtherTypeQinQ || t == proto.EtherTypeQinQ9100 || t == proto.EtherTypeVLAN) &&
		proto.EtherType(binary.BigEndian.Uint16(d[16:])) == proto.EtherTypeVLAN {
		m.SetVLANTCIOuter(binary.BigEndian.Uint16(d[14:]))
		m.SetVLANTCI(binary.BigEndian.Uint16(d[18:]))
		copy(d[8:20], d[:12])
		m.Adj(8)
		m.AddOlFlags(mbuf.RxQinQ | mbuf.RxQinQStripped | mbuf.RxVLAN | mbuf.RxVLANStripped)
		return
	}
	if q.vlan && t == proto.EtherTypeVLAN {
		m.SetVLANTCI(binary.BigEndian.Uint16(d[14:]))
		copy(d[4:16], d[:12])
		m.Adj(4)
		m.AddOlFlags(mbuf.RxVLAN | mbuf.RxVLANStripped)
	}
}

// check parses m and sets its packet type and checksum flags.
func (q *rxQueue) check(m *mbuf.Mbuf) {
	var h proto.HdrLens
	pt := proto.ParsePtypeMbuf(m, &h)
	if q.ptype {
		m.SetPacketType(pt)
	}
	if q.clearMask == 0 {
		return
	}
	var fl uint64
	l3 := int(h.L2)
	l3t, l4t := pt&mbuf.PtypeL3Mask, pt&mbuf.PtypeL4Mask>>8
	if pt&mbuf.PtypeTunnelMask != 0 {
		ol4 := l3 + int(h.L3)
		if q.outerIP && isV4(l3t) && !ipv4Good(m, l3, int(h.L3)) {
			fl |= mbuf.RxOuterIPCksumBad
		}
		if q.outerUDP && l4t == 2 {
			if ok, err := proto.VerifyL4ChecksumMbuf(m, l3, ol4, proto.IPProtoUDP); ok && err == nil {
				fl |= mbuf.RxOuterL4CksumGood
			} else {
				fl |= mbuf.RxOuterL4CksumBad
			}
		}
		l3 = ol4 + int(h.L4) + int(h.Tunnel) + int(h.InnerL2)
		h.L3 = h.InnerL3
		l3t = innerL3[pt&mbuf.PtypeInnerL3Mask>>20]
		l4t = pt & mbuf.PtypeInnerL4Mask >> 24
	}
	if q.ip && isV4(l3t) {
		if ipv4Good(m, l3, int(h.L3)) {
			fl |= mbuf.RxIPCksumGood
		} else {
			fl |= mbuf.RxIPCksumBad
		}
	}
	if l3t != 0 {
		var p uint8
		k := -1
		switch l4t {
		case 1:
			p, k = proto.IPProtoTCP, rxTCP
		case 2:
			p, k = proto.IPProtoUDP, rxUDP
		case 4:
			p, k = proto.IPProtoSCTP, rxSCTP
		}
		if k >= 0 && q.l4[k] {
			if l4Good(m, l3, l3+int(h.L3), p) {
				fl |= mbuf.RxL4CksumGood
			} else {
				fl |= mbuf.RxL4CksumBad
			}
		}
	}
	m.SetOlFlags(m.OlFlags()&^q.clearMask | fl)
}

// innerL3 maps the inner L3 ptype values (shifted down) to the outer ones.
var innerL3 = [16]uint32{
	1: mbuf.PtypeL3IPv4, 2: mbuf.PtypeL3IPv4Ext, 3: mbuf.PtypeL3IPv6,
	4: mbuf.PtypeL3IPv4ExtUnknown, 5: mbuf.PtypeL3IPv6Ext, 6: mbuf.PtypeL3IPv6ExtUnknown,
}

func isV4(l3t uint32) bool {
	return l3t == mbuf.PtypeL3IPv4 || l3t == mbuf.PtypeL3IPv4Ext || l3t == mbuf.PtypeL3IPv4ExtUnknown
}

// ipv4Good verifies the checksum of the IPv4 header of n bytes at off.
func ipv4Good(m *mbuf.Mbuf, off, n int) bool {
	var buf [60]byte
	if n < proto.IPv4MinLen || n > len(buf) {
		return false
	}
	b := m.Read(off, buf[:n])
	return b != nil && hdrSum(b) == 0xffff
}

// l4Good verifies the L4 checksum of m: on the data when m is one segment
// (TCP, UDP), else through proto.VerifyL4ChecksumMbuf.
func l4Good(m *mbuf.Mbuf, l3, l4 int, p uint8) bool {
	if m.Next() == nil {
		d := m.Data()
		if s, field, ok := l4Sum(d, l3, l4, p); ok {
			if p == proto.IPProtoUDP && d[l3]>>4 == 4 && d[field] == 0 && d[field+1] == 0 {
				return true // no checksum sent
			}
			return s == 0xffff
		}
	}
	ok, err := proto.VerifyL4ChecksumMbuf(m, l3, l4, p)
	return ok && err == nil
}
