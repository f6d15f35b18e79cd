package bench

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"runtime"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/lpm"
)

// lpmFlags are the flags of `dpkit bench lpm` and `dpkit bench lpm6`: the
// route and address files of DPDK's dpdk-test-fib (-f, -t, same format),
// so both run on the very same data.
type lpmFlags struct {
	routes, addrs string
	groups        int
	rounds        int
	burst         int
	n             int
}

var lpmOpts, lpm6Opts lpmFlags

func (o *lpmFlags) register(fs *flag.FlagSet, v6 bool) {
	fs.StringVar(&o.routes, "f", "", "route `file`: one \"prefix next-hop\" per line (dpdk-test-fib -f/-w); empty = generate -n routes")
	fs.StringVar(&o.addrs, "t", "", "address `file`: one address per line (dpdk-test-fib -t/-u); empty = one address inside each route")
	fs.IntVar(&o.groups, "g", 0, "second-level groups (dpdk-test-fib -g); 0 = 1.2 per route for IPv4, 4 per route for IPv6")
	fs.IntVar(&o.rounds, "rounds", 5, "lookup passes over the addresses per figure; the best is reported")
	fs.IntVar(&o.burst, "burst", 64, "addresses per bulk lookup (dpdk-test-fib's BURST_SZ is 64)")
	n := 100000
	if v6 {
		n = 20000
	}
	fs.IntVar(&o.n, "n", n, "routes to generate when there is no -f")
}

func init() {
	Register(Benchmark{
		Name:    "lpm",
		Summary: "IPv4 LPM (rte_lpm) figures on dpdk-test-fib route/address files: add, lookup, bulk, x4, delete cycles; bytes per route",
		Flags:   func(fs *flag.FlagSet) { lpmOpts.register(fs, false) },
		Run:     func(w io.Writer, opt Options) error { return runLPM(w, opt, lpmOpts, false) },
	})
	Register(Benchmark{
		Name:    "lpm6",
		Summary: "IPv6 LPM (rte_lpm6) figures on dpdk-test-fib -6 route/address files: add, lookup, bulk, delete cycles; bytes per route",
		Flags:   func(fs *flag.FlagSet) { lpm6Opts.register(fs, true) },
		Run:     func(w io.Writer, opt Options) error { return runLPM(w, opt, lpm6Opts, true) },
	})
}

// LPMData loads (or, without a route file, generates) the routes and
// addresses a run uses. It is exported for the bart comparison in the
// package's tests.
func LPMData(routesFile, addrsFile string, n int, v6 bool) ([]lpm.Route, []netip.Addr, error) {
	var routes []lpm.Route
	if routesFile != "" {
		f, err := os.Open(routesFile)
		if err != nil {
			return nil, nil, err
		}
		routes, err = lpm.ReadRoutes(f)
		f.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", routesFile, err)
		}
	} else {
		routes = genRoutes(n, v6)
	}
	var addrs []netip.Addr
	if addrsFile != "" {
		f, err := os.Open(addrsFile)
		if err != nil {
			return nil, nil, err
		}
		addrs, err = lpm.ReadAddrs(f)
		f.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", addrsFile, err)
		}
	} else {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, r := range routes {
			b := r.Prefix.Addr().AsSlice()
			for i := r.Prefix.Bits() / 8; i < len(b); i++ {
				b[i] |= byte(rng.Uint32()) & (0xff >> max(0, r.Prefix.Bits()-8*i))
			}
			a, _ := netip.AddrFromSlice(b)
			addrs = append(addrs, a)
		}
	}
	for i, a := range addrs {
		if a.Is4() == v6 {
			return nil, nil, fmt.Errorf("address %d (%v) is of the wrong family", i+1, a)
		}
	}
	return routes, addrs, nil
}

// genRoutes makes n random routes with the depth mix of a BGP feed (the
// one the issue gives dpdk-test-fib -d) or, for IPv6, mostly /48s.
func genRoutes(n int, v6 bool) []lpm.Route {
	rng := rand.New(rand.NewPCG(1, 2))
	depths := []int{16, 18, 19, 20, 21, 22, 23, 24, 24, 24, 26, 28, 30, 32}
	if v6 {
		depths = []int{29, 32, 32, 40, 44, 48, 48, 48, 48, 56, 64}
	}
	seen := map[netip.Prefix]bool{}
	var out []lpm.Route
	for len(out) < n {
		var a netip.Addr
		if v6 {
			var b [16]byte
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
			b[0] = 0x20 | b[0]&0x1f
			a = netip.AddrFrom16(b)
		} else {
			v := rng.Uint32()
			a = netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
		}
		p := netip.PrefixFrom(a, depths[rng.IntN(len(depths))]).Masked()
		if !seen[p] {
			seen[p] = true
			out = append(out, lpm.Route{Prefix: p, NextHop: uint32(rng.IntN(1 << 20))})
		}
	}
	return out
}

func runLPM(w io.Writer, opt Options, o lpmFlags, v6 bool) error {
	stop, err := startLcores(opt)
	if err != nil {
		return err
	}
	defer stop()
	if o.rounds < 1 || o.burst < 1 || lpmChunk%o.burst != 0 {
		return fmt.Errorf("-rounds must be >= 1 and -burst a divisor of %d", lpmChunk)
	}
	if opt.Quick && o.routes == "" {
		o.n = min(o.n, 5000)
	}
	routes, addrs, err := LPMData(o.routes, o.addrs, o.n, v6)
	if err != nil {
		return err
	}
	if len(addrs) == 0 {
		return fmt.Errorf("no addresses to look up")
	}
	if opt.Quick {
		o.rounds = 1
	}
	Notice(w, "lpm: %d routes, %d addresses, TSC %.3f GHz, best of %d passes", len(routes), len(addrs), float64(eal.TSCHz())/1e9, o.rounds)
	if v6 {
		return runLPM6(w, opt, o, routes, addrs)
	}
	return runLPM4(w, opt, o, routes, addrs)
}

// heapInUse returns the live Go heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// addCycles adds routes and returns the cycles per route.
func addCycles(routes []lpm.Route, add func(netip.Prefix, uint32) error) (float64, error) {
	start := eal.Rdtsc()
	for i, r := range routes {
		if err := add(r.Prefix, r.NextHop); err != nil {
			return 0, fmt.Errorf("route %d (%v): %w", i+1, r.Prefix, err)
		}
	}
	return float64(eal.Rdtsc()-start) / float64(len(routes)), nil
}

func delCycles(routes []lpm.Route, del func(netip.Prefix) error) (float64, error) {
	start := eal.Rdtsc()
	for i, r := range routes {
		if err := del(r.Prefix); err != nil {
			return 0, fmt.Errorf("route %d (%v): %w", i+1, r.Prefix, err)
		}
	}
	return float64(eal.Rdtsc()-start) / float64(len(routes)), nil
}

// lpmChunk is the number of addresses timed at once by best: a few
// milliseconds, shorter than a scheduler time slice.
const lpmChunk = 1 << 16

// best times lookups of addresses [0, n) rounds times and returns the
// cycles per address. Each round runs over all addresses in order, in
// chunks of lpmChunk (a multiple of 64), each chunk timed on its own; the
// figure is the sum over chunks of each chunk's best time. On a machine
// shared with other work a preemption then spoils one chunk of one round,
// not the figure, while every round still walks the whole address set, so
// the caches are as cold as in one long pass. bench/lpm/lpm_bench.c
// measures DPDK the same way.
//
// A garbage collection runs to its end before each round: nothing in a
// round allocates, so none runs during one (a background cycle scanning a
// million routes would take a core and the cache from the lookups).
func best(rounds, n int, run func(lo, hi int) uint64) float64 {
	nchunks := (n + lpmChunk - 1) / lpmChunk
	mins := make([]uint64, nchunks)
	for i := range mins {
		mins[i] = ^uint64(0)
	}
	for range rounds {
		runtime.GC()
		for c := range mins {
			mins[c] = min(mins[c], run(c*lpmChunk, min((c+1)*lpmChunk, n)))
		}
	}
	var total uint64
	for _, m := range mins {
		total += m
	}
	return float64(total) / float64(n)
}

func reportBytes(w io.Writer, opt Options, prefix string, routes, tableBytes, groups int, ruleBytes uint64) {
	if name := prefix + "_bytes_per_route"; opt.Want(name) {
		Report(w, name, float64(tableBytes+int(ruleBytes))/float64(routes), "bytes")
	}
	if name := prefix + "_used_bytes_per_route"; opt.Want(name) {
		used := 4<<24 + groups*1024 + int(ruleBytes)
		Report(w, name, float64(used)/float64(routes), "bytes")
	}
}

func runLPM4(w io.Writer, opt Options, o lpmFlags, routes []lpm.Route, addrs []netip.Addr) error {
	groups := o.groups
	if groups == 0 {
		groups = len(routes)*6/5 + 256
	}
	h0 := heapInUse()
	t, err := lpm.New(lpm.Config{Name: "bench-lpm", MaxRules: len(routes), NumGroups: min(groups, lpm.MaxGroups)})
	if err != nil {
		return err
	}
	defer t.Close()
	add, err := addCycles(routes, t.Add)
	if err != nil {
		return err
	}
	ruleBytes := heapInUse() - h0
	if opt.Want("lpm_add_cycles") {
		Report(w, "lpm_add_cycles", add, "cycles")
	}
	Notice(w, "lpm: %d rules, %d groups in use of %d, table %d MiB (hugepages %v), rules %.1f MiB on the Go heap",
		t.Len(), t.GroupsInUse(), groups, t.TableBytes()>>20, t.Hugepages(), float64(ruleBytes)/(1<<20))
	reportBytes(w, opt, "lpm", len(routes), t.TableBytes(), t.GroupsInUse(), ruleBytes)

	ips := make([]uint32, len(addrs))
	for i, a := range addrs {
		b := a.As4()
		ips[i] = uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	}
	hops := make([]uint32, len(ips))
	var sink uint32
	if opt.Want("lpm_lookup_cycles") {
		Report(w, "lpm_lookup_cycles", best(o.rounds, len(ips), func(lo, hi int) uint64 {
			var acc uint32 // a local: sink is captured, a store per lookup
			start := eal.Rdtsc()
			for _, ip := range ips[lo:hi] {
				v, _ := t.LookupIP(ip)
				acc += v
			}
			end := eal.Rdtsc()
			sink += acc
			return end - start
		}), "cycles")
	}
	if opt.Want("lpm_lookup_netip_cycles") {
		// The same through the netip.Addr API, as bart is called.
		Report(w, "lpm_lookup_netip_cycles", best(o.rounds, len(addrs), func(lo, hi int) uint64 {
			var acc uint32
			start := eal.Rdtsc()
			for _, a := range addrs[lo:hi] {
				v, _ := t.Lookup(a)
				acc += v
			}
			end := eal.Rdtsc()
			sink += acc
			return end - start
		}), "cycles")
	}
	if opt.Want("lpm_bulk_cycles") {
		// Bursts of 64 as dpdk-test-fib, the whole pass timed at once
		// (dpdk-test-fib times each burst; its figure is in the table too).
		n := len(ips) / o.burst * o.burst
		Report(w, "lpm_bulk_cycles", best(o.rounds, n, func(lo, hi int) uint64 {
			start := eal.Rdtsc()
			for i := lo; i+o.burst <= hi; i += o.burst {
				t.LookupBulk(ips[i:i+o.burst], hops[i:i+o.burst], 0)
			}
			return eal.Rdtsc() - start
		}), "cycles")
	}
	if opt.Want("lpm_x4_cycles") {
		n := len(ips) &^ 3
		Report(w, "lpm_x4_cycles", best(o.rounds, n, func(lo, hi int) uint64 {
			start := eal.Rdtsc()
			for i := lo; i+4 <= hi; i += 4 {
				t.LookupX4((*[4]uint32)(ips[i:i+4]), (*[4]uint32)(hops[i:i+4]), 0)
			}
			return eal.Rdtsc() - start
		}), "cycles")
	}
	miss := 0
	for _, ip := range ips {
		if _, ok := t.LookupIP(ip); !ok {
			miss++
		}
	}
	Notice(w, "lpm: %.1f%% of the addresses have no route (sink %d)", 100*float64(miss)/float64(len(ips)), sink&1)
	del, err := delCycles(routes, t.Delete)
	if err != nil {
		return err
	}
	if opt.Want("lpm_delete_cycles") {
		Report(w, "lpm_delete_cycles", del, "cycles")
	}
	if t.Len() != 0 || t.GroupsInUse() != 0 {
		return fmt.Errorf("after deleting every route: %d rules, %d groups left", t.Len(), t.GroupsInUse())
	}
	return nil
}

func runLPM6(w io.Writer, opt Options, o lpmFlags, routes []lpm.Route, addrs []netip.Addr) error {
	groups := o.groups
	if groups == 0 {
		groups = len(routes)*4 + 256
	}
	h0 := heapInUse()
	t, err := lpm.New6(lpm.Config{Name: "bench-lpm6", MaxRules: len(routes), NumGroups: groups})
	if err != nil {
		return err
	}
	defer t.Close()
	add, err := addCycles(routes, t.Add)
	if err != nil {
		return err
	}
	ruleBytes := heapInUse() - h0
	if opt.Want("lpm6_add_cycles") {
		Report(w, "lpm6_add_cycles", add, "cycles")
	}
	Notice(w, "lpm6: %d rules, %d groups in use of %d, table %d MiB (hugepages %v), rules %.1f MiB on the Go heap",
		t.Len(), t.GroupsInUse(), groups, t.TableBytes()>>20, t.Hugepages(), float64(ruleBytes)/(1<<20))
	reportBytes(w, opt, "lpm6", len(routes), t.TableBytes(), t.GroupsInUse(), ruleBytes)

	ips := make([][16]byte, len(addrs))
	for i, a := range addrs {
		ips[i] = a.As16()
	}
	hops := make([]uint32, len(ips))
	var sink uint32
	if opt.Want("lpm6_lookup_cycles") {
		Report(w, "lpm6_lookup_cycles", best(o.rounds, len(ips), func(lo, hi int) uint64 {
			var acc uint32
			start := eal.Rdtsc()
			for i := lo; i < hi; i++ {
				v, _ := t.LookupIP(&ips[i])
				acc += v
			}
			end := eal.Rdtsc()
			sink += acc
			return end - start
		}), "cycles")
	}
	if opt.Want("lpm6_lookup_netip_cycles") {
		Report(w, "lpm6_lookup_netip_cycles", best(o.rounds, len(addrs), func(lo, hi int) uint64 {
			var acc uint32
			start := eal.Rdtsc()
			for _, a := range addrs[lo:hi] {
				v, _ := t.Lookup(a)
				acc += v
			}
			end := eal.Rdtsc()
			sink += acc
			return end - start
		}), "cycles")
	}
	if opt.Want("lpm6_bulk_cycles") {
		n := len(ips) / o.burst * o.burst
		Report(w, "lpm6_bulk_cycles", best(o.rounds, n, func(lo, hi int) uint64 {
			start := eal.Rdtsc()
			for i := lo; i+o.burst <= hi; i += o.burst {
				t.LookupBulk(ips[i:i+o.burst], hops[i:i+o.burst], 0)
			}
			return eal.Rdtsc() - start
		}), "cycles")
	}
	Notice(w, "lpm6: sink %d", sink&1)
	del, err := delCycles(routes, t.Delete)
	if err != nil {
		return err
	}
	if opt.Want("lpm6_delete_cycles") {
		Report(w, "lpm6_delete_cycles", del, "cycles")
	}
	if t.Len() != 0 || t.GroupsInUse() != 0 {
		return fmt.Errorf("after deleting every route: %d rules, %d groups left", t.Len(), t.GroupsInUse())
	}
	return nil
}
