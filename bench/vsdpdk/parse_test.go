package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func parseTestdata(t *testing.T, name string, parse func(*os.File) error) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := parse(f); err != nil {
		t.Fatal(err)
	}
}

func checkFigure(t *testing.T, fs *Figures, name string, want float64, unit string) {
	t.Helper()
	f, ok := fs.Get(name)
	if !ok {
		t.Errorf("%s: missing", name)
		return
	}
	if math.Abs(f.Value-want) > 1e-9*math.Max(1, math.Abs(want)) || f.Unit != unit {
		t.Errorf("%s = %v %s, want %v %s", name, f.Value, f.Unit, want, unit)
	}
}

// The sample is real output of DPDK 22.11's ring_perf_autotest on a
// two-core VM (bench/testdata/ring_perf_autotest.txt).
func TestParseRing(t *testing.T) {
	var fs Figures
	var kind string
	parseTestdata(t, "ring_perf_autotest.txt", func(f *os.File) (err error) {
		kind, err = ParseRing(f, RingOptions{}, &fs)
		return err
	})
	// Per API (legacy, elem16): 2 single + 4 burst + 4 bulk + 2 empty + 4 two-core.
	if fs.Len() != 32 {
		for _, f := range fs.List() {
			t.Log(f.Name, f.Value)
		}
		t.Fatalf("got %d figures, want 32", fs.Len())
	}
	if kind != "two physical cores" {
		t.Errorf("two-core kind %q, want %q", kind, "two physical cores")
	}
	// single: already per element.
	checkFigure(t, &fs, "ring_legacy_spsc_single_cycles_per_elem", 8.30, "cycles")
	checkFigure(t, &fs, "ring_elem16_mpmc_single_cycles_per_elem", 34.93, "cycles")
	// burst/bulk on one core: per iteration in DPDK 22.11, divided by the size.
	checkFigure(t, &fs, "ring_legacy_spsc_burst8_cycles_per_elem", 18.70/8, "cycles")
	checkFigure(t, &fs, "ring_legacy_mpmc_burst32_cycles_per_elem", 58.76/32, "cycles")
	checkFigure(t, &fs, "ring_legacy_spsc_bulk32_cycles_per_elem", 42.33/32, "cycles")
	checkFigure(t, &fs, "ring_elem16_spsc_bulk8_cycles_per_elem", 17.41/8, "cycles")
	checkFigure(t, &fs, "ring_elem16_mpmc_bulk32_cycles_per_elem", 62.97/32, "cycles")
	// empty dequeue: per call, as printed.
	checkFigure(t, &fs, "ring_legacy_spsc_empty_deq8_cycles", 4.04, "cycles")
	checkFigure(t, &fs, "ring_elem16_mpmc_empty_deq8_cycles", 5.03, "cycles")
	// two cores: per element, as printed.
	checkFigure(t, &fs, "ring_legacy_spsc_bulk8_2core_cycles_per_elem", 6.98, "cycles")
	checkFigure(t, &fs, "ring_legacy_mpmc_bulk32_2core_cycles_per_elem", 8.54, "cycles")
	checkFigure(t, &fs, "ring_elem16_mpmc_bulk32_2core_cycles_per_elem", 10.21, "cycles")
	// The "all worker nodes" counts are not figures.
	for _, f := range fs.List() {
		if strings.Contains(f.Name, "count") || f.Value > 1000 {
			t.Errorf("unexpected figure %s %v", f.Name, f.Value)
		}
	}

	// A later DPDK that prints per element: taken as printed.
	var pe Figures
	parseTestdata(t, "ring_perf_autotest.txt", func(f *os.File) error {
		_, err := ParseRing(f, RingOptions{BulkPerElem: true}, &pe)
		return err
	})
	checkFigure(t, &pe, "ring_legacy_mpmc_burst32_cycles_per_elem", 58.76, "cycles")
}

func TestParseRingTwoCoreKinds(t *testing.T) {
	in := `
### Testing using two hyperthreads ###
legacy APIs: SP/SC: bulk (size: 8): 7.00

### Testing using two physical cores ###
legacy APIs: SP/SC: bulk (size: 8): 9.00
legacy APIs: MP/MC: bulk (size: 8): 30.00
`
	var fs Figures
	kind, err := ParseRing(strings.NewReader(in), RingOptions{}, &fs)
	if err != nil {
		t.Fatal(err)
	}
	if kind != "two hyperthreads" {
		t.Errorf("kind %q, want the first section's", kind)
	}
	checkFigure(t, &fs, "ring_legacy_spsc_bulk8_2core_cycles_per_elem", 7, "cycles")
	if _, ok := fs.Get("ring_legacy_mpmc_bulk8_2core_cycles_per_elem"); ok {
		t.Errorf("took a figure from a second kind of core pair")
	}
}

// The sample is the start of real output of DPDK 22.11.11's
// mempool_perf_autotest (bench/testdata/mempool_perf_autotest.txt): the
// "without cache" section, 1 core complete, 2 cores begun.
func TestParseMempool(t *testing.T) {
	var fs Figures
	parseTestdata(t, "mempool_perf_autotest.txt", func(f *os.File) error { return ParseMempool(f, &fs) })
	if fs.Len() != 77 {
		t.Errorf("got %d figures, want 77", fs.Len())
	}
	checkFigure(t, &fs, "mempool_cache0_cores1_get1_put1_keep32", 75746508, "objs/s")
	checkFigure(t, &fs, "mempool_cache0_cores1_get1_put1_keep32_constn", 78459699, "objs/s")
	checkFigure(t, &fs, "mempool_cache0_cores1_get1_put32_keep512", 142986444, "objs/s")
	checkFigure(t, &fs, "mempool_cache0_cores2_get4_put1_keep128", 5701631, "objs/s")
}

func TestParseMempoolSections(t *testing.T) {
	// Section headers as DPDK 22.11 prints them; figures made up.
	in := `RTE>>mempool_perf_autotest
start performance test (without cache)
mempool_autotest cache=0 cores=1 n_get_bulk=4 n_put_bulk=4 n_keep=32 constant_n=0 rate_persec=100
mempool_autotest cache=0 cores=2 n_get_bulk=4 n_put_bulk=4 n_keep=32 constant_n=0 rate_persec=200
mempool_autotest cache=0 cores=2 n_get_bulk=4 n_put_bulk=4 n_keep=32 constant_n=0 rate_persec=201
start performance test for ring_mp_mc (without cache)
mempool_autotest cache=0 cores=1 n_get_bulk=4 n_put_bulk=4 n_keep=32 constant_n=0 rate_persec=300
start performance test (with cache)
mempool_autotest cache=512 cores=1 n_get_bulk=32 n_put_bulk=32 n_keep=128 constant_n=1 rate_persec=400
mempool_autotest cache=512 cores=1 n_get_bulk=32 n_put_bulk=32 n_keep=128 rate_persec=401
start performance test (with user-owned cache)
mempool_autotest cache=512 cores=1 n_get_bulk=32 n_put_bulk=32 n_keep=128 constant_n=0 rate_persec=500
mempool_autotest cache=512 cores=2 n_get_bulk=1 n_put_bulk=1 n_keep=32 constant_n=0 rate_per`
	var fs Figures
	if err := ParseMempool(strings.NewReader(in), &fs); err != nil {
		t.Fatal(err)
	}
	checkFigure(t, &fs, "mempool_cache0_cores1_get4_put4_keep32", 100, "objs/s")
	checkFigure(t, &fs, "mempool_cache0_cores2_get4_put4_keep32", 200, "objs/s") // the cores=max repeat is dropped
	checkFigure(t, &fs, "mempool_ops_ring_mp_mc_cache0_cores1_get4_put4_keep32", 300, "objs/s")
	checkFigure(t, &fs, "mempool_cache512_cores1_get32_put32_keep128_constn", 400, "objs/s")
	checkFigure(t, &fs, "mempool_cache512_cores1_get32_put32_keep128", 401, "objs/s") // older DPDK: no constant_n
	checkFigure(t, &fs, "mempool_usercache512_cores1_get32_put32_keep128", 500, "objs/s")
	if fs.Len() != 6 {
		t.Errorf("got %d figures, want 6 (the cut-off last line must be dropped)", fs.Len())
	}
}

func TestParseDpkit(t *testing.T) {
	in := `# cpus 0,1; tsc 2.45 GHz
ring_legacy_spsc_single_cycles_per_elem 9.10 cycles
ring_legacy_spsc_single_cycles_per_elem 99 cycles
not a figure
mempool_cache0_cores1_get4_put4_keep32 150000000.00 objs/s
`
	var fs Figures
	if err := ParseDpkit(strings.NewReader(in), &fs); err != nil {
		t.Fatal(err)
	}
	if fs.Len() != 2 {
		t.Errorf("got %d figures, want 2", fs.Len())
	}
	checkFigure(t, &fs, "ring_legacy_spsc_single_cycles_per_elem", 9.10, "cycles") // first wins
	checkFigure(t, &fs, "mempool_cache0_cores1_get4_put4_keep32", 150e6, "objs/s")
}

func TestTableAndCovered(t *testing.T) {
	dir := t.TempDir()
	dpkitFile := filepath.Join(dir, "dpkit.txt")
	err := os.WriteFile(dpkitFile, []byte(`ring_legacy_spsc_burst32_cycles_per_elem 2.56 cycles
ring_legacy_spsc_bulk8_2core_cycles_per_elem 6.98 cycles
ring_legacy_spsc_made_up_cycles 1.00 cycles
mempool_cache0_cores1_get1_put1_keep32 151493016.00 objs/s
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	ring := filepath.Join("..", "testdata", "ring_perf_autotest.txt")
	mempool := filepath.Join("..", "testdata", "mempool_perf_autotest.txt")
	md := filepath.Join(dir, "out.md")

	var out, errb bytes.Buffer
	if code := run([]string{"table", "-dpkit", dpkitFile, "-dpdk-ring", ring, "-dpdk-mempool", mempool, "-md", md, "-meta", "cpu: test"}, &out, &errb); code != 0 {
		t.Fatalf("table: exit %d: %s", code, errb.String())
	}
	text := out.String()
	for _, want := range []string{
		// 40.92/32 = 1.27875 for DPDK; 2.56/1.27875 = 2.00
		"ring_legacy_spsc_burst32_cycles_per_elem",
		"2.56          1.28     2.00  cycles    lower",
		"6.98          6.98     1.00  cycles    lower",
		"151.49         75.75     2.00  Mobjs/s   higher",
		"# ring: dpkit runs at 0.71x DPDK's speed", // geomean of 1/2 and 1
		"# mempool: dpkit runs at 2.00x",
		"divided here by the burst size",
		"# dpkit only (1, not compared):\n#   ring_legacy_spsc_made_up_cycles\n",
		"# dpdk only (",
		"#   ring_elem16_mpmc_single_cycles_per_elem\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("table output lacks %q:\n%s", want, text)
		}
	}
	mdText, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"- cpu: test\n",
		"| figure | dpkit | dpdk | ratio dpkit/dpdk | unit | better |",
		"| ring_legacy_spsc_burst32_cycles_per_elem | 2.56 | 1.28 | 2.00 | cycles | lower |",
		"| mempool_cache0_cores1_get1_put1_keep32 | 151.49 | 75.75 | 2.00 | Mobjs/s | higher |",
	} {
		if !strings.Contains(string(mdText), want) {
			t.Errorf("markdown lacks %q:\n%s", want, mdText)
		}
	}

	// covered: the one mempool figure has its DPDK peer.
	if code := run([]string{"covered", "-dpkit", dpkitFile, "-dpdk-mempool", mempool}, &out, &errb); code != 0 {
		t.Errorf("covered: exit %d, want 0", code)
	}
	extra := filepath.Join(dir, "dpkit2.txt")
	if err := os.WriteFile(extra, []byte("mempool_cache512_cores2_get32_put32_keep128 1.00 objs/s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := run([]string{"covered", "-dpkit", dpkitFile, "-dpkit", extra, "-dpdk-mempool", mempool}, &out, &errb); code != 1 {
		t.Errorf("covered with an unpaired figure: exit %d, want 1", code)
	}
}

func TestMergeKeepsBest(t *testing.T) {
	var all Figures
	for _, in := range []string{
		"ring_a 5.00 cycles\nmempool_b 100.00 objs/s\n",
		"ring_a 4.00 cycles\nmempool_b 90.00 objs/s\nring_c 1.00 cycles\n",
		"ring_a 6.00 cycles\nmempool_b 120.00 objs/s\n",
	} {
		var run Figures
		if err := ParseDpkit(strings.NewReader(in), &run); err != nil {
			t.Fatal(err)
		}
		all.Merge(&run)
	}
	checkFigure(t, &all, "ring_a", 4, "cycles")
	checkFigure(t, &all, "mempool_b", 120, "objs/s")
	checkFigure(t, &all, "ring_c", 1, "cycles")
	if got := all.List()[2].Name; got != "ring_c" {
		t.Errorf("order: third figure %s, want ring_c", got)
	}
}
