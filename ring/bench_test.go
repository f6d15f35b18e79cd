package ring

import (
	"strconv"
	"testing"
)

// The benchmarks mirror DPDK's ring_perf_autotest single-core cases: one
// op is one enqueue plus one dequeue of a burst; ns/elem is reported too.

func benchBurst[T any](b *testing.B, flags Flags, size int, bulk bool) {
	r, _ := New[T]("b", 4096, flags)
	buf := make([]T, size)
	b.ReportAllocs()
	b.ResetTimer()
	if bulk {
		for i := 0; i < b.N; i++ {
			r.EnqueueBulk(buf)
			r.DequeueBulk(buf)
		}
	} else {
		for i := 0; i < b.N; i++ {
			r.EnqueueBurst(buf)
			r.DequeueBurst(buf)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(size), "ns/elem")
}

func BenchmarkRing(b *testing.B) {
	modes := []struct {
		name  string
		flags Flags
	}{{"spsc", SingleProducer | SingleConsumer}, {"mpmc", 0}}
	for _, m := range modes {
		b.Run(m.name+"/single", func(b *testing.B) {
			r, _ := New[*int]("b", 4096, m.flags|OffHeap)
			x := new(int)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				r.Enqueue(x)
				x, _ = r.Dequeue()
			}
		})
		for _, size := range []int{8, 32} {
			s := strconv.Itoa(size)
			b.Run(m.name+"/burst"+s, func(b *testing.B) { benchBurst[*int](b, m.flags|OffHeap, size, false) })
			b.Run(m.name+"/bulk"+s, func(b *testing.B) { benchBurst[*int](b, m.flags|OffHeap, size, true) })
			b.Run(m.name+"/elem16_bulk"+s, func(b *testing.B) { benchBurst[[2]uint64](b, m.flags, size, true) })
		}
		b.Run(m.name+"/empty_deq8", func(b *testing.B) {
			r, _ := New[*int]("b", 4096, m.flags|OffHeap)
			buf := make([]*int, 8)
			for i := 0; i < b.N; i++ {
				r.DequeueBulk(buf)
			}
		})
	}
}
