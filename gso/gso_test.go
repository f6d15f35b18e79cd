package gso

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"testing"

	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/internal/testutil"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

func TestMain(m *testing.M) { testutil.Main(m) }

const lc = 0

func newPool(t testing.TB, name string, n, room int) *mbuf.Pool {
	return mbuftest.NewPool(t, mbuf.PoolConfig{Name: t.Name() + "/" + name, N: n, DataRoomSize: room})
}

type pools struct{ big, direct, indirect *mbuf.Pool }

func newPools(t testing.TB) pools {
	return pools{newPool(t, "big", 31, 65535), newPool(t, "direct", 1023, 0), newPool(t, "indirect", 2047, 128)}
}

var (
	macA = proto.MAC{2, 0, 0, 0, 0, 1}
	macB = proto.MAC{2, 0, 0, 0, 0, 2}
	a4   = netip.MustParseAddr("10.1.0.1")
	b4   = netip.MustParseAddr("10.1.0.2")
	a6   = netip.MustParseAddr("fd00::1")
	b6   = netip.MustParseAddr("fd00::2")
)

func data(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*13 + i>>8)
	}
	return b
}

func eth(t proto.EtherType) []byte {
	b := make([]byte, proto.EthernetLen)
	proto.Ethernet(b).Encode(&proto.EthernetFields{Dst: macB, Src: macA, Type: t})
	return b
}

// ipPkt returns an IP header (v4 or v6) for a payload of l4 with
// protocol p, followed by l4.
func ipPkt(v6 bool, p uint8, l4 []byte, id uint16) []byte {
	if v6 {
		b := make([]byte, proto.IPv6Len, proto.IPv6Len+len(l4))
		proto.IPv6(b).Encode(&proto.IPv6Fields{PayloadLen: uint16(len(l4)), NextHeader: p, HopLimit: 64, Src: a6, Dst: b6})
		return append(b, l4...)
	}
	b := make([]byte, proto.IPv4MinLen, proto.IPv4MinLen+len(l4))
	proto.IPv4(b).Encode(&proto.IPv4Fields{TotalLen: uint16(20 + len(l4)), ID: id, TTL: 64, Protocol: p, Src: a4, Dst: b4})
	return append(b, l4...)
}

// tcpIP returns an IP/TCP packet with a timestamp option and payload pl,
// its checksum right.
func tcpIP(v6 bool, seq uint32, flags uint8, pl []byte) []byte {
	opts := []byte{1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}
	t := make([]byte, proto.TCPMinLen+len(opts)+len(pl))
	proto.TCP(t).Encode(&proto.TCPFields{SrcPort: 40000, DstPort: 5001, Seq: seq, Ack: 77, Flags: flags, Window: 512, Options: opts})
	copy(t[proto.TCPMinLen+len(opts):], pl)
	b := ipPkt(v6, proto.IPProtoTCP, t, 1000)
	setTCPCsum(b, v6)
	return b
}

func setTCPCsum(ip []byte, v6 bool) {
	l := proto.IPv4(ip).HeaderLen()
	var ps uint16
	if v6 {
		l = proto.IPv6Len
		ps = proto.IPv6(ip).PseudoHeaderSum(proto.IPProtoTCP, len(ip)-l)
	} else {
		ps = proto.IPv4(ip).PseudoHeaderSum(proto.IPProtoTCP, len(ip)-l)
	}
	t := proto.TCP(ip[l:])
	t.SetChecksum(0)
	t.SetChecksum(t.CalculateChecksum(ps))
}

func etherType(v6 bool) proto.EtherType {
	if v6 {
		return proto.EtherTypeIPv6
	}
	return proto.EtherTypeIPv4
}

func cat(bs ...[]byte) []byte {
	var r []byte
	for _, b := range bs {
		r = append(r, b...)
	}
	return r
}

func vxlanOf(outerV6 bool, inner []byte) []byte {
	u := make([]byte, proto.UDPLen+proto.VXLANLen, proto.UDPLen+proto.VXLANLen+len(inner))
	proto.UDP(u).Encode(&proto.UDPFields{SrcPort: 33333, DstPort: proto.PortVXLAN, Length: uint16(len(u) + len(inner))})
	proto.VXLAN(u[proto.UDPLen:]).Encode(42)
	return cat(eth(etherType(outerV6)), ipPkt(outerV6, proto.IPProtoUDP, append(u, inner...), 2000))
}

func greOf(outerV6, innerV6, csum bool, inner []byte) []byte {
	f := &proto.GREFields{Protocol: etherType(innerV6), Flags: proto.GREFlagK, Key: 9}
	if csum {
		f.Flags |= proto.GREFlagC
	}
	g := make([]byte, proto.GRELen(f.Flags))
	proto.GRE(g).Encode(f)
	g = append(g, inner...)
	if csum {
		proto.GRE(g).SetChecksum(proto.GRE(g).CalculateChecksum())
	}
	return cat(eth(etherType(outerV6)), ipPkt(outerV6, proto.IPProtoGRE, g, 3000))
}

// expected cuts the packet orig the simple way, copying: the reference
// Segment is held to. IP checksums are updated incrementally here
// (proto's setters) where Segment recomputes them.
func expected(orig []byte, h proto.HdrLens, tunnel bool, size int, fixedID bool) [][]byte {
	hl := h.Total()
	oip, ip := -1, int(h.L2)
	var oudp, gre int = -1, -1
	l4 := int(h.L2 + h.L3)
	if tunnel {
		oip = int(h.L2)
		ip = int(h.L2+h.L3+h.L4+h.Tunnel) + int(h.InnerL2)
		l4 = ip + int(h.InnerL3)
		if h.L4 == proto.UDPLen {
			oudp = int(h.L2 + h.L3)
		} else {
			gre = int(h.L2 + h.L3)
		}
	}
	unit := size - hl
	pl := orig[hl:]
	var segs [][]byte
	for i, off := 0, 0; off < len(pl); i, off = i+1, off+unit {
		n := min(unit, len(pl)-off)
		s := cat(orig[:hl], pl[off:off+n])
		fixIP := func(at int) {
			if s[at]>>4 == 6 {
				proto.IPv6(s[at:]).SetPayloadLen(uint16(len(s) - at - proto.IPv6Len))
				return
			}
			v := proto.IPv4(s[at:])
			v.SetTotalLen(uint16(len(s) - at))
			if !fixedID {
				v.SetID(v.ID() + uint16(i))
			}
		}
		if oip >= 0 {
			fixIP(oip)
		}
		if oudp >= 0 {
			u := proto.UDP(s[oudp:])
			binary.BigEndian.PutUint16(u[4:6], uint16(len(s)-oudp))
			u.SetChecksum(0)
		}
		fixIP(ip)
		t := proto.TCP(s[l4:])
		t.SetSeq(t.Seq() + uint32(off))
		f := t.Flags()
		if off+n < len(pl) {
			f &^= proto.TCPFlagFIN | proto.TCPFlagPSH
		}
		if i > 0 {
			f &^= proto.TCPFlagCWR
		}
		t.SetFlags(f)
		setTCPCsum(s[ip:], s[ip]>>4 == 6)
		if gre >= 0 && s[gre]&0x80 != 0 {
			g := proto.GRE(s[gre:])
			g.SetChecksum(g.CalculateChecksum())
		}
		if oudp >= 0 && s[oip]>>4 == 6 { // over IPv6, last: it covers the inner packet
			u := proto.UDP(s[oudp:])
			u.SetChecksum(u.CalculateChecksum(proto.IPv6(s[oip:]).PseudoHeaderSum(proto.IPProtoUDP, len(u))))
		}
		segs = append(segs, s)
	}
	return segs
}

func TestSegmentTCP(t *testing.T) {
	p := newPools(t)
	fin := proto.TCPFlagACK | proto.TCPFlagPSH | proto.TCPFlagFIN | proto.TCPFlagCWR
	type tc struct {
		name    string
		pkt     []byte
		flags   uint64
		tunnel  bool
		size    int
		seg     int
		fixedID bool
	}
	var cases []tc
	for _, v6 := range []bool{false, true} {
		fl := mbuf.TxTCPSeg | mbuf.TxIPv4
		if v6 {
			fl = mbuf.TxTCPSeg | mbuf.TxIPv6
		}
		for _, size := range []int{1514, 9014, 600} {
			for _, seg := range []int{0, 1000, 4000} {
				cases = append(cases, tc{fmt.Sprintf("tcp v6=%v size=%d seg=%d", v6, size, seg),
					cat(eth(etherType(v6)), tcpIP(v6, 0xfffff000, fin, data(60000))), fl, false, size, seg, seg == 1000})
			}
		}
		for _, ov6 := range []bool{false, true} {
			ofl := mbuf.TxOuterIPv4
			if ov6 {
				ofl = mbuf.TxOuterIPv6
			}
			inner := tcpIP(v6, 5, fin, data(30000))
			cases = append(cases,
				tc{fmt.Sprintf("vxlan outer v6=%v inner v6=%v", ov6, v6),
					vxlanOf(ov6, cat(eth(etherType(v6)), inner)), fl | ofl | mbuf.TxTunnelVXLAN, true, 1514, 3000, false},
				tc{fmt.Sprintf("gre outer v6=%v inner v6=%v", ov6, v6),
					greOf(ov6, v6, false, inner), fl | ofl | mbuf.TxTunnelGRE, true, 1514, 0, false},
				tc{fmt.Sprintf("gre csum outer v6=%v inner v6=%v", ov6, v6),
					greOf(ov6, v6, true, inner), fl | ofl | mbuf.TxTunnelGRE, true, 1400, 0, false})
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pool := p.big
			if c.seg > 0 && c.seg <= 2048 {
				pool = p.direct
			}
			m := mbuftest.Packet(t, pool, c.pkt, c.seg)
			h := proto.SetPtype(m)
			m.SetOlFlags(c.flags)
			ctx := Context{Direct: p.direct, Indirect: p.indirect, Size: c.size, FixedIPID: c.fixedID}
			var out [128]*mbuf.Mbuf
			n, err := ctx.Segment(m, out[:], lc)
			m.Free(lc)
			if err != nil {
				t.Fatal(err)
			}
			want := expected(c.pkt, h, c.tunnel, c.size, c.fixedID)
			if n != len(want) {
				t.Fatalf("%d segments, want %d", n, len(want))
			}
			for i, s := range out[:n] {
				if err := s.Check(true); err != nil {
					t.Fatal(err)
				}
				got := mbuftest.Bytes(s)
				if len(got) > c.size {
					t.Fatalf("segment %d: %d bytes > %d", i, len(got), c.size)
				}
				if !bytes.Equal(got, want[i]) {
					hl := h.Total()
					t.Fatalf("segment %d differs from the reference\n got % x\nwant % x", i, got[:hl], want[i][:hl])
				}
				if s.OlFlags()&mbuf.TxTCPSeg != 0 || s.L2Len() != m.L2Len() {
					t.Fatalf("segment %d: flags %x, L2Len %d", i, s.OlFlags(), s.L2Len())
				}
				s.Free(lc)
			}
		})
	}
}

func TestSegmentUDP4(t *testing.T) {
	p := newPools(t)
	u := make([]byte, proto.UDPLen+8000)
	copy(u[8:], data(8000))
	proto.UDP(u).Encode(&proto.UDPFields{SrcPort: 1, DstPort: 2, Length: uint16(len(u))})
	pkt := cat(eth(proto.EtherTypeIPv4), ipPkt(false, proto.IPProtoUDP, u, 55))
	m := mbuftest.Packet(t, p.big, pkt, 0)
	defer m.Free(lc)
	proto.SetPtype(m)
	m.SetOlFlags(mbuf.TxUDPSeg | mbuf.TxIPv4)
	ctx := Context{Direct: p.direct, Indirect: p.indirect, Size: 1514}
	var out [16]*mbuf.Mbuf
	n, err := ctx.Segment(m, out[:], lc)
	if err != nil {
		t.Fatal(err)
	}
	if n != 6 {
		t.Fatalf("%d fragments, want 6", n)
	}
	var pl []byte
	for i, f := range out[:n] {
		b := mbuftest.Bytes(f)
		if len(b) > 1514 || !bytes.Equal(b[:14], pkt[:14]) {
			t.Fatalf("fragment %d: %d bytes, L2 % x", i, len(b), b[:14])
		}
		ip := proto.IPv4(b[14:])
		if !ip.IsValid() || !ip.IsChecksumValid() || ip.FragmentOffset() != len(pl) || ip.MoreFragments() != (i < n-1) {
			t.Fatalf("fragment %d: bad IPv4 header % x", i, b[14:34])
		}
		pl = append(pl, ip.Payload()...)
		f.Free(lc)
	}
	if !bytes.Equal(pl, u) {
		t.Fatal("fragments do not carry the datagram")
	}
	if !bytes.Equal(mbuftest.Bytes(m), pkt) {
		t.Fatal("the original packet changed")
	}
}

func TestSegmentSmallAndErrors(t *testing.T) {
	p := newPools(t)
	ctx := Context{Direct: p.direct, Indirect: p.indirect, Size: 1514}
	var out [4]*mbuf.Mbuf
	pkt := cat(eth(proto.EtherTypeIPv4), tcpIP(false, 1, proto.TCPFlagACK, data(1000)))
	m := mbuftest.Packet(t, p.big, pkt, 0)
	defer m.Free(lc)
	proto.SetPtype(m)
	m.SetOlFlags(mbuf.TxTCPSeg | mbuf.TxIPv4)
	if n, err := ctx.Segment(m, out[:], lc); n != 1 || err != nil || !bytes.Equal(mbuftest.Bytes(out[0]), pkt) {
		t.Fatalf("small packet: %d, %v", n, err)
	}
	out[0].Free(lc)

	big := mbuftest.Packet(t, p.big, cat(eth(proto.EtherTypeIPv4), tcpIP(false, 1, proto.TCPFlagACK, data(10000))), 0)
	defer big.Free(lc)
	proto.SetPtype(big)
	big.SetOlFlags(mbuf.TxTCPSeg | mbuf.TxIPv4)
	if _, err := ctx.Segment(big, out[:], lc); !errors.Is(err, ErrTooMany) {
		t.Fatalf("err %v, want ErrTooMany", err)
	}
	big.SetOlFlags(mbuf.TxTCPSeg | mbuf.TxIPv6)
	if _, err := ctx.Segment(big, out[:], lc); !errors.Is(err, ErrMalformed) {
		t.Fatalf("wrong family: err %v, want ErrMalformed", err)
	}
	big.SetOlFlags(mbuf.TxTCPSeg | mbuf.TxIPv4 | mbuf.TxTunnelGENEVE)
	if _, err := ctx.Segment(big, out[:], lc); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("geneve: err %v, want ErrNotSupported", err)
	}
	big.SetOlFlags(mbuf.TxTCPSeg | mbuf.TxIPv4)
	big.SetL4Len(20)
	if _, err := ctx.Segment(big, out[:], lc); !errors.Is(err, ErrMalformed) {
		t.Fatalf("wrong L4Len: err %v, want ErrMalformed", err)
	}
	proto.SetPtype(big)
	small := newPool(t, "small", 2, 0)
	ctx.Direct = small
	var out64 [64]*mbuf.Mbuf
	if _, err := ctx.Segment(big, out64[:], lc); !errors.Is(err, ErrNoMbufs) {
		t.Fatalf("err %v, want ErrNoMbufs", err)
	}
}
