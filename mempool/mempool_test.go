package mempool

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"

	"github.com/dpkit/dpkit/eal"
)

// newPool creates a pool on ordinary pages (tests run in parallel
// processes; hugepages are for the benchmarks) and closes it at the end.
func newPool(t testing.TB, cfg Config) *Pool {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = t.Name()
	}
	if cfg.Arena == nil && cfg.Huge == eal.HugeAuto {
		cfg.Huge = eal.HugeNever
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

func checkCounts(t *testing.T, p *Pool, inUse int) {
	t.Helper()
	if got := p.InUse(); got != inUse {
		t.Fatalf("InUse = %d, want %d", got, inUse)
	}
	if got := p.Avail(); got != p.Size()-inUse {
		t.Fatalf("Avail = %d, want %d", got, p.Size()-inUse)
	}
	if p.Full() != (inUse == 0) || p.Empty() != (inUse == p.Size()) {
		t.Fatalf("Full = %v, Empty = %v with %d of %d in use", p.Full(), p.Empty(), inUse, p.Size())
	}
}

func TestConfigErrors(t *testing.T) {
	ok := Config{Name: "x", N: 64, ObjSize: 100, CacheSize: 8, Huge: eal.HugeNever}
	for _, tc := range []struct {
		field string
		edit  func(*Config)
	}{
		{"N", func(c *Config) { c.N = 0 }},
		{"N", func(c *Config) { c.N = -5 }},
		{"ObjSize", func(c *Config) { c.ObjSize = 0 }},
		{"ObjSize", func(c *Config) { c.ObjSize = -1 }},
		{"CacheSize", func(c *Config) { c.CacheSize = MaxCacheSize + 1; c.N = 10000 }},
		{"CacheSize", func(c *Config) { c.CacheSize = -1 }},
		{"CacheSize", func(c *Config) { c.CacheSize = 43 }}, // 43*3/2 = 64 is fine, 44 is not
		{"CacheSize", func(c *Config) { c.CacheSize = 44 }},
		{"Flags", func(c *Config) { c.Flags = 1 << 7 }},
	} {
		cfg := ok
		tc.edit(&cfg)
		p, err := New(cfg)
		if cfg.CacheSize == 43 { // the boundary is allowed
			if err != nil {
				t.Errorf("New(%+v): %v, want success (CacheSize*3/2 == N)", cfg, err)
			} else {
				p.Close()
			}
			continue
		}
		if err == nil {
			p.Close()
			t.Errorf("New(%+v): no error, want one naming %s", cfg, tc.field)
			continue
		}
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("New(%+v) = %v; want ErrInvalid naming %s", cfg, err, tc.field)
		}
	}
}

func TestArenaTooSmall(t *testing.T) {
	a, err := eal.NewArena(eal.ArenaConfig{Name: t.Name(), Size: 4096, Huge: eal.HugeNever})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	before := len(Pools())
	_, err = New(Config{Name: "big", N: 1000, ObjSize: 64, Arena: a})
	if !errors.Is(err, ErrNoMemory) {
		t.Fatalf("New in a 4 KiB arena = %v, want ErrNoMemory", err)
	}
	if len(Pools()) != before {
		t.Fatalf("a failed New left a pool registered")
	}
}

func TestLayout(t *testing.T) {
	for _, objSize := range []int{1, 64, 100, 2048, 2176} {
		calls := map[int]int{}
		var order []unsafe.Pointer
		p := newPool(t, Config{N: 37, ObjSize: objSize, ObjInit: func(q *Pool, idx int, obj unsafe.Pointer) {
			if q.ID() == 0 || ByID(q.ID()) != q {
				t.Errorf("ObjInit: pool not registered yet")
			}
			calls[idx]++
			order = append(order, obj)
			*(*byte)(obj) = byte(idx) // the object is writable
		}})
		wantElt := (objSize + 63) / 64 * 64
		if p.EltSize() != wantElt || p.ObjSize() != objSize || p.Size() != 37 {
			t.Fatalf("EltSize %d ObjSize %d Size %d; want %d %d 37", p.EltSize(), p.ObjSize(), p.Size(), wantElt, objSize)
		}
		for i := 0; i < p.Size(); i++ {
			if calls[i] != 1 {
				t.Errorf("ObjInit called %d times for object %d", calls[i], i)
			}
		}
		a := p.Arena()
		var walked int
		p.Walk(func(i int, obj unsafe.Pointer) {
			if i != walked || obj != order[i] {
				t.Fatalf("Walk visits %d (%p), want %d (%p)", i, obj, walked, order[walked])
			}
			walked++
			addr := uintptr(obj)
			if addr%64 != 0 {
				t.Errorf("object %d at %#x is not 64-byte aligned", i, addr)
			}
			if !a.Contains(addr) || !a.Contains(addr+uintptr(objSize)-1) {
				t.Errorf("object %d at %#x is not inside the arena", i, addr)
			}
			if *(*byte)(obj) != byte(i) {
				t.Errorf("object %d lost what ObjInit wrote", i)
			}
			if p.ObjAt(i) != obj || p.ObjIndex(obj) != i || !p.Contains(obj) {
				t.Errorf("ObjAt/ObjIndex/Contains disagree for object %d", i)
			}
			if i > 0 && addr-uintptr(p.ObjAt(i-1)) != uintptr(wantElt) {
				t.Errorf("stride %d, want %d", addr-uintptr(p.ObjAt(i-1)), wantElt)
			}
			if objSize > 1 {
				mid := unsafe.Add(obj, 1)
				if p.Contains(mid) || p.ObjIndex(mid) != -1 {
					t.Errorf("a pointer into the middle of object %d counts as an object", i)
				}
			}
		})
		if walked != p.Size() {
			t.Fatalf("Walk visited %d objects, want %d", walked, p.Size())
		}
		end := unsafe.Add(p.ObjAt(p.Size()-1), wantElt)
		before := unsafe.Add(p.ObjAt(0), -wantElt)
		var x int
		for _, bad := range []unsafe.Pointer{nil, end, before, unsafe.Pointer(&x)} {
			if p.Contains(bad) || p.ObjIndex(bad) != -1 {
				t.Errorf("Contains(%p) = true outside the pool", bad)
			}
		}
		for _, i := range []int{-1, p.Size()} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("ObjAt(%d) did not panic", i)
					}
				}()
				p.ObjAt(i)
			}()
		}
		checkCounts(t, p, 0)
		if err := p.Audit(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestExternalArena(t *testing.T) {
	a, err := eal.NewArena(eal.ArenaConfig{Name: t.Name(), Size: 1 << 20, Huge: eal.HugeNever})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Alloc(10, 1); err != nil { // misalign the bump pointer
		t.Fatal(err)
	}
	p, err := New(Config{Name: "ext", N: 100, ObjSize: 200, CacheSize: 16, Arena: a})
	if err != nil {
		t.Fatal(err)
	}
	if p.Arena() != a || uintptr(p.ObjAt(0))%64 != 0 || !a.Contains(uintptr(p.ObjAt(99))) {
		t.Fatalf("objects not carved from the given arena at 64-byte alignment")
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if a.Base() == 0 {
		t.Fatalf("Close closed an arena the pool does not own")
	}
}

func TestRegistry(t *testing.T) {
	p1 := newPool(t, Config{N: 4, ObjSize: 8})
	p2 := newPool(t, Config{N: 4, ObjSize: 8})
	if p1.ID() == 0 || p2.ID() == 0 || p1.ID() == p2.ID() {
		t.Fatalf("IDs %d and %d: want distinct, non-zero", p1.ID(), p2.ID())
	}
	if ByID(p1.ID()) != p1 || ByID(p2.ID()) != p2 || ByID(0) != nil {
		t.Fatalf("ByID does not find the pools")
	}
	var seen1, seen2 bool
	for _, p := range Pools() {
		seen1 = seen1 || p == p1
		seen2 = seen2 || p == p2
	}
	if !seen1 || !seen2 {
		t.Fatalf("Pools() misses a live pool")
	}
	id := p1.ID()
	if err := p1.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p1.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if ByID(id) != nil {
		t.Fatalf("ByID finds a closed pool")
	}
	for _, p := range Pools() {
		if p == p1 {
			t.Fatalf("Pools() lists a closed pool")
		}
	}
	p3 := newPool(t, Config{N: 4, ObjSize: 8})
	if p3.ID() != id {
		t.Fatalf("new pool got ID %d, want the freed %d", p3.ID(), id)
	}
	if !errors.Is(p1.Audit(), ErrClosed) {
		t.Fatalf("Audit of a closed pool: want ErrClosed")
	}
	if unnamed := newPool(t, Config{Name: "", N: 1, ObjSize: 1}); unnamed.Name() == "" {
		t.Fatalf("empty Name not defaulted")
	}
}

func TestCloseKeepsCounts(t *testing.T) {
	p, err := New(Config{Name: t.Name(), N: 10, ObjSize: 8, CacheSize: 4, Huge: eal.HugeNever})
	if err != nil {
		t.Fatal(err)
	}
	p.Get(0)
	p.Get(LcoreAny)
	p.Close()
	if p.InUse() != 2 || !p.Closed() {
		t.Fatalf("after Close: InUse %d Closed %v, want 2 true", p.InUse(), p.Closed())
	}
}

// TestGetPut runs get/put single and bulk, with and without a cache, and
// checks the counts after every step and all-or-nothing at exhaustion.
func TestGetPut(t *testing.T) {
	for _, cache := range []int{0, 4, 32} {
		for _, lcore := range []uint{0, 5, eal.MaxLcore - 1, eal.MaxLcore, LcoreAny} {
			p := newPool(t, Config{N: 100, ObjSize: 64, CacheSize: cache})
			inUse := 0
			var held []unsafe.Pointer
			for i := 0; i < 10; i++ {
				obj, ok := p.Get(lcore)
				if !ok || !p.Contains(obj) {
					t.Fatalf("Get: %p %v", obj, ok)
				}
				held = append(held, obj)
				inUse++
				checkCounts(t, p, inUse)
			}
			bulk := make([]unsafe.Pointer, 30)
			for i := 0; i < 3; i++ {
				if !p.GetBulk(lcore, bulk) {
					t.Fatalf("GetBulk(30) with %d free failed", p.Avail())
				}
				held = append(held, bulk...)
				inUse += 30
				checkCounts(t, p, inUse)
			}
			// Nothing twice.
			set := map[unsafe.Pointer]bool{}
			for _, o := range held {
				if set[o] {
					t.Fatalf("object %p handed out twice", o)
				}
				set[o] = true
			}
			// Exhaustion: 0 left, then 1 short, all or nothing.
			sentinel := unsafe.Pointer(&set)
			for i := range bulk {
				bulk[i] = sentinel
			}
			if p.GetBulk(lcore, bulk[:1]) || p.GetBulk(lcore, bulk) {
				t.Fatalf("GetBulk on an empty pool succeeded")
			}
			if _, ok := p.Get(lcore); ok {
				t.Fatalf("Get on an empty pool succeeded")
			}
			checkCounts(t, p, 100)
			p.PutBulk(lcore, held[90:])
			held = held[:90]
			checkCounts(t, p, 90)
			before := p.RingCount()
			if p.GetBulk(lcore, bulk[:11]) {
				t.Fatalf("GetBulk(11) with 10 free succeeded")
			}
			for _, o := range bulk {
				if o != sentinel {
					t.Fatalf("failed GetBulk wrote into objs")
				}
			}
			if p.RingCount() != before {
				t.Fatalf("failed GetBulk changed the ring: %d -> %d", before, p.RingCount())
			}
			checkCounts(t, p, 90)
			// Put back one by one and in bulks.
			for len(held) > 60 {
				p.Put(lcore, held[len(held)-1])
				held = held[:len(held)-1]
				checkCounts(t, p, len(held))
			}
			for len(held) > 0 {
				k := min(7, len(held))
				p.PutBulk(lcore, held[len(held)-k:])
				held = held[:len(held)-k]
				checkCounts(t, p, len(held))
			}
			if !p.GetBulk(lcore, bulk[:10]) {
				t.Fatal("GetBulk(10) failed")
			}
			p.PutBulk(lcore, bulk[:10])
			p.GetBulk(lcore, bulk[:0])
			p.PutBulk(lcore, bulk[:0])
			checkCounts(t, p, 0)
			if err := p.Audit(); err != nil {
				t.Fatal(err)
			}
			p.FlushCache(lcore)
			if p.RingCount() != 100 {
				t.Fatalf("after FlushCache, ring holds %d of 100", p.RingCount())
			}
		}
	}
}

// model is DPDK 22.11's cache algorithm on counts only
// (rte_mempool_do_generic_put / _get in rte_mempool.h).
type model struct {
	size, thresh, ring int
	cache              map[uint]int
}

func (m *model) cached(l uint) bool { return m.size > 0 && l < eal.MaxLcore }

func (m *model) put(l uint, n int) {
	if !m.cached(l) || n > m.thresh {
		m.ring += n
		return
	}
	if m.cache[l]+n <= m.thresh {
		m.cache[l] += n
	} else {
		m.ring += m.cache[l]
		m.cache[l] = n
	}
}

func (m *model) get(l uint, n int) bool {
	if !m.cached(l) {
		if m.ring < n {
			return false
		}
		m.ring -= n
		return true
	}
	c := m.cache[l]
	if n <= c {
		m.cache[l] -= n
		return true
	}
	short := n - c
	if short <= MaxCacheSize && m.ring >= m.size+short {
		m.ring -= m.size + short
		m.cache[l] = m.size
		return true
	}
	if m.ring >= short {
		m.ring -= short
		m.cache[l] = 0
		return true
	}
	return false
}

// TestCacheModel drives random gets and puts on a few lcores and checks,
// after each, the ring count and every cache against the DPDK model.
func TestCacheModel(t *testing.T) {
	for _, tc := range []struct{ n, cache, maxBulk int }{
		{100, 1, 5}, {100, 8, 20}, {300, 32, 64}, {2000, 512, 700}, {5000, 512, 1300}, {50, 0, 10},
	} {
		p := newPool(t, Config{N: tc.n, ObjSize: 8, CacheSize: tc.cache})
		m := &model{size: tc.cache, thresh: tc.cache * 3 / 2, ring: tc.n, cache: map[uint]int{}}
		if p.FlushThreshold() != m.thresh {
			t.Fatalf("FlushThreshold %d, want %d", p.FlushThreshold(), m.thresh)
		}
		rng := rand.New(rand.NewPCG(uint64(tc.n), uint64(tc.cache)))
		lcores := []uint{0, 1, 127, LcoreAny}
		held := map[uint][]unsafe.Pointer{}
		buf := make([]unsafe.Pointer, tc.maxBulk)
		for step := 0; step < 20000; step++ {
			l := lcores[rng.IntN(len(lcores))]
			k := 1 + rng.IntN(tc.maxBulk)
			if rng.IntN(8) == 0 {
				k = 1 + rng.IntN(4)
			}
			if rng.IntN(2) == 0 {
				var ok bool
				if rng.IntN(2) == 0 {
					ok = p.TryGetBulk(l, buf[:k]) || p.GetBulk(l, buf[:k])
				} else {
					ok = p.GetBulk(l, buf[:k])
				}
				if want := m.get(l, k); ok != want {
					t.Fatalf("step %d: GetBulk(lcore %d, %d) = %v, model says %v", step, l, k, ok, want)
				}
				if ok {
					held[l] = append(held[l], buf[:k]...)
				}
			} else {
				h := held[l]
				k = min(k, len(h))
				// Put objects got by any lcore: pools do not care who got them.
				if k == 0 {
					for _, other := range lcores {
						if len(held[other]) > 0 {
							h, l = held[other], other
							k = min(len(h), 1+rng.IntN(tc.maxBulk))
							break
						}
					}
				}
				switch r := rng.IntN(3); {
				case k == 1 && r == 0:
					p.Put(l, h[len(h)-1])
				case r == 1:
					if !p.TryPutBulk(l, h[len(h)-k:]) {
						p.PutBulk(l, h[len(h)-k:])
					}
				default:
					p.PutBulk(l, h[len(h)-k:])
				}
				m.put(l, k)
				held[l] = h[:len(h)-k]
			}
			if p.RingCount() != m.ring {
				t.Fatalf("step %d: ring holds %d, model %d", step, p.RingCount(), m.ring)
			}
			for _, l := range lcores {
				if p.CacheCount(l) != m.cache[l]*btoi(m.cached(l)) {
					t.Fatalf("step %d: lcore %d cache holds %d, model %d", step, l, p.CacheCount(l), m.cache[l])
				}
			}
			if step%1000 == 0 {
				if err := p.Audit(); err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
			}
		}
		for l, h := range held {
			p.PutBulk(l, h)
		}
		checkCounts(t, p, 0)
		if err := p.Audit(); err != nil {
			t.Fatal(err)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestFlushThreshold(t *testing.T) {
	p := newPool(t, Config{N: 64, ObjSize: 8, CacheSize: 8}) // threshold 12
	objs := make([]unsafe.Pointer, 13)
	if !p.GetBulk(3, objs[:1]) { // refill: ring 64 -> 64-9, cache 8
		t.Fatal("GetBulk")
	}
	if p.RingCount() != 55 || p.CacheCount(3) != 8 {
		t.Fatalf("after first get: ring %d cache %d, want 55 8", p.RingCount(), p.CacheCount(3))
	}
	if !p.GetBulk(3, objs[1:13]) { // 8 from the cache, refill 8+4
		t.Fatal("GetBulk")
	}
	if p.RingCount() != 43 || p.CacheCount(3) != 8 {
		t.Fatalf("after second get: ring %d cache %d, want 43 8", p.RingCount(), p.CacheCount(3))
	}
	p.PutBulk(3, objs[:4]) // 8+4 = 12 <= 12: cached
	if p.RingCount() != 43 || p.CacheCount(3) != 12 {
		t.Fatalf("put to the threshold: ring %d cache %d, want 43 12", p.RingCount(), p.CacheCount(3))
	}
	p.Put(3, objs[4]) // 13 > 12: the 12 go to the ring, the new one is cached
	if p.RingCount() != 55 || p.CacheCount(3) != 1 {
		t.Fatalf("put past the threshold: ring %d cache %d, want 55 1", p.RingCount(), p.CacheCount(3))
	}
	p.PutBulk(3, objs[5:13]) // 1+8 <= 12: cached
	if p.RingCount() != 55 || p.CacheCount(3) != 9 {
		t.Fatalf("ring %d cache %d, want 55 9", p.RingCount(), p.CacheCount(3))
	}
	p.FlushCache(3)
	if p.RingCount() != 64 || p.CacheCount(3) != 0 || !p.Full() {
		t.Fatalf("after FlushCache: ring %d cache %d, want 64 0", p.RingCount(), p.CacheCount(3))
	}
	big := make([]unsafe.Pointer, 13)
	if !p.GetBulk(3, big) { // 0 cached, refill 8+13
		t.Fatal("GetBulk(13)")
	}
	p.PutBulk(3, big) // 13 > threshold: straight to the ring
	if p.RingCount() != 64-8 || p.CacheCount(3) != 8 {
		t.Fatalf("big put: ring %d cache %d, want 56 8", p.RingCount(), p.CacheCount(3))
	}
}

// TestGetFallsBackToRing: when the ring cannot refill the cache, the
// shortfall alone comes from the ring; when it has not even that, nothing
// changes.
func TestGetFallsBackToRing(t *testing.T) {
	p := newPool(t, Config{N: 30, ObjSize: 8, CacheSize: 16}) // threshold 24
	all := make([]unsafe.Pointer, 30)
	if !p.GetBulk(LcoreAny, all) {
		t.Fatal("GetBulk(all)")
	}
	p.PutBulk(0, all[:5]) // cache 0: 5
	p.PutBulk(LcoreAny, all[5:10])
	sentinel := unsafe.Pointer(&all)
	buf := []unsafe.Pointer{sentinel, sentinel, sentinel, sentinel, sentinel, sentinel, sentinel, sentinel, sentinel, sentinel, sentinel}
	if p.GetBulk(0, buf) { // 5 cached + 5 in the ring < 11
		t.Fatal("GetBulk(11) with 10 free succeeded")
	}
	for _, o := range buf {
		if o != sentinel {
			t.Fatal("failed GetBulk wrote into objs")
		}
	}
	if p.CacheCount(0) != 5 || p.RingCount() != 5 {
		t.Fatalf("failed GetBulk changed the pool: cache %d ring %d", p.CacheCount(0), p.RingCount())
	}
	if !p.GetBulk(0, buf[:8]) { // 5 cached + 3 of the ring's 5 (16+3 not there)
		t.Fatal("GetBulk(8) with 10 free failed")
	}
	if p.CacheCount(0) != 0 || p.RingCount() != 2 {
		t.Fatalf("fallback: cache %d ring %d, want 0 2", p.CacheCount(0), p.RingCount())
	}
	got := map[unsafe.Pointer]bool{}
	for _, o := range buf[:8] {
		if !p.Contains(o) || got[o] {
			t.Fatalf("bad or duplicate object %p", o)
		}
		got[o] = true
	}
	p.PutBulk(0, buf[:8])
	p.PutBulk(1, all[10:])
	checkCounts(t, p, 0)
	if err := p.Audit(); err != nil {
		t.Fatal(err)
	}
}

func TestAuditFindsCorruption(t *testing.T) {
	t.Run("double free", func(t *testing.T) {
		p := newPool(t, Config{N: 20, ObjSize: 8, CacheSize: 4})
		o, _ := p.Get(1)
		p.Put(1, o)
		p.Put(2, o)
		err := p.Audit()
		if err == nil || !strings.Contains(err.Error(), "free twice") {
			t.Fatalf("Audit = %v, want a double free", err)
		}
	})
	t.Run("foreign object", func(t *testing.T) {
		p := newPool(t, Config{N: 20, ObjSize: 8})
		o, _ := p.Get(LcoreAny)
		p.Put(LcoreAny, unsafe.Add(o, 8))
		err := p.Audit()
		if err == nil || !strings.Contains(err.Error(), "not an object") {
			t.Fatalf("Audit = %v, want a foreign object", err)
		}
	})
	t.Run("overflow panics", func(t *testing.T) {
		p := newPool(t, Config{N: 2, ObjSize: 8})
		o := p.ObjAt(0)
		defer func() {
			if r := recover(); r == nil || !strings.Contains(r.(string), "double free") {
				t.Fatalf("put into a full pool: recover() = %v", r)
			}
		}()
		p.Put(LcoreAny, o)
	})
}

func TestSingleProducerConsumer(t *testing.T) {
	p := newPool(t, Config{N: 50, ObjSize: 8, Flags: SingleProducer | SingleConsumer})
	if p.Flags() != SingleProducer|SingleConsumer {
		t.Fatalf("Flags = %v", p.Flags())
	}
	buf := make([]unsafe.Pointer, 50)
	if !p.GetBulk(LcoreAny, buf) || p.GetBulk(LcoreAny, buf[:1]) {
		t.Fatal("SP/SC get")
	}
	p.PutBulk(LcoreAny, buf)
	checkCounts(t, p, 0)
}

func TestHugeOwnArena(t *testing.T) {
	p, err := New(Config{Name: t.Name(), N: 1000, ObjSize: 2048, CacheSize: 32, Huge: eal.HugeAuto, Shared: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if !p.Arena().Shared() || p.Arena().Fd() < 0 {
		t.Fatalf("Shared arena has no fd")
	}
	checkCounts(t, p, 0)
}

func TestNoAllocs(t *testing.T) {
	for _, cache := range []int{0, 32} {
		p := newPool(t, Config{N: 1000, ObjSize: 64, CacheSize: cache})
		buf := make([]unsafe.Pointer, 64)
		for name, fn := range map[string]func(){
			"Get/Put": func() {
				o, _ := p.Get(1)
				p.Put(1, o)
			},
			"Get/Put any": func() {
				o, _ := p.Get(LcoreAny)
				p.Put(LcoreAny, o)
			},
			"GetBulk/PutBulk": func() {
				p.GetBulk(2, buf[:32])
				p.PutBulk(2, buf[:32])
			},
			"GetBulk/PutBulk big (refill, flush)": func() {
				p.GetBulk(3, buf[:64])
				p.PutBulk(3, buf[:64])
				for i := 0; i < 64; i++ {
					o, _ := p.Get(3)
					p.Put(4, o)
				}
				p.FlushCache(4)
			},
			"TryGetBulk/TryPutBulk": func() {
				if !p.TryGetBulk(5, buf[:4]) && !p.GetBulk(5, buf[:4]) {
					panic("get")
				}
				if !p.TryPutBulk(5, buf[:4]) {
					p.PutBulk(5, buf[:4])
				}
			},
			"ByID": func() { _ = ByID(p.ID()).Size() },
		} {
			if n := testing.AllocsPerRun(100, fn); n != 0 {
				t.Errorf("cache %d: %s allocates %.1f times per run", cache, name, n)
			}
		}
		checkCounts(t, p, 0)
	}
}
