package gro

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/dpkit/dpkit/gso"
	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/internal/testutil"
	"github.com/dpkit/dpkit/ipfrag"
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
	return pools{newPool(t, "big", 31, 65535), newPool(t, "direct", 2047, 0), newPool(t, "indirect", 2047, 128)}
}

var (
	macA = proto.MAC{2, 0, 0, 0, 0, 1}
	macB = proto.MAC{2, 0, 0, 0, 0, 2}
	a4   = netip.MustParseAddr("10.1.0.1")
	b4   = netip.MustParseAddr("10.1.0.2")
	a6   = netip.MustParseAddr("fd00::1")
	b6   = netip.MustParseAddr("fd00::2")
)

func data(seed, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*13 + i>>8 + seed)
	}
	return b
}

func etherType(v6 bool) proto.EtherType {
	if v6 {
		return proto.EtherTypeIPv6
	}
	return proto.EtherTypeIPv4
}

func eth(t proto.EtherType) []byte {
	b := make([]byte, proto.EthernetLen)
	proto.Ethernet(b).Encode(&proto.EthernetFields{Dst: macB, Src: macA, Type: t})
	return b
}

func ipPkt(v6 bool, p uint8, l4 []byte, id uint16, df bool) []byte {
	if v6 {
		b := make([]byte, proto.IPv6Len, proto.IPv6Len+len(l4))
		proto.IPv6(b).Encode(&proto.IPv6Fields{PayloadLen: uint16(len(l4)), NextHeader: p, HopLimit: 64, Src: a6, Dst: b6})
		return append(b, l4...)
	}
	var fl uint16
	if df {
		fl = proto.IPv4FlagDF
	}
	b := make([]byte, proto.IPv4MinLen, proto.IPv4MinLen+len(l4))
	proto.IPv4(b).Encode(&proto.IPv4Fields{TotalLen: uint16(20 + len(l4)), ID: id, Flags: fl, TTL: 64, Protocol: p, Src: a4, Dst: b4})
	return append(b, l4...)
}

type tcpSpec struct {
	v6    bool
	sport uint16
	seq   uint32
	flags uint8
	id    uint16
	df    bool
	opts  []byte
	pl    []byte
}

// tcpFrame builds Ethernet/IP/TCP with right checksums.
func tcpFrame(s tcpSpec) []byte {
	if s.opts == nil {
		s.opts = []byte{1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}
	}
	t := make([]byte, proto.TCPMinLen+len(s.opts)+len(s.pl))
	proto.TCP(t).Encode(&proto.TCPFields{SrcPort: s.sport, DstPort: 5001, Seq: s.seq, Ack: 77, Flags: s.flags, Window: 512, Options: s.opts})
	copy(t[proto.TCPMinLen+len(s.opts):], s.pl)
	ip := ipPkt(s.v6, proto.IPProtoTCP, t, s.id, s.df)
	setTCPCsum(ip)
	return append(eth(etherType(s.v6)), ip...)
}

func setTCPCsum(ip []byte) {
	l, v6 := proto.IPv4(ip).HeaderLen(), ip[0]>>4 == 6
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

func vxlanOf(inner []byte, id uint16) []byte {
	u := make([]byte, proto.UDPLen+proto.VXLANLen, proto.UDPLen+proto.VXLANLen+len(inner))
	proto.UDP(u).Encode(&proto.UDPFields{SrcPort: 33333, DstPort: proto.PortVXLAN, Length: uint16(len(u) + len(inner))})
	proto.VXLAN(u[proto.UDPLen:]).Encode(42)
	return append(eth(proto.EtherTypeIPv4), ipPkt(false, proto.IPProtoUDP, append(u, inner...), id, false)...)
}

// segmentsOf cuts the big frame with package gso (a real segmenter) and
// returns the segments as fresh one-segment mbufs from p.direct.
func segmentsOf(t testing.TB, p pools, big []byte, fl uint64, size int) []*mbuf.Mbuf {
	t.Helper()
	m := p.big.Alloc(lc)
	copy(m.Append(len(big)), big)
	proto.SetPtype(m)
	m.SetOlFlags(fl)
	ctx := gso.Context{Direct: p.direct, Indirect: p.indirect, Size: size}
	var out [128]*mbuf.Mbuf
	n, err := ctx.Segment(m, out[:], lc)
	m.Free(lc)
	if err != nil {
		t.Fatal(err)
	}
	segs := make([]*mbuf.Mbuf, n)
	for i, s := range out[:n] {
		segs[i] = mbuftest.Packet(t, p.direct, mbuftest.Bytes(s), 0)
		s.Free(lc)
	}
	return segs
}

// What GSO cut, GRO puts back together, byte for byte, in any order.
func TestGSOThenGRO(t *testing.T) {
	p := newPools(t)
	r := rand.New(rand.NewPCG(5, 6))
	psh := proto.TCPFlagACK | proto.TCPFlagPSH
	for _, c := range []struct {
		name string
		big  []byte
		fl   uint64
	}{
		{"tcp4", tcpFrame(tcpSpec{sport: 1, seq: 0xffffff00, flags: psh, id: 9, pl: data(1, 60000)}), mbuf.TxTCPSeg | mbuf.TxIPv4},
		{"tcp4 df", tcpFrame(tcpSpec{sport: 1, seq: 7, flags: psh, id: 9, df: true, pl: data(2, 30000)}), mbuf.TxTCPSeg | mbuf.TxIPv4},
		{"tcp6", tcpFrame(tcpSpec{v6: true, sport: 1, seq: 7, flags: psh, pl: data(3, 60000)}), mbuf.TxTCPSeg | mbuf.TxIPv6},
		{"vxlan", vxlanOf(tcpFrame(tcpSpec{sport: 1, seq: 7, flags: psh, id: 100, pl: data(4, 60000)}), 500),
			mbuf.TxTCPSeg | mbuf.TxIPv4 | mbuf.TxOuterIPv4 | mbuf.TxTunnelVXLAN},
	} {
		for _, shuffled := range []bool{false, true} {
			segs := segmentsOf(t, p, c.big, c.fl, 1514)
			if shuffled {
				r.Shuffle(len(segs), func(i, j int) { segs[i], segs[j] = segs[j], segs[i] })
			}
			// Lightweight.
			b, err := NewBurst(Param{Types: AllTypes}, 64)
			if err != nil {
				t.Fatal(err)
			}
			n := b.Reassemble(segs)
			if n != 1 {
				t.Fatalf("%s shuffled=%v: %d packets out of %d segments", c.name, shuffled, n, len(segs))
			}
			if err := segs[0].Check(true); err != nil {
				t.Fatal(err)
			}
			if got := mbuftest.Bytes(segs[0]); !bytes.Equal(got, c.big) {
				t.Fatalf("%s shuffled=%v: merged packet differs from the original\n got % x\nwant % x", c.name, shuffled, got[:80], c.big[:80])
			}
			segs[0].Free(lc)
		}
	}
}

// IPv4 fragments of a UDP datagram (cut by ipfrag) merge into it.
func TestUDP4Fragments(t *testing.T) {
	p := newPools(t)
	u := make([]byte, proto.UDPLen+9000)
	copy(u[8:], data(7, 9000))
	proto.UDP(u).Encode(&proto.UDPFields{SrcPort: 1, DstPort: 2, Length: uint16(len(u))})
	ip := ipPkt(false, proto.IPProtoUDP, u, 77, false)
	whole := append(eth(proto.EtherTypeIPv4), ip...)
	m := p.big.Alloc(lc)
	copy(m.Append(len(ip)), ip)
	var out [16]*mbuf.Mbuf
	n, err := ipfrag.FragmentIPv4(m, out[:], 1500, p.direct, p.indirect, lc)
	m.Free(lc)
	if err != nil {
		t.Fatal(err)
	}
	var frags []*mbuf.Mbuf
	for _, f := range out[:n] {
		frags = append(frags, mbuftest.Packet(t, p.direct, append(eth(proto.EtherTypeIPv4), mbuftest.Bytes(f)...), 0))
		f.Free(lc)
	}
	// Hold back the middle fragment: two runs, each one packet.
	mid := frags[3]
	rest := append(append([]*mbuf.Mbuf{}, frags[:3]...), frags[4:]...)
	ctx, err := New(Param{Types: UDP4, MaxFlows: 4, MaxItemsPerFlow: 4})
	if err != nil {
		t.Fatal(err)
	}
	if k := ctx.Reassemble(rest, 10); k != 0 || ctx.Count() != 2 {
		t.Fatalf("%d handed back, %d held", k, ctx.Count())
	}
	if k := ctx.Reassemble([]*mbuf.Mbuf{mid}, 20); k != 0 || ctx.Count() != 1 {
		t.Fatalf("%d handed back, %d held", k, ctx.Count())
	}
	// Not old enough yet.
	var got [4]*mbuf.Mbuf
	if k := ctx.TimeoutFlush(15, 10, got[:]); k != 0 {
		t.Fatalf("flushed %d too early", k)
	}
	if k := ctx.TimeoutFlush(20, 10, got[:]); k != 1 {
		t.Fatalf("flushed %d, want 1", k)
	}
	if b := mbuftest.Bytes(got[0]); !bytes.Equal(b, whole) {
		t.Fatalf("merged datagram differs\n got % x\nwant % x", b[:48], whole[:48])
	}
	got[0].Free(lc)
}

func TestNoMerge(t *testing.T) {
	p := newPools(t)
	ack := proto.TCPFlagACK
	seg := func(s tcpSpec) tcpSpec {
		if s.pl == nil {
			s.pl = data(int(s.seq), 100)
		}
		if s.flags == 0 {
			s.flags = ack
		}
		return s
	}
	cases := []struct {
		name string
		pkts []tcpSpec
		want int // packets out
	}{
		{"consecutive", []tcpSpec{seg(tcpSpec{seq: 0, id: 1}), seg(tcpSpec{seq: 100, id: 2}), seg(tcpSpec{seq: 200, id: 3})}, 1},
		{"reversed", []tcpSpec{seg(tcpSpec{seq: 200, id: 3}), seg(tcpSpec{seq: 100, id: 2}), seg(tcpSpec{seq: 0, id: 1})}, 1},
		{"gap", []tcpSpec{seg(tcpSpec{seq: 0, id: 1}), seg(tcpSpec{seq: 200, id: 2})}, 2},
		{"two flows", []tcpSpec{seg(tcpSpec{seq: 0, id: 1}), seg(tcpSpec{sport: 9, seq: 100, id: 2}), seg(tcpSpec{seq: 100, id: 2}), seg(tcpSpec{sport: 9, seq: 200, id: 3})}, 2},
		{"ip id jump", []tcpSpec{seg(tcpSpec{seq: 0, id: 1}), seg(tcpSpec{seq: 100, id: 3})}, 2},
		{"ip id fixed with DF", []tcpSpec{seg(tcpSpec{seq: 0, id: 1, df: true}), seg(tcpSpec{seq: 100, id: 1, df: true})}, 1},
		{"DF differs", []tcpSpec{seg(tcpSpec{seq: 0, id: 1, df: true}), seg(tcpSpec{seq: 100, id: 2})}, 2},
		{"options differ", []tcpSpec{seg(tcpSpec{seq: 0, id: 1}), seg(tcpSpec{seq: 100, id: 2, opts: []byte{1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 2}})}, 2},
		{"FIN", []tcpSpec{seg(tcpSpec{seq: 0, id: 1}), seg(tcpSpec{seq: 100, id: 2, flags: ack | proto.TCPFlagFIN})}, 2},
		{"after PSH", []tcpSpec{seg(tcpSpec{seq: 0, id: 1, flags: ack | proto.TCPFlagPSH}), seg(tcpSpec{seq: 100, id: 2})}, 2},
		{"PSH last", []tcpSpec{seg(tcpSpec{seq: 0, id: 1}), seg(tcpSpec{seq: 100, id: 2, flags: ack | proto.TCPFlagPSH})}, 1},
		{"pure ACK", []tcpSpec{seg(tcpSpec{seq: 0, id: 1}), {seq: 100, id: 2, flags: ack, pl: []byte{}}}, 2},
		{"too big", []tcpSpec{seg(tcpSpec{seq: 0, id: 1, pl: data(0, 40000)}), seg(tcpSpec{seq: 40000, id: 2, pl: data(0, 30000)})}, 2},
		{"v4 and v6", []tcpSpec{seg(tcpSpec{seq: 0, id: 1}), seg(tcpSpec{v6: true, seq: 100})}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var pkts []*mbuf.Mbuf
			var stream []byte
			for _, s := range c.pkts {
				f := tcpFrame(s)
				pool := p.direct
				if len(f) > 2000 {
					pool = p.big
				}
				pkts = append(pkts, mbuftest.Packet(t, pool, f, 0))
				stream = append(stream, s.pl...)
			}
			b, err := NewBurst(Param{Types: AllTypes}, 32)
			if err != nil {
				t.Fatal(err)
			}
			n := b.Reassemble(pkts)
			carried := 0
			if n != c.want {
				t.Fatalf("%d packets out, want %d", n, c.want)
			}
			for _, m := range pkts[:n] {
				if err := m.Check(true); err != nil {
					t.Fatal(err)
				}
				f := mbuftest.Bytes(m)
				l3 := f[proto.EthernetLen:]
				var l4 int
				if l3[0]>>4 == 6 {
					l4 = proto.IPv6Len
					if proto.IPv6Len+proto.IPv6(l3).PayloadLen() != len(l3) {
						t.Fatal("bad IPv6 length")
					}
				} else {
					ip := proto.IPv4(l3)
					if !ip.IsValid() || ip.TotalLen() != len(l3) || !ip.IsChecksumValid() {
						t.Fatal("bad IPv4 header")
					}
					l4 = ip.HeaderLen()
				}
				var ps uint16
				if l4 == proto.IPv6Len {
					ps = proto.IPv6(l3).PseudoHeaderSum(proto.IPProtoTCP, len(l3)-l4)
				} else {
					ps = proto.IPv4(l3).PseudoHeaderSum(proto.IPProtoTCP, len(l3)-l4)
				}
				if !proto.TCP(l3[l4:]).IsChecksumValid(ps) {
					t.Fatal("bad TCP checksum")
				}
				carried += len(proto.TCP(l3[l4:]).Payload())
				m.Free(lc)
			}
			if carried != len(stream) {
				t.Fatalf("%d payload bytes out, %d in", carried, len(stream))
			}
		})
	}
}

// Odd-sized segments merge with a right checksum; a segment that arrived
// corrupt leaves the merged packet's checksum wrong (it is derived from
// the checksums received, not recomputed over the payload).
func TestChecksumFromSegments(t *testing.T) {
	p := newPools(t)
	for _, corrupt := range []bool{false, true} {
		var pkts []*mbuf.Mbuf
		seq := uint32(0)
		for i, n := range []int{101, 7, 1000, 33, 1} {
			f := tcpFrame(tcpSpec{seq: seq, flags: proto.TCPFlagACK, id: uint16(i), pl: data(i, n)})
			if corrupt && i == 2 {
				f[len(f)-5] ^= 0x40
			}
			pkts = append(pkts, mbuftest.Packet(t, p.direct, f, 0))
			seq += uint32(n)
		}
		// Out of order, so that prepends and joins are exercised too.
		pkts[0], pkts[3] = pkts[3], pkts[0]
		b, _ := NewBurst(Param{Types: TCP4}, 8)
		if n := b.Reassemble(pkts); n != 1 {
			t.Fatalf("%d packets", n)
		}
		f := mbuftest.Bytes(pkts[0])[proto.EthernetLen:]
		ip := proto.IPv4(f)
		ok := proto.TCP(f[20:]).IsChecksumValid(ip.PseudoHeaderSum(proto.IPProtoTCP, len(f)-20))
		if ok == corrupt {
			t.Fatalf("corrupt %v: checksum valid %v", corrupt, ok)
		}
		pkts[0].Free(lc)
	}
}

// Packets past the Burst's size are handed back as they are, after the
// others.
func TestBurstLongerThanMax(t *testing.T) {
	p := newPools(t)
	var pkts []*mbuf.Mbuf
	for i := range 6 {
		pkts = append(pkts, mbuftest.Packet(t, p.direct, tcpFrame(tcpSpec{seq: uint32(i * 100), flags: proto.TCPFlagACK, id: uint16(i), pl: data(i, 100)}), 0))
	}
	last := pkts[4:]
	l4, l5 := last[0], last[1]
	b, err := NewBurst(Param{Types: TCP4}, 4)
	if err != nil {
		t.Fatal(err)
	}
	n := b.Reassemble(pkts)
	if n != 3 || pkts[1] != l4 || pkts[2] != l5 || pkts[0].PktLen() != 14+20+32+400 {
		t.Fatalf("%d packets out (want 3: the merged 4, then the 2 past the burst)", n)
	}
	for _, m := range pkts[:n] {
		m.Free(lc)
	}
}
