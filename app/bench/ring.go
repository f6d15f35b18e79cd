package bench

import (
	"fmt"
	"io"
	"sync/atomic"
	"unsafe"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/ring"
)

// Ring runs the cases of DPDK 22.11's ring_perf_autotest on dpkit's ring
// and reports each in TSC cycles per element (see the figure names in
// the package comment of bench/vsdpdk):
//
//	ring_<legacy|elem16>_<spsc|mpmc>_<single|burst8|burst32|bulk8|bulk32>_cycles_per_elem
//	ring_<legacy|elem16>_<spsc|mpmc>_empty_deq8_cycles
//	ring_<legacy|elem16>_<spsc|mpmc>_<bulk8|bulk32>_2core_cycles_per_elem
//
// "legacy" rings hold pointers (DPDK's void * ring); dpkit's are created
// OffHeap, the configuration mbuf and mempool rings use. "elem16" rings
// hold 16-byte values.
//
// Single-core figures enqueue then dequeue a burst on one lcore; two-core
// figures run a producer and a consumer on two lcores and add the cycles
// per element of both sides, as DPDK does.
func Ring(w io.Writer, opt Options) error {
	stop, err := startLcores(opt)
	if err != nil {
		return err
	}
	defer stop()
	main := eal.MainLcore()
	Notice(w, "ring_perf: lcores %v, main lcore %d, TSC %.3f GHz", eal.Lcores(), main, float64(eal.TSCHz())/1e9)

	shift := uint(0) // Quick divides the iteration counts by 64
	if opt.Quick {
		shift = 6
	}
	b := ringBench{w: w, opt: opt, shift: shift}
	workers := eal.WorkerLcores()
	for _, kind := range []string{"legacy", "elem16"} {
		for _, mode := range []string{"spsc", "mpmc"} {
			var flags ring.Flags
			if mode == "spsc" {
				flags = ring.SingleProducer | ring.SingleConsumer
			}
			var err error
			switch kind {
			case "legacy":
				err = runRingCases[unsafe.Pointer](&b, "ring_legacy_"+mode, flags|ring.OffHeap, workers)
			case "elem16":
				err = runRingCases[elem16](&b, "ring_elem16_"+mode, flags, workers)
			}
			if err != nil {
				return err
			}
		}
	}
	if len(workers) == 0 {
		Notice(w, "two-core cases skipped: only one lcore (%v) is available", eal.Lcores())
	}
	return nil
}

type ringBench struct {
	w     io.Writer
	opt   Options
	shift uint
}

// ringSize is DPDK's RING_SIZE in test_ring_perf.c.
const ringSize = 4096

func runRingCases[T any](b *ringBench, prefix string, flags ring.Flags, workers []uint) error {
	r, err := ring.New[T](prefix, ringSize, flags)
	if err != nil {
		return err
	}
	var buf [32]T
	if name := prefix + "_single_cycles_per_elem"; b.opt.Want(name) {
		iters := uint64(1<<24) >> b.shift
		// The loop is in a function per element type: inside a generic
		// function the calls would go through the shape's dictionary and
		// not be inlined, which no user of a concrete ring pays.
		var cycles uint64
		switch r := any(r).(type) {
		case *ring.Ring[unsafe.Pointer]:
			cycles = singleLoopPtr(r, iters)
		case *ring.Ring[elem16]:
			cycles = singleLoop16(r, iters)
		default:
			return fmt.Errorf("ring bench: no single-element loop for %T", r)
		}
		Report(b.w, name, float64(cycles)/float64(iters), "cycles")
	}
	for _, size := range []int{8, 32} {
		for _, bulk := range []bool{false, true} {
			kind := "burst"
			if bulk {
				kind = "bulk"
			}
			name := fmt.Sprintf("%s_%s%d_cycles_per_elem", prefix, kind, size)
			if !b.opt.Want(name) {
				continue
			}
			iters := uint64(1<<23) >> b.shift
			s := buf[:size]
			start := eal.Rdtsc()
			if bulk {
				for i := uint64(0); i < iters; i++ {
					r.EnqueueBulk(s)
					r.DequeueBulk(s)
				}
			} else {
				for i := uint64(0); i < iters; i++ {
					r.EnqueueBurst(s)
					r.DequeueBurst(s)
				}
			}
			Report(b.w, name, float64(eal.Rdtsc()-start)/float64(iters*uint64(size)), "cycles")
		}
	}
	if name := prefix + "_empty_deq8_cycles"; b.opt.Want(name) {
		iters := uint64(1<<26) >> b.shift
		s := buf[:8]
		start := eal.Rdtsc()
		for i := uint64(0); i < iters; i++ {
			r.DequeueBulk(s)
		}
		Report(b.w, name, float64(eal.Rdtsc()-start)/float64(iters), "cycles")
	}
	if len(workers) == 0 {
		return nil
	}
	for _, size := range []int{8, 32} {
		name := fmt.Sprintf("%s_bulk%d_2core_cycles_per_elem", prefix, size)
		if !b.opt.Want(name) {
			continue
		}
		// Untimed passes first, for at least 200 ms: the peer lcore's CPU
		// has idled through the single-core cases, and a virtual CPU can
		// take that long to come back to full speed; then the ring's memory
		// is faulted in and cached too.
		for start := eal.Nanotime(); eal.Nanotime()-start < 200e6; {
			if _, err := twoCore(r, workers[0], size, 1<<12); err != nil {
				return err
			}
		}
		v, err := twoCore(r, workers[0], size, uint64(1<<18)>>b.shift)
		if err != nil {
			return err
		}
		Report(b.w, name, v, "cycles")
	}
	return nil
}

// twoCore runs a bulk producer on the calling (main) lcore and a bulk
// consumer on lcore peer, each retrying with a pause while the ring is
// full or empty, and returns the sum of both sides' cycles per element.
func twoCore[T any](r *ring.Ring[T], peer uint, size int, iters uint64) (float64, error) {
	var ready atomic.Int32
	var deqCycles uint64
	consumer := func(uint) error {
		var buf [32]T
		s := buf[:size]
		ready.Add(1)
		for ready.Load() != 2 {
			eal.Pause()
		}
		start := eal.Rdtsc()
		for i := uint64(0); i < iters; i++ {
			for r.DequeueBulk(s) == 0 {
				eal.Pause()
			}
		}
		deqCycles = eal.Rdtsc() - start
		return nil
	}
	if err := eal.RemoteLaunch(peer, consumer); err != nil {
		return 0, err
	}
	var buf [32]T
	s := buf[:size]
	ready.Add(1)
	for ready.Load() != 2 {
		eal.Pause()
	}
	start := eal.Rdtsc()
	for i := uint64(0); i < iters; i++ {
		for r.EnqueueBulk(s) == 0 {
			eal.Pause()
		}
	}
	enqCycles := eal.Rdtsc() - start
	if err := eal.Wait(peer); err != nil {
		return 0, err
	}
	n := float64(iters * uint64(size))
	return float64(enqCycles)/n + float64(deqCycles)/n, nil
}

// singleLoopPtr times iters Enqueue+Dequeue pairs of pointer elements.
func singleLoopPtr(r *ring.Ring[unsafe.Pointer], iters uint64) uint64 {
	var v unsafe.Pointer
	start := eal.Rdtsc()
	for i := uint64(0); i < iters; i++ {
		r.Enqueue(v)
		v, _ = r.Dequeue()
	}
	return eal.Rdtsc() - start
}

// singleLoop16 times iters Enqueue+Dequeue pairs of 16-byte elements.
func singleLoop16(r *ring.Ring[elem16], iters uint64) uint64 {
	var v elem16
	start := eal.Rdtsc()
	for i := uint64(0); i < iters; i++ {
		r.Enqueue(v)
		v, _ = r.Dequeue()
	}
	return eal.Rdtsc() - start
}

// elem16 is the 16-byte element of the elem16 cases (DPDK's
// RTE_RING_ELEM 16-byte rings). A struct, as Go code would declare it: Go
// passes a two-word struct in registers, while an array like [2]uint64
// goes through memory at every call (measured: 4.8 vs 12.2 ns per
// Enqueue+Dequeue pair).
type elem16 struct{ A, B uint64 }
