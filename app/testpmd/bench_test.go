package testpmd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/mbuf"
)

// nullPair opens two started net_null ports, queues polled by testLcore.
func nullPair(tb testing.TB, pool *mbuf.Pool) (*ethdev.Port, *ethdev.Port) {
	tb.Helper()
	var ps [2]*ethdev.Port
	for i := range ps {
		p, err := ethdev.Open(fmt.Sprintf("net_null%d", 90+i))
		if err != nil {
			tb.Fatal(err)
		}
		if err := p.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1}); err != nil {
			tb.Fatal(err)
		}
		if err := p.RxQueueSetup(0, 0, pool, &ethdev.RxQueueConf{Lcore: testLcore}); err != nil {
			tb.Fatal(err)
		}
		if err := p.TxQueueSetup(0, 0, &ethdev.TxQueueConf{Lcore: testLcore}); err != nil {
			tb.Fatal(err)
		}
		if err := p.Start(); err != nil {
			tb.Fatal(err)
		}
		ps[i] = p
		tb.Cleanup(func() {
			_ = p.Stop()
			_ = p.Close()
		})
	}
	return ps[0], ps[1]
}

// BenchmarkFwdNull is one iteration of the forwarding loop over two
// net_null ports (both streams), the scenario of bench/vs-dpdk-testpmd.sh
// on one goroutine.
func BenchmarkFwdNull(b *testing.B) {
	for _, c := range []struct {
		name   string
		direct bool
	}{{"io", true}, {"io_iface", false}, {"macswap", true}, {"txonly", true}} {
		name, direct := strings.TrimSuffix(c.name, "_iface"), c.direct
		b.Run(c.name, func(b *testing.B) {
			e, _ := LookupEngine(name)
			pool := newTestPool(b, 4096)
			p0, p1 := nullPair(b, pool)
			params := DefaultFwdParams()
			mk := func(rx, tx *ethdev.Port) *Stream {
				s := &Stream{Rx: &portRx{rx, 0}, Tx: &portTx{tx, 0}, Lcore: testLcore, Pool: pool, Burst: 32, Params: &params}
				if direct {
					s.rxPort, s.txPort = rx, tx
				}
				if e.Begin != nil {
					if err := e.Begin(s); err != nil {
						b.Fatal(err)
					}
				}
				return s
			}
			streams := []*Stream{mk(p0, p1), mk(p1, p0)}
			b.ReportAllocs()
			for b.Loop() {
				for _, s := range streams {
					e.Fwd(s)
				}
			}
			var n uint64
			for _, s := range streams {
				n += s.Stats().TxPackets
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/pkt")
		})
	}
}

// TestFwdNullNoAlloc: the forwarding loop over real ports allocates
// nothing.
func TestFwdNullNoAlloc(t *testing.T) {
	pool := newTestPool(t, 4096)
	p0, p1 := nullPair(t, pool)
	params := DefaultFwdParams()
	for _, e := range engines {
		s := &Stream{Rx: &portRx{p0, 0}, Tx: &portTx{p1, 0}, Lcore: testLcore, Pool: pool, Burst: 32, Params: &params,
			rxPort: p0, txPort: p1}
		if e.Begin != nil {
			if err := e.Begin(s); err != nil {
				t.Fatal(err)
			}
		}
		if a := testing.AllocsPerRun(100, func() { e.Fwd(s) }); a != 0 {
			t.Errorf("%s over net_null: %v allocations per iteration", e.Name, a)
		}
	}
}
