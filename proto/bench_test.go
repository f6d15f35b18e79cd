package proto

import (
	"fmt"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/mbuf"
)

// benchPackets are the packets the parse benchmarks (and the
// app/bench proto figures) use: a plain TCP/IPv4 packet and a
// VXLAN-tunnelled TCP/IPv4 one, both dpkit-built.
func benchPackets() (tcp4, vxlan []byte) {
	tcp4 = build(buildSpec{l4: "tcp", payload: 64})
	vxlan = build(buildSpec{tunnel: "vxlan", l4: "tcp", payload: 64})
	return tcp4, vxlan
}

var sinkPT uint32
var sinkLens HdrLens

func BenchmarkGetPtype(b *testing.B) {
	tcp4, vxlan := benchPackets()
	for _, c := range []struct {
		name string
		pkt  []byte
	}{
		{"tcp4", tcp4}, {"vxlan", vxlan},
		{"qinq-v6-geneve-eth-v6-udp", build(buildSpec{vlans: 2, v6: true, tunnel: "geneve-eth", iv6: true, l4: "udp", payload: 64})},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				pt, h := GetPtype(c.pkt)
				sinkPT += pt + uint32(h.Total())
			}
		})
	}
}

// BenchmarkParsePtype is the hot-loop form: the lengths go into a
// HdrLens the caller keeps, with no struct copy (GetPtype's copy of a
// seven-field struct costs store-forwarding stalls; compare the two).
func BenchmarkParsePtype(b *testing.B) {
	tcp4, vxlan := benchPackets()
	for _, c := range []struct {
		name string
		pkt  []byte
	}{
		{"tcp4", tcp4}, {"vxlan", vxlan},
		{"qinq-v6-geneve-eth-v6-udp", build(buildSpec{vlans: 2, v6: true, tunnel: "geneve-eth", iv6: true, l4: "udp", payload: 64})},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var h HdrLens
			for b.Loop() {
				// Read fields, as a user does: h.Total() has a value
				// receiver, and the compiler copies h for it (with
				// the same stall as GetPtype's copy).
				pt := ParsePtype(c.pkt, &h)
				sinkPT += pt + uint32(h.L2+h.L3+h.L4+h.InnerL3+h.InnerL4)
			}
		})
	}
}

// BenchmarkGopacket decodes the same packets with gopacket's
// DecodingLayerParser (caller-owned layer structs, no per-packet
// allocation: its fastest mode), for the side-by-side figure.
func BenchmarkGopacket(b *testing.B) {
	tcp4, vxlan := benchPackets()
	var (
		eth layers.Ethernet
		ip4 layers.IPv4
		tcp layers.TCP
		udp layers.UDP
		vx  layers.VXLAN
	)
	// One parser decodes the whole VXLAN packet: VXLAN's next layer is
	// Ethernet, which it decodes again into eth (DecodingLayerParser
	// holds one struct per layer type, so the inner layers overwrite the
	// outer ones; the work is all done).
	p := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4, &tcp, &udp, &vx)
	p.IgnoreUnsupported = true
	decoded := make([]gopacket.LayerType, 0, 8)
	b.Run("tcp4", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = p.DecodeLayers(tcp4, &decoded)
		}
	})
	b.Run("vxlan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = p.DecodeLayers(vxlan, &decoded)
		}
	})
}

// TestGopacketAgrees makes sure the gopacket side of the benchmark does
// the work it is timed for: it decodes every layer of both packets.
func TestGopacketAgrees(t *testing.T) {
	tcp4, vxlan := benchPackets()
	var (
		eth layers.Ethernet
		ip4 layers.IPv4
		tcp layers.TCP
		udp layers.UDP
		vx  layers.VXLAN
	)
	p := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4, &tcp, &udp, &vx)
	p.IgnoreUnsupported = true
	var decoded []gopacket.LayerType
	if err := p.DecodeLayers(tcp4, &decoded); err != nil || fmt.Sprint(decoded) != "[Ethernet IPv4 TCP]" {
		t.Fatalf("tcp4: %v %v", decoded, err)
	}
	if err := p.DecodeLayers(vxlan, &decoded); err != nil || fmt.Sprint(decoded) != "[Ethernet IPv4 UDP VXLAN Ethernet IPv4 TCP]" || vx.VNI != 0xabcdef {
		t.Fatalf("vxlan: %v %v vni %x", decoded, err, vx.VNI)
	}
	pt, h := GetPtype(vxlan)
	if want := mbuf.PtypeL2Ether | mbuf.PtypeL3IPv4 | mbuf.PtypeL4UDP | mbuf.PtypeTunnelVXLAN |
		mbuf.PtypeInnerL2Ether | mbuf.PtypeInnerL3IPv4 | mbuf.PtypeInnerL4TCP; pt != want {
		t.Fatalf("dpkit: %s", mbuf.PtypeString(pt))
	}
	if int(h.InnerL4) != int(tcp.DataOffset)*4 || int(h.InnerL3) != int(ip4.IHL)*4 {
		t.Fatalf("dpkit lens %+v, gopacket inner TCP offset %d", h, tcp.DataOffset)
	}
}

var sinkSum uint16

// BenchmarkChecksum: the raw sum over the sizes and alignments of DPDK's
// cksum_perf_autotest.
func BenchmarkChecksum(b *testing.B) {
	buf := make([]byte, 4096)
	for i := range buf {
		buf[i] = byte(i)
	}
	for _, n := range []int{20, 21, 100, 101, 1500, 1501} {
		for _, align := range []int{0, 1} {
			name := fmt.Sprintf("%d/aligned", n)
			if align == 1 {
				name = fmt.Sprintf("%d/unaligned", n)
			}
			p := buf[align : align+n]
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(n))
				for b.Loop() {
					sinkSum = Checksum(p, 0)
				}
			})
		}
	}
}

func BenchmarkChecksumRef1500(b *testing.B) {
	buf := make([]byte, 1500)
	b.SetBytes(1500)
	for b.Loop() {
		sinkSum = checksumRef(buf, 0)
	}
}

func BenchmarkChecksumMbuf(b *testing.B) {
	p := newPool(b, 2048)
	pkt := make([]byte, 1500)
	m := mbuftest.Chain(b, p, split(pkt, 501, 1001)...)
	defer m.Free(lc)
	b.ReportAllocs()
	b.SetBytes(1500)
	for b.Loop() {
		sinkSum, _ = ChecksumMbuf(m, 0, 1500, 0)
	}
}

func BenchmarkCRC32C1500(b *testing.B) {
	buf := make([]byte, 1500)
	b.SetBytes(1500)
	for b.Loop() {
		sinkPT = CRC32C(0, buf)
	}
}

func BenchmarkSetPtype(b *testing.B) {
	p := newPool(b, 2048)
	_, vx := benchPackets()
	m := mbuftest.Chain(b, p, vx)
	defer m.Free(lc)
	b.ReportAllocs()
	for b.Loop() {
		sinkLens = SetPtype(m)
	}
}

// TestNoAllocs holds the hot paths to zero allocations.
func TestNoAllocs(t *testing.T) {
	p := newPool(t, 2048)
	tcp4, vx := benchPackets()
	m := mbuftest.Chain(t, p, split(vx, 40, 60)...) // headers across segments
	defer m.Free(lc)
	v6 := build(buildSpec{v6: true, l4: "udp", payload: 100})
	m6 := mbuftest.Chain(t, p, split(v6, 60)...)
	defer m6.Free(lc)
	ip := IPv4(tcp4[EthernetLen:])
	tcp := TCP(ip.Payload())
	for name, f := range map[string]func(){
		"GetPtype":                  func() { sinkPT, sinkLens = GetPtype(vx) },
		"ParsePtype":                func() { sinkPT = ParsePtype(vx, &sinkLens) },
		"ParsePtypeMbuf (chain)":    func() { sinkPT = ParsePtypeMbuf(m, &sinkLens) },
		"GetPtypeMbuf (chain)":      func() { sinkPT, sinkLens = GetPtypeMbuf(m) },
		"SetPtype":                  func() { sinkLens = SetPtype(m) },
		"Checksum":                  func() { sinkSum = Checksum(tcp4, 0) },
		"ChecksumMbuf":              func() { sinkSum, _ = ChecksumMbuf(m, 0, m.PktLen(), 0) },
		"VerifyL4ChecksumMbuf":      func() { _, _ = VerifyL4ChecksumMbuf(m, 14, 34, IPProtoUDP) },
		"VerifyL4ChecksumMbuf IPv6": func() { _, _ = VerifyL4ChecksumMbuf(m6, 14, 54, IPProtoUDP) },
		"IPv4 setters":              func() { ip.SetTTL(ip.TTL() - 1); _ = ip.Src(); _ = ip.Dst() },
		"TCP checksum":              func() { sinkSum = tcp.CalculateChecksum(ip.PseudoHeaderSum(IPProtoTCP, len(tcp))) },
		"SCTP CRC":                  func() { sinkPT = SCTP(tcp).CalculateChecksum() },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocs per run, want 0", name, n)
		}
	}
}
