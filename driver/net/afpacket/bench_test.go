package afpacket_test

import (
	"fmt"
	"testing"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/internal/netns/netnstest"
	"github.com/dpkit/dpkit/mbuf"
)

// BenchmarkPortTxRx sends bursts of 32 64-byte packets from a port on one
// end of a veth and receives them on a port on the other end: the
// driver's copy paths plus the kernel's veth, per burst.
func BenchmarkPortTxRx(b *testing.B) {
	for _, v := range []int{2, 3} {
		b.Run(fmt.Sprintf("tpacket=%d", v), func(b *testing.B) {
			netnstest.Require(b)
			na, nb := netnstest.New(b), netnstest.New(b)
			va, vb := netnstest.NewVeth(b, na, nb)
			mp, err := mbuf.NewPool(mbuf.PoolConfig{Name: "afp-bench", N: 4095, CacheSize: 256, Huge: eal.HugeNever})
			if err != nil {
				b.Fatal(err)
			}
			defer mp.Close()
			var ports [2]*ethdev.Port
			for i, e := range []struct {
				ns    *netnstest.NS
				iface string
			}{{na, va}, {nb, vb}} {
				args := fmt.Sprintf("net_af_packet_b%d,iface=%s,qdisc_bypass=1,tpacket=%d", i, e.iface, v)
				if err := e.ns.Do(func() (err error) { ports[i], err = ethdev.Open(args); return err }); err != nil {
					b.Fatal(err)
				}
				p := ports[i]
				defer p.Close()
				defer p.Stop()
				if err := p.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1}); err != nil {
					b.Fatal(err)
				}
				if err := p.RxQueueSetup(0, 0, mp, &ethdev.RxQueueConf{Lcore: lc}); err != nil {
					b.Fatal(err)
				}
				if err := p.TxQueueSetup(0, 0, &ethdev.TxQueueConf{Lcore: lc}); err != nil {
					b.Fatal(err)
				}
				if err := p.Start(); err != nil {
					b.Fatal(err)
				}
			}
			f := ethFrame(64, 0x88b5, 1)
			tx := make([]*mbuf.Mbuf, 32)
			rx := make([]*mbuf.Mbuf, 32)
			recv := 0
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if !mp.AllocBulk(lc, tx) {
					b.Fatal("pool empty")
				}
				for _, m := range tx {
					copy(m.Append(64), f)
				}
				n := ports[0].TxBurst(0, tx)
				mbuf.FreeBulk(lc, tx[n:])
				n = ports[1].RxBurst(0, rx)
				recv += n
				mbuf.FreeBulk(lc, rx[:n])
			}
			b.StopTimer()
			b.ReportMetric(float64(recv)/b.Elapsed().Seconds()/1e6, "Mpps_rx")
			for n := ports[1].RxBurst(0, rx); n > 0; n = ports[1].RxBurst(0, rx) {
				mbuf.FreeBulk(lc, rx[:n])
			}
		})
	}
}
