package bench

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dpkit/dpkit/acl"
	"github.com/dpkit/dpkit/eal"
)

// aclFlags are dpdk-test-acl's options, under the same names, so that one
// command line (after the EAL's "--") runs both.
var aclFlags = struct {
	rulesf, tracef string
	tracenum       int
	tracestep      int
	bldcat, runcat int
	iter           int
	maxsize        int
	splitsize      int
	maxgroups      int
	ipv6           ipv6Flag
}{tracenum: 0x10000, tracestep: 0x100, bldcat: 3, runcat: 1, iter: 1}

// ipv6Flag is --ipv6, --ipv6=4B or --ipv6=8B.
type ipv6Flag struct{ f acl.Format }

func (v *ipv6Flag) String() string {
	switch v.f {
	case acl.FormatIPv6:
		return "4B"
	case acl.FormatIPv6Words8:
		return "8B"
	}
	return ""
}

func (v *ipv6Flag) Set(s string) error {
	switch s {
	case "true", "4B":
		v.f = acl.FormatIPv6
	case "8B":
		v.f = acl.FormatIPv6Words8
	case "false":
		v.f = acl.FormatIPv4
	default:
		return errors.New("want 4B or 8B")
	}
	return nil
}

func (v *ipv6Flag) IsBoolFlag() bool { return true }

func init() {
	Register(Benchmark{
		Name:    "acl",
		Summary: "rte_acl figures (cycles per packet), as dpdk-test-acl on its rule and trace files",
		Flags: func(fs *flag.FlagSet) {
			f := &aclFlags
			fs.StringVar(&f.rulesf, "rulesf", "", "ClassBench rule `file` (dpdk-test-acl --rulesf)")
			fs.StringVar(&f.tracef, "tracef", "", "ClassBench trace `file` (dpdk-test-acl --tracef)")
			fs.IntVar(&f.tracenum, "tracenum", f.tracenum, "read at most this many traces")
			fs.IntVar(&f.tracestep, "tracestep", f.tracestep, "traces per Classify call (burst size)")
			fs.IntVar(&f.bldcat, "bldcat", f.bldcat, "categories to build with")
			fs.IntVar(&f.runcat, "runcat", f.runcat, "categories to classify with")
			fs.IntVar(&f.iter, "iter", f.iter, "passes over the trace")
			fs.IntVar(&f.maxsize, "maxsize", 0, "size limit of the compiled tables in bytes (0: default)")
			fs.IntVar(&f.splitsize, "splitsize", 0, "table size past which a rule group is split (0: default, -1: never)")
			fs.IntVar(&f.maxgroups, "maxgroups", 0, "most rule groups (lookup passes per key); 0: default (8)")
			fs.Var(&f.ipv6, "ipv6", "IPv6 rule and trace files: --ipv6 or --ipv6=4B (4-byte address fields), --ipv6=8B")
		},
		Run: ACL,
	})
}

// ACL builds the rules of -rulesf, classifies the keys of -tracef in bursts
// of -tracestep for -iter passes, and reports what dpdk-test-acl prints:
//
//	acl_classify_cycles_per_pkt  TSC cycles per classified key
//	acl_build_ms                 build time
//	acl_size_bytes               bytes of the compiled tables
//	acl_groups                   rule groups (lookup passes per key)
//
// A notice also gives the classify loop's cycles per packet counted from
// the thread's CPU time, which leaves out the time the thread was not
// running (on a loaded machine, most of the wall figure's noise).
// Without -tracef it reports only the build figures.
func ACL(w io.Writer, opt Options) error {
	f := &aclFlags
	if f.rulesf == "" {
		return errors.New("acl: -rulesf is required")
	}
	if f.tracestep < 1 || f.tracestep > 0x1000 || f.iter < 1 || f.tracenum < 1 {
		return errors.New("acl: -tracestep must be 1..4096, -iter and -tracenum at least 1")
	}
	stop, err := startLcores(opt)
	if err != nil {
		return err
	}
	defer stop()
	format := f.ipv6.f

	rf, err := os.Open(f.rulesf)
	if err != nil {
		return err
	}
	rules, err := acl.ParseRules(rf, format)
	rf.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", f.rulesf, err)
	}
	cfg := acl.Config{Fields: format.Fields(), Categories: f.bldcat, MaxSize: f.maxsize, SplitSize: f.splitsize, MaxGroups: f.maxgroups}
	runtime.GC()
	t0 := time.Now()
	c, err := acl.Build(cfg, rules)
	if err != nil {
		return err
	}
	bt := time.Since(t0)
	Notice(w, "acl: %d rules from %s, %d categories, format %s, lcore %d, TSC %.3f GHz",
		len(rules), f.rulesf, f.bldcat, f.ipv6.String(), eal.MainLcore(), float64(eal.TSCHz())/1e9)
	Report(w, "acl_build_ms", float64(bt.Microseconds())/1000, "ms")
	Report(w, "acl_size_bytes", float64(c.Size()), "bytes")
	Report(w, "acl_groups", float64(c.Groups()), "groups")
	if f.tracef == "" {
		return nil
	}

	tf, err := os.Open(f.tracef)
	if err != nil {
		return err
	}
	keys, err := acl.ParseTrace(tf, format, f.tracenum)
	tf.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", f.tracef, err)
	}
	kl := format.KeyLen()
	n := len(keys) / kl
	if n == 0 {
		return fmt.Errorf("%s: no traces", f.tracef)
	}
	data := make([][]byte, n)
	for i := range data {
		data[i] = keys[i*kl : (i+1)*kl : (i+1)*kl]
	}
	if f.runcat < 1 || f.runcat > f.bldcat {
		return fmt.Errorf("acl: -runcat %d must be 1..-bldcat (%d)", f.runcat, f.bldcat)
	}
	results := make([]uint32, f.tracestep*f.runcat)
	runtime.GC()
	var ts0, ts1 unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts0)
	start := eal.Rdtsc()
	for range f.iter {
		for i := 0; i < n; i += f.tracestep {
			end := min(n, i+f.tracestep)
			if err := c.Classify(data[i:end], results[:(end-i)*f.runcat], f.runcat); err != nil {
				return err
			}
		}
	}
	cycles := eal.Rdtsc() - start
	_ = unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts1)
	pkts := uint64(n) * uint64(f.iter)
	cpu := float64(ts1.Nano()-ts0.Nano()) / 1e9 * float64(eal.TSCHz())
	Notice(w, "acl: %.2f TSC cycles/pkt of this thread's CPU time (excludes time the thread was descheduled)", cpu/float64(pkts))
	Notice(w, "acl: %d iterations, %d pkts, %d categories, %d cycles, burst %d", f.iter, pkts, f.runcat, cycles, f.tracestep)
	Report(w, "acl_classify_cycles_per_pkt", float64(cycles)/float64(pkts), "cycles")
	return nil
}
