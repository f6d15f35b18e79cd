package proto

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/dpkit/dpkit/mbuf"
)

// description is what dpkit sees in a packet, in the shape of
// testdata/scapy_lib.py's describe(): the same keys, the same string
// forms, so that the two can be compared field by field.
type description struct {
	Ptype  string            `json:"ptype"`
	Lens   [7]int            `json:"lens"`
	Fields map[string]string `json:"fields"`
	Csum   map[string]bool   `json:"csum"`
}

func pyBool(v bool) string {
	if v {
		return "True"
	}
	return "False"
}

// describe walks b with GetPtype's result and the header views.
func describe(b []byte) description {
	pt, h := GetPtype(b)
	d := description{
		Ptype:  mbuf.PtypeString(pt),
		Lens:   [7]int{int(h.L2), int(h.L3), int(h.L4), int(h.Tunnel), int(h.InnerL2), int(h.InnerL3), int(h.InnerL4)},
		Fields: map[string]string{},
		Csum:   map[string]bool{},
	}
	put := func(pre, k string, v any) { d.Fields[pre+k] = fmt.Sprint(v) }

	eth := Ethernet(b)
	put("", "eth.dst", eth.Dst())
	put("", "eth.src", eth.Src())
	put("", "eth.type", uint16(eth.Type()))
	tags := func(pre string, l2 []byte, n int) {
		var ids []string
		for off := EthernetLen; off+VLANLen <= n; off += VLANLen {
			ids = append(ids, fmt.Sprint(VLAN(l2[off:]).ID()))
		}
		if ids != nil {
			put(pre, "vlan.ids", strings.Join(ids, ","))
		}
	}
	if l2 := pt & mbuf.PtypeL2Mask; l2 == mbuf.PtypeL2EtherVLAN || l2 == mbuf.PtypeL2EtherQinQ {
		tags("", b, int(h.L2))
	}
	switch pt & mbuf.PtypeL2Mask {
	case mbuf.PtypeL2EtherMPLS:
		var labels []string
		for off := EthernetLen; off < int(h.L2); off += MPLSLen {
			labels = append(labels, fmt.Sprint(MPLS(b[off:]).Label()))
		}
		put("", "mpls.labels", strings.Join(labels, ","))
		return d
	case mbuf.PtypeL2EtherARP:
		a := ARP(b[h.L2:])
		if a.IsEthernetIPv4() {
			put("", "arp.op", a.Op())
			put("", "arp.hwsrc", a.SenderMAC())
			put("", "arp.psrc", a.SenderAddr())
			put("", "arp.hwdst", a.TargetMAC())
			put("", "arp.pdst", a.TargetAddr())
		}
		return d
	}
	off := int(h.L2)
	l4off, proto, pseudo, l4len := describeL3(d, "", b[off:], pt&mbuf.PtypeL3Mask, int(h.L3))
	if pt&mbuf.PtypeL4Mask == mbuf.PtypeL4Frag || l4off < 0 {
		return d
	}
	l4 := b[off+l4off : off+l4off+l4len]
	describeL4(d, "", l4, pt&mbuf.PtypeL4Mask, proto, pseudo)
	tun := pt & mbuf.PtypeTunnelMask
	if tun == 0 {
		return d
	}
	t := l4[h.L4:]
	switch tun {
	case mbuf.PtypeTunnelGRE, mbuf.PtypeTunnelNVGRE:
		g := GRE(t)
		put("", "gre.proto", uint16(g.Protocol()))
		if g.Flags()&GREFlagK != 0 {
			put("", "gre.key", g.Key())
		}
		if g.Flags()&GREFlagC != 0 {
			d.Csum["gre"] = g.IsChecksumValid()
		}
	case mbuf.PtypeTunnelVXLAN:
		put("", "vxlan.vni", VXLAN(t).VNI())
	case mbuf.PtypeTunnelVXLANGPE:
		put("", "vxlan.vni", VXLANGPE(t).VNI())
		put("", "gpe.np", VXLANGPE(t).NextProtocol())
	case mbuf.PtypeTunnelGENEVE:
		put("", "geneve.vni", GENEVE(t).VNI())
		put("", "geneve.proto", uint16(GENEVE(t).Protocol()))
	case mbuf.PtypeTunnelESP:
		put("", "esp.spi", ESP(t).SPI())
		put("", "esp.seq", ESP(t).Seq())
		return d
	}
	in := t[h.Tunnel:]
	if pt&mbuf.PtypeInnerL2Mask != 0 {
		ie := Ethernet(in)
		put("in.", "eth.dst", ie.Dst())
		put("in.", "eth.src", ie.Src())
		tags("in.", in, int(h.InnerL2))
		in = in[h.InnerL2:]
	}
	il3 := pt & mbuf.PtypeInnerL3Mask
	if il3 == 0 {
		return d
	}
	// Inner L3 values to outer ones, for describeL3.
	l3 := map[uint32]uint32{
		mbuf.PtypeInnerL3IPv4: mbuf.PtypeL3IPv4, mbuf.PtypeInnerL3IPv4Ext: mbuf.PtypeL3IPv4Ext,
		mbuf.PtypeInnerL3IPv6: mbuf.PtypeL3IPv6, mbuf.PtypeInnerL3IPv6Ext: mbuf.PtypeL3IPv6Ext,
	}[il3]
	l4off, proto, pseudo, l4len = describeL3(d, "in.", in, l3, int(h.InnerL3))
	if pt&mbuf.PtypeInnerL4Mask == mbuf.PtypeInnerL4Frag || l4off < 0 {
		return d
	}
	describeL4(d, "in.", in[l4off:l4off+l4len], pt&mbuf.PtypeInnerL4Mask>>16, proto, pseudo)
	return d
}

// describeL3 records the IP header at b and returns where L4 starts, the
// upper protocol, the pseudo-header sum and the L4 length.
func describeL3(d description, pre string, b []byte, l3 uint32, l3len int) (l4off int, proto uint8, pseudo uint16, l4len int) {
	put := func(k string, v any) { d.Fields[pre+k] = fmt.Sprint(v) }
	if mbuf.PtypeIsIPv4(l3) {
		ip := IPv4(b)
		if !ip.IsValid() {
			return -1, 0, 0, 0
		}
		put("ip.src", ip.Src())
		put("ip.dst", ip.Dst())
		put("ip.ttl", ip.TTL())
		put("ip.id", ip.ID())
		put("ip.proto", ip.Protocol())
		put("ip.len", ip.TotalLen())
		put("ip.tos", ip.TOS())
		put("ip.frag", ip.FragmentOffset())
		put("ip.mf", pyBool(ip.MoreFragments()))
		put("ip.df", pyBool(ip.DontFragment()))
		d.Csum[pre+"ip"] = ip.IsChecksumValid()
		n := ip.TotalLen() - l3len
		return l3len, ip.Protocol(), ip.PseudoHeaderSum(ip.Protocol(), n), n
	}
	ip := IPv6(b)
	if !ip.IsValid() {
		return -1, 0, 0, 0
	}
	put("ip6.src", ip.Src())
	put("ip6.dst", ip.Dst())
	put("ip6.hlim", ip.HopLimit())
	put("ip6.nh", ip.NextHeader())
	put("ip6.plen", ip.PayloadLen())
	put("ip6.fl", ip.FlowLabel())
	put("ip6.tc", ip.TrafficClass())
	proto, _, frag, err := SkipIPv6Ext(ip.NextHeader(), ip.Payload())
	if err != nil {
		return -1, 0, 0, 0
	}
	if frag != nil {
		put("frag6.off", frag.FragmentOffset())
		put("frag6.m", pyBool(frag.MoreFragments()))
		put("frag6.id", frag.ID())
	}
	n := IPv6Len + ip.PayloadLen() - l3len
	return l3len, proto, ip.PseudoHeaderSum(proto, n), n
}

// describeL4 records the L4 header at b (l4 is an outer L4 ptype value).
func describeL4(d description, pre string, b []byte, l4 uint32, proto uint8, pseudo uint16) {
	put := func(k string, v any) { d.Fields[pre+k] = fmt.Sprint(v) }
	switch l4 {
	case mbuf.PtypeL4TCP:
		t := TCP(b)
		put("tcp.sport", t.SrcPort())
		put("tcp.dport", t.DstPort())
		put("tcp.seq", t.Seq())
		put("tcp.ack", t.Ack())
		put("tcp.flags", t.Flags())
		put("tcp.win", t.Window())
		for o := t.Options(); len(o) > 0; {
			kind, data, rest, err := NextTCPOption(o)
			if err != nil || kind == TCPOptEnd {
				break
			}
			switch {
			case kind == TCPOptMSS && len(data) == 2:
				put("tcp.mss", binary.BigEndian.Uint16(data))
			case kind == TCPOptWScale && len(data) == 1:
				put("tcp.wscale", data[0])
			}
			o = rest
		}
		d.Csum[pre+"tcp"] = t.IsChecksumValid(pseudo)
	case mbuf.PtypeL4UDP:
		u := UDP(b)
		put("udp.sport", u.SrcPort())
		put("udp.dport", u.DstPort())
		put("udp.len", u.Length())
		d.Csum[pre+"udp"] = u.IsChecksumValid(pseudo)
	case mbuf.PtypeL4SCTP:
		s := SCTP(b)
		put("sctp.sport", s.SrcPort())
		put("sctp.dport", s.DstPort())
		put("sctp.tag", s.VerificationTag())
		d.Csum[pre+"sctp"] = s.IsChecksumValid()
	case mbuf.PtypeL4ICMP:
		if proto == IPProtoICMP {
			c := ICMP(b)
			put("icmp.type", c.Type())
			put("icmp.code", c.Code())
			if c.Type() == ICMPEchoRequest || c.Type() == ICMPEchoReply {
				put("icmp.id", c.Ident())
				put("icmp.seq", c.Seq())
			}
			d.Csum[pre+"icmp"] = c.IsChecksumValid()
			return
		}
		c := ICMPv6(b)
		if !c.IsValid() {
			return
		}
		put("icmp6.type", c.Type())
		put("icmp6.code", c.Code())
		switch c.Type() {
		case ICMPv6EchoRequest, ICMPv6EchoReply:
			put("icmp6.id", c.Ident())
			put("icmp6.seq", c.Seq())
		case ICMPv6NeighborSolicit, ICMPv6NeighborAdvert:
			put("icmp6.tgt", c.Target())
			if typ, data, _, err := NextNDOption(c.NDOptions()); err == nil &&
				(typ == NDOptSourceLLAddr || typ == NDOptTargetLLAddr) && len(data) >= 6 {
				put("nd.lladdr", MACFrom(data))
			}
		}
		d.Csum[pre+"icmp6"] = c.IsChecksumValid(pseudo)
	}
}
