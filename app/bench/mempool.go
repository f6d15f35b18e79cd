package bench

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/mempool"
)

// Mempool runs the cases of DPDK 22.11's mempool_perf_autotest on dpkit's
// mempool and reports each in objects got and put back per second, summed
// over the lcores:
//
//	mempool_cache<0|512>_cores<1|2>_get<G>_put<P>_keep<K> objs/s
//
// The pool holds lcore_count*(512+512)-1 objects of 2048 bytes, with no
// cache or a 512-object cache per lcore. On each of the first `cores`
// lcores (the main one, pinned, and workers started with eal.RemoteLaunch)
// a loop gets K objects in bulks of G and puts them back in bulks of P,
// 65536 objects per round, rounds until the case's time is up (5 s as in
// DPDK; 0.2 s with Quick; Options.Time if set). G and P run over
// {1, 4, 32} and K over {32, 128}; Quick runs only G == P.
// bench/dpdk/mempool_perf.c measures DPDK's mempool the same way.
//
// The loop calls the pool as a hot loop should: bursts of up to 8 go
// through the inlinable TryGetBulk/TryPutBulk first (DPDK's
// rte_mempool_generic_get/put are inline functions too), larger ones
// straight to GetBulk/PutBulk, whose vector copy is faster for them.
func Mempool(w io.Writer, opt Options) error {
	stop, err := startLcores(opt)
	if err != nil {
		return err
	}
	defer stop()
	main := eal.MainLcore()

	d := opt.Time
	if d <= 0 {
		d = 5 * time.Second
		if opt.Quick {
			d = 200 * time.Millisecond
		}
	}
	size := eal.LcoreCount()*(mempoolKeepMax+mempool.MaxCacheSize) - 1
	workers := eal.WorkerLcores()
	Notice(w, "mempool_perf: lcores %v, main lcore %d, pool of %d x %d bytes, %v per case, TSC %.3f GHz",
		eal.Lcores(), main, size, mempoolEltSize, d, float64(eal.TSCHz())/1e9)
	if len(workers) == 0 {
		Notice(w, "two-core cases skipped: only one lcore (%v) is available", eal.Lcores())
	}

	b := mempoolBench{cycles: uint64(d.Seconds() * float64(eal.TSCHz())), main: main, workers: workers}
	bulks, keeps := []int{1, 4, 32}, []int{32, 128}
	for _, cache := range []int{0, mempool.MaxCacheSize} {
		var pool *mempool.Pool
		for cores := 1; cores <= 2 && cores <= 1+len(workers); cores++ {
			for _, get := range bulks {
				for _, put := range bulks {
					for _, keep := range keeps {
						if opt.Quick && get != put {
							continue
						}
						name := fmt.Sprintf("mempool_cache%d_cores%d_get%d_put%d_keep%d", cache, cores, get, put, keep)
						if !opt.Want(name) {
							continue
						}
						if pool == nil {
							pool, err = mempool.New(mempool.Config{
								Name: fmt.Sprintf("perf_cache%d", cache), N: size,
								ObjSize: mempoolEltSize, CacheSize: cache,
							})
							if err != nil {
								return err
							}
							defer pool.Close()
						}
						if !pool.Full() {
							return fmt.Errorf("%s: pool not full before the case (%d in use)", name, pool.InUse())
						}
						rate, err := b.run(pool, cores, get, put, keep)
						if err != nil {
							return fmt.Errorf("%s: %w", name, err)
						}
						Report(w, name, rate, "objs/s")
					}
				}
			}
		}
	}
	return nil
}

const (
	mempoolEltSize  = 2048
	mempoolKeepMax  = 512
	mempoolPerRound = 65536
	mempoolTryMax   = 8 // largest burst sent to TryGetBulk/TryPutBulk first
)

type mempoolBench struct {
	cycles  uint64 // per case
	main    uint
	workers []uint
}

// lcoreResult is one lcore's count, on a cache line of its own.
type lcoreResult struct {
	objs, cycles uint64
	_            [48]byte
}

// run runs one case on the main lcore and cores-1 workers and returns the
// summed rate in objects per second.
func (b *mempoolBench) run(p *mempool.Pool, cores, get, put, keep int) (float64, error) {
	var start atomic.Bool
	results := make([]lcoreResult, cores)
	loop := func(i int) eal.LcoreFunc {
		return func(lcore uint) error {
			return mempoolLoop(p, lcore, get, put, keep, b.cycles, &start, &results[i])
		}
	}
	workers := b.workers[:cores-1]
	for i, id := range workers {
		if err := eal.RemoteLaunch(id, loop(i+1)); err != nil {
			return 0, err
		}
	}
	start.Store(true)
	err := loop(0)(b.main)
	for _, id := range workers {
		if werr := eal.Wait(id); werr != nil && err == nil {
			err = werr
		}
	}
	if err != nil {
		return 0, err
	}
	hz := float64(eal.TSCHz())
	var rate float64
	for _, r := range results {
		if r.cycles != 0 {
			rate += float64(r.objs) * hz / float64(r.cycles)
		}
	}
	return rate, nil
}

// mempoolLoop is one lcore's part: rounds of mempoolPerRound objects, each
// got keep at a time in bulks of get and put back in bulks of put, until
// cycles TSC cycles have passed.
func mempoolLoop(p *mempool.Pool, lcore uint, get, put, keep int, cycles uint64, start *atomic.Bool, res *lcoreResult) error {
	table := make([]unsafe.Pointer, keep)
	for !start.Load() {
		eal.Pause()
	}
	tryGet, tryPut := get <= mempoolTryMax, put <= mempoolTryMax
	var objs uint64
	t0 := eal.Rdtsc()
	for {
		for range mempoolPerRound / keep {
			// Small bursts take the inlined cache-only path in a loop with
			// no call in it, so the loop keeps its variables in registers;
			// the calls (refill, flush, larger bursts) are out of that loop.
			for i := 0; i < keep; i += get {
				if tryGet {
					for i < keep && p.TryGetBulk(lcore, table[i:i+get]) {
						i += get
					}
					if i >= keep {
						break
					}
				}
				if !p.GetBulk(lcore, table[i:i+get]) {
					return fmt.Errorf("lcore %d: GetBulk(%d) failed with %d objects free", lcore, get, p.Avail())
				}
			}
			for i := 0; i < keep; i += put {
				if tryPut {
					for i < keep && p.TryPutBulk(lcore, table[i:i+put]) {
						i += put
					}
					if i >= keep {
						break
					}
				}
				p.PutBulk(lcore, table[i:i+put])
			}
		}
		objs += mempoolPerRound
		if t := eal.Rdtsc() - t0; t >= cycles {
			res.objs, res.cycles = objs, t
			return nil
		}
	}
}
