// Command skeleton is DPDK's basic forwarding example in dpkit: what port
// 0 receives goes out of port 1 and the other way round, on one lcore.
//
//	go run ./examples/skeleton --no-huge --vdev net_null0 --vdev net_null1
//
// Ctrl-C stops it and prints the packets forwarded each way.
package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/mbuf"

	_ "github.com/dpkit/dpkit/driver/net/all" // every driver, for --vdev
)

const (
	numMbufs  = 8191
	cacheSize = 250
	burstSize = 32
	ringSize  = 1024
)

func main() {
	var stop atomic.Bool
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	go func() { <-sig; stop.Store(true) }()
	if err := run(os.Args[1:], &stop, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "skeleton:", err)
		os.Exit(1)
	}
}

// run forwards until stop is set.
func run(args []string, stop *atomic.Bool, out io.Writer) error {
	cfg, _, err := eal.ParseArgs(args)
	if err != nil {
		return err
	}
	if len(cfg.Vdevs) != 2 {
		return fmt.Errorf("need exactly 2 ports (--vdev), have %d", len(cfg.Vdevs))
	}
	if err := eal.Init(cfg); err != nil {
		return err
	}
	defer eal.Cleanup()
	var ports []*ethdev.Port
	for _, v := range cfg.Vdevs {
		p, err := ethdev.Open(v)
		if err != nil {
			return err
		}
		ports = append(ports, p)
	}
	pool, err := mbuf.NewPool(mbuf.PoolConfig{Name: "MBUF_POOL", N: numMbufs, CacheSize: cacheSize})
	if err != nil {
		return err
	}
	lcore := eal.MainLcore()
	for _, p := range ports {
		if err := portInit(p, pool, lcore); err != nil {
			return err
		}
		m := p.MAC()
		fmt.Fprintf(out, "Port %d MAC: %s\n", p.ID(), m)
	}
	fmt.Fprintf(out, "Core %d forwarding packets. [Ctrl+C to quit]\n", lcore)

	var sent [2]uint64
	var pkts [burstSize]*mbuf.Mbuf
	for !stop.Load() {
		for i, p := range ports {
			n := p.RxBurst(0, pkts[:])
			if n == 0 {
				continue
			}
			k := ports[i^1].TxBurst(0, pkts[:n])
			mbuf.FreeBulk(lcore, pkts[k:n]) // what TX did not take
			sent[i] += uint64(k)
		}
	}
	for i := range ports {
		fmt.Fprintf(out, "port %d -> port %d: %d packets\n", i, i^1, sent[i])
	}
	for _, p := range ports {
		if err := p.Stop(); err != nil {
			return err
		}
		if err := p.Close(); err != nil {
			return err
		}
	}
	if n := pool.InUse(); n != 0 {
		return fmt.Errorf("%d mbufs not returned to the pool", n)
	}
	return pool.Close()
}

// portInit sets a port up with one rx and one tx queue, polled by lcore.
func portInit(p *ethdev.Port, pool *mbuf.Pool, lcore uint) error {
	if err := p.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1}); err != nil {
		return err
	}
	if err := p.RxQueueSetup(0, ringSize, pool, &ethdev.RxQueueConf{Lcore: lcore}); err != nil {
		return err
	}
	if err := p.TxQueueSetup(0, ringSize, &ethdev.TxQueueConf{Lcore: lcore}); err != nil {
		return err
	}
	if err := p.Start(); err != nil {
		return err
	}
	return p.SetPromisc(true)
}
