// Package bench holds dpkit's micro-benchmarks in application form: the
// figures `dpkit bench ring` and `dpkit bench mempool` print, and that
// bench/vs-dpdk.sh sets side by side with DPDK's ring_perf_autotest and
// mempool_perf_autotest.
//
// Every figure is one line, "name value unit", written by Report; lines
// starting with '#' are notices for humans and are ignored by parsers.
package bench

import (
	"fmt"
	"io"
	"regexp"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dpkit/dpkit/eal"
)

// DefaultLcores is the core list used when Options.Lcores is empty.
const DefaultLcores = "0-1"

// Options selects what a benchmark runs. The zero value runs everything on
// DefaultLcores with full iteration counts.
type Options struct {
	// Lcores is a DPDK-style core list ("0-1", "2,4", "0-3,6") for the
	// benchmark, "" meaning DefaultLcores. CPUs this process may not run on
	// are dropped; with only one CPU left, two-core cases are skipped with a
	// notice.
	Lcores string
	// Quick runs fewer iterations (tests, smoke runs).
	Quick bool
	// Filter is a regular expression; only figures whose name matches are
	// run and printed. "" means all.
	Filter string
	// Time is how long each case of a time-based benchmark (mempool) runs;
	// 0 means its default (5 s as in DPDK, 0.2 s with Quick).
	Time time.Duration
}

// Validate reports a malformed Lcores or Filter.
func (o Options) Validate() error {
	if _, err := eal.ParseCoreList(o.lcores()); err != nil {
		return err
	}
	if _, err := regexp.Compile(o.Filter); err != nil {
		return fmt.Errorf("bad filter: %w", err)
	}
	return nil
}

func (o Options) lcores() string {
	if o.Lcores == "" {
		return DefaultLcores
	}
	return o.Lcores
}

// CPUs returns the CPUs named by Lcores, in ascending order, keeping only
// those in this process's affinity mask. It fails if none is left.
func (o Options) CPUs() ([]int, error) {
	want, err := eal.ParseCoreList(o.lcores())
	if err != nil {
		return nil, err
	}
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, fmt.Errorf("getting cpu affinity: %w", err)
	}
	var cpus []int
	for _, c := range want {
		if set.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	if len(cpus) == 0 {
		return nil, fmt.Errorf("lcores %q: none of these cpus is available to this process", o.lcores())
	}
	return cpus, nil
}

// Want reports whether the figure called name is selected by Filter. A
// Filter that does not compile selects nothing (Validate reports it).
func (o Options) Want(name string) bool {
	if o.Filter == "" {
		return true
	}
	re, err := regexp.Compile(o.Filter)
	return err == nil && re.MatchString(name)
}

// Report writes one figure as "name value unit\n", value formatted %.2f:
// the line format bench/vs-dpdk.sh parses. Write errors are ignored, as
// with fmt.Println; a broken pipe shows in the caller's output anyway.
func Report(w io.Writer, name string, value float64, unit string) {
	fmt.Fprintf(w, "%s %.2f %s\n", name, value, unit)
}

// Notice writes a line for humans ("# ..."), ignored by parsers: a skipped
// case, the CPUs used, the clock rate.
func Notice(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "# "+format+"\n", args...)
}

// startLcores validates opt, starts the EAL on its CPUs (the first one the
// main lcore) and pins the calling goroutine to the main lcore's CPU.
// stop undoes both.
func startLcores(opt Options) (stop func(), err error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	cpus, err := opt.CPUs()
	if err != nil {
		return nil, err
	}
	if err := eal.Init(eal.Config{Lcores: cpus, MainLcore: -1}); err != nil {
		return nil, fmt.Errorf("starting lcores: %w", err)
	}
	if err := eal.PinCurrent(eal.MainLcore()); err != nil {
		eal.Cleanup()
		return nil, err
	}
	return func() {
		eal.Unpin()
		eal.Cleanup()
	}, nil
}
