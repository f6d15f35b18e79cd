package pcap_test

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/mbuf"
)

// Real peers: DPDK 22.11's own net_pcap (through dpdk-testpmd) and tshark
// read what net_pcap writes, and net_pcap reads what DPDK writes.

// txToFile sends fr through a net_pcap port into a new file and returns
// its path and the time range of the sending.
func txToFile(t *testing.T, dir string, fr []pkt) (string, int64, int64) {
	t.Helper()
	path := filepath.Join(dir, "ours.pcap")
	mp := newPool(t, 1023, 0)
	p := open(t, portName()+",tx_pcap="+path)
	start(t, p, mp, ethdev.Config{})
	before := time.Now().UnixNano()
	for i := 0; i < len(fr); i += 8 {
		var pkts []*mbuf.Mbuf
		for _, f := range fr[i:min(i+8, len(fr))] {
			pkts = append(pkts, mbuftest.Packet(t, mp, f.data, 0))
		}
		if n := p.TxBurst(0, pkts); n != len(pkts) {
			t.Fatalf("TxBurst took %d of %d", n, len(pkts))
		}
	}
	after := time.Now().UnixNano()
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	return path, before, after
}

// TestTsharkReadsTx: tshark reads a file net_pcap wrote as the exact
// frames, stamped between the start and the end of the sending.
func TestTsharkReadsTx(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("SKIPPED: tshark not installed (Debian package tshark): the real-peer test does not run")
	}
	fr := frames(10, 25, 60, 1514, 9000, 128, 4000)
	path, before, after := txToFile(t, t.TempDir(), fr)
	out, err := exec.Command(tshark, "-r", path, "-T", "json", "-x", "-j", "frame").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	var got []struct {
		Source struct {
			Layers struct {
				Raw   []any `json:"frame_raw"`
				Frame struct {
					Len   string `json:"frame.len"`
					Epoch string `json:"frame.time_epoch"`
				} `json:"frame"`
			} `json:"layers"`
		} `json:"_source"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(fr) {
		t.Fatalf("tshark read %d frames, sent %d", len(got), len(fr))
	}
	for i, g := range got {
		l := g.Source.Layers
		raw, _ := l.Raw[0].(string)
		if raw != hex.EncodeToString(fr[i].data) || l.Frame.Len != strconv.Itoa(len(fr[i].data)) {
			t.Fatalf("frame %d: tshark len %s, sent %d bytes (bytes equal %v)", i, l.Frame.Len, len(fr[i].data), raw == hex.EncodeToString(fr[i].data))
		}
		sec, frac, _ := strings.Cut(l.Frame.Epoch, ".")
		s, _ := strconv.ParseInt(sec, 10, 64)
		ns, _ := strconv.ParseInt(frac, 10, 64)
		if ts := s*1e9 + ns; len(frac) != 9 || ts < before || ts > after {
			t.Fatalf("frame %d: time %s outside the sending [%d, %d]", i, l.Frame.Epoch, before, after)
		}
	}
}

// testpmd runs DPDK's testpmd with a net_pcap port reading in and writing
// out, in io forwarding, until out holds want packets (or 30 s pass).
// --no-huge: a vdev needs no hugepages, and the test then needs none.
func testpmd(t *testing.T, in, out string, want int) {
	t.Helper()
	bin, err := exec.LookPath("dpdk-testpmd")
	if err != nil {
		t.Skip("SKIPPED: dpdk-testpmd not installed (Debian package dpdk): the DPDK interop test does not run")
	}
	cmd := exec.Command(bin, "--no-pci", "--no-huge", "--file-prefix=pcap", "-m", "256", "--log-level=lib.eal:error",
		"--vdev", fmt.Sprintf("net_pcap0,rx_pcap=%s,tx_pcap=%s", in, out),
		"--", "--forward-mode=io", "--no-flush-rx", "--total-num-mbufs=4096")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// testpmd's stdout is a pipe, so fully buffered: its progress shows
	// in out (DPDK flushes the file at every burst), not in its output.
	var log strings.Builder
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(&log, stdout)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for countRecords(out) < want && time.Now().Before(deadline) {
		select {
		case <-done:
			cmd.Wait()
			t.Fatalf("testpmd ended before forwarding %d packets:\n%s", want, log.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	stdin.Write([]byte("\n")) // "Press enter to exit"
	stdin.Close()
	timer := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
	<-done
	err = cmd.Wait()
	timer.Stop()
	if err != nil {
		t.Fatalf("testpmd: %v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), fmt.Sprintf("RX-packets: %d", want)) {
		t.Errorf("testpmd's statistics do not show %d packets received:\n%s", want, log.String())
	}
}

// countRecords counts the whole records in a classic pcap file (a file
// still being written may end in a partial one).
func countRecords(path string) int {
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 24 {
		return 0
	}
	n := 0
	for off := 24; off+16 <= len(b); n++ {
		caplen := int(b[off+8]) | int(b[off+9])<<8 | int(b[off+10])<<16 | int(b[off+11])<<24
		if off+16+caplen > len(b) {
			break
		}
		off += 16 + caplen
	}
	return n
}

// TestDPDKInterop: DPDK's net_pcap reads a file ours wrote and forwards
// every frame into a file of its own, which ours then reads back: the
// same frames both ways.
func TestDPDKInterop(t *testing.T) {
	dir := t.TempDir()
	fr := frames(11, 40, 60, 1514, 64, 9000, 333, 2048, 1000)
	ours, _, _ := txToFile(t, dir, fr)
	theirs := filepath.Join(dir, "theirs.pcap")
	before := time.Now().UnixNano()
	testpmd(t, ours, theirs, len(fr))
	after := time.Now().UnixNano()
	// DPDK's file, read by a file reader apart from the driver...
	samePkts(t, readPcap(t, theirs), fr, false)
	// ...and by our driver, with DPDK's nanosecond timestamps.
	mp := newPool(t, 1023, 0)
	p := open(t, portName()+",rx_pcap="+theirs)
	start(t, p, mp, ethdev.Config{})
	got, _ := rxAll(t, p, 0, 1000)
	samePkts(t, got, fr, false)
	for i, g := range got {
		if g.ts < before || g.ts > after {
			t.Fatalf("packet %d: DPDK's timestamp %d outside its run [%d, %d]", i, g.ts, before, after)
		}
	}
}
