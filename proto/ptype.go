package proto

import (
	"encoding/binary"

	"github.com/dpkit/dpkit/mbuf"
)

// HdrLens holds the header lengths GetPtype found, in bytes, like DPDK's
// struct rte_net_hdr_lens. For a tunnelled packet L2, L3 and L4 are the
// outer headers', Tunnel the tunnel header's (GRE, VXLAN, VXLAN-GPE or
// GENEVE with its options; 0 for IP-in-IP) and Inner* the inner packet's.
// For a VXLAN packet, say:
//
//	| L2: Ethernet | L3: IPv4 | L4: UDP | Tunnel: VXLAN | InnerL2 | InnerL3 | InnerL4 |
//
// L2 and InnerL2 include VLAN tags (and MPLS labels); L3 and InnerL3
// include IPv4 options and IPv6 extension headers (a fragment header too).
// L4 is set for TCP (options included), UDP and SCTP only; it is 0 for
// fragments.
type HdrLens struct {
	L2, L3, L4                uint16
	Tunnel                    uint16
	InnerL2, InnerL3, InnerL4 uint16
}

// Total returns the length of every header found, outer and inner: the
// offset of the innermost payload.
func (h HdrLens) Total() int {
	return int(h.L2) + int(h.L3) + int(h.L4) + int(h.Tunnel) + int(h.InnerL2) + int(h.InnerL3) + int(h.InnerL4)
}

// GetPtype parses the Ethernet frame b in one pass and returns its packet
// type (the mbuf.Ptype* values of DPDK) and header lengths, like DPDK's
// rte_net_get_ptype with every layer asked for. It reads only b and never
// fails: it returns what it recognised before the data ran out or a field
// made no sense, e.g. PtypeL2Ether alone for an Ethernet frame with a
// truncated IP header.
//
// What it recognises, and where it differs from rte_net_get_ptype:
//   - L2: Ethernet; one 802.1Q tag (L2_ETHER_VLAN); two tags, the outer
//     0x88a8, 0x9100 or 0x8100 (L2_ETHER_QINQ); MPLS (L2_ETHER_MPLS, L2
//     covers the label stack, and parsing stops there as in DPDK). Beyond
//     DPDK: untagged ARP, LLDP and PTP (0x88f7) give L2_ETHER_ARP,
//     L2_ETHER_LLDP and L2_ETHER_TIMESYNC.
//   - L3: IPv4 (L3_IPV4, or L3_IPV4_EXT with options); IPv6 (L3_IPV6, or
//     L3_IPV6_EXT with hop-by-hop, routing, destination options, AH or
//     fragment headers, which L3 includes). A version/IHL byte other than
//     0x45..0x4f is not IPv4.
//   - L4: TCP, UDP, SCTP, ICMP (and ICMPv6), IGMP; L4_FRAG for a fragment
//     (IPv4 MF or offset, or any IPv6 fragment header, as DPDK), after
//     which nothing more is parsed. TCP, UDP and SCTP need their whole
//     header in b to be reported.
//   - Tunnels: IPv4/IPv6 in IP (TUNNEL_IP), GRE (TUNNEL_GRE; TUNNEL_NVGRE
//     when it carries Ethernet, TUNNEL_MPLS_IN_GRE for MPLS, which is not
//     followed), and, beyond DPDK's software parser, UDP to port 4789
//     (TUNNEL_VXLAN), 4790 (TUNNEL_VXLAN_GPE) and 6081 (TUNNEL_GENEVE);
//     ESP gives TUNNEL_ESP. The inner packet is parsed the same way
//     (INNER_L2_ETHER, _VLAN, _QINQ; INNER_L3_*; INNER_L4_*), but not a
//     tunnel inside it.
func GetPtype(b []byte) (uint32, HdrLens) {
	pt, h, _ := getPtype(b)
	return pt, h
}

// GetPtypeMbuf is GetPtype on the packet m. When the headers do not all
// lie in the first segment, it copies the first bytes of the packet (up to
// 512) onto the stack and parses those; it never allocates.
func GetPtypeMbuf(m *mbuf.Mbuf) (uint32, HdrLens) {
	d := m.Data()
	pt, h, short := getPtype(d)
	if short && m.PktLen() > len(d) {
		return getPtypeChain(m)
	}
	return pt, h
}

// maxChainHdr is how much of a segmented packet GetPtypeMbuf looks at.
const maxChainHdr = 512

func getPtypeChain(m *mbuf.Mbuf) (uint32, HdrLens) {
	var buf [maxChainHdr]byte
	n := min(m.PktLen(), maxChainHdr)
	b := m.Read(0, buf[:n])
	pt, h, _ := getPtype(b)
	return pt, h
}

// SetPtype runs GetPtypeMbuf on m, stores the packet type in it
// (SetPacketType) and the header lengths in its tx_offload fields the way
// DPDK's transmit offloads want them, and returns the lengths. Without a
// tunnel: L2Len, L3Len, L4Len. With one: OuterL2Len, OuterL3Len, then
// L2Len = outer L4 + tunnel + inner L2 (DPDK's convention for tunnel
// offloads), L3Len and L4Len the inner ones. TSOSegsz is left as it was.
// The tx_offload fields are narrow (L2Len 7 bits): a GENEVE header with
// long options can overflow it; use the returned HdrLens then.
func SetPtype(m *mbuf.Mbuf) HdrLens {
	pt, h := GetPtypeMbuf(m)
	m.SetPacketType(pt)
	tso := m.TSOSegsz()
	if pt&mbuf.PtypeTunnelMask != 0 {
		m.SetTxLens(int(h.L4)+int(h.Tunnel)+int(h.InnerL2), int(h.InnerL3), int(h.InnerL4), tso, int(h.L3), int(h.L2))
	} else {
		m.SetTxLens(int(h.L2), int(h.L3), int(h.L4), tso, 0, 0)
	}
	return h
}

// l3 kinds, mapped to the outer and inner ptype values.
const (
	l3None = iota
	l3v4
	l3v4ext
	l3v6
	l3v6ext
)

var (
	outerL3 = [...]uint32{0, mbuf.PtypeL3IPv4, mbuf.PtypeL3IPv4Ext, mbuf.PtypeL3IPv6, mbuf.PtypeL3IPv6Ext}
	innerL3 = [...]uint32{0, mbuf.PtypeInnerL3IPv4, mbuf.PtypeInnerL3IPv4Ext, mbuf.PtypeInnerL3IPv6, mbuf.PtypeInnerL3IPv6Ext}
)

// getPtype is GetPtype that also reports whether it stopped because b
// ended (short), so that GetPtypeMbuf knows to look at later segments.
func getPtype(b []byte) (pt uint32, h HdrLens, short bool) {
	if len(b) < EthernetLen {
		return 0, h, true
	}
	pt = mbuf.PtypeL2Ether
	et := EtherType(binary.BigEndian.Uint16(b[12:14]))
	off := EthernetLen
	if IsVLANType(et) {
		pt, et, off, short = parseTags(b)
		if short {
			return pt, h, true
		}
	}
	h.L2 = uint16(off)
	var l3 []byte
	switch et {
	case EtherTypeIPv4, EtherTypeIPv6:
		l3 = b[off:]
	case EtherTypeARP:
		return pt | l2Special(pt, mbuf.PtypeL2EtherARP), h, false
	case EtherTypeLLDP:
		return pt | l2Special(pt, mbuf.PtypeL2EtherLLDP), h, false
	case EtherType1588:
		return pt | l2Special(pt, mbuf.PtypeL2EtherTimesync), h, false
	case EtherTypeMPLS, EtherTypeMPLSMC:
		n, err := MPLSStackLen(b[off:])
		if err != nil {
			return pt, h, true
		}
		h.L2 += uint16(n)
		return mbuf.PtypeL2EtherMPLS, h, false
	default:
		return pt, h, false
	}

	kind, hl, proto, frag, short := parseL3(l3, et)
	if kind == l3None {
		return pt, h, short
	}
	pt |= outerL3[kind]
	h.L3 = uint16(hl)
	if frag {
		return pt | mbuf.PtypeL4Frag, h, false
	}
	l4 := l3[hl:]
	switch proto {
	case IPProtoTCP, IPProtoSCTP, IPProtoICMP, IPProtoICMPv6, IPProtoIGMP:
		l4pt, l4len, short := parseL4(l4, proto)
		h.L4 = uint16(l4len)
		return pt | l4pt, h, short
	case IPProtoUDP:
		if len(l4) < UDPLen {
			return pt, h, true
		}
		pt |= mbuf.PtypeL4UDP
		h.L4 = UDPLen
		port := binary.BigEndian.Uint16(l4[2:4])
		if port != PortVXLAN && port != PortVXLANGPE && port != PortGENEVE {
			return pt, h, false
		}
		return udpTunnel(l4[UDPLen:], port, pt, h)
	case IPProtoIPIP:
		pt |= mbuf.PtypeTunnelIP
		return inner(l4, EtherTypeIPv4, pt, h)
	case IPProtoIPv6:
		pt |= mbuf.PtypeTunnelIP
		return inner(l4, EtherTypeIPv6, pt, h)
	case IPProtoGRE:
		return gre(l4, pt, h)
	case IPProtoESP:
		if len(l4) < ESPLen {
			return pt, h, true
		}
		h.Tunnel = ESPLen
		return pt | mbuf.PtypeTunnelESP, h, false
	}
	return pt, h, false
}

// l2Special gives the ARP/LLDP/PTP L2 value on an untagged frame only
// (the L2 field holds one value, and a tag's is kept).
func l2Special(pt, v uint32) uint32 {
	if pt == mbuf.PtypeL2Ether {
		return v &^ mbuf.PtypeL2Ether
	}
	return 0
}

// parseTags reads the one or two VLAN tags after the Ethernet header.
func parseTags(b []byte) (pt uint32, et EtherType, off int, short bool) {
	if len(b) < EthernetLen+VLANLen {
		return mbuf.PtypeL2Ether, 0, 0, true
	}
	et = EtherType(binary.BigEndian.Uint16(b[16:18]))
	if !IsVLANType(et) {
		// One tag, whatever its TPID (DPDK would take a lone 0x88a8
		// tag for two and skip 8 bytes).
		return mbuf.PtypeL2EtherVLAN, et, EthernetLen + VLANLen, false
	}
	if len(b) < EthernetLen+QinQLen {
		return mbuf.PtypeL2Ether, 0, 0, true
	}
	et = EtherType(binary.BigEndian.Uint16(b[20:22]))
	return mbuf.PtypeL2EtherQinQ, et, EthernetLen + QinQLen, false
}

// parseL3 parses the IPv4 or IPv6 header (et says which) at the start of
// b: its kind (l3None if it is not one), length (with options or
// extension headers), upper protocol and whether it is a fragment.
func parseL3(b []byte, et EtherType) (kind, hl int, proto uint8, frag, short bool) {
	if et == EtherTypeIPv4 {
		if len(b) < IPv4MinLen {
			return l3None, 0, 0, false, true
		}
		vihl := b[0]
		if vihl < 0x45 || vihl > 0x4f {
			return l3None, 0, 0, false, false
		}
		hl = int(vihl&0xf) * 4
		if hl > len(b) {
			return l3None, 0, 0, false, true
		}
		kind = l3v4
		if vihl != 0x45 {
			kind = l3v4ext
		}
		frag = binary.BigEndian.Uint16(b[6:8])&(IPv4FlagMF|IPv4FragOffMask) != 0
		return kind, hl, b[9], frag, false
	}
	if len(b) < IPv6Len {
		return l3None, 0, 0, false, true
	}
	if b[0]>>4 != 6 {
		return l3None, 0, 0, false, false
	}
	proto = b[6]
	if !isIPv6Ext(proto) {
		return l3v6, IPv6Len, proto, false, false
	}
	upper, n, fh, err := SkipIPv6Ext(proto, b[IPv6Len:])
	if err != nil {
		// The L3 type is known; its length and what follows are not.
		return l3v6ext, IPv6Len, IPProtoNoNext, false, err == ErrTruncated
	}
	return l3v6ext, IPv6Len + n, upper, fh != nil, false
}

// parseL4 returns the outer L4 ptype value and header length of a TCP,
// SCTP, ICMP, ICMPv6 or IGMP header at b.
func parseL4(b []byte, proto uint8) (pt uint32, hl int, short bool) {
	switch proto {
	case IPProtoTCP:
		if len(b) < TCPMinLen {
			return 0, 0, true
		}
		hl = int(b[12]>>4) * 4
		if hl < TCPMinLen || hl > len(b) {
			return 0, 0, hl > len(b)
		}
		return mbuf.PtypeL4TCP, hl, false
	case IPProtoUDP:
		if len(b) < UDPLen {
			return 0, 0, true
		}
		return mbuf.PtypeL4UDP, UDPLen, false
	case IPProtoSCTP:
		if len(b) < SCTPLen {
			return 0, 0, true
		}
		return mbuf.PtypeL4SCTP, SCTPLen, false
	case IPProtoICMP, IPProtoICMPv6:
		return mbuf.PtypeL4ICMP, 0, false
	case IPProtoIGMP:
		return mbuf.PtypeL4IGMP, 0, false
	}
	return 0, 0, false
}

// udpTunnel parses the VXLAN, VXLAN-GPE or GENEVE header at b and the
// packet inside.
func udpTunnel(b []byte, port uint16, pt uint32, h HdrLens) (uint32, HdrLens, bool) {
	if len(b) < 8 {
		return pt, h, true
	}
	var et EtherType
	switch port {
	case PortVXLAN:
		pt |= mbuf.PtypeTunnelVXLAN
		h.Tunnel = VXLANLen
		et = EtherTypeTEB
	case PortVXLANGPE:
		pt |= mbuf.PtypeTunnelVXLANGPE
		h.Tunnel = VXLANLen
		switch b[3] {
		case VXLANGPEEthernet:
			et = EtherTypeTEB
		case VXLANGPEIPv4:
			et = EtherTypeIPv4
		case VXLANGPEIPv6:
			et = EtherTypeIPv6
		default:
			return pt, h, false
		}
	default: // PortGENEVE
		hl := GENEVELen + int(b[0]&0x3f)*4
		if hl > len(b) {
			return pt, h, true
		}
		pt |= mbuf.PtypeTunnelGENEVE
		h.Tunnel = uint16(hl)
		et = EtherType(binary.BigEndian.Uint16(b[2:4]))
	}
	return inner(b[h.Tunnel:], et, pt, h)
}

// gre parses the GRE header at b and the packet inside.
func gre(b []byte, pt uint32, h HdrLens) (uint32, HdrLens, bool) {
	if len(b) < GREMinLen {
		return pt, h, true
	}
	w := binary.BigEndian.Uint16(b[0:2])
	if w&^(GREFlagC|GREFlagK|GREFlagS) != 0 { // routing, strict route, recursion, flags, version
		return pt, h, false
	}
	hl := GRELen(w)
	if hl > len(b) {
		return pt, h, true
	}
	h.Tunnel = uint16(hl)
	et := EtherType(binary.BigEndian.Uint16(b[2:4]))
	switch et {
	case EtherTypeTEB:
		pt |= mbuf.PtypeTunnelNVGRE
	case EtherTypeMPLS, EtherTypeMPLSMC:
		return pt | mbuf.PtypeTunnelMPLSInGRE, h, false
	default:
		pt |= mbuf.PtypeTunnelGRE
	}
	return inner(b[hl:], et, pt, h)
}

// inner parses the packet inside a tunnel: an Ethernet frame if et is
// EtherTypeTEB, else an IPv4 or IPv6 packet.
func inner(b []byte, et EtherType, pt uint32, h HdrLens) (uint32, HdrLens, bool) {
	if et == EtherTypeTEB {
		if len(b) < EthernetLen {
			return pt, h, true
		}
		et = EtherType(binary.BigEndian.Uint16(b[12:14]))
		off := EthernetLen
		l2 := mbuf.PtypeInnerL2Ether
		if IsVLANType(et) {
			tpt, tet, toff, short := parseTags(b)
			if short {
				return pt | l2, h, true
			}
			et, off = tet, toff
			l2 = mbuf.PtypeInnerL2EtherVLAN
			if tpt == mbuf.PtypeL2EtherQinQ {
				l2 = mbuf.PtypeInnerL2EtherQinQ
			}
		}
		pt |= l2
		h.InnerL2 = uint16(off)
		b = b[off:]
	}
	if et != EtherTypeIPv4 && et != EtherTypeIPv6 {
		return pt, h, false
	}
	kind, hl, proto, frag, short := parseL3(b, et)
	if kind == l3None {
		return pt, h, short
	}
	pt |= innerL3[kind]
	h.InnerL3 = uint16(hl)
	if frag {
		return pt | mbuf.PtypeInnerL4Frag, h, false
	}
	l4pt, l4len, short := parseL4(b[hl:], proto)
	if l4pt == mbuf.PtypeL4IGMP { // no inner IGMP value
		l4pt = 0
	}
	h.InnerL4 = uint16(l4len)
	// Inner L4 values are the outer ones 16 bits up (TCP 1, UDP 2, ...).
	return pt | l4pt<<16, h, short
}
