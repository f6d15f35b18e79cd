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
// offset of the innermost payload. (A pointer receiver: with a value one
// the compiler copies the seven fields for the call, which can stall on
// store forwarding right after a parse wrote them.)
func (h *HdrLens) Total() int {
	return int(h.L2) + int(h.L3) + int(h.L4) + int(h.Tunnel) + int(h.InnerL2) + int(h.InnerL3) + int(h.InnerL4)
}

// GetPtype parses the Ethernet frame b in one pass and returns its packet
// type (the mbuf.Ptype* values of DPDK) and header lengths, like DPDK's
// rte_net_get_ptype with every layer asked for. It reads only b and never
// fails: it returns what it recognised before the data ran out or a field
// made no sense, e.g. PtypeL2Ether alone for an Ethernet frame with a
// truncated IP header.
//
// What it recognises, and where it differs from rte_net_get_ptype (the
// tests hold it to DPDK 22.11's on every packet they build, these
// differences taken out):
//   - L2: Ethernet; one 802.1Q tag (L2_ETHER_VLAN); two tags, the outer
//     0x88a8, 0x9100 or 0x8100 (L2_ETHER_QINQ); MPLS (L2_ETHER_MPLS, L2
//     covers the label stack to the bottom of stack, and parsing stops
//     there; DPDK 22.11 reports such a frame as plain L2_ETHER). Beyond
//     DPDK: untagged ARP, LLDP and PTP (0x88f7) give L2_ETHER_ARP,
//     L2_ETHER_LLDP and L2_ETHER_TIMESYNC.
//   - L3: IPv4 (L3_IPV4, or L3_IPV4_EXT with options); IPv6 (L3_IPV6, or
//     L3_IPV6_EXT with hop-by-hop, routing, destination options, AH or
//     fragment headers, which L3 includes, or ESP). A version/IHL byte other than
//     0x45..0x4f is not IPv4.
//   - L4: TCP, UDP, SCTP; beyond DPDK, ICMP (and ICMPv6) and IGMP. L4_FRAG
//     for a fragment (IPv4 MF or offset, or any IPv6 fragment header, as
//     DPDK), after which nothing more is parsed.
//   - Tunnels: IPv4/IPv6 in IP (TUNNEL_IP), GRE (TUNNEL_GRE; TUNNEL_NVGRE
//     when it carries Ethernet; TUNNEL_MPLS_IN_GRE for MPLS, not
//     followed), and, beyond DPDK's software parser, UDP to port 4789
//     (TUNNEL_VXLAN), 4790 (TUNNEL_VXLAN_GPE) and 6081 (TUNNEL_GENEVE);
//     ESP gives TUNNEL_ESP. The inner packet is parsed the same way
//     (INNER_L2_ETHER, _VLAN, _QINQ; INNER_L3_*; INNER_L4_*), but not a
//     tunnel inside it.
//   - Cut short: a header is reported only when it is whole in b, so the
//     lengths never run past b. DPDK reports UDP and SCTP from the IP
//     protocol alone and TCP and GRE from their fixed part, with lengths
//     that may run past the data.
//
// GetPtype returns the lengths by value, which costs more than the parse:
// Go keeps a struct of seven fields in memory, and copying it out of the
// parser stalls on store forwarding. In a hot loop, use ParsePtype, which
// fills a HdrLens the caller keeps.
func GetPtype(b []byte) (pt uint32, h HdrLens) {
	pt = ParsePtype(b, &h)
	return pt, h
}

// ParsePtype is GetPtype writing the header lengths into *h (all of it:
// what is not found is set to 0), the form for hot loops, as
// rte_net_get_ptype fills a caller's rte_net_hdr_lens.
func ParsePtype(b []byte, h *HdrLens) uint32 {
	*h = HdrLens{}
	pt, _ := getPtype(b, h)
	return pt
}

// GetPtypeMbuf is GetPtype on the packet m. When the headers do not all
// lie in the first segment, it copies the first 512 bytes of the packet
// onto the stack and parses those (headers that end past byte 512 are
// taken as cut short); it never allocates.
func GetPtypeMbuf(m *mbuf.Mbuf) (pt uint32, h HdrLens) {
	pt = ParsePtypeMbuf(m, &h)
	return pt, h
}

// ParsePtypeMbuf is GetPtypeMbuf writing the lengths into *h, as
// ParsePtype.
func ParsePtypeMbuf(m *mbuf.Mbuf, h *HdrLens) uint32 {
	*h = HdrLens{}
	d := m.Data()
	pt, short := getPtype(d, h)
	if short && m.PktLen() > len(d) {
		*h = HdrLens{}
		return getPtypeChain(m, h)
	}
	return pt
}

// maxChainHdr is how much of a segmented packet GetPtypeMbuf looks at.
const maxChainHdr = 512

func getPtypeChain(m *mbuf.Mbuf, h *HdrLens) uint32 {
	var buf [maxChainHdr]byte
	n := min(m.PktLen(), maxChainHdr)
	b := m.Read(0, buf[:n])
	pt, _ := getPtype(b, h)
	return pt
}

// SetPtype runs GetPtypeMbuf on m, stores the packet type in it
// (SetPacketType) and the header lengths in its tx_offload fields the way
// DPDK's transmit offloads want them, and returns the lengths. Without a
// tunnel: L2Len, L3Len, L4Len. With one: OuterL2Len, OuterL3Len, then
// L2Len = outer L4 + tunnel + inner L2 (DPDK's convention for tunnel
// offloads), L3Len and L4Len the inner ones. TSOSegsz is left as it was.
// The tx_offload fields are narrow (L2Len 7 bits): a GENEVE header with
// long options can overflow it; use the returned HdrLens then.
func SetPtype(m *mbuf.Mbuf) (h HdrLens) {
	pt := ParsePtypeMbuf(m, &h)
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
	// l4Types maps an IP protocol to its outer L4 ptype value; inner
	// values are these 16 bits up (TCP 1, UDP 2, ...), but for IGMP,
	// which has no inner value.
	l4Types = [256]uint32{
		IPProtoTCP: mbuf.PtypeL4TCP, IPProtoUDP: mbuf.PtypeL4UDP, IPProtoSCTP: mbuf.PtypeL4SCTP,
		IPProtoICMP: mbuf.PtypeL4ICMP, IPProtoICMPv6: mbuf.PtypeL4ICMP, IPProtoIGMP: mbuf.PtypeL4IGMP,
	}
)

// ipInfo is what parseIP found.
type ipInfo struct {
	kind  uint8 // l3*
	proto uint8 // upper protocol
	frag  bool
	short bool // b ended inside a header
	l3len uint16
	l4len uint16 // TCP, UDP or SCTP header length; 0 if absent or cut
	l4ok  bool   // the L4 header (if proto has one) is whole
}

// parseIP parses the IPv4 (v6 false) or IPv6 header at the start of b
// and the length of the TCP, UDP or SCTP header after it.
func parseIP(b []byte, v6 bool) (r ipInfo) {
	var l4 []byte
	if !v6 {
		if len(b) < IPv4MinLen {
			r.short = true
			return r
		}
		vihl := b[0]
		if vihl-0x45 > 0x4f-0x45 {
			return r
		}
		hl := int(vihl&0xf) << 2
		if hl > len(b) {
			r.short = true
			return r
		}
		r.kind = l3v4
		if vihl != 0x45 {
			r.kind = l3v4ext
		}
		r.l3len = uint16(hl)
		r.proto = b[9]
		if binary.BigEndian.Uint16(b[6:8])&(IPv4FlagMF|IPv4FragOffMask) != 0 {
			r.frag = true
			return r
		}
		l4 = b[hl:]
	} else {
		if len(b) < IPv6Len {
			r.short = true
			return r
		}
		if b[0]>>4 != 6 {
			return r
		}
		r.kind, r.l3len, r.proto = l3v6, IPv6Len, b[6]
		if isIPv6Ext(r.proto) {
			r.kind = l3v6ext
			upper, n, fh, err := SkipIPv6Ext(r.proto, b[IPv6Len:])
			if err != nil {
				// The L3 type is known; its length and what follows are not.
				r.proto, r.short = IPProtoNoNext, err == ErrTruncated
				return r
			}
			r.proto, r.l3len, r.frag = upper, uint16(IPv6Len+n), fh != nil
			if r.frag {
				return r
			}
		}
		if r.proto == IPProtoESP {
			r.kind = l3v6ext // ESP is an IPv6 extension header (RFC 8200 §4), as DPDK says
		}
		l4 = b[r.l3len:]
	}
	r.l4ok = true
	switch r.proto {
	case IPProtoTCP:
		if len(l4) < TCPMinLen {
			r.l4ok, r.short = false, true
			return r
		}
		hl := int(l4[12]>>4) << 2
		if hl < TCPMinLen || hl > len(l4) {
			r.l4ok, r.short = false, hl > len(l4)
			return r
		}
		r.l4len = uint16(hl)
	case IPProtoUDP:
		if len(l4) < UDPLen {
			r.l4ok, r.short = false, true
			return r
		}
		r.l4len = UDPLen
	case IPProtoSCTP:
		if len(l4) < SCTPLen {
			r.l4ok, r.short = false, true
			return r
		}
		r.l4len = SCTPLen
	}
	return r
}

// getPtype is GetPtype that also reports whether it stopped because b
// ended (short), so that GetPtypeMbuf knows to look at later segments.
func getPtype(b []byte, h *HdrLens) (pt uint32, short bool) {
	if len(b) < EthernetLen {
		return 0, true
	}
	pt = mbuf.PtypeL2Ether
	et := EtherType(binary.BigEndian.Uint16(b[12:14]))
	off := EthernetLen
	if IsVLANType(et) {
		pt, et, off, short = parseTags(b)
		if short {
			return pt, true
		}
	}
	h.L2 = uint16(off)
	var v6 bool
	switch et {
	case EtherTypeIPv4:
	case EtherTypeIPv6:
		v6 = true
	default:
		return l2Other(b, et, pt, h)
	}
	l3 := b[off:]
	// Fast path: IPv4 without options, not a fragment, then TCP or UDP
	// (the parse below gives the same result, slower).
	if len(l3) >= IPv4MinLen+TCPMinLen && l3[0] == 0x45 && !v6 &&
		binary.BigEndian.Uint16(l3[6:8])&(IPv4FlagMF|IPv4FragOffMask) == 0 {
		l4 := l3[IPv4MinLen:]
		switch l3[9] {
		case IPProtoTCP:
			if hl := int(l4[12]>>4) << 2; hl >= TCPMinLen && hl <= len(l4) {
				h.L3, h.L4 = IPv4MinLen, uint16(hl)
				return pt | mbuf.PtypeL3IPv4 | mbuf.PtypeL4TCP, false
			}
		case IPProtoUDP:
			h.L3, h.L4 = IPv4MinLen, UDPLen
			pt |= mbuf.PtypeL3IPv4 | mbuf.PtypeL4UDP
			port := binary.BigEndian.Uint16(l4[2:4])
			if port == PortVXLAN || port == PortVXLANGPE || port == PortGENEVE {
				return udpTunnel(l4[UDPLen:], port, pt, h)
			}
			return pt, false
		}
	}
	r := parseIP(l3, v6)
	if r.kind == l3None {
		return pt, r.short
	}
	pt |= outerL3[r.kind]
	h.L3 = r.l3len
	if r.frag {
		return pt | mbuf.PtypeL4Frag, false
	}
	if !r.l4ok {
		return pt, r.short
	}
	pt |= l4Types[r.proto]
	h.L4 = r.l4len
	l4 := l3[r.l3len:]
	switch r.proto {
	case IPProtoUDP:
		port := binary.BigEndian.Uint16(l4[2:4])
		if port == PortVXLAN || port == PortVXLANGPE || port == PortGENEVE {
			return udpTunnel(l4[UDPLen:], port, pt, h)
		}
	case IPProtoIPIP:
		return inner(l4, EtherTypeIPv4, pt|mbuf.PtypeTunnelIP, h)
	case IPProtoIPv6:
		return inner(l4, EtherTypeIPv6, pt|mbuf.PtypeTunnelIP, h)
	case IPProtoGRE:
		return gre(l4, pt, h)
	case IPProtoESP:
		if len(l4) < ESPLen {
			return pt, true
		}
		h.Tunnel = ESPLen
		return pt | mbuf.PtypeTunnelESP, false
	}
	return pt, false
}

// l2Other handles the EtherTypes that are not IP.
func l2Other(b []byte, et EtherType, pt uint32, h *HdrLens) (uint32, bool) {
	switch et {
	case EtherTypeARP:
		return l2Special(pt, mbuf.PtypeL2EtherARP), false
	case EtherTypeLLDP:
		return l2Special(pt, mbuf.PtypeL2EtherLLDP), false
	case EtherType1588:
		return l2Special(pt, mbuf.PtypeL2EtherTimesync), false
	case EtherTypeMPLS, EtherTypeMPLSMC:
		n, err := MPLSStackLen(b[h.L2:])
		if err != nil {
			return pt, true
		}
		h.L2 += uint16(n)
		return mbuf.PtypeL2EtherMPLS, false
	}
	return pt, false
}

// l2Special gives the ARP/LLDP/PTP L2 value on an untagged frame only
// (the L2 field holds one value, and a tag's is kept).
func l2Special(pt, v uint32) uint32 {
	if pt == mbuf.PtypeL2Ether {
		return v
	}
	return pt
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

// udpTunnel parses the VXLAN, VXLAN-GPE or GENEVE header at b and the
// packet inside.
func udpTunnel(b []byte, port uint16, pt uint32, h *HdrLens) (uint32, bool) {
	if len(b) < 8 {
		return pt, true
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
			return pt, false
		}
	default: // PortGENEVE
		hl := GENEVELen + int(b[0]&0x3f)*4
		if hl > len(b) {
			return pt, true
		}
		pt |= mbuf.PtypeTunnelGENEVE
		h.Tunnel = uint16(hl)
		et = EtherType(binary.BigEndian.Uint16(b[2:4]))
	}
	return inner(b[h.Tunnel:], et, pt, h)
}

// gre parses the GRE header at b and the packet inside.
func gre(b []byte, pt uint32, h *HdrLens) (uint32, bool) {
	if len(b) < GREMinLen {
		return pt, true
	}
	w := binary.BigEndian.Uint16(b[0:2])
	if w&^(GREFlagC|GREFlagK|GREFlagS) != 0 { // routing, strict route, recursion, flags, version
		return pt, false
	}
	hl := GRELen(w)
	if hl > len(b) {
		return pt, true
	}
	h.Tunnel = uint16(hl)
	et := EtherType(binary.BigEndian.Uint16(b[2:4]))
	switch et {
	case EtherTypeTEB:
		pt |= mbuf.PtypeTunnelNVGRE
	case EtherTypeMPLS, EtherTypeMPLSMC:
		return pt | mbuf.PtypeTunnelMPLSInGRE, false
	default:
		pt |= mbuf.PtypeTunnelGRE
	}
	return inner(b[hl:], et, pt, h)
}

// inner parses the packet inside a tunnel: an Ethernet frame if et is
// EtherTypeTEB, else an IPv4 or IPv6 packet.
func inner(b []byte, et EtherType, pt uint32, h *HdrLens) (uint32, bool) {
	if et == EtherTypeTEB {
		if len(b) < EthernetLen {
			return pt, true
		}
		et = EtherType(binary.BigEndian.Uint16(b[12:14]))
		off := EthernetLen
		l2 := mbuf.PtypeInnerL2Ether
		if IsVLANType(et) {
			tpt, tet, toff, short := parseTags(b)
			if short {
				return pt | l2, true
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
	var v6 bool
	switch et {
	case EtherTypeIPv4:
	case EtherTypeIPv6:
		v6 = true
	default:
		return pt, false
	}
	// Fast path as in getPtype.
	if len(b) >= IPv4MinLen+UDPLen && b[0] == 0x45 && !v6 &&
		binary.BigEndian.Uint16(b[6:8])&(IPv4FlagMF|IPv4FragOffMask) == 0 {
		l4 := b[IPv4MinLen:]
		switch b[9] {
		case IPProtoTCP:
			if len(l4) >= TCPMinLen {
				if hl := int(l4[12]>>4) << 2; hl >= TCPMinLen && hl <= len(l4) {
					h.InnerL3, h.InnerL4 = IPv4MinLen, uint16(hl)
					return pt | mbuf.PtypeInnerL3IPv4 | mbuf.PtypeInnerL4TCP, false
				}
			}
		case IPProtoUDP:
			h.InnerL3, h.InnerL4 = IPv4MinLen, UDPLen
			return pt | mbuf.PtypeInnerL3IPv4 | mbuf.PtypeInnerL4UDP, false
		}
	}
	r := parseIP(b, v6)
	if r.kind == l3None {
		return pt, r.short
	}
	pt |= innerL3[r.kind]
	h.InnerL3 = r.l3len
	if r.frag {
		return pt | mbuf.PtypeInnerL4Frag, false
	}
	if !r.l4ok {
		return pt, r.short
	}
	if l4 := l4Types[r.proto]; l4 != mbuf.PtypeL4IGMP {
		pt |= l4 << 16
	}
	h.InnerL4 = r.l4len
	return pt, false
}
