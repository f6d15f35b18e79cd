// Command l2fwd is DPDK's L2 forwarding example in dpkit: every packet
// received on a port leaves by its paired port (0<->1, 2<->3, ...) with
// its Ethernet addresses rewritten (destination 02:00:00:00:00:<tx port>,
// source the tx port's address); each worker lcore polls its ports and the
// main lcore prints statistics every period.
//
//	go run ./examples/l2fwd -l 0-1 --no-huge --vdev net_null0 --vdev net_null1 -- -T 1
//
// Options after "--": -p PORTMASK (hex, default all), -q N (ports per
// lcore, default 1), -T SECONDS (statistics period, default 10, 0 = off),
// --no-mac-updating.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/mbuf"

	_ "github.com/dpkit/dpkit/driver/net/all"
)

const burstSize = 32

// portStats are one port's counters; each is written by one lcore.
type portStats struct {
	tx, rx, dropped atomic.Uint64
	_               [40]byte
}

func main() {
	var stop atomic.Bool
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sig
		fmt.Printf("\n\nSignal %d received, preparing to exit...\n", s.(syscall.Signal))
		stop.Store(true)
	}()
	if err := run(os.Args[1:], &stop, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "l2fwd:", err)
		os.Exit(1)
	}
}

func run(args []string, stop *atomic.Bool, out io.Writer) error {
	cfg, rest, err := eal.ParseArgs(args)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("l2fwd", flag.ContinueOnError)
	mask := fs.String("p", "", "hexadecimal bitmask of the ports to use (default all)")
	perLcore := fs.Int("q", 1, "rx ports per lcore")
	period := fs.Int("T", 10, "statistics period in seconds (0: off)")
	noMAC := fs.Bool("no-mac-updating", false, "forward without rewriting the Ethernet addresses")
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if err := eal.Init(cfg); err != nil {
		return err
	}
	defer eal.Cleanup()

	var ports []*ethdev.Port
	var pool *mbuf.Pool
	defer func() {
		for _, p := range ports {
			fmt.Fprintf(out, "Closing port %d...", p.ID())
			_ = p.Stop()
			_ = p.Close()
			fmt.Fprintln(out, " Done")
		}
		if pool == nil {
			return
		}
		if n := pool.InUse(); n != 0 {
			fmt.Fprintf(out, "WARNING: %d mbufs not returned to the pool\n", n)
			return
		}
		_ = pool.Close()
	}()
	for i, v := range cfg.Vdevs {
		if *mask != "" {
			m, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimPrefix(*mask, "0x"), "0X"), 16, 64)
			if err != nil {
				return fmt.Errorf("-p %q: not a hexadecimal mask", *mask)
			}
			if m&(1<<i) == 0 {
				continue
			}
		}
		p, err := ethdev.Open(v)
		if err != nil {
			return err
		}
		ports = append(ports, p)
	}
	if len(ports) == 0 || len(ports)%2 != 0 {
		return fmt.Errorf("need an even number of ports, have %d", len(ports))
	}
	workers := eal.WorkerLcores()
	need := (len(ports) + *perLcore - 1) / *perLcore
	if len(workers) < need {
		return fmt.Errorf("%d ports at %d per lcore need %d worker lcores, have %d", len(ports), *perLcore, need, len(workers))
	}
	pool, err = mbuf.NewPool(mbuf.PoolConfig{Name: "mbuf_pool", N: 8192 * len(ports), CacheSize: 256})
	if err != nil {
		return err
	}

	// Port i is polled by worker i / perLcore, which also sends on i^1.
	lcoreOf := func(i int) uint { return workers[i / *perLcore] }
	stats := make([]portStats, len(ports))
	for i, p := range ports {
		if err := p.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1}); err != nil {
			return err
		}
		if err := p.RxQueueSetup(0, 1024, pool, &ethdev.RxQueueConf{Lcore: lcoreOf(i)}); err != nil {
			return err
		}
		if err := p.TxQueueSetup(0, 1024, &ethdev.TxQueueConf{Lcore: lcoreOf(i ^ 1)}); err != nil {
			return err
		}
		if err := p.Start(); err != nil {
			return err
		}
		_ = p.SetPromisc(true)
		fmt.Fprintf(out, "Port %d, MAC address: %s\n\n", p.ID(), p.MAC())
	}

	for w := 0; w < need; w++ {
		mine := ports[w**perLcore : min((w+1)**perLcore, len(ports))]
		first := w * *perLcore
		err := eal.RemoteLaunch(workers[w], func(lcore uint) error {
			fmt.Fprintf(out, "entering main loop on lcore %d\n", lcore)
			var pkts [burstSize]*mbuf.Mbuf
			for !stop.Load() {
				for k, p := range mine {
					src := first + k
					dst := src ^ 1
					n := p.RxBurst(0, pkts[:])
					if n == 0 {
						continue
					}
					add(&stats[src].rx, n)
					if !*noMAC {
						rewriteMACs(pkts[:n], uint16(dst), ports[dst].MAC())
					}
					sent := ports[dst].TxBurst(0, pkts[:n])
					add(&stats[dst].tx, sent)
					if sent < n {
						add(&stats[dst].dropped, n-sent)
						mbuf.FreeBulk(lcore, pkts[sent:n])
					}
				}
			}
			return nil
		})
		if err != nil {
			stop.Store(true)
			eal.WaitAll()
			return err
		}
	}
	// The main lcore prints the statistics until told to stop.
	last := time.Now()
	for !stop.Load() {
		time.Sleep(10 * time.Millisecond)
		if *period > 0 && time.Since(last) >= time.Duration(*period)*time.Second {
			printStats(out, stats)
			last = time.Now()
		}
	}
	err = eal.WaitAll()
	printStats(out, stats)
	return err
}

func add(c *atomic.Uint64, n int) { c.Store(c.Load() + uint64(n)) }

// rewriteMACs sets the destination to 02:00:00:00:00:<port> and the
// source to the tx port's address.
func rewriteMACs(pkts []*mbuf.Mbuf, port uint16, src ethdev.MAC) {
	dst := [6]byte{0x02, 0, 0, 0, 0, byte(port)}
	for _, m := range pkts {
		if d := m.Data(); len(d) >= 12 {
			copy(d[0:6], dst[:])
			copy(d[6:12], src[:])
		}
	}
}

func printStats(out io.Writer, stats []portStats) {
	var tx, rx, dropped uint64
	fmt.Fprint(out, "\nPort statistics ====================================")
	for i := range stats {
		s := &stats[i]
		fmt.Fprintf(out, "\nStatistics for port %d ------------------------------"+
			"\nPackets sent: %24d\nPackets received: %20d\nPackets dropped: %21d",
			i, s.tx.Load(), s.rx.Load(), s.dropped.Load())
		tx += s.tx.Load()
		rx += s.rx.Load()
		dropped += s.dropped.Load()
	}
	fmt.Fprintf(out, "\nAggregate statistics ==============================="+
		"\nTotal packets sent: %18d\nTotal packets received: %14d\nTotal packets dropped: %15d", tx, rx, dropped)
	fmt.Fprint(out, "\n====================================================\n")
}
