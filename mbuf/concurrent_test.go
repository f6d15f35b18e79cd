package mbuf

import (
	"sync"
	"testing"
	"unsafe"
)

// TestRefcntConcurrent: sharers on several goroutines update the count
// atomically; the total is exact.
func TestRefcntConcurrent(t *testing.T) {
	p := newPool(t, PoolConfig{N: 2})
	m := alloc(t, p)
	const workers, iters = 4, 20000
	m.RefcntUpdate(workers) // one reference per worker
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range iters {
				m.RefcntUpdate(1)
				m.RefcntUpdate(-1)
			}
			m.RefcntUpdate(-1) // drop this worker's reference
		}()
	}
	wg.Wait()
	if m.Refcnt() != 1 {
		t.Fatalf("refcnt %d after balanced updates, want 1", m.Refcnt())
	}
	m.Free(lc)
}

// TestConcurrentCloneFree: clones of one packet are freed on several
// goroutines (each its own lcore id) at once with the original; the direct
// mbufs go back exactly once, and the ExtBuf callback runs exactly once.
func TestConcurrentCloneFree(t *testing.T) {
	const workers = 4
	p := newPool(t, PoolConfig{N: 64, CacheSize: 8, DataRoomSize: 512})
	ip := newPool(t, PoolConfig{Name: "indirect", N: 2000, CacheSize: 32, DataRoomSize: 8})
	var mu sync.Mutex
	calls := 0
	for round := range 200 {
		var m *Mbuf
		if round%2 == 0 {
			m = chainOf(t, p, pattern(0, 100), pattern(1, 100), pattern(2, 100))
		} else {
			mem := make([]byte, 256)
			e, err := NewExtBuf(mem, func(unsafe.Pointer, any) { mu.Lock(); calls++; mu.Unlock() }, nil)
			if err != nil {
				t.Fatal(err)
			}
			m = alloc(t, p)
			if err := AttachExtBuf(m, e.Addr(), 256, e); err != nil {
				t.Fatal(err)
			}
			m.Append(200)
		}
		clones := make([]*Mbuf, workers)
		for i := range clones {
			if clones[i] = ip.Clone(m, lc); clones[i] == nil {
				t.Fatal("Clone failed")
			}
		}
		var wg sync.WaitGroup
		for i, c := range clones {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.Free(uint(i + 1))
			}()
		}
		m.Free(lc)
		wg.Wait()
	}
	for i := range workers + 1 {
		p.Mempool().FlushCache(uint(i))
		ip.Mempool().FlushCache(uint(i))
	}
	if calls != 100 {
		t.Errorf("%d ExtBuf callbacks, want 100", calls)
	}
}
