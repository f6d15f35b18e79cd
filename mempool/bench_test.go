package mempool

import (
	"fmt"
	"testing"
	"unsafe"
)

// benchGetPut gets n objects and puts them back per op, on lcore 0 of a
// pool the size of mempool_perf_autotest's for two lcores.
func benchGetPut(b *testing.B, cache, n int) {
	p := newPool(b, Config{N: 2*(512+512) - 1, ObjSize: 2048, CacheSize: cache})
	objs := make([]unsafe.Pointer, n)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if !p.GetBulk(0, objs) {
			b.Fatal("GetBulk failed")
		}
		p.PutBulk(0, objs)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/obj")
	p.FlushCache(0)
	if !p.Full() {
		b.Fatalf("InUse %d at the end", p.InUse())
	}
}

func BenchmarkGetPutCacheBulk1(b *testing.B)    { benchGetPut(b, 512, 1) }
func BenchmarkGetPutCacheBulk4(b *testing.B)    { benchGetPut(b, 512, 4) }
func BenchmarkGetPutCacheBulk32(b *testing.B)   { benchGetPut(b, 512, 32) }
func BenchmarkGetPutNoCacheBulk1(b *testing.B)  { benchGetPut(b, 0, 1) }
func BenchmarkGetPutNoCacheBulk4(b *testing.B)  { benchGetPut(b, 0, 4) }
func BenchmarkGetPutNoCacheBulk32(b *testing.B) { benchGetPut(b, 0, 32) }

// BenchmarkGetPutSingle is Get then Put of one object (no slice).
func BenchmarkGetPutSingle(b *testing.B) {
	for _, cache := range []int{0, 512} {
		b.Run(fmt.Sprintf("cache%d", cache), func(b *testing.B) {
			p := newPool(b, Config{N: 2047, ObjSize: 2048, CacheSize: cache})
			b.ReportAllocs()
			for range b.N {
				o, _ := p.Get(0)
				p.Put(0, o)
			}
			p.FlushCache(0)
		})
	}
}

// BenchmarkKeep is mempool_perf_autotest's inner loop on one lcore: get
// keep objects in bulks of bulk, put them back in bulks of bulk. ns/obj is
// per object got and put back. The try_ cases use the inlinable
// TryGetBulk/TryPutBulk first, as a hot loop with small bursts should.
func BenchmarkKeep(b *testing.B) {
	for _, try := range []bool{false, true} {
		for _, cache := range []int{0, 512} {
			for _, keep := range []int{32, 128} {
				for _, bulk := range []int{1, 4, 32} {
					name := fmt.Sprintf("cache%d_keep%d_bulk%d", cache, keep, bulk)
					if try {
						name = "try_" + name
					}
					b.Run(name, func(b *testing.B) { benchKeep(b, try, cache, keep, bulk) })
				}
			}
		}
	}
}

func benchKeep(b *testing.B, try bool, cache, keep, bulk int) {
	p := newPool(b, Config{N: 2047, ObjSize: 2048, CacheSize: cache})
	objs := make([]unsafe.Pointer, keep)
	b.ReportAllocs()
	for range b.N {
		for i := 0; i < keep; i += bulk {
			o := objs[i : i+bulk]
			if !(try && p.TryGetBulk(0, o)) && !p.GetBulk(0, o) {
				b.Fatal("GetBulk failed")
			}
		}
		for i := 0; i < keep; i += bulk {
			o := objs[i : i+bulk]
			if !(try && p.TryPutBulk(0, o)) {
				p.PutBulk(0, o)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(keep), "ns/obj")
	p.FlushCache(0)
}
