package lpm

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

func benchRoutes(n, bits int) []Route {
	rng := rand.New(rand.NewPCG(11, 12))
	depths := []int{16, 18, 19, 20, 21, 22, 23, 24, 24, 24, 26, 28, 30, 32}
	randA := randAddr4
	if bits == 128 {
		depths = []int{29, 32, 32, 40, 44, 48, 48, 48, 48, 56, 64}
		randA = randAddr6
	}
	seen := map[netip.Prefix]bool{}
	var out []Route
	for len(out) < n {
		p := netip.PrefixFrom(randA(rng), depths[rng.IntN(len(depths))]).Masked()
		if !seen[p] {
			seen[p] = true
			out = append(out, Route{p, uint32(rng.IntN(1 << 20))})
		}
	}
	return out
}

func BenchmarkAdd6(b *testing.B) {
	routes := benchRoutes(5000, 128)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		t, err := New6(Config{NumGroups: 40000})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := t.LoadRoutes(routes); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		t.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(routes)), "ns/route")
}
