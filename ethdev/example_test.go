package ethdev_test

import (
	"fmt"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/mbuf"
)

// A port's whole life: open by devargs, configure, set up one queue pair,
// start, receive and send a burst, stop, close.
func Example() {
	pool, err := mbuf.NewPool(mbuf.PoolConfig{Name: "example", N: 1023, CacheSize: 32, Huge: eal.HugeNever})
	if err != nil {
		panic(err)
	}
	defer pool.Close()

	p, err := ethdev.Open("net_null_example,size=60") // driver/net/null, imported for its side effect
	if err != nil {
		panic(err)
	}
	if err := p.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1}); err != nil {
		panic(err)
	}
	const lcore = 0
	if err := p.RxQueueSetup(0, 512, pool, &ethdev.RxQueueConf{Lcore: lcore}); err != nil {
		panic(err)
	}
	if err := p.TxQueueSetup(0, 512, &ethdev.TxQueueConf{Lcore: lcore}); err != nil {
		panic(err)
	}
	if err := p.Start(); err != nil {
		panic(err)
	}

	var pkts [32]*mbuf.Mbuf
	n := p.RxBurst(0, pkts[:])
	sent := p.TxBurst(0, pkts[:n])
	mbuf.FreeBulk(lcore, pkts[sent:n]) // what TxBurst did not take is still ours

	st := p.Stats()
	fmt.Println(p.Name(), p.Link(), "rx", st.IPackets, st.IBytes, "tx", st.OPackets)

	if err := p.Stop(); err != nil {
		panic(err)
	}
	if err := p.Close(); err != nil {
		panic(err)
	}
	// Output: net_null_example up, 10000 Mbps, full-duplex rx 32 1920 tx 32
}
