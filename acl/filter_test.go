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
	t.Run("long", TestLongLists)
	if !testing.Short() {
		t.Run("large", TestLargeRuleSets)
	}
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

// TestLongLists classifies keys whose list holds hundreds of rules that
// all pass the filter's field, most failing on another: walks that go past
// the first 64 entries and past filterMax, against the reference.
func TestLongLists(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, f := range []Format{FormatIPv4, FormatIPv6} {
		cfg := Config{Fields: f.Fields(), Categories: 3}
		nf := len(cfg.Fields)
		const n = 700
		var rules []Rule
		for i := range n {
			fs := make([]Field, nf)
			fs[0] = Field{6, 0xff}
			fs[1] = Field{0x0a000000, 8}
			if f != FormatIPv4 {
				fs[1] = Field{0x20010db8, 32}
			}
			// Rule i: sport >= i and dport <= 65535-i.
			fs[nf-2] = Field{uint64(i), 65535}
			fs[nf-1] = Field{0, uint64(65535 - i)}
			rules = append(rules, Rule{Fields: fs, Priority: int32(i), CategoryMask: uint32(1 + r.IntN(7)), Userdata: uint32(i + 1)})
		}
		var keys [][]byte
		kl := f.KeyLen()
		for range 2000 {
			k := make([]byte, kl)
			k[0] = 6
			if f == FormatIPv4 {
				k[4] = 10
			} else {
				copy(k[4:], []byte{0x20, 0x01, 0x0d, 0xb8})
			}
			s, d := uint16(r.IntN(n+50)), uint16(65535-r.IntN(n+50))
			if r.IntN(8) == 0 {
				s, d = uint16(r.Uint32()), uint16(r.Uint32())
			}
			k[kl-4], k[kl-3], k[kl-2], k[kl-1] = byte(s>>8), byte(s), byte(d>>8), byte(d)
			keys = append(keys, k)
		}
		checkSame(t, &cfg, rules, keys)
		if useAVX512 {
			useAVX512 = false
			checkSame(t, &cfg, rules, keys)
			useAVX512 = true
		}
	}
}
