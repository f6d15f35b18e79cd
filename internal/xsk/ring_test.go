package xsk

import (
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fakeMapping lays out a ring as the kernel does (producer, consumer,
// flags, then the descriptors) in Go memory, with both indices starting at
// start, so the tests can play the kernel's side.
func fakeMapping(size int, descSize int, start uint32) ([]byte, *unix.XDPRingOffset) {
	words := make([]uint64, (64+size*descSize)/8)
	mem := unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), len(words)*8)
	off := &unix.XDPRingOffset{Producer: 0, Consumer: 8, Flags: 16, Desc: 64}
	*(*uint32)(unsafe.Pointer(&mem[0])) = start
	*(*uint32)(unsafe.Pointer(&mem[8])) = start
	return mem, off
}

// TestAddrRingProduce drives the fill ring against a reference FIFO with
// the kernel consuming at random, across the wrap of the uint32 indices.
func TestAddrRingProduce(t *testing.T) {
	const size = 64
	mem, off := fakeMapping(size, 8, ^uint32(0)-100)
	var r AddrRing
	r.init(mem, off, size)
	rng := rand.New(rand.NewPCG(1, 2))
	var fifo []uint64 // submitted, not yet consumed by the "kernel"
	next := uint64(0)
	for range 20000 {
		want := rng.IntN(size + 8)
		idx, n := r.Reserve(want)
		if room := size - len(fifo); n != min(want, room) {
			// The cache may see less room than there is, never more.
			if n > min(want, room) {
				t.Fatalf("reserved %d, only %d free", n, room)
			}
		}
		for i := range n {
			r.Set(idx+uint32(i), next)
			fifo = append(fifo, next)
			next++
		}
		if n > 0 && rng.IntN(4) == 0 {
			// Take some back before submitting.
			c := rng.IntN(n + 1)
			r.Cancel(c)
			fifo = fifo[:len(fifo)-c]
			next -= uint64(c)
		}
		r.Submit()
		// Kernel: consume k entries in order.
		prod := atomic.LoadUint32(r.producer)
		cons := atomic.LoadUint32(r.consumer)
		if int(prod-cons) != len(fifo) {
			t.Fatalf("kernel sees %d entries, reference %d", prod-cons, len(fifo))
		}
		k := rng.IntN(len(fifo) + 1)
		for i := range k {
			if got := r.addrs[(cons+uint32(i))&r.mask]; got != fifo[i] {
				t.Fatalf("slot %d holds %d, want %d", cons+uint32(i), got, fifo[i])
			}
		}
		fifo = fifo[k:]
		atomic.StoreUint32(r.consumer, cons+uint32(k))
	}
	if r.prod >= ^uint32(0)-100 {
		t.Fatalf("indices did not wrap past 2^32 (prod %d)", r.prod)
	}
}

// TestDescRingConsume plays the kernel producing into the rx ring at random
// and checks Peek/Desc/Release against a reference FIFO.
func TestDescRingConsume(t *testing.T) {
	const size = 32
	mem, off := fakeMapping(size, 16, ^uint32(0)-50)
	var r DescRing
	r.init(mem, off, size)
	rng := rand.New(rand.NewPCG(3, 4))
	var fifo []unix.XDPDesc
	seq := uint64(0)
	for range 20000 {
		// Kernel: produce k entries.
		prod := atomic.LoadUint32(r.producer)
		cons := atomic.LoadUint32(r.consumer)
		k := rng.IntN(size - int(prod-cons) + 1)
		for i := range k {
			d := unix.XDPDesc{Addr: seq * 2048, Len: uint32(seq % 1500)}
			r.descs[(prod+uint32(i))&r.mask] = d
			fifo = append(fifo, d)
			seq++
		}
		atomic.StoreUint32(r.producer, prod+uint32(k))
		want := rng.IntN(size + 8)
		idx, n := r.Peek(want)
		if n > len(fifo) || (n < min(want, len(fifo))) {
			t.Fatalf("peek %d: got %d, %d available", want, n, len(fifo))
		}
		for i := range n {
			if d := r.Desc(idx + uint32(i)); d != fifo[i] {
				t.Fatalf("desc %d = %+v, want %+v", i, d, fifo[i])
			}
		}
		rel := rng.IntN(n + 1)
		r.Release(rel)
		fifo = fifo[rel:]
		// Unreleased peeked entries are peeked again next time.
	}
}

// TestRingNoAllocs checks the per-burst ring operations allocate nothing.
func TestRingNoAllocs(t *testing.T) {
	mem, off := fakeMapping(64, 8, 0)
	var r AddrRing
	r.init(mem, off, 64)
	allocs := testing.AllocsPerRun(100, func() {
		idx, n := r.Reserve(32)
		for i := range n {
			r.Set(idx+uint32(i), uint64(i))
		}
		r.Submit()
		// The kernel consumes everything.
		atomic.StoreUint32(r.consumer, atomic.LoadUint32(r.producer))
		_ = r.NeedWakeup()
	})
	if allocs != 0 {
		t.Errorf("%v allocs per burst, want 0", allocs)
	}
}

// BenchmarkRingBurst32 is one 32-entry burst through a fill-like ring
// (reserve, set, submit) and an rx-like ring (peek, read, release), with
// the other side's index moved by hand: the user-space cost per burst.
func BenchmarkRingBurst32(b *testing.B) {
	pm, po := fakeMapping(256, 8, 0)
	cm, co := fakeMapping(256, 16, 0)
	var p AddrRing
	var c DescRing
	p.init(pm, po, 256)
	c.init(cm, co, 256)
	b.ReportAllocs()
	var sum uint64
	for b.Loop() {
		idx, n := p.Reserve(32)
		for i := range n {
			p.Set(idx+uint32(i), uint64(i))
		}
		p.Submit()
		atomic.StoreUint32(p.consumer, p.prod)
		atomic.StoreUint32(c.producer, c.cons+32)
		idx, n = c.Peek(32)
		for i := range n {
			sum += c.Desc(idx + uint32(i)).Addr
		}
		c.Release(n)
	}
	_ = sum
}
