package mempool

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/dpkit/dpkit/eal"
)

// stress gets and puts random bulks on p as lcore for d, checking that no
// object it holds is handed out again, and puts everything back at the end.
func stress(p *Pool, lcore uint, seed uint64, d time.Duration, maxBulk int) error {
	rng := rand.New(rand.NewPCG(seed, uint64(lcore)))
	held := make([]unsafe.Pointer, 0, 4*maxBulk)
	buf := make([]unsafe.Pointer, maxBulk)
	deadline := time.Now().Add(d)
	for i := 0; ; i++ {
		if i%16 == 0 && time.Now().After(deadline) {
			break
		}
		k := 1 + rng.IntN(maxBulk)
		if len(held)+k <= cap(held) && rng.IntN(2) == 0 {
			if k == 1 {
				o, ok := p.Get(lcore)
				if !ok {
					continue
				}
				buf[0] = o
			} else if !p.GetBulk(lcore, buf[:k]) {
				continue
			}
			for _, o := range buf[:k] {
				if !p.Contains(o) {
					return fmt.Errorf("lcore %d: got %p, not an object of the pool", lcore, o)
				}
				// Stamp the object: a second owner would overwrite it.
				*(*uint64)(o) = uint64(lcore)<<32 | uint64(i)
			}
			held = append(held, buf[:k]...)
			for _, o := range buf[:k] {
				if *(*uint64)(o) != uint64(lcore)<<32|uint64(i) {
					return fmt.Errorf("lcore %d: object %p handed out twice", lcore, o)
				}
			}
		} else {
			k = min(k, len(held))
			if k == 1 && rng.IntN(2) == 0 {
				p.Put(lcore, held[len(held)-1])
			} else {
				p.PutBulk(lcore, held[len(held)-k:])
			}
			held = held[:len(held)-k]
		}
	}
	p.PutBulk(lcore, held)
	return nil
}

func stressDuration() time.Duration {
	if testing.Short() {
		return 100 * time.Millisecond
	}
	return 500 * time.Millisecond
}

// TestConcurrentLcores runs pinned eal lcores, one per CPU (at least two,
// at most four), doing random gets and puts through their caches; at the
// end every object is back exactly once.
//
// Two busy lcores are never put on one CPU when there are more: a thread
// preempted between reserving ring slots and publishing them stalls every
// other lcore of the ring until the kernel runs it again (the same caveat
// as DPDK's for lcores that share a CPU).
func TestConcurrentLcores(t *testing.T) {
	cpus := eal.AllowedCPUs()
	nLcores := min(max(len(cpus), 2), 4)
	var maps []eal.LcoreMapping
	for i := 0; i < nLcores; i++ {
		maps = append(maps, eal.LcoreMapping{Lcore: uint(10 + i), CPUs: []int{cpus[i%len(cpus)]}})
	}
	if err := eal.Init(eal.Config{LcoreMap: maps, MainLcore: 10}); err != nil {
		t.Fatalf("eal.Init: %v", err)
	}
	defer eal.Cleanup()

	for _, tc := range []struct {
		cache, maxBulk int
	}{{0, 32}, {32, 32}, {512, 64}, {512, 600}} {
		t.Run(fmt.Sprintf("cache%d_bulk%d", tc.cache, tc.maxBulk), func(t *testing.T) {
			n := nLcores*(tc.cache*3/2+4*tc.maxBulk) + 100
			p := newPool(t, Config{N: n, ObjSize: 64, CacheSize: tc.cache})
			err := eal.LaunchOnAll(func(lcore uint) error {
				return stress(p, lcore, 1, stressDuration(), tc.maxBulk)
			}, true)
			if werr := eal.WaitAll(); err == nil {
				err = werr
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Audit(); err != nil {
				t.Fatal(err)
			}
			if p.InUse() != 0 {
				t.Fatalf("InUse = %d after every lcore put everything back", p.InUse())
			}
			cached := 0
			for _, l := range eal.Lcores() {
				cached += p.CacheCount(l)
				p.FlushCache(l)
			}
			if p.RingCount() != n {
				t.Fatalf("after FlushCache of every lcore the ring holds %d of %d", p.RingCount(), n)
			}
			t.Logf("%d objects were in caches at the end", cached)
		})
	}
}

// TestConcurrentAny: goroutines with LcoreAny share the MP/MC ring, some
// with lcore caches besides.
func TestConcurrentAny(t *testing.T) {
	for _, withCaches := range []bool{false, true} {
		p := newPool(t, Config{N: 2000, ObjSize: 64, CacheSize: 64})
		var wg sync.WaitGroup
		var failed atomic.Pointer[error]
		for g := 0; g < 4; g++ {
			lcore := LcoreAny
			if withCaches && g%2 == 0 {
				lcore = uint(g)
			}
			wg.Add(1)
			go func() {
				// Goroutines, not pinned threads: an lcore id only needs
				// one user at a time, whatever thread runs it.
				defer wg.Done()
				if err := stress(p, lcore, uint64(g), stressDuration(), 48); err != nil {
					failed.Store(&err)
				}
			}()
		}
		wg.Wait()
		if e := failed.Load(); e != nil {
			t.Fatal(*e)
		}
		if err := p.Audit(); err != nil {
			t.Fatal(err)
		}
		if p.InUse() != 0 {
			t.Fatalf("InUse = %d", p.InUse())
		}
	}
}
