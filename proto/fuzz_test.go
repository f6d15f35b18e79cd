package proto

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/mbuf"
)

// seedPackets adds dpkit-built packets (every tunnel and L4) and a few
// hand-made oddities to a fuzz corpus, whole and cut short.
func seedPackets(f *testing.F) {
	for i, c := range builtCases() {
		if i%3 != 0 {
			continue
		}
		f.Add(c.pkt)
		f.Add(c.pkt[:len(c.pkt)/2])
	}
	for _, h := range []string{
		// IPv6 with hop-by-hop, routing type 0 and a fragment header.
		"02000000000202000000000186dd6000000000300040" + "20010db8000000000000000000000001" + "20010db8ffff00000000000000000002" +
			"2b00010000000000" + "2c020000" + "0100000020010db8000000000000000000000009" + "1100000100001234",
		// MPLS stack, GRE carrying MPLS.
		"0200000000020200000000018847000640ff00064140",
	} {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
}

// FuzzGetPtype: GetPtype never panics, its lengths stay inside the packet
// and name headers that the views find valid, and GetPtypeMbuf on the
// packet cut into segments anywhere agrees with it.
func FuzzGetPtype(f *testing.F) {
	seedPackets(f)
	p, err := mbuf.NewPool(mbuf.PoolConfig{Name: "FuzzGetPtype", N: 15, DataRoomSize: 2048, Huge: eal.HugeNever})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { p.Close() })
	f.Fuzz(func(t *testing.T, b []byte) {
		pt, h := GetPtype(b)
		h2 := HdrLens{L2: 99, L3: 99, L4: 99, Tunnel: 99, InnerL2: 99, InnerL3: 99, InnerL4: 99}
		if pt2 := ParsePtype(b, &h2); pt2 != pt || h2 != h {
			t.Fatalf("ParsePtype %s %+v, GetPtype %s %+v", mbuf.PtypeString(pt2), h2, mbuf.PtypeString(pt), h)
		}
		if h.Total() > len(b) {
			t.Fatalf("lengths %+v (total %d) past the %d-byte packet, ptype %s", h, h.Total(), len(b), mbuf.PtypeString(pt))
		}
		off := int(h.L2)
		if mbuf.PtypeIsIPv4(pt) && !IPv4(b[off:]).IsValid() && len(b[off:]) >= int(h.L3) {
			// GetPtype does not check lengths beyond the header (DPDK
			// does not either); the header itself must be whole.
			if int(IPv4(b[off:]).HeaderLen()) != int(h.L3) {
				t.Fatalf("IPv4 L3 %d but IHL says %d", h.L3, IPv4(b[off:]).HeaderLen())
			}
		}
		if pt&mbuf.PtypeL4Mask == mbuf.PtypeL4TCP {
			tcp := TCP(b[off+int(h.L3):])
			if !tcp.IsValid() || tcp.HeaderLen() != int(h.L4) {
				t.Fatalf("TCP reported (L4 %d) but the view disagrees", h.L4)
			}
		}
		if len(b) == 0 || len(b) > 1500 {
			return
		}
		for _, cut := range []int{1, len(b) / 2, len(b) - 1} {
			if cut <= 0 || cut >= len(b) {
				continue
			}
			m := mbuftest.Chain(t, p, b[:cut], b[cut:])
			mpt, mh := GetPtypeMbuf(m)
			// The chained L4 checksum agrees with the views' on the
			// linear packet (or fails with an error, never a panic).
			l3, l4 := int(h.L2), int(h.L2)+int(h.L3)
			for _, proto := range []uint8{IPProtoTCP, IPProtoUDP, IPProtoSCTP} {
				if l4Types[proto] != pt&mbuf.PtypeL4Mask {
					continue
				}
				ok, err := VerifyL4ChecksumMbuf(m, l3, l4, proto)
				if err == nil && mbuf.PtypeIsIPv4(pt) && IPv4(b[l3:]).IsValid() && proto != IPProtoSCTP {
					ip := IPv4(b[l3:])
					seg := b[l4 : l3+ip.TotalLen()]
					want := Checksum(seg, ip.PseudoHeaderSum(proto, len(seg))) == 0xffff ||
						(proto == IPProtoUDP && UDP(seg).Checksum() == 0)
					if ok != want {
						t.Fatalf("cut at %d: VerifyL4ChecksumMbuf %v, linear %v", cut, ok, want)
					}
				}
			}
			m.Free(lc)
			if h.Total() <= maxChainHdr {
				if mpt != pt || mh != h {
					t.Fatalf("cut at %d: mbuf %s %+v, linear %s %+v", cut, mbuf.PtypeString(mpt), mh, mbuf.PtypeString(pt), h)
				}
				continue
			}
			// Headers past the 512 bytes GetPtypeMbuf copies from a
			// chain (unless the first segment holds them): what it
			// reports is part of the linear answer.
			if mh.Total() > max(maxChainHdr, cut) {
				t.Fatalf("cut at %d: mbuf lengths %+v past %d bytes", cut, mh, max(maxChainHdr, cut))
			}
			for k, v := range fields(mpt) {
				if v != 0 && v != fields(pt)[k] && !((k == 0 || k == 4) && v == 1) {
					t.Fatalf("cut at %d: mbuf %s, linear %s", cut, mbuf.PtypeString(mpt), mbuf.PtypeString(pt))
				}
			}
		}
	})
}

// FuzzViews: for every header view, an IsValid view answers every
// accessor without panicking, and the option/chunk walkers end.
func FuzzViews(f *testing.F) {
	seedPackets(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if e := Ethernet(b); e.IsValid() {
			_, _, _, _ = e.Dst(), e.Src(), e.Type(), e.Payload()
		}
		if v := VLAN(b); v.IsValid() {
			_, _, _, _, _ = v.TCI(), v.PCP(), v.DEI(), v.ID(), v.Type()
		}
		if q := QinQ(b); q.IsValid() {
			_, _, _ = q.Outer().ID(), q.Inner().ID(), q.Payload()
		}
		if a := ARP(b); a.IsValid() {
			_, _, _, _ = a.HardwareType(), a.ProtocolType(), a.Op(), a.IsEthernetIPv4()
			if a.IsEthernetIPv4() {
				_, _, _, _ = a.SenderMAC(), a.SenderAddr(), a.TargetMAC(), a.TargetAddr()
			}
		}
		if ip := IPv4(b); ip.IsValid() {
			_, _, _, _, _ = ip.Src(), ip.Dst(), ip.TTL(), ip.Protocol(), ip.FragmentOffset()
			_, _, _ = ip.Payload(), ip.IsChecksumValid(), ip.CalculateChecksum()
			_ = ip.PseudoHeaderSum(ip.Protocol(), len(ip.Payload()))
			walkTLV(t, ip.Options())
		}
		if ip := IPv6(b); ip.IsValid() {
			_, _, _, _ = ip.Src(), ip.Dst(), ip.FlowLabel(), ip.TrafficClass()
			_ = ip.PseudoHeaderSum(IPProtoUDP, 8)
			_ = ip.FinalDst()
			if _, n, frag, err := SkipIPv6Ext(ip.NextHeader(), ip.Payload()); err == nil {
				if n > len(ip.Payload()) {
					t.Fatalf("SkipIPv6Ext skipped %d of %d bytes", n, len(ip.Payload()))
				}
				if frag != nil {
					_, _, _, _ = frag.FragmentOffset(), frag.MoreFragments(), frag.ID(), frag.IsAtomic()
				}
			}
		}
		if e := IPv6Ext(b); e.IsValid() {
			_, _, _ = e.NextHeader(), e.RoutingType(), e.SegmentsLeft()
			for o := e.Options(); len(o) > 0; {
				_, _, rest, err := NextIPv6Option(o)
				if err != nil {
					break
				}
				if len(rest) >= len(o) {
					t.Fatal("NextIPv6Option did not advance")
				}
				o = rest
			}
		}
		if tcp := TCP(b); tcp.IsValid() {
			_, _, _, _, _ = tcp.SrcPort(), tcp.DstPort(), tcp.Seq(), tcp.Ack(), tcp.Payload()
			_ = tcp.IsChecksumValid(0)
			walkTLV(t, tcp.Options())
		}
		if u := UDP(b); u.IsValid() {
			_, _, _ = u.Payload(), u.IsChecksumValid(0), u.CalculateChecksum(0)
		}
		if s := SCTP(b); s.IsValid() {
			_ = s.IsChecksumValid()
			for c := s.Chunks(); len(c) > 0; {
				_, _, v, rest, err := NextSCTPChunk(c)
				if err != nil {
					break
				}
				if len(rest) >= len(c) || len(v) > len(c) {
					t.Fatal("NextSCTPChunk did not advance")
				}
				c = rest
			}
		}
		if c := ICMP(b); c.IsValid() {
			_, _, _ = c.Ident(), c.Seq(), c.IsChecksumValid()
		}
		if c := ICMPv6(b); c.IsValid() {
			_, _ = c.Ident(), c.IsChecksumValid(0)
			switch c.Type() {
			case ICMPv6NeighborSolicit, ICMPv6NeighborAdvert, ICMPv6Redirect:
				_ = c.Target()
			}
			for o := c.NDOptions(); len(o) > 0; {
				_, _, rest, err := NextNDOption(o)
				if err != nil {
					break
				}
				o = rest
			}
		}
		if v := VXLAN(b); v.IsValid() {
			_, _ = v.VNI(), v.Flags()
		}
		if v := VXLANGPE(b); v.IsValid() {
			_, _, _ = v.VNI(), v.NextProtocol(), v.Version()
		}
		if g := GENEVE(b); g.IsValid() {
			_, _, _ = g.VNI(), g.Protocol(), g.Payload()
			for o := g.Options(); len(o) > 0; {
				_, _, _, rest, err := NextGENEVEOption(o)
				if err != nil {
					break
				}
				o = rest
			}
		}
		if g := GRE(b); g.IsValid() {
			_, _, _, _, _ = g.Key(), g.Seq(), g.VSID(), g.Payload(), g.IsChecksumValid()
			if g.Flags()&GREFlagC != 0 {
				_ = g.Checksum()
			}
		}
		if m := MPLS(b); m.IsValid() {
			_, _, _, _ = m.Label(), m.TC(), m.BottomOfStack(), m.TTL()
		}
		if n, err := MPLSStackLen(b); err == nil && n > len(b) {
			t.Fatalf("MPLSStackLen %d > %d", n, len(b))
		}
		if e := ESP(b); e.IsValid() {
			_, _ = e.SPI(), e.Seq()
		}
	})
}

// walkTLV walks IPv4/TCP options to their end.
func walkTLV(t *testing.T, o []byte) {
	for len(o) > 0 {
		kind, _, rest, err := NextTCPOption(o)
		if err != nil || kind == TCPOptEnd {
			return
		}
		if len(rest) >= len(o) {
			t.Fatal("option walk did not advance")
		}
		o = rest
	}
}

// FuzzChecksum: the fast sum equals the RFC 1071 loop, at every offset.
func FuzzChecksum(f *testing.F) {
	f.Add([]byte{0xff, 0xff, 0xff}, uint16(0xffff))
	f.Add(bytes.Repeat([]byte{0xff}, 200), uint16(1))
	f.Fuzz(func(t *testing.T, b []byte, init uint16) {
		for off := 0; off < 8 && off <= len(b); off++ {
			if got, want := Checksum(b[off:], init), checksumRef(b[off:], init); got != want {
				t.Fatalf("off %d: %#04x, want %#04x", off, got, want)
			}
		}
	})
}

// FuzzParseMAC: ParseMAC accepts exactly what String gives back.
func FuzzParseMAC(f *testing.F) {
	f.Add("02:00:00:00:00:01")
	f.Add("ff-FF-ff-ff-ff-ff")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMAC(s)
		if err != nil {
			return
		}
		if m2, err := ParseMAC(m.String()); err != nil || m2 != m {
			t.Fatalf("%q -> %v -> %v, %v", s, m, m2, err)
		}
	})
}
