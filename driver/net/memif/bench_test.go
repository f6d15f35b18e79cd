package memif_test

import (
	"testing"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/mbuf"
)

// BenchmarkTxRx: bursts of 32 64-byte packets from a client port to a
// server port in one goroutine (copy mode, or zero-copy on the client):
// the cost of both ends of the ring per packet, and 0 allocs.
func BenchmarkTxRx(b *testing.B) {
	for _, zc := range []bool{false, true} {
		name, extra := "copy", ""
		if zc {
			name, extra = "zerocopy", ",zero-copy=yes"
		}
		b.Run(name, func(b *testing.B) {
			mp := newSharedPool(b, "memif-bench-"+name, 8191)
			s := sock()
			srv := open(b, "net_memif0,role=server,id=1,socket="+s)
			cli := open(b, "net_memif1,role=client,id=1,socket="+s+extra)
			// One goroutine: lcore 0's mempool cache, as a polling lcore has.
			for _, p := range []*ethdev.Port{srv, cli} {
				if err := p.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1}); err != nil {
					b.Fatal(err)
				}
				if err := p.RxQueueSetup(0, 0, mp, &ethdev.RxQueueConf{Lcore: 0}); err != nil {
					b.Fatal(err)
				}
				if err := p.TxQueueSetup(0, 0, &ethdev.TxQueueConf{Lcore: 0}); err != nil {
					b.Fatal(err)
				}
				if err := p.Start(); err != nil {
					b.Fatal(err)
				}
			}
			waitLink(b, true, srv, cli)
			tx := make([]*mbuf.Mbuf, 32)
			rx := make([]*mbuf.Mbuf, 32)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if !mp.AllocBulk(0, tx) {
					b.Fatal("pool empty")
				}
				for _, m := range tx {
					m.Append(64)
				}
				n := cli.TxBurst(0, tx)
				mbuf.FreeBulk(0, tx[n:])
				for got := 0; got < n; {
					k := srv.RxBurst(0, rx)
					mbuf.FreeBulk(0, rx[:k])
					got += k
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/32, "ns/pkt")
		})
	}
}
