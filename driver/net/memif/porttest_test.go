package memif_test

import (
	"sync"
	"testing"
	"time"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/ethdev/porttest"
	"github.com/dpkit/dpkit/mbuf"
)

// peers maps a port under test to the dpkit port at the other end of its
// memif connection, which injects and observes its traffic.
var peers sync.Map // *ethdev.Port -> peer

type peer struct {
	port *ethdev.Port
	pool *mbuf.Pool
}

// conformance runs the suite on ports of role (the peer takes the other
// role), each with a fresh peer of 4 queues on a fresh socket.
func conformance(t *testing.T, role, peerRole string) {
	porttest.Run(t, porttest.Config{
		Queues: 4,
		Open: func(t *testing.T) *ethdev.Port {
			s := sock()
			peerPool, err := mbuf.NewPool(mbuf.PoolConfig{Name: "memif-peer-" + s, N: 4095, CacheSize: 0, Huge: eal.HugeNever})
			if err != nil {
				t.Fatal(err)
			}
			pp, err := ethdev.Open("net_memif9,role=" + peerRole + ",id=1,socket=" + s)
			if err != nil {
				t.Fatal(err)
			}
			setup(t, pp, 4, peerPool)
			p, err := ethdev.Open("net_memif0,role=" + role + ",id=1,socket=" + s)
			if err != nil {
				t.Fatal(err)
			}
			peers.Store(p, peer{pp, peerPool})
			t.Cleanup(func() {
				pp.Stop()
				pp.Close()
				peers.Delete(p)
				if err := peerPool.Close(); err != nil {
					t.Error(err)
				}
			})
			return p
		},
		Inject: func(t *testing.T, p *ethdev.Port, q uint16, frame []byte) {
			v, _ := peers.Load(p)
			pr := v.(peer)
			waitLink(t, true, pr.port)
			send(t, pr.port, q, pr.pool, [][]byte{frame})
		},
		Observe: func(t *testing.T, p *ethdev.Port, want int) [][]byte {
			v, _ := peers.Load(p)
			po := v.(peer).port
			var out [][]byte
			pkts := make([]*mbuf.Mbuf, 32)
			for end := time.Now().Add(time.Second); len(out) < want && time.Now().Before(end); {
				for q := range uint16(4) {
					n := po.RxBurst(q, pkts)
					for _, m := range pkts[:n] {
						b := make([]byte, m.PktLen())
						m.CopyTo(b)
						out = append(out, b)
					}
					mbuf.FreeBulk(lc, pkts[:n])
				}
			}
			return out
		},
	})
}

func TestConformanceClient(t *testing.T) { conformance(t, "client", "server") }
func TestConformanceServer(t *testing.T) { conformance(t, "server", "client") }
