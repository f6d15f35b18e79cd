// Command dpkit is dpkit's one binary: one subcommand per application.
// It only parses flags and wires things together; the logic lives in app/*.
//
//	dpkit bench <name> [-l lcores] [-quick] [-filter regexp] [flags]
//	dpkit testpmd [EAL options] -- [testpmd options]
//	dpkit version
//	dpkit help
//
// Exit status: 0 ok, 1 runtime error, 2 usage error.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/dpkit/dpkit/app/bench"
	"github.com/dpkit/dpkit/app/testpmd"
	_ "github.com/dpkit/dpkit/driver/net/all"
)

// version is set at link time: go build -ldflags "-X main.version=v1.2.3".
var version = ""

const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

const usage = `dpkit: a Data Plane Development Kit in Go

Usage:
  dpkit bench <name>  [-l lcores] [-quick] [-filter regexp]   micro-benchmarks beside DPDK's
                                                              (dpkit bench help lists them)
  dpkit testpmd [EAL options] -- [testpmd options]           DPDK's testpmd: same arguments, same commands
                                                              (no arguments: a demo on two net_null ports)
  dpkit version                                               print the version
  dpkit help                                                  print this help

Benchmarks print one figure per line, "name value unit"; lines starting
with '#' are notices. bench/vs-dpdk.sh sets them beside DPDK's own.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line args and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "bench":
		return runBench(args[1:], stdout, stderr)
	case "testpmd":
		return testpmd.Main(args[1:], os.Stdin, stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintf(stdout, "dpkit %s\n", versionString())
		return exitOK
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "dpkit: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
}

// benchUsage lists the registered benchmarks.
func benchUsage() string {
	var b strings.Builder
	b.WriteString("usage: dpkit bench <name> [-l lcores] [-quick] [-filter regexp] [-time d] [benchmark flags]\n\nbenchmarks:\n")
	for _, bm := range bench.All() {
		fmt.Fprintf(&b, "  %-10s %s\n", bm.Name, bm.Summary)
	}
	return b.String()
}

// lookupBench is a variable so tests can substitute a benchmark.
var lookupBench = bench.Lookup

func runBench(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		w, code := stderr, exitUsage
		if len(args) > 0 {
			w, code = stdout, exitOK
		}
		fmt.Fprint(w, benchUsage())
		return code
	}
	name := args[0]
	bm, ok := lookupBench(name)
	if !ok {
		fmt.Fprintf(stderr, "dpkit bench: unknown benchmark %q\n\n%s", name, benchUsage())
		return exitUsage
	}

	var opt bench.Options
	fs := flag.NewFlagSet("dpkit bench "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&opt.Lcores, "l", bench.DefaultLcores, "DPDK-style core `list` to run on, e.g. 0-1 or 2,4")
	fs.BoolVar(&opt.Quick, "quick", false, "fewer iterations: a smoke run, figures are noisier")
	fs.StringVar(&opt.Filter, "filter", "", "only run figures whose name matches this `regexp`")
	fs.DurationVar(&opt.Time, "time", 0, "how long each time-based case (mempool) runs, e.g. 1s; 0 = the default (5s, 0.2s with -quick)")
	if bm.Flags != nil {
		bm.Flags(fs)
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "dpkit bench %s: unexpected arguments %q\n", name, fs.Args())
		fs.Usage()
		return exitUsage
	}
	if err := opt.Validate(); err != nil {
		fmt.Fprintf(stderr, "dpkit bench %s: %v\n", name, err)
		return exitUsage
	}
	if err := bm.Run(stdout, opt); err != nil {
		fmt.Fprintf(stderr, "dpkit bench %s: %v\n", name, err)
		return exitError
	}
	return exitOK
}

// versionString is the link-time version, else the module version go
// install recorded, else "devel".
func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
