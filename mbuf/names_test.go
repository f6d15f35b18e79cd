package mbuf

import "testing"

func TestFlagValues(t *testing.T) {
	// spot checks against rte_mbuf_core.h (DPDK 22.11)
	for _, c := range []struct {
		name      string
		got, want uint64
	}{
		{"RxVLAN", RxVLAN, 1 << 0},
		{"RxIPCksumGood", RxIPCksumGood, 1 << 7},
		{"RxL4CksumBad", RxL4CksumBad, 1 << 3},
		{"RxQinQ", RxQinQ, 1 << 20},
		{"RxOuterL4CksumGood", RxOuterL4CksumGood, 1 << 22},
		{"TxTunnelGENEVE", TxTunnelGENEVE, 4 << 45},
		{"TxTCPSeg", TxTCPSeg, 1 << 50},
		{"TxUDPCksum", TxUDPCksum, 3 << 52},
		{"TxOuterIPv6", TxOuterIPv6, 1 << 60},
		{"ExtBufMbuf", ExtBufMbuf, 1 << 61},
		{"IndirectMbuf", IndirectMbuf, 1 << 62},
		{"TxOffloadMask", TxOffloadMask, 0x1ffffe0000000000},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
}

func TestFlagsString(t *testing.T) {
	for _, c := range []struct {
		f    uint64
		want string
	}{
		{0, "0"},
		{RxVLAN | RxVLANStripped, "RxVLAN|RxVLANStripped"},
		{RxIPCksumGood | RxL4CksumNone, "RxL4CksumNone|RxIPCksumGood"},
		{RxIPCksumUnknown, "0"},
		{TxIPv4 | TxIPCksum | TxUDPCksum, "TxUDPCksum|TxIPCksum|TxIPv4"},
		{TxTunnelVXLAN | TxOuterIPv4, "TxTunnelVXLAN|TxOuterIPv4"},
		{IndirectMbuf | 1<<30, "IndirectMbuf|0x40000000"},
		{1 << 63, "0x8000000000000000"},
	} {
		if got := FlagsString(c.f); got != c.want {
			t.Errorf("FlagsString(%#x) = %q, want %q", c.f, got, c.want)
		}
	}
}

func TestPtypeString(t *testing.T) {
	for _, c := range []struct {
		t    uint32
		want string
	}{
		{0, "UNKNOWN"},
		{PtypeL2Ether | PtypeL3IPv4 | PtypeL4UDP, "L2_ETHER L3_IPV4 L4_UDP"},
		{PtypeL2EtherVLAN | PtypeL3IPv6Ext | PtypeL4TCP, "L2_ETHER_VLAN L3_IPV6_EXT L4_TCP"},
		{PtypeL2Ether | PtypeL3IPv4ExtUnknown | PtypeL4UDP | PtypeTunnelVXLAN |
			PtypeInnerL2Ether | PtypeInnerL3IPv6 | PtypeInnerL4ICMP,
			"L2_ETHER L3_IPV4_EXT_UNKNOWN L4_UDP TUNNEL_VXLAN INNER_L2_ETHER INNER_L3_IPV6 INNER_L4_ICMP"},
		{0xf | 0x20, "L2_UNKNOWN L3_UNKNOWN"},
		{0xf0000000, "UNKNOWN"},
	} {
		if got := PtypeString(c.t); got != c.want {
			t.Errorf("PtypeString(%#x) = %q, want %q", c.t, got, c.want)
		}
	}
	if !PtypeIsIPv4(PtypeL3IPv4Ext) || PtypeIsIPv4(PtypeL3IPv6) || !PtypeIsIPv6(PtypeL3IPv6ExtUnknown) ||
		!PtypeIsTunnel(PtypeTunnelGTPU) || PtypeIsTunnel(PtypeL4TCP) {
		t.Error("PtypeIs*")
	}
}
