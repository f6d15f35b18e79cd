package main

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/dpkit/dpkit/app/bench"
)

func TestRunExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		out  string // substring of stdout+stderr
	}{
		{nil, exitUsage, "Usage:"},
		{[]string{"help"}, exitOK, "dpkit bench <name>"},
		{[]string{"version"}, exitOK, "dpkit "},
		{[]string{"frobnicate"}, exitUsage, "unknown command"},
		{[]string{"bench"}, exitUsage, "usage: dpkit bench"},
		{[]string{"bench", "help"}, exitOK, "mempool"},
		{[]string{"bench", "nosuch"}, exitUsage, "unknown benchmark"},
		{[]string{"bench", "ring", "-nope"}, exitUsage, "flag provided but not defined"},
		{[]string{"bench", "ring", "-l", "x"}, exitUsage, "core list"},
		{[]string{"bench", "ring", "-filter", "("}, exitUsage, "bad filter"},
		{[]string{"bench", "ring", "extra"}, exitUsage, "unexpected arguments"},
		{[]string{"bench", "ring", "-h"}, exitOK, "-quick"},
	} {
		var out bytes.Buffer
		code := run(tc.args, &out, &out)
		if code != tc.code || !strings.Contains(out.String(), tc.out) {
			t.Errorf("run(%q) = %d, output %q; want %d and output containing %q", tc.args, code, out.String(), tc.code, tc.out)
		}
	}
}

func TestRunBenchPassesOptions(t *testing.T) {
	var got bench.Options
	saved := lookupBench
	defer func() { lookupBench = saved }()
	lookupBench = func(string) (bench.Benchmark, bool) {
		return bench.Benchmark{Name: "ring", Run: func(w io.Writer, opt bench.Options) error {
			got = opt
			bench.Report(w, "x", 1, "cycles")
			return nil
		}}, true
	}
	var out bytes.Buffer
	if code := run([]string{"bench", "ring", "-l", "0", "-quick", "-filter", "spsc"}, &out, &out); code != exitOK {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	want := bench.Options{Lcores: "0", Quick: true, Filter: "spsc"}
	if got != want {
		t.Errorf("options %+v, want %+v", got, want)
	}
	if out.String() != "x 1.00 cycles\n" {
		t.Errorf("output %q", out.String())
	}
}
