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
		n := r.IntN(700)
		nfilt := 1 + r.IntN(maxFilt)
		stride := n + filterPad + r.IntN(3)
		fr := make([]uint32, 2*nfilt*stride)
		for k := range nfilt {
			for j := range n {
				fr[2*k*stride+j], fr[(2*k+1)*stride+j] = edge(), edge()
			}
		}
		fl := make([]filt, 1+r.IntN(maxBlock))
		for i := range fl {
			start := uint32(r.IntN(n + 1))
			end := start + uint32(r.IntN(n-int(start)+1))
			f := &fl[i]
			*f = filt{start: start, cnt: min(end-start, filterMax), end: end}
			for k := range nfilt {
				f.f[k] = edge()
				if end > start && r.IntN(3) != 0 {
					// At an edge of one of the list's ranges.
					j := int(start) + r.IntN(int(end-start))
					f.f[k] = fr[2*k*stride+j] + fr[(2*k+1)*stride+j]*uint32(r.IntN(2)) + uint32(r.IntN(3)) - 1
				}
			}
		}
		want := append([]filt(nil), fl...)
		filterBlockGo(want, fr, nfilt, stride)
		filter(fl, fr, nfilt, stride)
		for i := range fl {
			for w := range fl[i].mask {
				c := uint32(64 * w)
				if c >= fl[i].cnt {
					break
				}
				m := lowMask(min(fl[i].cnt-c, 64))
				if fl[i].mask[w]&m != want[i].mask[w]&m {
					t.Fatalf("case %d key %d word %d (%+v): assembly mask %#x, Go %#x", it, i, w, want[i], fl[i].mask[w]&m, want[i].mask[w]&m)
				}
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
