package gro

import (
	"testing"

	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

// burstOf returns n frames of flows TCP segments of 1448 bytes each,
// consecutive per flow, the flows interleaved.
func burstOf(n, flows int, v6 bool) [][]byte {
	fr := make([][]byte, n)
	pl := data(0, 1448)
	for i := range fr {
		f := i % flows
		k := i / flows
		fr[i] = tcpFrame(tcpSpec{v6: v6, sport: uint16(1000 + f), seq: uint32(k * 1448), flags: proto.TCPFlagACK, id: uint16(k), pl: pl})
	}
	return fr
}

// refill copies the frames into the mbufs (fresh packets for each round).
func refill(p *mbuf.Pool, ms []*mbuf.Mbuf, frames [][]byte) {
	if !p.AllocBulk(lc, ms) {
		panic("pool empty")
	}
	for i, m := range ms {
		copy(m.Append(len(frames[i])), frames[i])
	}
}

func TestNoAllocs(t *testing.T) {
	p := newPools(t)
	frames := burstOf(32, 4, false)
	b, err := NewBurst(Param{Types: AllTypes}, 32)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Param{Types: AllTypes, MaxFlows: 8, MaxItemsPerFlow: 4})
	if err != nil {
		t.Fatal(err)
	}
	ms := make([]*mbuf.Mbuf, 32)
	var out [32]*mbuf.Mbuf
	a := testing.AllocsPerRun(100, func() {
		refill(p.direct, ms, frames)
		n := b.Reassemble(ms)
		if n != 4 {
			t.Fatalf("%d packets", n)
		}
		mbuf.FreeBulk(lc, ms[:n])
		refill(p.direct, ms, frames)
		n = c.Reassemble(ms, 1)
		k := c.TimeoutFlush(2, 0, out[:])
		mbuf.FreeBulk(lc, ms[:n])
		mbuf.FreeBulk(lc, out[:k])
	})
	if a != 0 {
		t.Fatalf("%.1f allocs per round", a)
	}
}

// benchBurst merges bursts of 32 segments of flows TCP flows; the time
// includes copying the 32 frames into fresh mbufs (BenchmarkRefill alone).
func benchBurst(b *testing.B, flows int, v6 bool) {
	p := newPools(b)
	frames := burstOf(32, flows, v6)
	g, err := NewBurst(Param{Types: AllTypes}, 32)
	if err != nil {
		b.Fatal(err)
	}
	ms := make([]*mbuf.Mbuf, 32)
	b.ReportAllocs()
	for b.Loop() {
		refill(p.direct, ms, frames)
		n := g.Reassemble(ms)
		mbuf.FreeBulk(lc, ms[:n])
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/32, "ns/packet")
}

func BenchmarkBurstTCP4x1(b *testing.B) { benchBurst(b, 1, false) }
func BenchmarkBurstTCP4x4(b *testing.B) { benchBurst(b, 4, false) }
func BenchmarkBurstTCP6x4(b *testing.B) { benchBurst(b, 4, true) }

// BenchmarkRefill is the copying part of the burst benchmarks.
func BenchmarkRefill(b *testing.B) {
	p := newPools(b)
	frames := burstOf(32, 4, false)
	ms := make([]*mbuf.Mbuf, 32)
	b.ReportAllocs()
	for b.Loop() {
		refill(p.direct, ms, frames)
		mbuf.FreeBulk(lc, ms)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/32, "ns/packet")
}
