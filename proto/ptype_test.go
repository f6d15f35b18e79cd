package proto

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/mbuf"
)

func unhexT(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGetPtypeEdges: what GetPtype makes of packets scapy does not build:
// cut short, malformed, or the cases where it departs from DPDK.
func TestGetPtypeEdges(t *testing.T) {
	const eth = "020000000002 020000000001"
	ip4 := func(proto string) string { return "4500 0040 0001 0000 40" + proto + "0000 c0000201 c6336407" }
	udp := func(port string) string { return "c000" + port + "0020 0000" }
	for _, c := range []struct {
		name, hex, ptype string
		lens             HdrLens
	}{
		{"empty", "", "UNKNOWN", HdrLens{}},
		{"13 bytes", "0200000000020200000000010800"[:26], "UNKNOWN", HdrLens{}},
		{"ethernet only", eth + "0800", "L2_ETHER", HdrLens{L2: 14}},
		{"802.3 length", eth + "0040 aaaa03", "L2_ETHER", HdrLens{L2: 14}},
		{"ip cut", eth + "0800 4500", "L2_ETHER", HdrLens{L2: 14}},
		{"ihl 4", eth + "0800" + "4400" + strings.Repeat("00", 30), "L2_ETHER", HdrLens{L2: 14}},
		{"version 6 in an IPv4 frame", eth + "0800" + "6500" + strings.Repeat("00", 30), "L2_ETHER", HdrLens{L2: 14}},
		{"ihl 15 cut", eth + "0800" + "4f00" + strings.Repeat("00", 30), "L2_ETHER", HdrLens{L2: 14}},
		{"tcp cut", eth + "0800" + ip4("06") + "0001000200000000", "L2_ETHER L3_IPV4", HdrLens{L2: 14, L3: 20}},
		{"tcp data offset 4", eth + "0800" + ip4("06") + "00010002 00000000 00000000 4000 0000 0000 0000", "L2_ETHER L3_IPV4", HdrLens{L2: 14, L3: 20}},
		{"udp cut", eth + "0800" + ip4("11") + "c000", "L2_ETHER L3_IPV4", HdrLens{L2: 14, L3: 20}},
		{"icmp no body", eth + "0800" + ip4("01"), "L2_ETHER L3_IPV4 L4_ICMP", HdrLens{L2: 14, L3: 20}},
		{"igmp", eth + "0800" + ip4("02") + "1100", "L2_ETHER L3_IPV4 L4_IGMP", HdrLens{L2: 14, L3: 20}},
		{"unknown protocol", eth + "0800" + ip4("fd") + "00", "L2_ETHER L3_IPV4", HdrLens{L2: 14, L3: 20}},
		{"first fragment", eth + "0800" + "4500 0040 0001 2000 4011 0000 c0000201 c6336407" + udp("1f90"), "L2_ETHER L3_IPV4 L4_FRAG", HdrLens{L2: 14, L3: 20}},
		{"vxlan cut", eth + "0800" + ip4("11") + udp("12b5") + "0800", "L2_ETHER L3_IPV4 L4_UDP", HdrLens{L2: 14, L3: 20, L4: 8}},
		{"vxlan, inner cut", eth + "0800" + ip4("11") + udp("12b5") + "08000000 00000100" + "0200", "L2_ETHER L3_IPV4 L4_UDP TUNNEL_VXLAN", HdrLens{L2: 14, L3: 20, L4: 8, Tunnel: 8}},
		{"vxlan, inner arp", eth + "0800" + ip4("11") + udp("12b5") + "08000000 00000100" + eth + "0806" + strings.Repeat("00", 28),
			"L2_ETHER L3_IPV4 L4_UDP TUNNEL_VXLAN INNER_L2_ETHER", HdrLens{L2: 14, L3: 20, L4: 8, Tunnel: 8, InnerL2: 14}},
		{"gpe carrying nsh", eth + "0800" + ip4("11") + udp("12b6") + "0c000004 00000100" + "00", "L2_ETHER L3_IPV4 L4_UDP TUNNEL_VXLAN_GPE", HdrLens{L2: 14, L3: 20, L4: 8, Tunnel: 8}},
		{"geneve options cut", eth + "0800" + ip4("11") + udp("17c1") + "02006558 00000100" + "0000", "L2_ETHER L3_IPV4 L4_UDP", HdrLens{L2: 14, L3: 20, L4: 8}},
		{"gre with routing bit", eth + "0800" + ip4("2f") + "40000800" + strings.Repeat("00", 24), "L2_ETHER L3_IPV4", HdrLens{L2: 14, L3: 20}},
		{"gre version 1", eth + "0800" + ip4("2f") + "0001880b" + strings.Repeat("00", 24), "L2_ETHER L3_IPV4", HdrLens{L2: 14, L3: 20}},
		{"gre carrying mpls", eth + "0800" + ip4("2f") + "00008847" + "00064140", "L2_ETHER L3_IPV4 TUNNEL_MPLS_IN_GRE", HdrLens{L2: 14, L3: 20, Tunnel: 4}},
		{"gre key cut", eth + "0800" + ip4("2f") + "20006558 0000", "L2_ETHER L3_IPV4", HdrLens{L2: 14, L3: 20}},
		{"ipip, inner cut", eth + "0800" + ip4("04") + "4500", "L2_ETHER L3_IPV4 TUNNEL_IP", HdrLens{L2: 14, L3: 20}},
		{"lone s-tag", eth + "88a8 000a 0800" + ip4("01"), "L2_ETHER_VLAN L3_IPV4 L4_ICMP", HdrLens{L2: 18, L3: 20}},
		{"vlan cut", eth + "8100 00", "L2_ETHER", HdrLens{}},
		{"qinq cut", eth + "88a8 000a 8100 00", "L2_ETHER", HdrLens{}},
		{"tagged arp", eth + "8100 000a 0806" + strings.Repeat("00", 28), "L2_ETHER_VLAN", HdrLens{L2: 18}},
		{"lldp", eth + "88cc 0000", "L2_ETHER_LLDP", HdrLens{L2: 14}},
		{"ptp", eth + "88f7 0000", "L2_ETHER_TIMESYNC", HdrLens{L2: 14}},
		{"mpls without bottom", eth + "8847 00064040", "L2_ETHER", HdrLens{L2: 14}},
		{"ipv6 ext cut", eth + "86dd 60000000 0010 0040" + strings.Repeat("00", 32) + "1100", "L2_ETHER L3_IPV6_EXT", HdrLens{L2: 14, L3: 40}},
		{"ipv6 nine ext headers", eth + "86dd 60000000 0048 3c40" + strings.Repeat("00", 32) + strings.Repeat("3c00000000000000", 9),
			"L2_ETHER L3_IPV6_EXT", HdrLens{L2: 14, L3: 40}},
		{"ipv6 no next", eth + "86dd 60000000 0000 3b40" + strings.Repeat("00", 32), "L2_ETHER L3_IPV6", HdrLens{L2: 14, L3: 40}},
		{"ipv6 atomic fragment", eth + "86dd 60000000 0010 2c40" + strings.Repeat("00", 32) + "1100000000000001" + udp("1f90"),
			"L2_ETHER L3_IPV6_EXT L4_FRAG", HdrLens{L2: 14, L3: 48}},
		{"ipv6 esp", eth + "86dd 60000000 0008 3240" + strings.Repeat("00", 32) + "0000100100000001", "L2_ETHER L3_IPV6_EXT TUNNEL_ESP", HdrLens{L2: 14, L3: 40, Tunnel: 8}},
		{"inner igmp", eth + "0800" + ip4("04") + ip4("02") + "1100", "L2_ETHER L3_IPV4 TUNNEL_IP INNER_L3_IPV4", HdrLens{L2: 14, L3: 20, InnerL3: 20}},
	} {
		b := unhexT(t, c.hex)
		pt, h := GetPtype(b)
		if got := mbuf.PtypeString(pt); got != c.ptype || h != c.lens {
			t.Errorf("%s: %s %+v, want %s %+v", c.name, got, h, c.ptype, c.lens)
		}
	}
}

// fields splits a packet type into its seven 4-bit fields.
func fields(pt uint32) [7]uint32 {
	var f [7]uint32
	for i := range f {
		f[i] = pt >> (4 * i) & 0xf
	}
	return f
}

// TestGetPtypePrefixes: a packet cut short parses to part of what the
// whole one does: each field either absent or the same, lengths inside
// the cut, and GetPtypeMbuf agrees with GetPtype on every cut into
// segments.
func TestGetPtypePrefixes(t *testing.T) {
	p := newPool(t, 2048)
	for i, c := range builtCases() {
		full, fh := GetPtype(c.pkt)
		ff := fields(full)
		for n := 0; n <= len(c.pkt); n++ {
			pt, h := GetPtype(c.pkt[:n])
			if h.Total() > n {
				t.Fatalf("%s cut to %d: lengths %+v past the end", c.name, n, h)
			}
			for k, v := range fields(pt) {
				if v != 0 && v != ff[k] && !((k == 0 || k == 4) && v == 1) {
					// (A cut tag or MPLS stack falls back to (INNER_)L2_ETHER.)
					t.Fatalf("%s cut to %d: %s, whole %s", c.name, n, mbuf.PtypeString(pt), mbuf.PtypeString(full))
				}
			}
		}
		if i%5 != 0 { // the segment cuts on a fifth of the cases: enough
			continue
		}
		for cut := 1; cut < min(len(c.pkt), fh.Total()+2); cut++ {
			m := mbuftest.Chain(t, p, split(c.pkt, cut)...)
			pt, h := GetPtypeMbuf(m)
			if pt != full || h != fh {
				t.Errorf("%s in segments cut at %d: %s %+v, linear %s %+v", c.name, cut, mbuf.PtypeString(pt), h, mbuf.PtypeString(full), fh)
			}
			m.Free(lc)
		}
	}
}

// TestSetPtype: the packet type and the tx_offload lengths land in the
// mbuf the way DPDK's transmit offloads read them.
func TestSetPtype(t *testing.T) {
	p := newPool(t, 2048)
	plain := build(buildSpec{vlans: 1, l4: "tcp", payload: 10})
	vx := build(buildSpec{v6: true, tunnel: "vxlan", innerVLAN: true, l4: "udp", payload: 10})
	for _, c := range []struct {
		name                     string
		pkt                      []byte
		l2, l3, l4, outL2, outL3 int
	}{
		{"vlan tcp4", plain, 18, 20, 32, 0, 0},
		{"vxlan over ipv6", vx, 8 + 8 + 18, 20, 8, 14, 40},
	} {
		m := mbuftest.Chain(t, p, split(c.pkt, 30)...)
		m.SetTSOSegsz(1400)
		h := SetPtype(m)
		wantPT, wantH := GetPtype(c.pkt)
		if m.PacketType() != wantPT || h != wantH {
			t.Errorf("%s: %s %+v, want %s %+v", c.name, mbuf.PtypeString(m.PacketType()), h, mbuf.PtypeString(wantPT), wantH)
		}
		if m.L2Len() != c.l2 || m.L3Len() != c.l3 || m.L4Len() != c.l4 || m.OuterL2Len() != c.outL2 || m.OuterL3Len() != c.outL3 || m.TSOSegsz() != 1400 {
			t.Errorf("%s: l2 %d l3 %d l4 %d outer l2 %d l3 %d tso %d; want %d %d %d %d %d 1400", c.name,
				m.L2Len(), m.L3Len(), m.L4Len(), m.OuterL2Len(), m.OuterL3Len(), m.TSOSegsz(), c.l2, c.l3, c.l4, c.outL2, c.outL3)
		}
		m.Free(lc)
	}
}
