package proto

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
)

// A packet dpkit builds with its own Encode methods and checksums, for
// the real-peer tests (scapy and tshark must accept it) and benchmarks.
type buildSpec struct {
	vlans     int    // 0, 1 or 2 tags
	v6        bool   // outer IPv6
	tunnel    string // "", ipip, gre, gre-csum, nvgre, vxlan, gpe, gpe-eth, geneve, geneve-eth
	innerVLAN bool   // a tag on the inner Ethernet (vxlan, nvgre, geneve-eth)
	iv6       bool   // inner IPv6
	l4        string // tcp, udp, sctp, icmp
	payload   int
}

type builtCase struct {
	name string
	spec buildSpec
	pkt  []byte
}

var (
	macA = MustParseMAC("02:00:00:00:00:01")
	macB = MustParseMAC("02:00:00:00:00:02")
	v4A  = netip.MustParseAddr("192.0.2.1")
	v4B  = netip.MustParseAddr("198.51.100.7")
	v6A  = netip.MustParseAddr("2001:db8::1")
	v6B  = netip.MustParseAddr("2001:db8:ffff::2")
)

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// l4Bytes returns an L4 header and payload with a zero checksum.
func l4Bytes(kind string, v6 bool, n int) ([]byte, uint8) {
	pl := make([]byte, n)
	for i := range pl {
		pl[i] = byte(i*13 + 1)
	}
	switch kind {
	case "tcp":
		h := make([]byte, 32)
		TCP(h).Encode(&TCPFields{SrcPort: 40005, DstPort: 40006, Seq: 0x01020304, Ack: 0x0a0b0c0d,
			Flags: TCPFlagPSH | TCPFlagACK, Window: 1234,
			Options: []byte{TCPOptMSS, 4, 0x05, 0xb4, TCPOptNOP, TCPOptWScale, 3, 7, TCPOptSACKPerm, 2}})
		return cat(h, pl), IPProtoTCP
	case "udp":
		h := make([]byte, UDPLen)
		UDP(h).Encode(&UDPFields{SrcPort: 40001, DstPort: 40002, Length: uint16(UDPLen + n)})
		return cat(h, pl), IPProtoUDP
	case "sctp":
		h := make([]byte, SCTPLen+4+len(pl)+3)
		SCTP(h).Encode(&SCTPFields{SrcPort: 40003, DstPort: 40004, VerificationTag: 0xdeadbeef})
		k := EncodeSCTPChunk(h[SCTPLen:], SCTPChunkData, 3, pl)
		return h[:SCTPLen+k], IPProtoSCTP
	case "icmp":
		h := make([]byte, 8)
		if v6 {
			ICMPv6(h).Encode(&ICMPv6Fields{Type: ICMPv6EchoRequest, Rest: 77<<16 | 3})
			return cat(h, pl), IPProtoICMPv6
		}
		ICMP(h).Encode(&ICMPFields{Type: ICMPEchoRequest, Rest: 77<<16 | 3})
		return cat(h, pl), IPProtoICMP
	}
	panic(kind)
}

// setL4Checksum computes the checksum of the L4 message l4 of protocol
// proto carried by the IP header ip.
func setL4Checksum(ip []byte, v6 bool, proto uint8, l4 []byte) {
	var pseudo uint16
	if v6 {
		pseudo = IPv6(ip).PseudoHeaderSum(proto, len(l4))
	} else {
		pseudo = IPv4(ip).PseudoHeaderSum(proto, len(l4))
	}
	switch proto {
	case IPProtoTCP:
		TCP(l4).SetChecksum(TCP(l4).CalculateChecksum(pseudo))
	case IPProtoUDP:
		UDP(l4).SetChecksum(UDP(l4).CalculateChecksum(pseudo))
	case IPProtoSCTP:
		SCTP(l4).SetChecksum(SCTP(l4).CalculateChecksum())
	case IPProtoICMP:
		ICMP(l4).SetChecksum(ICMP(l4).CalculateChecksum())
	case IPProtoICMPv6:
		ICMPv6(l4).SetChecksum(ICMPv6(l4).CalculateChecksum(pseudo))
	}
}

// ipWrap puts an IP header before payload and fixes payload's checksum.
func ipWrap(v6 bool, proto uint8, payload []byte, ttl uint8) []byte {
	if v6 {
		b := make([]byte, IPv6Len+len(payload))
		IPv6(b).Encode(&IPv6Fields{TrafficClass: 0x28, FlowLabel: 0x12345, PayloadLen: uint16(len(payload)),
			NextHeader: proto, HopLimit: ttl, Src: v6A, Dst: v6B})
		copy(b[IPv6Len:], payload)
		setL4Checksum(b, true, proto, b[IPv6Len:])
		return b
	}
	b := make([]byte, IPv4MinLen+len(payload))
	IPv4(b).Encode(&IPv4Fields{TOS: 0x10, TotalLen: uint16(len(b)), ID: 4242, TTL: ttl, Protocol: proto,
		Src: v4A, Dst: v4B})
	copy(b[IPv4MinLen:], payload)
	setL4Checksum(b, false, proto, b[IPv4MinLen:])
	return b
}

func ethHdr(vlans int, t EtherType, src, dst MAC) []byte {
	b := make([]byte, EthernetLen+VLANLen*vlans)
	first := t
	switch vlans {
	case 1:
		first = EtherTypeVLAN
		VLAN(b[EthernetLen:]).Encode(&VLANFields{PCP: 5, ID: 100, Type: t})
	case 2:
		first = EtherTypeQinQ
		VLAN(b[EthernetLen:]).Encode(&VLANFields{ID: 10, Type: EtherTypeVLAN})
		VLAN(b[EthernetLen+VLANLen:]).Encode(&VLANFields{ID: 20, DEI: true, Type: t})
	}
	Ethernet(b).Encode(&EthernetFields{Dst: dst, Src: src, Type: first})
	return b
}

func etherTypeOf(v6 bool) EtherType {
	if v6 {
		return EtherTypeIPv6
	}
	return EtherTypeIPv4
}

func ipProtoOf(v6 bool) uint8 {
	if v6 {
		return IPProtoIPv6
	}
	return IPProtoIPIP
}

// build returns the Ethernet frame spec describes.
func build(s buildSpec) []byte {
	l4, proto := l4Bytes(s.l4, s.iv6 || (s.tunnel == "" && s.v6), s.payload)
	if s.tunnel == "" {
		return cat(ethHdr(s.vlans, etherTypeOf(s.v6), macA, macB), ipWrap(s.v6, proto, l4, 61))
	}
	in := ipWrap(s.iv6, proto, l4, 9)
	innerEth := func() []byte {
		n := 0
		if s.innerVLAN {
			n = 1
		}
		return cat(ethHdr(n, etherTypeOf(s.iv6), MustParseMAC("02:aa:00:00:00:01"), MustParseMAC("02:aa:00:00:00:02")), in)
	}
	udpTun := func(port uint16, hdr []byte, payload []byte) []byte {
		u := make([]byte, UDPLen)
		UDP(u).Encode(&UDPFields{SrcPort: 49152, DstPort: port, Length: uint16(UDPLen + len(hdr) + len(payload))})
		return cat(u, hdr, payload)
	}
	var outer []byte
	switch s.tunnel {
	case "ipip":
		outer = ipWrap(s.v6, ipProtoOf(s.iv6), in, 61)
	case "gre", "gre-csum":
		f := GREFields{Protocol: etherTypeOf(s.iv6), Flags: GREFlagK | GREFlagS, Key: 5, Seq: 9}
		if s.tunnel == "gre-csum" {
			f.Flags |= GREFlagC
		}
		g := make([]byte, GRELen(f.Flags))
		GRE(g).Encode(&f)
		g = cat(g, in)
		if s.tunnel == "gre-csum" {
			GRE(g).SetChecksum(GRE(g).CalculateChecksum())
		}
		outer = ipWrap(s.v6, IPProtoGRE, g, 61)
	case "nvgre":
		g := make([]byte, 8)
		GRE(g).Encode(&GREFields{Flags: GREFlagK, Protocol: EtherTypeTEB, Key: 0x123456<<8 | 0x9a})
		outer = ipWrap(s.v6, IPProtoGRE, cat(g, innerEth()), 61)
	case "vxlan":
		v := make([]byte, VXLANLen)
		VXLAN(v).Encode(0xabcdef)
		outer = ipWrap(s.v6, IPProtoUDP, udpTun(PortVXLAN, v, innerEth()), 61)
	case "gpe":
		v := make([]byte, VXLANLen)
		np := VXLANGPEIPv4
		if s.iv6 {
			np = VXLANGPEIPv6
		}
		VXLANGPE(v).Encode(np, 31)
		outer = ipWrap(s.v6, IPProtoUDP, udpTun(PortVXLANGPE, v, in), 61)
	case "gpe-eth":
		v := make([]byte, VXLANLen)
		VXLANGPE(v).Encode(VXLANGPEEthernet, 32)
		outer = ipWrap(s.v6, IPProtoUDP, udpTun(PortVXLANGPE, v, innerEth()), 61)
	case "geneve":
		g := make([]byte, GENEVELen)
		GENEVE(g).Encode(&GENEVEFields{VNI: 4097, Protocol: etherTypeOf(s.iv6)})
		outer = ipWrap(s.v6, IPProtoUDP, udpTun(PortGENEVE, g, in), 61)
	case "geneve-eth":
		opts := []byte{0x01, 0x02, 0x03, 0x01, 'a', 'b', 'c', 'd'}
		g := make([]byte, GENEVELen+len(opts))
		GENEVE(g).Encode(&GENEVEFields{VNI: 4098, Protocol: EtherTypeTEB, Options: opts})
		outer = ipWrap(s.v6, IPProtoUDP, udpTun(PortGENEVE, g, innerEth()), 61)
	default:
		panic(s.tunnel)
	}
	return cat(ethHdr(s.vlans, etherTypeOf(s.v6), macA, macB), outer)
}

// builtCases is the matrix of packets dpkit builds: every L2 tagging,
// outer IP version, tunnel, inner IP version and L4.
func builtCases() []builtCase {
	var out []builtCase
	for vl := range 3 {
		for _, v6 := range []bool{false, true} {
			for _, tun := range []string{"", "ipip", "gre", "gre-csum", "nvgre", "vxlan", "gpe", "gpe-eth", "geneve", "geneve-eth"} {
				for _, iv6 := range []bool{false, true} {
					if tun == "" && iv6 {
						continue
					}
					for _, l4 := range []string{"tcp", "udp", "sctp", "icmp"} {
						s := buildSpec{vlans: vl, v6: v6, tunnel: tun, iv6: iv6, l4: l4, payload: 33 + vl}
						s.innerVLAN = vl == 1 && (tun == "vxlan" || tun == "nvgre" || tun == "gpe-eth" || tun == "geneve-eth")
						name := fmt.Sprintf("vlan%d-v6=%v-%s-iv6=%v-%s", vl, v6, tun, iv6, l4)
						out = append(out, builtCase{name, s, build(s)})
					}
				}
			}
		}
	}
	out = append(out, extraCases()...)
	return out
}

// extraCases are the headers the matrix does not use: ARP, IPv4 options,
// IPv6 extension headers (hop-by-hop, routing, destination options,
// fragment), ICMPv6 neighbour discovery, MPLS, ESP, an IPv4 fragment.
func extraCases() []builtCase {
	var out []builtCase
	add := func(name string, b []byte) { out = append(out, builtCase{name, buildSpec{}, b}) }

	arp := cat(ethHdr(0, EtherTypeARP, macA, BroadcastMAC), make([]byte, ARPLen))
	ARP(arp[EthernetLen:]).Encode(&ARPFields{Op: ARPRequest, SenderMAC: macA, SenderAddr: v4A, TargetAddr: v4B})
	add("arp", arp)

	// IPv4 with record route (one slot) and router alert options.
	udp, _ := l4Bytes("udp", false, 20)
	opts := []byte{IPv4OptRR, 7, 4, 0, 0, 0, 0, IPv4OptRouterAlert, 4, 0, 0}
	ip := make([]byte, IPv4MinLen+12+len(udp))
	IPv4(ip).Encode(&IPv4Fields{TotalLen: uint16(len(ip)), ID: 1, TTL: 1, Protocol: IPProtoUDP, Src: v4A, Dst: v4B, Options: opts})
	copy(ip[32:], udp)
	setL4Checksum(ip, false, IPProtoUDP, ip[32:])
	add("ipv4-options", cat(ethHdr(0, EtherTypeIPv4, macA, macB), ip))

	// An IPv4 fragment (offset 24, MF) of a UDP datagram.
	fr := make([]byte, IPv4MinLen+24)
	IPv4(fr).Encode(&IPv4Fields{TotalLen: uint16(len(fr)), ID: 7, Flags: IPv4FlagMF, FragOff: 24, TTL: 64, Protocol: IPProtoUDP, Src: v4A, Dst: v4B})
	add("ipv4-fragment", cat(ethHdr(0, EtherTypeIPv4, macA, macB), fr))

	// IPv6: hop-by-hop (router alert), destination options, routing
	// (type 0, segments left 0), then TCP; and a first fragment.
	tcp, _ := l4Bytes("tcp", true, 10)
	hbh := make([]byte, 8)
	IPv6Ext(hbh).Encode(IPProtoDstOpts, 8, []byte{IPv6OptRouterAlert, 2, 0, 0})
	dst := make([]byte, 8)
	IPv6Ext(dst).Encode(IPProtoRouting, 8, nil)
	rt := make([]byte, 24)
	IPv6Ext(rt).Encode(IPProtoTCP, 24, nil)
	rt[2], rt[3] = 0, 0 // type 0, segments left 0: the destination is final
	ext := cat(hbh, dst, rt, tcp)
	v6 := make([]byte, IPv6Len+len(ext))
	IPv6(v6).Encode(&IPv6Fields{PayloadLen: uint16(len(ext)), NextHeader: IPProtoHopOpts, HopLimit: 64, Src: v6A, Dst: v6B})
	copy(v6[IPv6Len:], ext)
	setL4Checksum(v6, true, IPProtoTCP, v6[IPv6Len+40:])
	add("ipv6-ext-tcp", cat(ethHdr(0, EtherTypeIPv6, macA, macB), v6))

	// IPv6 with a type 0 routing header, one segment left: the TCP
	// pseudo-header holds the final destination, not Dst.
	final := netip.MustParseAddr("2001:db8::99").As16()
	rt2 := make([]byte, 24)
	IPv6Ext(rt2).Encode(IPProtoTCP, 24, nil)
	rt2[2], rt2[3] = IPv6RoutingType0, 1
	copy(rt2[8:], final[:])
	ext2 := cat(rt2, tcp)
	r6 := make([]byte, IPv6Len+len(ext2))
	IPv6(r6).Encode(&IPv6Fields{PayloadLen: uint16(len(ext2)), NextHeader: IPProtoRouting, HopLimit: 64, Src: v6A, Dst: v6B})
	copy(r6[IPv6Len:], ext2)
	setL4Checksum(r6, true, IPProtoTCP, r6[IPv6Len+24:])
	add("ipv6-routing-tcp", cat(ethHdr(0, EtherTypeIPv6, macA, macB), r6))

	fh := make([]byte, IPv6FragmentLen)
	IPv6Fragment(fh).Encode(IPProtoUDP, 0, true, 0xabcdef)
	f6 := make([]byte, IPv6Len+8+16)
	IPv6(f6).Encode(&IPv6Fields{PayloadLen: 24, NextHeader: IPProtoFragment, HopLimit: 64, Src: v6A, Dst: v6B})
	copy(f6[IPv6Len:], fh)
	add("ipv6-fragment", cat(ethHdr(0, EtherTypeIPv6, macA, macB), f6))

	// Neighbour solicitation with a source link-layer address option.
	ns := make([]byte, ICMPv6NSLen+8)
	ICMPv6(ns).Encode(&ICMPv6Fields{Type: ICMPv6NeighborSolicit, Target: v6B})
	EncodeNDLinkAddr(ns[ICMPv6NSLen:], NDOptSourceLLAddr, macA)
	nsip := make([]byte, IPv6Len+len(ns))
	IPv6(nsip).Encode(&IPv6Fields{PayloadLen: uint16(len(ns)), NextHeader: IPProtoICMPv6, HopLimit: 255,
		Src: v6A, Dst: netip.MustParseAddr("ff02::1:ff00:2")})
	copy(nsip[IPv6Len:], ns)
	setL4Checksum(nsip, true, IPProtoICMPv6, nsip[IPv6Len:])
	add("icmpv6-ns", cat(ethHdr(0, EtherTypeIPv6, macA, macB), nsip))

	// Neighbour advertisement (solicited, override) with a target option.
	na := make([]byte, ICMPv6NSLen+8)
	ICMPv6(na).Encode(&ICMPv6Fields{Type: ICMPv6NeighborAdvert, Rest: uint32(NAFlagSolicited|NAFlagOverride) << 24, Target: v6B})
	EncodeNDLinkAddr(na[ICMPv6NSLen:], NDOptTargetLLAddr, macB)
	naip := make([]byte, IPv6Len+len(na))
	IPv6(naip).Encode(&IPv6Fields{PayloadLen: uint16(len(na)), NextHeader: IPProtoICMPv6, HopLimit: 255, Src: v6B, Dst: v6A})
	copy(naip[IPv6Len:], na)
	setL4Checksum(naip, true, IPProtoICMPv6, naip[IPv6Len:])
	add("icmpv6-na", cat(ethHdr(0, EtherTypeIPv6, macB, macA), naip))

	// Two MPLS labels over Ethernet, then IPv4/UDP.
	mpls := make([]byte, 8)
	MPLS(mpls).Encode(100, 0, false, 5)
	MPLS(mpls[4:]).Encode(200, 3, true, 6)
	add("mpls", cat(ethHdr(0, EtherTypeMPLS, macA, macB), mpls, ipWrap(false, IPProtoUDP, udp, 64)))

	// ESP over IPv4.
	esp := make([]byte, ESPLen+24)
	ESP(esp).Encode(0x1001, 7)
	add("esp", cat(ethHdr(0, EtherTypeIPv4, macA, macB), ipWrap(false, IPProtoESP, esp, 64)))
	return out
}

// writePcap writes packets to a classic pcap file (Ethernet link type).
func writePcap(path string, pkts [][]byte) error {
	var b []byte
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	b = append(b, hdr...)
	for i, p := range pkts {
		rec := make([]byte, 16)
		binary.LittleEndian.PutUint32(rec[0:], uint32(1700000000+i))
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(p)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(len(p)))
		b = append(b, rec...)
		b = append(b, p...)
	}
	return os.WriteFile(path, b, 0o644)
}
