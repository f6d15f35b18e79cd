package offload

import (
	"encoding/binary"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

func init() { ethdev.SetSoftOffload(Soft{}) }

// Soft is the software offload implementation that the package registers
// with ethdev.
type Soft struct{}

var _ ethdev.SoftOffload = Soft{}

// TxCapa and RxCapa are the offloads Soft does.
const (
	TxCapa = ethdev.TxOffloadIPv4Cksum | ethdev.TxOffloadTCPCksum | ethdev.TxOffloadUDPCksum |
		ethdev.TxOffloadSCTPCksum | ethdev.TxOffloadOuterIPv4Cksum | ethdev.TxOffloadOuterUDPCksum |
		ethdev.TxOffloadVLANInsert | ethdev.TxOffloadQinQInsert | ethdev.TxOffloadTCPTSO | ethdev.TxOffloadUDPTSO
	RxCapa = ethdev.RxOffloadVLANStrip | ethdev.RxOffloadQinQStrip | ethdev.RxOffloadIPv4Cksum |
		ethdev.RxOffloadTCPCksum | ethdev.RxOffloadUDPCksum | ethdev.RxOffloadSCTPCksum |
		ethdev.RxOffloadOuterIPv4Cksum | ethdev.RxOffloadOuterUDPCksum
)

// Capa returns RxCapa and TxCapa.
func (Soft) Capa() (ethdev.RxOffload, ethdev.TxOffload) { return RxCapa, TxCapa }

// NewTxQueue returns the tx stage doing c.Offloads.
func (Soft) NewTxQueue(c *ethdev.SoftTxConf) (ethdev.SoftTxQueue, error) { return newTxQueue(c), nil }

// NewRxQueue returns the rx stage doing c.Offloads.
func (Soft) NewRxQueue(c *ethdev.SoftRxConf) (ethdev.SoftRxQueue, error) { return newRxQueue(c), nil }

// cksumFlags are the tx checksum requests.
const cksumFlags = mbuf.TxIPCksum | mbuf.TxL4Mask | mbuf.TxOuterIPCksum | mbuf.TxOuterUDPCksum

// hdrOffsets returns where the IP (l3) and L4 headers of m start, and
// the outer L2 length, from its tx lengths and flags f.
func hdrOffsets(m *mbuf.Mbuf, f uint64) (outer, l3, l4 int) {
	if f&(mbuf.TxOuterIPv4|mbuf.TxOuterIPv6|mbuf.TxTunnelMask) != 0 {
		outer = m.OuterL2Len() + m.OuterL3Len()
	}
	l3 = outer + m.L2Len()
	l4 = l3 + m.L3Len()
	return outer, l3, l4
}

// l4Protos maps the TxL4Mask values to IP protocols (0: none).
var l4Protos = [4]uint8{0, proto.IPProtoTCP, proto.IPProtoSCTP, proto.IPProtoUDP}

// ipv4Cksum writes the checksum of the IPv4 header of n bytes at off.
func ipv4Cksum(m *mbuf.Mbuf, off, n int) bool {
	d := m.Data()
	if n < proto.IPv4MinLen || off+n > len(d) {
		return false
	}
	ip := proto.IPv4(d[off : off+n])
	if ip[0]>>4 != 4 || ip.HeaderLen() != n {
		return false
	}
	ip.SetChecksum(0)
	ip.SetChecksum(^hdrSum(ip))
	return true
}

// PseudoCksum writes the pseudo-header sums that a TxPseudoCksum device
// wants (see the package doc).
func (Soft) PseudoCksum(pkts []*mbuf.Mbuf) int {
	for i, m := range pkts {
		f := m.OlFlags()
		if f&(mbuf.TxIPCksum|mbuf.TxL4Mask|mbuf.TxTCPSeg|mbuf.TxUDPSeg) == 0 {
			continue
		}
		if !pseudo(m, f) {
			return i
		}
	}
	return len(pkts)
}

func pseudo(m *mbuf.Mbuf, f uint64) bool {
	_, l3, l4 := hdrOffsets(m, f)
	d := m.Data()
	if l4 > len(d) || l4-l3 < proto.IPv4MinLen {
		return false
	}
	if f&mbuf.TxIPCksum != 0 {
		if d[l3]>>4 != 4 {
			return false
		}
		binary.BigEndian.PutUint16(d[l3+10:], 0)
	}
	p := l4Protos[(f&mbuf.TxL4Mask)>>52]
	tso := f&(mbuf.TxTCPSeg|mbuf.TxUDPSeg) != 0
	if f&mbuf.TxTCPSeg != 0 {
		p = proto.IPProtoTCP
	} else if f&mbuf.TxUDPSeg != 0 {
		p = proto.IPProtoUDP
	}
	var field int
	switch p {
	case proto.IPProtoTCP:
		field = l4 + 16
	case proto.IPProtoUDP:
		field = l4 + 6
	default:
		return true // SCTP: CRC32C, nothing to prepare
	}
	if field+2 > len(d) {
		return false
	}
	var sum uint16
	switch d[l3] >> 4 {
	case 4:
		ip := proto.IPv4(d[l3:l4])
		n := 0
		if !tso {
			n = ip.TotalLen() - (l4 - l3)
		}
		sum = proto.PseudoHeaderSum4(ip.SrcBytes(), ip.DstBytes(), p, n)
	case 6:
		if l4-l3 < proto.IPv6Len {
			return false
		}
		ip := proto.IPv6(d[l3:l4])
		n := 0
		if !tso {
			n = proto.IPv6Len + ip.PayloadLen() - (l4 - l3)
		}
		sum = proto.PseudoHeaderSum6((*[16]byte)(ip[8:24]), (*[16]byte)(ip[24:40]), p, n)
	default:
		return false
	}
	binary.BigEndian.PutUint16(d[field:], sum)
	return true
}

// l4Sum is the fast path of the L4 checksums for a packet whose headers
// and payload are in one segment d: the one's complement sum of the TCP
// or UDP packet at l4 (its checksum field as it is) with the
// pseudo-header, and where the field is. ok is false when the packet
// needs the general path (SCTP, IPv6 extension headers, lengths that do
// not fit d: proto's mbuf functions sort those out).
func l4Sum(d []byte, l3, l4 int, p uint8) (sum uint16, field int, ok bool) {
	switch p {
	case proto.IPProtoTCP:
		field = l4 + 16
	case proto.IPProtoUDP:
		field = l4 + 6
	default:
		return 0, 0, false
	}
	if l3 < 0 || l4-l3 < proto.IPv4MinLen || field+2 > len(d) {
		return 0, 0, false
	}
	var ps uint16
	var end int
	switch d[l3] >> 4 {
	case 4:
		ip := proto.IPv4(d[l3:l4])
		end = l3 + ip.TotalLen()
		if end > len(d) || end < field+2 {
			return 0, 0, false
		}
		ps = proto.PseudoHeaderSum4(ip.SrcBytes(), ip.DstBytes(), p, end-l4)
	case 6:
		if l4-l3 != proto.IPv6Len {
			return 0, 0, false
		}
		ip := proto.IPv6(d[l3:l4])
		end = l4 + ip.PayloadLen()
		if end > len(d) || end < field+2 {
			return 0, 0, false
		}
		ps = proto.PseudoHeaderSum6((*[16]byte)(ip[8:24]), (*[16]byte)(ip[24:40]), p, end-l4)
	default:
		return 0, 0, false
	}
	return proto.Checksum(d[l4:end], ps), field, true
}

// hdrSum20 is the one's complement sum of a 20-byte IPv4 header without
// options, the common case, in five 32-bit loads (proto.Checksum has a
// fixed cost that dominates at this length).
func hdrSum20(b []byte) uint16 {
	_ = b[19]
	s := uint64(binary.BigEndian.Uint32(b[0:])) + uint64(binary.BigEndian.Uint32(b[4:])) +
		uint64(binary.BigEndian.Uint32(b[8:])) + uint64(binary.BigEndian.Uint32(b[12:])) +
		uint64(binary.BigEndian.Uint32(b[16:]))
	s = s&0xffffffff + s>>32
	s = s&0xffff + s>>16
	s = s&0xffff + s>>16
	s = s&0xffff + s>>16
	return uint16(s)
}

// hdrSum is the one's complement sum of the IPv4 header b.
func hdrSum(b []byte) uint16 {
	if len(b) == proto.IPv4MinLen {
		return hdrSum20(b)
	}
	return proto.Checksum(b, 0)
}
