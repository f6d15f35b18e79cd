package gso

import (
	"testing"

	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

func benchSetup(t testing.TB, v6 bool, vxlan bool) (pools, *mbuf.Mbuf) {
	p := newPools(t)
	pkt := cat(eth(etherType(v6)), tcpIP(v6, 1, proto.TCPFlagACK, data(64000)))
	fl := mbuf.TxTCPSeg | mbuf.TxIPv4
	if v6 {
		fl = mbuf.TxTCPSeg | mbuf.TxIPv6
	}
	if vxlan {
		pkt = vxlanOf(false, pkt)
		fl |= mbuf.TxOuterIPv4 | mbuf.TxTunnelVXLAN
	}
	m := mbuftest.Packet(t, p.big, pkt, 0)
	proto.SetPtype(m)
	m.SetOlFlags(fl)
	return p, m
}

func TestNoAllocs(t *testing.T) {
	for _, vx := range []bool{false, true} {
		p, m := benchSetup(t, false, vx)
		ctx := Context{Direct: p.direct, Indirect: p.indirect, Size: 1514}
		var out [64]*mbuf.Mbuf
		a := testing.AllocsPerRun(50, func() {
			n, err := ctx.Segment(m, out[:], lc)
			if err != nil {
				t.Fatal(err)
			}
			mbuf.FreeBulk(lc, out[:n])
		})
		m.Free(lc)
		if a != 0 {
			t.Fatalf("vxlan %v: %.1f allocs per Segment", vx, a)
		}
	}
}

func benchSegment(b *testing.B, v6, vxlan, offload bool) {
	p, m := benchSetup(b, v6, vxlan)
	defer m.Free(lc)
	ctx := Context{Direct: p.direct, Indirect: p.indirect, Size: 1514, OffloadChecksums: offload}
	var out [64]*mbuf.Mbuf
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		var err error
		n, err = ctx.Segment(m, out[:], lc)
		if err != nil {
			b.Fatal(err)
		}
		mbuf.FreeBulk(lc, out[:n])
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/segment")
}

// 64000 bytes of TCP payload into 1514-byte frames (44 segments).
func BenchmarkSegmentTCP4(b *testing.B)           { benchSegment(b, false, false, false) }
func BenchmarkSegmentTCP4NoChecksum(b *testing.B) { benchSegment(b, false, false, true) }
func BenchmarkSegmentTCP6(b *testing.B)           { benchSegment(b, true, false, false) }
func BenchmarkSegmentVXLAN(b *testing.B)          { benchSegment(b, false, true, false) }
