package bench

import (
	"fmt"
	"io"
	"time"

	_ "github.com/dpkit/dpkit/driver/net/null"
	netring "github.com/dpkit/dpkit/driver/net/ring"
	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/mbuf"
)

func init() {
	Register(Benchmark{
		Name:    "ethdev",
		Summary: "port fast path on net_null and net_ring (DPDK's pmd_perf_autotest loop, testpmd io forwarding)",
		Run:     Ethdev,
	})
}

// Ethdev runs the port fast path on a worker lcore and reports:
//
//	ethdev_null_rxtx_cycles_per_pkt  DPDK 22.11 pmd_perf_autotest's measure_rxtx
//	                                 loop on two net_null ports: per port, rx a
//	                                 burst of 32, tx it back on the same port;
//	                                 TSC cycles / packets received
//	ethdev_null_iofwd_mpps           testpmd's io engine, one lcore, burst 32,
//	ethdev_ring_iofwd_mpps           streams p0->p1 and p1->p0 (net_null ports,
//	                                 or two loopback net_ring ports primed with a
//	                                 burst each, as --tx-first); millions of
//	                                 packets received per second, both ports
func Ethdev(w io.Writer, opt Options) error {
	stop, err := startLcores(opt)
	if err != nil {
		return err
	}
	defer stop()
	workers := eal.WorkerLcores()
	lcore := eal.MainLcore()
	if len(workers) > 0 {
		lcore = workers[0]
	}
	Notice(w, "ethdev: lcore %d, TSC %.3f GHz", lcore, float64(eal.TSCHz())/1e9)
	run := func(fn func(lcore uint) error) error {
		if lcore == eal.MainLcore() {
			return fn(lcore)
		}
		if err := eal.RemoteLaunch(lcore, fn); err != nil {
			return err
		}
		return eal.Wait(lcore)
	}
	if name := "ethdev_null_rxtx_cycles_per_pkt"; opt.Want(name) {
		if err := run(func(lc uint) error { return pmdPerfNull(w, opt, name, lc) }); err != nil {
			return err
		}
	}
	dur := 2 * time.Second
	if opt.Quick {
		dur = 200 * time.Millisecond
	}
	if opt.Time > 0 {
		dur = opt.Time
	}
	for _, kind := range []string{"null", "ring"} {
		name := "ethdev_" + kind + "_iofwd_mpps"
		if !opt.Want(name) {
			continue
		}
		if err := run(func(lc uint) error { return ioFwdBench(w, name, kind, dur, lc) }); err != nil {
			return err
		}
	}
	return nil
}

// benchPorts opens and starts two ports of a kind on lcore lc.
func benchPorts(kind string, mp *mbuf.Pool, lc uint) (ps [2]*ethdev.Port, closeAll func(), err error) {
	closeAll = func() {
		for _, p := range ps {
			if p != nil {
				if p.State() == ethdev.StateStarted {
					_ = p.Stop()
				}
				_ = p.Close()
			}
		}
	}
	switch kind {
	case "null":
		for i := range ps {
			if ps[i], err = ethdev.Open(fmt.Sprintf("net_null_bench%d", i)); err != nil {
				closeAll()
				return ps, nil, err
			}
		}
	case "ring":
		for i := range ps {
			if ps[i], err = ethdev.Open(fmt.Sprintf("net_ring_bench%d", i)); err != nil {
				closeAll()
				return ps, nil, err
			}
		}
	case "pair":
		if ps[0], ps[1], err = netring.NewPair("bench_pair0", "bench_pair1"); err != nil {
			return ps, nil, err
		}
	}
	for _, p := range ps {
		if err := p.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1}); err != nil {
			closeAll()
			return ps, nil, err
		}
		if err := p.RxQueueSetup(0, 0, mp, &ethdev.RxQueueConf{Lcore: lc}); err != nil {
			closeAll()
			return ps, nil, err
		}
		if err := p.TxQueueSetup(0, 0, &ethdev.TxQueueConf{Lcore: lc}); err != nil {
			closeAll()
			return ps, nil, err
		}
		if err := p.Start(); err != nil {
			closeAll()
			return ps, nil, err
		}
	}
	return ps, closeAll, nil
}

// benchPool is pmd_perf's pool: 8192 mbufs, cache 250, default buffers.
func benchPool(name string) (*mbuf.Pool, error) {
	return mbuf.NewPool(mbuf.PoolConfig{Name: name, N: 8192, CacheSize: 250})
}

// pmdPerfNull is measure_rxtx of DPDK's test_pmd_perf.c on two net_null
// ports: prime each port with 2048 packets (tx), then loop over the ports,
// rx 32 and tx them back on the same port, until 2 s of 10 Gbps line rate
// per port have been received (59,523,808 packets; /64 with Quick).
func pmdPerfNull(w io.Writer, opt Options, name string, lc uint) error {
	mp, err := benchPool("ethdev-pmdperf")
	if err != nil {
		return err
	}
	defer mp.Close()
	ps, closeAll, err := benchPorts("null", mp, lc)
	if err != nil {
		return err
	}
	defer closeAll()
	prime := make([]*mbuf.Mbuf, 32)
	for _, p := range ps {
		for left := 2048; left > 0; {
			k := min(32, left)
			if !mp.AllocBulk(lc, prime[:k]) {
				return fmt.Errorf("%s: pool empty while priming", name)
			}
			for _, m := range prime[:k] {
				m.Append(64)
			}
			s := p.TxBurst(0, prime[:k])
			mbuf.FreeBulk(lc, prime[s:k])
			left -= k
		}
	}
	perPort := uint64(10000) * 1000 * 1000 / ((64 + 12 + 8) * 8) // 14880952
	total := 2 * uint64(len(ps)) * perPort
	if opt.Quick {
		total /= 64
	}
	var pkts [32]*mbuf.Mbuf
	var count, drop uint64
	start := eal.Rdtsc()
	for count < total {
		for _, p := range ps {
			n := p.RxBurst(0, pkts[:])
			if n == 0 {
				continue
			}
			count += uint64(n)
			s := p.TxBurst(0, pkts[:n])
			if s < n {
				drop += uint64(n - s)
				mbuf.FreeBulk(lc, pkts[s:n])
			}
		}
	}
	cycles := eal.Rdtsc() - start
	Notice(w, "%s: %d packets, %d dropped", name, count, drop)
	Report(w, name, float64(cycles)/float64(count), "cycles")
	return nil
}

// ioFwdBench is testpmd's io forwarding on one lcore between two ports.
func ioFwdBench(w io.Writer, name, kind string, dur time.Duration, lc uint) error {
	mp, err := benchPool("ethdev-iofwd-" + kind)
	if err != nil {
		return err
	}
	defer mp.Close()
	ps, closeAll, err := benchPorts(kind, mp, lc)
	if err != nil {
		return err
	}
	defer closeAll()
	var pkts [32]*mbuf.Mbuf
	if kind == "ring" { // --tx-first: one burst per port
		for _, p := range ps {
			if !mp.AllocBulk(lc, pkts[:]) {
				return fmt.Errorf("%s: pool empty", name)
			}
			for _, m := range pkts {
				m.Append(64)
			}
			s := p.TxBurst(0, pkts[:])
			mbuf.FreeBulk(lc, pkts[s:])
		}
	}
	fwd := func(rx, tx *ethdev.Port) uint64 {
		n := rx.RxBurst(0, pkts[:])
		s := tx.TxBurst(0, pkts[:n])
		if s < n {
			mbuf.FreeBulk(lc, pkts[s:n])
		}
		return uint64(n)
	}
	// Warm up for 200 ms (the CPU may have idled), then measure.
	for t0 := eal.Nanotime(); eal.Nanotime()-t0 < 200e6; {
		for range 1024 {
			fwd(ps[0], ps[1])
			fwd(ps[1], ps[0])
		}
	}
	var count uint64
	t0 := eal.Nanotime()
	end := t0 + dur.Nanoseconds()
	for {
		for range 1024 {
			count += fwd(ps[0], ps[1])
			count += fwd(ps[1], ps[0])
		}
		if eal.Nanotime() >= end {
			break
		}
	}
	secs := float64(eal.Nanotime()-t0) / 1e9
	Report(w, name, float64(count)/secs/1e6, "Mpps")
	return nil
}
