package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// A Figure is one measured value under dpkit's naming.
type Figure struct {
	Name  string
	Value float64
	Unit  string
}

// Figures is an ordered set of figures; the first figure of a name wins.
type Figures struct {
	list  []Figure
	index map[string]int
}

func (fs *Figures) add(f Figure) bool {
	if fs.index == nil {
		fs.index = make(map[string]int)
	}
	if _, dup := fs.index[f.Name]; dup {
		return false
	}
	fs.index[f.Name] = len(fs.list)
	fs.list = append(fs.list, f)
	return true
}

// Merge adds the figures of another run: new names are appended, and a
// name both hold keeps the better value -- the higher for rates (units
// ending in "/s"), the lower for everything else (cycles). The best of
// several runs is the one least disturbed by the rest of the machine.
func (fs *Figures) Merge(other *Figures) {
	for _, f := range other.List() {
		if fs.add(f) {
			continue
		}
		i := fs.index[f.Name]
		old := fs.list[i].Value
		if higherBetter(f.Unit) && f.Value > old || !higherBetter(f.Unit) && f.Value < old {
			fs.list[i].Value = f.Value
		}
	}
}

// Get returns the figure called name.
func (fs *Figures) Get(name string) (Figure, bool) {
	i, ok := fs.index[name]
	if !ok {
		return Figure{}, false
	}
	return fs.list[i], true
}

// List returns the figures in the order they were read.
func (fs *Figures) List() []Figure { return fs.list }

// Len is the number of figures.
func (fs *Figures) Len() int { return len(fs.list) }

// ParseDpkit reads `dpkit bench` output: "name value unit" lines. Lines
// starting with '#', blank lines and anything else that is not three fields
// with a numeric middle are ignored.
func ParseDpkit(r io.Reader, into *Figures) error {
	sc, err := completeLines(r)
	if err != nil {
		return err
	}
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		into.add(Figure{Name: f[0], Value: v, Unit: f[2]})
	}
	return sc.Err()
}

// RingOptions tells ParseRing how the DPDK build it reads counts.
type RingOptions struct {
	// BulkPerElem: the single-core burst/bulk figures are already per
	// element (DPDK releases after 22.11 divide by the burst size). When
	// false (DPDK 22.11, the default), they are per iteration -- one
	// enqueue plus one dequeue of the whole burst -- and ParseRing divides
	// them by the burst size.
	BulkPerElem bool
}

var (
	ringHeaderRE = regexp.MustCompile(`^### Testing (.+?) ###$`)
	ringLineRE   = regexp.MustCompile(`^(legacy APIs|elem APIs: element size (\d+)B): (SP/SC|MP/MC): (single|burst \(size: (\d+)\)|bulk \(size: (\d+)\)): ([0-9.]+)$`)
)

// ParseRing reads the output of DPDK's ring_perf_autotest and returns its
// figures under dpkit's names, normalised to what those names say:
//
//	### Testing single element enq/deq ###   "single"        cycles per element (one enq + one deq)
//	### Testing burst enq/deq ###            "burst (size: N)" per iteration -> divided by N
//	### Testing bulk enq/deq ###             "bulk (size: N)"  per iteration -> divided by N
//	### Testing empty bulk deq ###           cycles per call, kept as is
//	### Testing using two physical cores ### cycles per element (enq side + deq side), kept as is
//
// The first two-core section is taken, whatever its kind (physical cores,
// hyperthreads, NUMA nodes): run on exactly two lcores, DPDK prints just the
// one that describes them, and dpkit measures the same two CPUs. Its kind
// is returned in twoCoreKind. "all worker nodes" counts are ignored.
func ParseRing(r io.Reader, opt RingOptions, into *Figures) (twoCoreKind string, err error) {
	const (
		secNone = iota
		secSingle
		secBurst
		secBulk
		secEmpty
		secTwoCore
		secIgnore
	)
	sec := secNone
	curKind := ""
	sc, err := completeLines(r)
	if err != nil {
		return "", err
	}
	for sc.Scan() {
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "RTE>>"))
		if m := ringHeaderRE.FindStringSubmatch(line); m != nil {
			switch h := m[1]; {
			case h == "single element enq/deq":
				sec = secSingle
			case h == "burst enq/deq":
				sec = secBurst
			case h == "bulk enq/deq":
				sec = secBulk
			case h == "empty bulk deq":
				sec = secEmpty
			case strings.HasPrefix(h, "using two "):
				sec, curKind = secTwoCore, strings.TrimPrefix(h, "using ")
			default: // "using all worker nodes", anything new
				sec = secIgnore
			}
			continue
		}
		m := ringLineRE.FindStringSubmatch(line)
		if m == nil || sec == secNone || sec == secIgnore {
			continue
		}
		api := "legacy"
		if m[2] != "" {
			api = "elem" + m[2]
		}
		mode := map[string]string{"SP/SC": "spsc", "MP/MC": "mpmc"}[m[3]]
		v, err := strconv.ParseFloat(m[7], 64)
		if err != nil {
			continue
		}
		kind, size := "single", 1
		switch {
		case m[5] != "":
			kind, size = "burst", atoi(m[5])
		case m[6] != "":
			kind, size = "bulk", atoi(m[6])
		}
		if size <= 0 {
			continue
		}
		prefix := "ring_" + api + "_" + mode + "_"
		var name string
		switch sec {
		case secSingle, secBurst, secBulk:
			if kind == "single" {
				name = prefix + "single_cycles_per_elem"
				break
			}
			if !opt.BulkPerElem {
				v /= float64(size)
			}
			name = fmt.Sprintf("%s%s%d_cycles_per_elem", prefix, kind, size)
		case secEmpty:
			name = fmt.Sprintf("%sempty_deq%d_cycles", prefix, size)
		case secTwoCore:
			if twoCoreKind != "" && curKind != twoCoreKind {
				continue // a second kind of pair: not the CPUs dpkit measured
			}
			twoCoreKind = curKind
			name = fmt.Sprintf("%s%s%d_2core_cycles_per_elem", prefix, kind, size)
		}
		into.add(Figure{Name: name, Value: v, Unit: "cycles"})
	}
	return twoCoreKind, sc.Err()
}

var (
	mempoolLineRE    = regexp.MustCompile(`^mempool_autotest cache=(\d+) cores=(\d+) n_get_bulk=(\d+) n_put_bulk=(\d+) n_keep=(\d+)(?: constant_n=(\d+))? rate_persec=(\d+)$`)
	mempoolSectionRE = regexp.MustCompile(`^start performance test (?:for (\S+) )?\((.+)\)$`)
)

// ParseMempool reads the output of DPDK's mempool_perf_autotest. A line
//
//	mempool_autotest cache=512 cores=1 n_get_bulk=4 n_put_bulk=4 n_keep=32 constant_n=0 rate_persec=123456789
//
// becomes mempool_cache512_cores1_get4_put4_keep32 in objs/s (rate_persec
// is objects got and put back per second, summed over the cores).
//
// DPDK runs four sections; only two have a dpkit counterpart:
//
//	"start performance test (without cache)"          -> mempool_cache0_...
//	"start performance test (with cache)"             -> mempool_cache512_...
//	"start performance test for <ops> (without cache)" -> mempool_ops_<ops>_cache0_... (DPDK only)
//	"start performance test (with user-owned cache)"  -> mempool_usercache<N>_...      (DPDK only)
//
// constant_n=1 reruns (compile-time constant bulk sizes) get the suffix
// "_constn". Within a section DPDK runs 1 core, 2 cores, then all lcores;
// on a two-lcore machine the last repeats "cores=2", and the repeat, keeping
// the first figure, is dropped.
func ParseMempool(r io.Reader, into *Figures) error {
	prefix := "mempool_"
	sc, err := completeLines(r)
	if err != nil {
		return err
	}
	for sc.Scan() {
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "RTE>>"))
		if m := mempoolSectionRE.FindStringSubmatch(line); m != nil {
			switch {
			case m[1] != "":
				prefix = "mempool_ops_" + strings.ReplaceAll(m[1], "-", "_") + "_"
			case m[2] == "with user-owned cache":
				prefix = "mempool_user"
			default:
				prefix = "mempool_"
			}
			continue
		}
		m := mempoolLineRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[7], 64)
		if err != nil {
			continue
		}
		name := fmt.Sprintf("%scache%s_cores%s_get%s_put%s_keep%s", prefix, m[1], m[2], m[3], m[4], m[5])
		if m[6] == "1" {
			name += "_constn"
		}
		into.add(Figure{Name: name, Value: v, Unit: "objs/s"})
	}
	return sc.Err()
}

// completeLines returns a scanner over the complete lines of r: a last line
// without its newline is dropped, as it may be a figure cut short (the
// output of a DPDK test that is still running, or was stopped).
func completeLines(r io.Reader) (*bufio.Scanner, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	b = b[:bytes.LastIndexByte(b, '\n')+1]
	return bufio.NewScanner(bytes.NewReader(b)), nil
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}
