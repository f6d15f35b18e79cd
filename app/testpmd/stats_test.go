package testpmd

import (
	"bytes"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// blocks returns every block of lines of file that starts with a line
// containing start and ends with the first later line containing end.
func blocks(t *testing.T, file, start, end string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.Contains(lines[i], start) {
			continue
		}
		for j := i + 1; j < len(lines); j++ {
			if strings.Contains(lines[j], end) {
				out = append(out, strings.Join(lines[i:j+1], "\n")+"\n")
				i = j
				break
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no block from %q to %q", file, start, end)
	}
	return out
}

var numRe = regexp.MustCompile(`\b\d+\b`)

func numbers(t *testing.T, s string) []uint64 {
	var n []uint64
	for _, f := range numRe.FindAllString(s, -1) {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		n = append(n, v)
	}
	return n
}

// The printers, given the numbers DPDK printed, print DPDK's text exactly.
func TestNICStatsLikeDPDK(t *testing.T) {
	for _, blk := range blocks(t, "testdata/dpdk_session.txt", "######## NIC statistics for port", "##########################################") {
		n := numbers(t, blk)
		if len(n) != 13 {
			t.Fatalf("block has %d numbers:\n%s", len(n), blk)
		}
		var b bytes.Buffer
		printNICStats(&b, int(n[0]), PortStats{IPackets: n[1], IMissed: n[2], IBytes: n[3], IErrors: n[4], RxNombuf: n[5],
			OPackets: n[6], OErrors: n[7], OBytes: n[8]}, Throughput{RxPPS: n[9], RxBPS: n[10], TxPPS: n[11], TxBPS: n[12]})
		if got := strings.TrimPrefix(b.String(), "\n"); got != blk {
			t.Errorf("got\n%q\nwant\n%q", got, blk)
		}
	}
}

func TestFwdStatsLikeDPDK(t *testing.T) {
	check := func(file string, csum bool, fields int) {
		for _, blk := range blocks(t, file, "Forward statistics for port", "-------------------------------------------") {
			n := numbers(t, blk)
			if len(n) != fields {
				t.Fatalf("block has %d numbers:\n%s", len(n), blk)
			}
			s := FwdStats{RxPackets: n[1], RxDropped: n[2]}
			tx := n[4:]
			if csum {
				s.BadIPCsum, s.BadL4Csum, s.BadOuterL4Csum, s.BadOuterIPCsum = n[4], n[5], n[6], n[7]
				tx = n[8:]
			}
			s.TxPackets, s.TxDropped = tx[0], tx[1]
			var b bytes.Buffer
			printFwdPortStats(&b, int(n[0]), s, csum)
			if got := strings.TrimPrefix(b.String(), "\n"); got != blk {
				t.Errorf("got\n%q\nwant\n%q", got, blk)
			}
		}
		for _, blk := range blocks(t, file, "Accumulated forward statistics", "++++++++++++++++++++++++++++++++++++++++++++++") {
			n := numbers(t, blk)
			var b bytes.Buffer
			printFwdAccum(&b, FwdStats{RxPackets: n[0], RxDropped: n[1], TxPackets: n[3], TxDropped: n[4]}, 0)
			if got := strings.TrimPrefix(b.String(), "\n"); got != blk {
				t.Errorf("got\n%q\nwant\n%q", got, blk)
			}
		}
	}
	check("testdata/dpdk_session.txt", false, 7)
	check("testdata/dpdk_csum_fwdstats.txt", true, 11)
}

func TestXStatsLikeDPDK(t *testing.T) {
	for _, blk := range blocks(t, "testdata/dpdk_session.txt", "NIC extended statistics", "tx_q0_bytes") {
		lines := strings.Split(strings.TrimSuffix(blk, "\n"), "\n")
		var xs []XStat
		for _, l := range lines[1:] {
			name, v, _ := strings.Cut(l, ": ")
			n, _ := strconv.ParseUint(v, 10, 64)
			xs = append(xs, XStat{name, n})
		}
		port := int(numbers(t, lines[0])[0])
		var b bytes.Buffer
		printXStats(&b, port, xs)
		if b.String() != blk {
			t.Errorf("got\n%q\nwant\n%q", b.String(), blk)
		}
	}
}

func TestRateMeter(t *testing.T) {
	var r rateMeter
	t0 := time.Unix(100, 0)
	if th := r.sample(PortStats{IPackets: 10}, t0); th != (Throughput{}) {
		t.Errorf("first sample gave %+v", th)
	}
	th := r.sample(PortStats{IPackets: 2010, IBytes: 128000, OPackets: 1010, OBytes: 64000}, t0.Add(2*time.Second))
	want := Throughput{RxPPS: 1000, RxBPS: 512000, TxPPS: 505, TxBPS: 256000}
	if th != want {
		t.Errorf("rate %+v, want %+v", th, want)
	}
	if th := r.sample(PortStats{}, t0.Add(3*time.Second)); th != (Throughput{}) {
		t.Errorf("after a clear: %+v", th)
	}
}

// A --stats-period screen, given DPDK's numbers, is DPDK's screen (then
// dpkit's one-line sum).
func TestStatsScreenLikeDPDK(t *testing.T) {
	blk := blocks(t, "testdata/dpdk_stats_period.txt", "Port statistics ====", "NIC statistics for port 1")[0]
	b, _ := os.ReadFile("testdata/dpdk_stats_period.txt")
	want := string(b)
	// The first screen: from its title to port 1's closing rule.
	end := strings.Index(want[len(blk):], "  ####################################################################")
	want = want[:len(blk)+end] + "  " + hashes(76) + "\n"
	var stats []PortStats
	var rates []Throughput
	for _, nb := range blocks(t, "testdata/dpdk_stats_period.txt", "######## NIC statistics for port", "##########################################")[:2] {
		n := numbers(t, nb)
		stats = append(stats, PortStats{IPackets: n[1], IMissed: n[2], IBytes: n[3], IErrors: n[4], RxNombuf: n[5],
			OPackets: n[6], OErrors: n[7], OBytes: n[8]})
		rates = append(rates, Throughput{RxPPS: n[9], RxBPS: n[10], TxPPS: n[11], TxBPS: n[12]})
	}
	var out bytes.Buffer
	printStatsScreen(&out, []int{0, 1}, stats, rates)
	got, ok := strings.CutPrefix(out.String(), "\x1b[2J\x1b[1;1H\n")
	if !ok {
		t.Fatalf("screen does not start by clearing: %q", out.String())
	}
	if !strings.HasPrefix(got, want) {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	if !strings.HasSuffix(got, "\n  All ports: Rx-Mpps: 0.000          Tx-Mpps: 0.000\n") {
		t.Errorf("no sum line: %q", got)
	}
}
