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

// bigTable4 is a 500k-route table (random routes, a BGP-like depth mix)
// and addresses inside them, in random order.
func bigTable4(b *testing.B) (*Table, []uint32) {
	routes := benchRoutes(500000, 32)
	t, err := New(Config{NumGroups: 200000})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { t.Close() })
	if err := t.LoadRoutes(routes); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	ips := make([]uint32, 1<<20)
	for i := range ips {
		p := routes[rng.IntN(len(routes))].Prefix
		a := p.Addr().As4()
		v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
		ips[i] = v | rng.Uint32()&^mask4(p.Bits())
	}
	return t, ips
}

func BenchmarkLookup4(b *testing.B) {
	t, ips := bigTable4(b)
	hops := make([]uint32, len(ips))
	var sink uint32
	b.Run("single", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, ip := range ips {
				v, _ := t.LookupIP(ip)
				sink += v
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ips)), "ns/lookup")
	})
	addrs := make([]netip.Addr, len(ips))
	for i, ip := range ips {
		addrs[i] = netip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)})
	}
	b.Run("netip", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, a := range addrs {
				v, _ := t.Lookup(a)
				sink += v
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ips)), "ns/lookup")
	})
	b.Run("bulk64", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i := 0; i+64 <= len(ips); i += 64 {
				t.LookupBulk(ips[i:i+64], hops[i:i+64], 0)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ips)), "ns/lookup")
	})
	b.Run("x4", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i := 0; i+4 <= len(ips); i += 4 {
				t.LookupX4((*[4]uint32)(ips[i:i+4]), (*[4]uint32)(hops[i:i+4]), 0)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ips)), "ns/lookup")
	})
	_ = sink
}
