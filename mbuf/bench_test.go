package mbuf

import "testing"

func BenchmarkAllocFreeBulk32(b *testing.B) {
	p := newPool(b, PoolConfig{N: 2047, CacheSize: 256})
	ms := make([]*Mbuf, 32)
	b.ReportAllocs()
	for b.Loop() {
		if !p.AllocBulk(lc, ms) {
			b.Fatal("AllocBulk")
		}
		FreeBulk(lc, ms)
	}
}

func BenchmarkAllocFree(b *testing.B) {
	p := newPool(b, PoolConfig{N: 2047, CacheSize: 256})
	b.ReportAllocs()
	for b.Loop() {
		p.Alloc(lc).Free(lc)
	}
}

func BenchmarkAllocAppendPrependFree(b *testing.B) {
	p := newPool(b, PoolConfig{N: 2047, CacheSize: 256})
	b.ReportAllocs()
	for b.Loop() {
		m := p.Alloc(lc)
		m.Append(64)[0] = 1
		m.Prepend(14)[0] = 2
		m.Free(lc)
	}
}

func BenchmarkClone(b *testing.B) {
	p := newPool(b, PoolConfig{N: 2047, CacheSize: 256})
	ip := newPool(b, PoolConfig{Name: "indirect", N: 2047, CacheSize: 256, DataRoomSize: 8})
	m := p.Alloc(lc)
	m.Append(64)
	b.ReportAllocs()
	for b.Loop() {
		ip.Clone(m, lc).Free(lc)
	}
	m.Free(lc)
}
