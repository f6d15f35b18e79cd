// Command vsdpdk sets dpkit's benchmark figures beside DPDK's: it parses
// `dpkit bench ring|mempool` output and the output of DPDK's
// ring_perf_autotest and mempool_perf_autotest, pairs the figures by name
// and prints a table with the ratio dpkit/dpdk. bench/vs-dpdk.sh runs the
// benchmarks and then this.
//
//	vsdpdk table   -dpkit FILE [-dpkit FILE...] [-dpdk-ring FILE] [-dpdk-mempool FILE] [-md OUT] [-meta TEXT...]
//	vsdpdk covered -dpkit FILE -dpdk-mempool FILE
//	vsdpdk dpdk    [-dpdk-ring FILE] [-dpdk-mempool FILE]
//
// "covered" exits 0 once every mempool figure in the dpkit output has a
// DPDK counterpart in the (possibly still growing) DPDK output, 1 if not:
// vs-dpdk.sh uses it to stop mempool_perf_autotest, which runs for an
// hour, as soon as it has printed what is needed. "dpdk" prints DPDK's
// figures, normalised and under dpkit's names, in dpkit's own
// "name value unit" format.
//
// See ParseRing and ParseMempool for how DPDK's figures are normalised.
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: vsdpdk table|covered|dpdk [flags] (see -h)")
		return 2
	}
	cmd := args[0]
	fs := flag.NewFlagSet("vsdpdk "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var dpkitFiles, ringFiles, mempoolFiles, meta multiFlag
	fs.Var(&dpkitFiles, "dpkit", "`file` of dpkit bench output (repeatable)")
	fs.Var(&ringFiles, "dpdk-ring", "`file` of DPDK ring_perf_autotest output (repeatable)")
	fs.Var(&mempoolFiles, "dpdk-mempool", "`file` of DPDK mempool_perf_autotest output (repeatable)")
	mdFile := fs.String("md", "", "also write the table as markdown to `file`")
	perElem := fs.Bool("dpdk-bulk-per-elem", false, "DPDK's single-core burst/bulk ring figures are already per element (DPDK after 22.11)")
	fs.Var(&meta, "meta", "a `line` describing the run (machine, versions) for the markdown header (repeatable)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "vsdpdk %s: unexpected arguments %q\n", cmd, fs.Args())
		return 2
	}

	// Each file is one run; a figure measured in several runs keeps its
	// best value (see Figures.Merge).
	var dpkit, dpdk Figures
	twoCoreKind := ""
	for _, in := range []struct {
		files multiFlag
		into  *Figures
		parse func(io.Reader, *Figures) error
	}{
		{dpkitFiles, &dpkit, ParseDpkit},
		{ringFiles, &dpdk, func(r io.Reader, f *Figures) (err error) {
			twoCoreKind, err = ParseRing(r, RingOptions{BulkPerElem: *perElem}, f)
			return err
		}},
		{mempoolFiles, &dpdk, ParseMempool},
	} {
		for _, name := range in.files {
			var run Figures
			if err := parseFile(name, func(r io.Reader) error { return in.parse(r, &run) }); err != nil {
				fmt.Fprintln(stderr, "vsdpdk:", err)
				return 1
			}
			in.into.Merge(&run)
		}
	}

	switch cmd {
	case "dpdk":
		for _, f := range dpdk.List() {
			fmt.Fprintf(stdout, "%s %.2f %s\n", f.Name, f.Value, f.Unit)
		}
		if twoCoreKind != "" {
			fmt.Fprintf(stdout, "# two-core figures from DPDK's %q section\n", twoCoreKind)
		}
		return 0
	case "covered":
		missing := 0
		for _, f := range dpkit.List() {
			if _, ok := dpdk.Get(f.Name); !ok && strings.HasPrefix(f.Name, "mempool_") {
				missing++
			}
		}
		if missing > 0 {
			fmt.Fprintf(stdout, "%d dpkit mempool figures still without a DPDK counterpart\n", missing)
			return 1
		}
		return 0
	case "table":
		t := compare(&dpkit, &dpdk)
		t.twoCoreKind = twoCoreKind
		t.perElem = *perElem
		t.ringRuns = max(len(ringFiles), countRuns(dpkitFiles, "ring_"))
		t.writeText(stdout)
		if *mdFile != "" {
			f, err := os.Create(*mdFile)
			if err != nil {
				fmt.Fprintln(stderr, "vsdpdk:", err)
				return 1
			}
			t.writeMarkdown(f, meta)
			if err := f.Close(); err != nil {
				fmt.Fprintln(stderr, "vsdpdk:", err)
				return 1
			}
		}
		if len(t.rows) == 0 {
			fmt.Fprintln(stderr, "vsdpdk: no figure appears on both sides")
			return 1
		}
		return 0
	default:
		fmt.Fprintf(stderr, "vsdpdk: unknown command %q (want table, covered or dpdk)\n", cmd)
		return 2
	}
}

// countRuns counts the files whose output holds figures starting with prefix.
func countRuns(files []string, prefix string) int {
	n := 0
	for _, name := range files {
		var fs Figures
		if parseFile(name, func(r io.Reader) error { return ParseDpkit(r, &fs) }) != nil {
			continue
		}
		for _, f := range fs.List() {
			if strings.HasPrefix(f.Name, prefix) {
				n++
				break
			}
		}
	}
	return n
}

func parseFile(name string, parse func(io.Reader) error) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := parse(f); err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	return nil
}

// A row pairs one figure from each side.
type row struct {
	name        string
	dpkit, dpdk float64
	unit        string
}

// ratio is dpkit/dpdk.
func (r row) ratio() float64 { return r.dpkit / r.dpdk }

// higherBetter tells the direction of a unit: rates are better high,
// everything else (cycles, ns) better low.
func higherBetter(unit string) bool { return strings.HasSuffix(unit, "/s") }

// speed is dpkit's speed relative to DPDK's: > 1 means dpkit is faster.
func (r row) speed() float64 {
	if higherBetter(r.unit) {
		return r.ratio()
	}
	return 1 / r.ratio()
}

type table struct {
	rows                []row
	dpkitOnly, dpdkOnly []string
	twoCoreKind         string
	perElem             bool
	ringRuns            int
}

func compare(dpkit, dpdk *Figures) *table {
	t := &table{}
	for _, f := range dpkit.List() {
		d, ok := dpdk.Get(f.Name)
		if !ok || d.Value == 0 {
			t.dpkitOnly = append(t.dpkitOnly, f.Name)
			continue
		}
		// dpkit's unit names its own figures; DPDK's are normalised to
		// what the shared name says, so they agree unless dpkit misnames.
		t.rows = append(t.rows, row{name: f.Name, dpkit: f.Value, dpdk: d.Value, unit: f.Unit})
	}
	for _, d := range dpdk.List() {
		if _, ok := dpkit.Get(d.Name); !ok {
			t.dpdkOnly = append(t.dpdkOnly, d.Name)
		}
	}
	return t
}

// display scales a value for reading: rates in millions.
func display(v float64, unit string) (string, string) {
	if unit == "objs/s" {
		return fmt.Sprintf("%.2f", v/1e6), "Mobjs/s"
	}
	return fmt.Sprintf("%.2f", v), unit
}

func better(unit string) string {
	if higherBetter(unit) {
		return "higher"
	}
	return "lower"
}

// groups returns the geometric mean of dpkit's relative speed over the
// rows of each figure family (ring, mempool, ...), in first-seen order.
func (t *table) groups() (names []string, geomean map[string]float64, count map[string]int) {
	sum := map[string]float64{}
	count = map[string]int{}
	for _, r := range t.rows {
		g, _, _ := strings.Cut(r.name, "_")
		if count[g] == 0 {
			names = append(names, g)
		}
		count[g]++
		sum[g] += math.Log(r.speed())
	}
	geomean = map[string]float64{}
	for g, s := range sum {
		geomean[g] = math.Exp(s / float64(count[g]))
	}
	return names, geomean, count
}

func (t *table) footnotes() []string {
	notes := []string{
		"ratio = dpkit/dpdk. For cycles lower is better (ratio < 1: dpkit faster); for objs/s higher is better (ratio > 1: dpkit faster). The \"better\" column says which, per row.",
		"Ring figures are TSC cycles. Single-core single/burst/bulk are cycles per element for one enqueue plus one dequeue; empty_deq is cycles per dequeue call on an empty ring; 2core is cycles per element, enqueue side plus dequeue side, each on its own core.",
	}
	if t.perElem {
		notes = append(notes, "DPDK's single-core burst/bulk figures were taken as printed (already per element).")
	} else {
		notes = append(notes, "Normalised: DPDK 22.11's ring_perf_autotest prints single-core burst/bulk figures per iteration (one enqueue + one dequeue of the whole burst), so they are divided here by the burst size (8 or 32) to give cycles per element. Its 'single', two-core and empty-deq figures are used as printed.")
	}
	if t.ringRuns > 1 {
		notes = append(notes, fmt.Sprintf("Ring figures are the best of %d runs on each side (lowest cycles), dpkit and DPDK taking turns.", t.ringRuns))
	}
	if t.twoCoreKind != "" {
		notes = append(notes, fmt.Sprintf("DPDK's two-core figures are from its \"%s\" section, on the same two lcores dpkit used.", t.twoCoreKind))
		notes = append(notes, "Two-core figures depend on where the host places the two vCPUs at that moment (their cross-core cost varied about tenfold over a day here, for DPDK and dpkit alike): compare them only within one run.")
	}
	notes = append(notes, "Mempool figures are objects got and put back per second, summed over all cores (shown in millions); DPDK's are rate_persec lines in mempool_perf_autotest's format, from bench/dpdk/mempool_perf (the autotest's loop on Debian's librte_mempool, same time per case as dpkit) or, with --mempool-autotest, from dpdk-test itself; cache0 from the \"without cache\" pool, cache512 from the \"with cache\" pool.")
	return notes
}

func (t *table) writeText(w io.Writer) {
	nameW := len("figure")
	for _, r := range t.rows {
		nameW = max(nameW, len(r.name))
	}
	fmt.Fprintf(w, "%-*s  %12s  %12s  %7s  %-8s  %s\n", nameW, "figure", "dpkit", "dpdk", "ratio", "unit", "better")
	for _, r := range t.rows {
		a, unit := display(r.dpkit, r.unit)
		b, _ := display(r.dpdk, r.unit)
		fmt.Fprintf(w, "%-*s  %12s  %12s  %7.2f  %-8s  %s\n", nameW, r.name, a, b, r.ratio(), unit, better(r.unit))
	}
	names, gm, n := t.groups()
	for _, g := range names {
		fmt.Fprintf(w, "# %s: dpkit runs at %.2fx DPDK's speed (geometric mean over %d figures; > 1 is faster)\n", g, gm[g], n[g])
	}
	for i, note := range t.footnotes() {
		fmt.Fprintf(w, "# [%d] %s\n", i+1, note)
	}
	writeList(w, "# dpkit only", t.dpkitOnly)
	writeList(w, "# dpdk only", t.dpdkOnly)
}

func writeList(w io.Writer, title string, names []string) {
	if len(names) == 0 {
		return
	}
	fmt.Fprintf(w, "%s (%d, not compared):\n", title, len(names))
	for _, n := range names {
		fmt.Fprintf(w, "#   %s\n", n)
	}
}

func (t *table) writeMarkdown(w io.Writer, meta []string) {
	fmt.Fprintln(w, "# dpkit vs DPDK")
	fmt.Fprintln(w)
	for _, m := range meta {
		fmt.Fprintf(w, "- %s\n", m)
	}
	if len(meta) > 0 {
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "| figure | dpkit | dpdk | ratio dpkit/dpdk | unit | better |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---|---|")
	for _, r := range t.rows {
		a, unit := display(r.dpkit, r.unit)
		b, _ := display(r.dpdk, r.unit)
		fmt.Fprintf(w, "| %s | %s | %s | %.2f | %s | %s |\n", r.name, a, b, r.ratio(), unit, better(r.unit))
	}
	fmt.Fprintln(w)
	names, gm, n := t.groups()
	for _, g := range names {
		fmt.Fprintf(w, "- **%s**: dpkit runs at **%.2fx** DPDK's speed (geometric mean over %d figures; > 1 is faster).\n", g, gm[g], n[g])
	}
	fmt.Fprintln(w)
	for i, note := range t.footnotes() {
		fmt.Fprintf(w, "%d. %s\n", i+1, note)
	}
	for _, l := range []struct {
		title string
		names []string
	}{{"dpkit only", t.dpkitOnly}, {"dpdk only", t.dpdkOnly}} {
		if len(l.names) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n<details><summary>%s (%d, not compared)</summary>\n\n", l.title, len(l.names))
		for _, n := range l.names {
			fmt.Fprintf(w, "- %s\n", n)
		}
		fmt.Fprintln(w, "\n</details>")
	}
}
