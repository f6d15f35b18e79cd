package acl

import (
	"math/rand/v2"
	"testing"
)

// TestFilterAssemblyAgainstGo compares the assembly filter with the Go one
// on random lists whose ranges and keys sit at the edges (0, the top of
// the word, the range ends and one past them).
func TestFilterAssemblyAgainstGo(t *testing.T) {
	if !useAVX512 {
		t.Skip("no AVX-512 on this CPU: only the Go filter runs (and the other tests test it)")
	}
	r := rand.New(rand.NewPCG(5, 6))
	edge := func() uint32 {
		switch r.IntN(4) {
		case 0:
			return 0
		case 1:
			return ^uint32(0) - uint32(r.IntN(3))
		case 2:
			return uint32(r.IntN(5))
		}
		return r.Uint32()
	}
	for it := range 2000 {
		n := r.IntN(300)
		lo := make([]uint32, n+filterPad)
		span := make([]uint32, n+filterPad)
		for j := range n {
			lo[j], span[j] = edge(), edge()
		}
		fl := make([]filt, 1+r.IntN(maxBlock))
		for i := range fl {
			start := uint32(r.IntN(n + 1))
			end := start + uint32(r.IntN(n-int(start)+1))
			f0 := edge()
			if end > start && r.IntN(2) == 0 {
				// At an edge of one of the list's ranges.
				j := start + uint32(r.IntN(int(end-start)))
				f0 = lo[j] + span[j] + uint32(r.IntN(3)) - 1
			}
			fl[i] = filt{f0: f0, start: start, cnt: min(end-start, 64), end: end}
		}
		want := append([]filt(nil), fl...)
		filterBlockGo(want, lo, span)
		filter(fl, lo, span)
		for i := range fl {
			m := lowMask(fl[i].cnt)
			if fl[i].mask&m != want[i].mask {
				t.Fatalf("case %d key %d (%+v): assembly mask %#x, Go %#x", it, i, want[i], fl[i].mask&m, want[i].mask)
			}
		}
	}
}

// TestGoFilter runs the differential tests with the Go filter where the
// assembly one is what Classify uses.
func TestGoFilter(t *testing.T) {
	if !useAVX512 {
		t.Skip("no AVX-512 on this CPU: the other tests already run the Go filter")
	}
	useAVX512 = false
	defer func() { useAVX512 = true }()
	t.Run("random", TestRandomAgainstReference)
	t.Run("large", TestLargeRuleSets)
}

func TestLowMask(t *testing.T) {
	for n := range uint32(65) {
		want := uint64(0)
		for j := range n {
			want |= 1 << j
		}
		if got := lowMask(n); got != want {
			t.Errorf("lowMask(%d) = %#x, want %#x", n, got, want)
		}
	}
}
