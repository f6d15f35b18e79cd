package bench

import (
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/gaissmai/bart"

	"github.com/dpkit/dpkit/eal"
)

// TestLPMBart prints the figures of `dpkit bench lpm` (or lpm6) for
// github.com/gaissmai/bart's fastest table (bart.Fast) on the same route
// and address files, for bench/vs-dpdk-lpm.sh's bart column. bart is a
// test-only dependency, hence a test. It runs only when DPKIT_LPM_ROUTES
// and DPKIT_LPM_ADDRS name the files (DPKIT_LPM_V6=1 for IPv6,
// DPKIT_LPM_ROUTES_N rounds); each figure line is "bart name value unit".
func TestLPMBart(t *testing.T) {
	routesFile, addrsFile := os.Getenv("DPKIT_LPM_ROUTES"), os.Getenv("DPKIT_LPM_ADDRS")
	if routesFile == "" || addrsFile == "" {
		t.Skip("DPKIT_LPM_ROUTES / DPKIT_LPM_ADDRS not set: the bart comparison runs from bench/vs-dpdk-lpm.sh")
	}
	v6 := os.Getenv("DPKIT_LPM_V6") == "1"
	rounds, _ := strconv.Atoi(os.Getenv("DPKIT_LPM_ROUNDS"))
	rounds = max(rounds, 1)
	routes, addrs, err := LPMData(routesFile, addrsFile, 0, v6)
	if err != nil {
		t.Fatal(err)
	}
	prefix := "lpm"
	if v6 {
		prefix = "lpm6"
	}
	h0 := heapInUse()
	var tb bart.Fast[uint32]
	start := eal.Rdtsc()
	for _, r := range routes {
		tb.Insert(r.Prefix, r.NextHop)
	}
	add := float64(eal.Rdtsc()-start) / float64(len(routes))
	bytes := heapInUse() - h0
	fmt.Printf("bart %s_add_cycles %.2f cycles\n", prefix, add)
	fmt.Printf("bart %s_bytes_per_route %.2f bytes\n", prefix, float64(bytes)/float64(len(routes)))
	var sink uint32
	lookup := best(rounds, len(addrs), func(lo, hi int) uint64 {
		var acc uint32
		start := eal.Rdtsc()
		for _, a := range addrs[lo:hi] {
			v, _ := tb.Lookup(a)
			acc += v
		}
		end := eal.Rdtsc()
		sink += acc
		return end - start
	})
	fmt.Printf("bart %s_lookup_netip_cycles %.2f cycles\n", prefix, lookup)
	start = eal.Rdtsc()
	for _, r := range routes {
		tb.Delete(r.Prefix)
	}
	fmt.Printf("bart %s_delete_cycles %.2f cycles\n", prefix, float64(eal.Rdtsc()-start)/float64(len(routes)))
	if tb.Size() != 0 {
		t.Errorf("bart: %d routes left", tb.Size())
	}
	fmt.Printf("# bart sink %d\n", sink&1)
}
