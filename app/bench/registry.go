package bench

import (
	"flag"
	"io"
	"sort"
	"sync"
)

// A Benchmark is one `dpkit bench <name>` subcommand. Each benchmark file
// registers itself from an init function, so adding a benchmark touches no
// shared file.
type Benchmark struct {
	// Name is the subcommand: `dpkit bench <Name>`.
	Name string
	// Summary is a one-line description for the usage text.
	Summary string
	// Flags, if set, adds the benchmark's own flags (route files, rule
	// files, sizes...) to the flag set, next to the common ones in Options.
	// The values are read by Run after parsing.
	Flags func(fs *flag.FlagSet)
	// Run prints the figures, one Report line each.
	Run func(w io.Writer, opt Options) error
}

var (
	registryMu sync.Mutex
	registry   = map[string]Benchmark{}
)

// Register adds b; it panics on an empty or duplicate name or a nil Run
// (a programming error caught at init).
func Register(b Benchmark) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if b.Name == "" || b.Run == nil {
		panic("bench.Register: empty name or nil Run")
	}
	if _, dup := registry[b.Name]; dup {
		panic("bench.Register: duplicate benchmark " + b.Name)
	}
	registry[b.Name] = b
}

// Lookup returns the benchmark registered under name.
func Lookup(name string) (Benchmark, bool) {
	registryMu.Lock()
	defer registryMu.Unlock()
	b, ok := registry[name]
	return b, ok
}

// All returns every registered benchmark, sorted by name.
func All() []Benchmark {
	registryMu.Lock()
	defer registryMu.Unlock()
	out := make([]Benchmark, 0, len(registry))
	for _, b := range registry {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func init() {
	Register(Benchmark{Name: "ring", Summary: "rte_ring figures (cycles per element), as ring_perf_autotest", Run: Ring})
	Register(Benchmark{Name: "mempool", Summary: "rte_mempool figures (objs/s), as mempool_perf_autotest", Run: Mempool})
}
