package ethdev_test

import (
	"testing"

	netring "github.com/dpkit/dpkit/driver/net/ring"
	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/mbuf"
)

const burst = 32

// BenchmarkIOFwdNull is io forwarding between two net_null ports, as
// testpmd's io engine: a burst of 32 from p0 to p1 and one from p1 to p0
// per op (rx generates, tx frees).
func BenchmarkIOFwdNull(b *testing.B) {
	mp := newPool(b, 8191)
	p0 := open(b, "net_null_bench0")
	p1 := open(b, "net_null_bench1")
	start(b, p0, ethdev.Config{RxQueues: 1, TxQueues: 1}, mp, lc)
	start(b, p1, ethdev.Config{RxQueues: 1, TxQueues: 1}, mp, lc)
	ioFwd(b, p0, p1)
}

// BenchmarkIOFwdRing is the same between the two ports of a net_ring
// pair: 32 packets circulate in each direction.
func BenchmarkIOFwdRing(b *testing.B) {
	mp := newPool(b, 8191)
	p0, p1, err := netring.NewPair("bench_a", "bench_b")
	if err != nil {
		b.Fatal(err)
	}
	cleanup(b, p0)
	cleanup(b, p1)
	start(b, p0, ethdev.Config{RxQueues: 1, TxQueues: 1}, mp, lc)
	start(b, p1, ethdev.Config{RxQueues: 1, TxQueues: 1}, mp, lc)
	for _, p := range []*ethdev.Port{p0, p1} { // tx_first
		pkts := make([]*mbuf.Mbuf, burst)
		if !mp.AllocBulk(lc, pkts) {
			b.Fatal("pool empty")
		}
		for _, m := range pkts {
			m.Append(64)
		}
		p.TxBurst(0, pkts)
	}
	ioFwd(b, p0, p1)
}

func ioFwd(b *testing.B, p0, p1 *ethdev.Port) {
	var pkts [burst]*mbuf.Mbuf
	fwd := func(rx, tx *ethdev.Port) int {
		n := rx.RxBurst(0, pkts[:])
		s := tx.TxBurst(0, pkts[:n])
		if s < n {
			mbuf.FreeBulk(lc, pkts[s:n])
		}
		return n
	}
	b.ReportAllocs()
	b.ResetTimer()
	total := 0
	for b.Loop() {
		total += fwd(p0, p1)
		total += fwd(p1, p0)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(total), "ns/pkt")
}

// BenchmarkDispatch measures what the port layer adds to a burst: a
// queue that returns at once, called through Port.RxBurst / TxBurst,
// against the same calls on the driver's queue directly (net_null with
// no-rx: rx returns 0, tx of an empty slice frees nothing).
func BenchmarkDispatch(b *testing.B) {
	mp := newPool(b, 255)
	p := open(b, "net_null_dispatch,no-rx=1")
	start(b, p, ethdev.Config{RxQueues: 1, TxQueues: 1}, mp, lc)
	var pkts [burst]*mbuf.Mbuf
	b.Run("port", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p.RxBurst(0, pkts[:])
			p.TxBurst(0, pkts[:0])
		}
	})
	b.Run("direct", func(b *testing.B) {
		rq, tq := ethdev.DriverQueues(p, 0)
		b.ReportAllocs()
		for b.Loop() {
			rq.RxBurst(pkts[:])
			tq.TxBurst(pkts[:0])
		}
	})
}
