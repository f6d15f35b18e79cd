package mbuf

import "strings"

// Packet types (packet_type), with the values of DPDK 22.11's RTE_PTYPE_*
// (rte_mbuf_ptype.h). The 32 bits hold seven 4-bit fields, each an
// enumeration, not a set of bits: compare the field masked with its *Mask.
//
//	bits   0-3  L2            PtypeL2Mask
//	bits   4-7  L3            PtypeL3Mask
//	bits  8-11  L4            PtypeL4Mask
//	bits 12-15  tunnel        PtypeTunnelMask
//	bits 16-19  inner L2      PtypeInnerL2Mask
//	bits 20-23  inner L3      PtypeInnerL3Mask
//	bits 24-27  inner L4      PtypeInnerL4Mask
const (
	PtypeUnknown uint32 = 0x00000000

	PtypeL2Ether         uint32 = 0x00000001
	PtypeL2EtherTimesync uint32 = 0x00000002
	PtypeL2EtherARP      uint32 = 0x00000003
	PtypeL2EtherLLDP     uint32 = 0x00000004
	PtypeL2EtherNSH      uint32 = 0x00000005
	PtypeL2EtherVLAN     uint32 = 0x00000006
	PtypeL2EtherQinQ     uint32 = 0x00000007
	PtypeL2EtherPPPoE    uint32 = 0x00000008
	PtypeL2EtherFCoE     uint32 = 0x00000009
	PtypeL2EtherMPLS     uint32 = 0x0000000a
	PtypeL2Mask          uint32 = 0x0000000f

	PtypeL3IPv4           uint32 = 0x00000010
	PtypeL3IPv4Ext        uint32 = 0x00000030
	PtypeL3IPv6           uint32 = 0x00000040
	PtypeL3IPv4ExtUnknown uint32 = 0x00000090
	PtypeL3IPv6Ext        uint32 = 0x000000c0
	PtypeL3IPv6ExtUnknown uint32 = 0x000000e0
	PtypeL3Mask           uint32 = 0x000000f0

	PtypeL4TCP     uint32 = 0x00000100
	PtypeL4UDP     uint32 = 0x00000200
	PtypeL4Frag    uint32 = 0x00000300
	PtypeL4SCTP    uint32 = 0x00000400
	PtypeL4ICMP    uint32 = 0x00000500
	PtypeL4NonFrag uint32 = 0x00000600
	PtypeL4IGMP    uint32 = 0x00000700
	PtypeL4Mask    uint32 = 0x00000f00

	PtypeTunnelIP        uint32 = 0x00001000
	PtypeTunnelGRE       uint32 = 0x00002000
	PtypeTunnelVXLAN     uint32 = 0x00003000
	PtypeTunnelNVGRE     uint32 = 0x00004000
	PtypeTunnelGENEVE    uint32 = 0x00005000
	PtypeTunnelGRENAT    uint32 = 0x00006000
	PtypeTunnelGTPC      uint32 = 0x00007000
	PtypeTunnelGTPU      uint32 = 0x00008000
	PtypeTunnelESP       uint32 = 0x00009000
	PtypeTunnelL2TP      uint32 = 0x0000a000
	PtypeTunnelVXLANGPE  uint32 = 0x0000b000
	PtypeTunnelMPLSInGRE uint32 = 0x0000c000
	PtypeTunnelMPLSInUDP uint32 = 0x0000d000
	PtypeTunnelMask      uint32 = 0x0000f000

	PtypeInnerL2Ether     uint32 = 0x00010000
	PtypeInnerL2EtherVLAN uint32 = 0x00020000
	PtypeInnerL2EtherQinQ uint32 = 0x00030000
	PtypeInnerL2Mask      uint32 = 0x000f0000

	PtypeInnerL3IPv4           uint32 = 0x00100000
	PtypeInnerL3IPv4Ext        uint32 = 0x00200000
	PtypeInnerL3IPv6           uint32 = 0x00300000
	PtypeInnerL3IPv4ExtUnknown uint32 = 0x00400000
	PtypeInnerL3IPv6Ext        uint32 = 0x00500000
	PtypeInnerL3IPv6ExtUnknown uint32 = 0x00600000
	PtypeInnerL3Mask           uint32 = 0x00f00000

	PtypeInnerL4TCP     uint32 = 0x01000000
	PtypeInnerL4UDP     uint32 = 0x02000000
	PtypeInnerL4Frag    uint32 = 0x03000000
	PtypeInnerL4SCTP    uint32 = 0x04000000
	PtypeInnerL4ICMP    uint32 = 0x05000000
	PtypeInnerL4NonFrag uint32 = 0x06000000
	PtypeInnerL4Mask    uint32 = 0x0f000000

	PtypeAllMask uint32 = 0x0fffffff
)

// PtypeIsIPv4 reports whether the L3 field is one of the IPv4 values
// (RTE_ETH_IS_IPV4_HDR: bit 4 set).
func PtypeIsIPv4(t uint32) bool { return t&PtypeL3IPv4 != 0 }

// PtypeIsIPv6 reports whether the L3 field is one of the IPv6 values
// (RTE_ETH_IS_IPV6_HDR: bit 6 set).
func PtypeIsIPv6(t uint32) bool { return t&PtypeL3IPv6 != 0 }

// PtypeIsTunnel reports whether the tunnel field is set
// (RTE_ETH_IS_TUNNEL_PKT).
func PtypeIsTunnel(t uint32) bool { return t&PtypeTunnelMask != 0 }

type ptypeField struct {
	mask    uint32
	unknown string
	names   map[uint32]string
}

// The names are DPDK's (rte_get_ptype_*_name), so that dpkit's output can
// be compared with testpmd's.
var ptypeFields = []ptypeField{
	{PtypeL2Mask, "L2_UNKNOWN", map[uint32]string{
		PtypeL2Ether: "L2_ETHER", PtypeL2EtherTimesync: "L2_ETHER_TIMESYNC",
		PtypeL2EtherARP: "L2_ETHER_ARP", PtypeL2EtherLLDP: "L2_ETHER_LLDP",
		PtypeL2EtherNSH: "L2_ETHER_NSH", PtypeL2EtherVLAN: "L2_ETHER_VLAN",
		PtypeL2EtherQinQ: "L2_ETHER_QINQ", PtypeL2EtherPPPoE: "L2_ETHER_PPPOE",
		PtypeL2EtherFCoE: "L2_ETHER_FCOE", PtypeL2EtherMPLS: "L2_ETHER_MPLS",
	}},
	{PtypeL3Mask, "L3_UNKNOWN", map[uint32]string{
		PtypeL3IPv4: "L3_IPV4", PtypeL3IPv4Ext: "L3_IPV4_EXT",
		PtypeL3IPv4ExtUnknown: "L3_IPV4_EXT_UNKNOWN", PtypeL3IPv6: "L3_IPV6",
		PtypeL3IPv6Ext: "L3_IPV6_EXT", PtypeL3IPv6ExtUnknown: "L3_IPV6_EXT_UNKNOWN",
	}},
	{PtypeL4Mask, "L4_UNKNOWN", map[uint32]string{
		PtypeL4TCP: "L4_TCP", PtypeL4UDP: "L4_UDP", PtypeL4Frag: "L4_FRAG",
		PtypeL4SCTP: "L4_SCTP", PtypeL4ICMP: "L4_ICMP", PtypeL4NonFrag: "L4_NONFRAG",
		PtypeL4IGMP: "L4_IGMP",
	}},
	{PtypeTunnelMask, "TUNNEL_UNKNOWN", map[uint32]string{
		PtypeTunnelIP: "TUNNEL_IP", PtypeTunnelGRE: "TUNNEL_GRE",
		PtypeTunnelVXLAN: "TUNNEL_VXLAN", PtypeTunnelNVGRE: "TUNNEL_NVGRE",
		PtypeTunnelGENEVE: "TUNNEL_GENEVE", PtypeTunnelGRENAT: "TUNNEL_GRENAT",
		PtypeTunnelGTPC: "TUNNEL_GTPC", PtypeTunnelGTPU: "TUNNEL_GTPU",
		PtypeTunnelESP: "TUNNEL_ESP", PtypeTunnelL2TP: "TUNNEL_L2TP",
		PtypeTunnelVXLANGPE: "TUNNEL_VXLAN_GPE", PtypeTunnelMPLSInUDP: "TUNNEL_MPLS_IN_UDP",
		PtypeTunnelMPLSInGRE: "TUNNEL_MPLS_IN_GRE",
	}},
	{PtypeInnerL2Mask, "INNER_L2_UNKNOWN", map[uint32]string{
		PtypeInnerL2Ether: "INNER_L2_ETHER", PtypeInnerL2EtherVLAN: "INNER_L2_ETHER_VLAN",
		PtypeInnerL2EtherQinQ: "INNER_L2_ETHER_QINQ",
	}},
	{PtypeInnerL3Mask, "INNER_L3_UNKNOWN", map[uint32]string{
		PtypeInnerL3IPv4: "INNER_L3_IPV4", PtypeInnerL3IPv4Ext: "INNER_L3_IPV4_EXT",
		PtypeInnerL3IPv6: "INNER_L3_IPV6", PtypeInnerL3IPv4ExtUnknown: "INNER_L3_IPV4_EXT_UNKNOWN",
		PtypeInnerL3IPv6Ext: "INNER_L3_IPV6_EXT", PtypeInnerL3IPv6ExtUnknown: "INNER_L3_IPV6_EXT_UNKNOWN",
	}},
	{PtypeInnerL4Mask, "INNER_L4_UNKNOWN", map[uint32]string{
		PtypeInnerL4TCP: "INNER_L4_TCP", PtypeInnerL4UDP: "INNER_L4_UDP",
		PtypeInnerL4Frag: "INNER_L4_FRAG", PtypeInnerL4SCTP: "INNER_L4_SCTP",
		PtypeInnerL4ICMP: "INNER_L4_ICMP", PtypeInnerL4NonFrag: "INNER_L4_NONFRAG",
	}},
}

// PtypeString names a packet type the way rte_get_ptype_name does: the
// name of every non-zero field, separated by spaces ("L2_ETHER L3_IPV4
// L4_UDP"), or "UNKNOWN". A field value DPDK does not define shows as
// L2_UNKNOWN, L3_UNKNOWN and so on. For logs and debugging; it allocates.
func PtypeString(t uint32) string {
	if t&PtypeAllMask == 0 {
		return "UNKNOWN"
	}
	var b strings.Builder
	for _, f := range ptypeFields {
		v := t & f.mask
		if v == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		if n, ok := f.names[v]; ok {
			b.WriteString(n)
		} else {
			b.WriteString(f.unknown)
		}
	}
	return b.String()
}
