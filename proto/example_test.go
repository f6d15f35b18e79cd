package proto_test

import (
	"fmt"
	"net/netip"

	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

// Build a UDP/IPv4 frame with the views' Encode methods.
func Example() {
	pkt := make([]byte, proto.EthernetLen+proto.IPv4MinLen+proto.UDPLen+4)
	proto.Ethernet(pkt).Encode(&proto.EthernetFields{
		Dst: proto.MustParseMAC("02:00:00:00:00:02"), Src: proto.MustParseMAC("02:00:00:00:00:01"),
		Type: proto.EtherTypeIPv4,
	})
	ip := proto.IPv4(pkt[proto.EthernetLen:])
	ip.Encode(&proto.IPv4Fields{TotalLen: uint16(len(ip)), TTL: 64, Protocol: proto.IPProtoUDP,
		Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2")})
	udp := proto.UDP(ip.Payload())
	udp.Encode(&proto.UDPFields{SrcPort: 1234, DstPort: 53, Length: uint16(len(udp))})
	copy(udp.Payload(), "ping")
	udp.SetChecksum(udp.CalculateChecksum(ip.PseudoHeaderSum(proto.IPProtoUDP, len(udp))))

	pt, h := proto.GetPtype(pkt)
	fmt.Println(mbuf.PtypeString(pt), h.L2, h.L3, h.L4)
	fmt.Println(ip.IsChecksumValid(), udp.IsChecksumValid(ip.PseudoHeaderSum(proto.IPProtoUDP, len(udp))))
	// Output:
	// L2_ETHER L3_IPV4 L4_UDP 14 20 8
	// true true
}

// Forward: decrement the TTL; the header checksum follows (RFC 1624).
func ExampleIPv4_SetTTL() {
	pkt := make([]byte, 20)
	ip := proto.IPv4(pkt)
	ip.Encode(&proto.IPv4Fields{TotalLen: 20, TTL: 64, Protocol: proto.IPProtoTCP,
		Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2")})
	ip.SetTTL(ip.TTL() - 1)
	fmt.Println(ip.TTL(), ip.IsChecksumValid(), ip.Checksum() == ip.CalculateChecksum())
	// Output: 63 true true
}

// Classify a VXLAN packet and read its inner headers by their lengths.
func ExampleGetPtype() {
	// Ethernet / IPv4 / UDP to 4789 / VXLAN / Ethernet / IPv6 / TCP
	outer := make([]byte, 14+20+8+8)
	inner := make([]byte, 14+40+20)
	proto.Ethernet(outer).Encode(&proto.EthernetFields{Type: proto.EtherTypeIPv4})
	proto.IPv4(outer[14:]).Encode(&proto.IPv4Fields{TotalLen: uint16(20 + 8 + 8 + len(inner)), TTL: 64, Protocol: proto.IPProtoUDP})
	proto.UDP(outer[34:]).Encode(&proto.UDPFields{SrcPort: 49152, DstPort: proto.PortVXLAN, Length: uint16(16 + len(inner))})
	proto.VXLAN(outer[42:]).Encode(100)
	proto.Ethernet(inner).Encode(&proto.EthernetFields{Type: proto.EtherTypeIPv6})
	proto.IPv6(inner[14:]).Encode(&proto.IPv6Fields{PayloadLen: 20, NextHeader: proto.IPProtoTCP, HopLimit: 1})
	proto.TCP(inner[54:]).Encode(&proto.TCPFields{SrcPort: 80, DstPort: 8080})
	pkt := append(outer, inner...)

	pt, h := proto.GetPtype(pkt)
	fmt.Println(mbuf.PtypeString(pt))
	fmt.Printf("%+v\n", h)
	tcp := proto.TCP(pkt[h.Total()-int(h.InnerL4):])
	fmt.Println(tcp.SrcPort(), tcp.DstPort())
	// Output:
	// L2_ETHER L3_IPV4 L4_UDP TUNNEL_VXLAN INNER_L2_ETHER INNER_L3_IPV6 INNER_L4_TCP
	// {L2:14 L3:20 L4:8 Tunnel:8 InnerL2:14 InnerL3:40 InnerL4:20}
	// 80 8080
}
