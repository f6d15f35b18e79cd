package afpacket_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/mbuf"
)

// testpmd runs DPDK 22.11's dpdk-testpmd interactively in a namespace,
// fed commands through stdin; its output is read at the end.
type testpmd struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	mu    sync.Mutex
	out   bytes.Buffer
}

func (tp *testpmd) Write(b []byte) (int, error) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return tp.out.Write(b)
}

func (tp *testpmd) output() string {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return tp.out.String()
}

// prompts counts testpmd's prompts so far.
func (tp *testpmd) prompts() int { return strings.Count(tp.output(), "testpmd> ") }

// waitPrompts waits until testpmd has printed n prompts.
func (tp *testpmd) waitPrompts(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for tp.prompts() < n {
		if time.Now().After(deadline) {
			t.Fatalf("testpmd: no prompt after 20 s:\n%s", tp.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// send runs one command and waits for it to finish (the next prompt).
func (tp *testpmd) send(t *testing.T, cmd string) {
	t.Helper()
	n := tp.prompts()
	if _, err := io.WriteString(tp.stdin, cmd+"\n"); err != nil {
		t.Fatalf("testpmd %q: %v\n%s", cmd, err, tp.output())
	}
	if cmd != "quit" {
		tp.waitPrompts(t, n+1)
	}
}

// startTestpmd starts testpmd with one net_af_packet port on e.vb in e.b
// and waits for its prompt.
func startTestpmd(t *testing.T, e *env) *testpmd {
	t.Helper()
	if _, err := exec.LookPath("dpdk-testpmd"); err != nil {
		t.Skip("SKIP: dpdk-testpmd not installed (Debian package dpdk)")
	}
	tp := &testpmd{}
	// stdbuf: testpmd's output unbuffered, so that its prompts show as
	// they come. framecnt=2048: room for all we send, however late its
	// lcore gets the CPU on a busy machine.
	tp.cmd = e.b.Command("stdbuf", "-o0", "-e0", "dpdk-testpmd", "-l", "0-1", "--no-pci", "--file-prefix=afpacket", "-m", "256", "--no-huge",
		"--vdev", "net_af_packet0,iface="+e.vb+",framecnt=2048", "--", "-i", "--total-num-mbufs=8192")
	tp.cmd.Stdout, tp.cmd.Stderr = tp, tp
	var err error
	if tp.stdin, err = tp.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := tp.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		tp.stdin.Close()
		done := make(chan error, 1)
		go func() { done <- tp.cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			tp.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("testpmd output:\n%s", tp.output())
		}
	})
	tp.waitPrompts(t, 1)
	return tp
}

// portStats parses the last "NIC statistics for port 0" of testpmd.
func portStats(t *testing.T, out string) map[string]uint64 {
	t.Helper()
	i := strings.LastIndex(out, "NIC statistics for port 0")
	if i < 0 {
		t.Fatalf("no port statistics in testpmd's output:\n%s", out)
	}
	st := map[string]uint64{}
	for _, m := range regexp.MustCompile(`(RX-packets|RX-bytes|RX-missed|RX-errors|TX-packets|TX-bytes|TX-errors):\s+(\d+)`).FindAllStringSubmatch(out[i:], -1) {
		if _, seen := st[m[1]]; !seen {
			st[m[1]], _ = strconv.ParseUint(m[2], 10, 64)
		}
	}
	return st
}

// TestDPDKTestpmd runs DPDK's own af_packet PMD in testpmd on one end of a
// veth and this driver on the other: what we send, testpmd's rxonly
// counts exactly (packets and bytes); what testpmd's txonly sends (10
// bursts of 32 by "start tx_first 10"), we receive exactly.
func TestDPDKTestpmd(t *testing.T) {
	e := newEnv(t)
	mp := newPool(t, 2047, 0)
	p := e.open(t, "")
	start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1}, mp)
	tp := startTestpmd(t, e)

	// dpkit -> DPDK.
	tp.send(t, "set fwd rxonly")
	tp.send(t, "start")
	const n = 1000
	var bytesSent uint64
	pkts := make([]*mbuf.Mbuf, 32)
	for i := 0; i < n; {
		k := min(32, n-i)
		for j := range k {
			sz := 60 + (i+j)*37%1455
			pkts[j] = mp.Alloc(lc)
			copy(pkts[j].Append(sz), ethFrame(sz, 0x88b5, i+j))
		}
		sent := p.TxBurst(0, pkts[:k])
		for j := range sent {
			bytesSent += uint64(60 + (i+j)*37%1455)
		}
		mbuf.FreeBulk(lc, pkts[sent:k])
		i += sent
		time.Sleep(200 * time.Microsecond)
	}
	time.Sleep(300 * time.Millisecond)
	tp.send(t, "stop")
	tp.send(t, "show port stats 0")
	st := portStats(t, tp.output())
	if st["RX-packets"] != n || st["RX-bytes"] != bytesSent {
		t.Errorf("testpmd received %d packets, %d bytes; we sent %d, %d", st["RX-packets"], st["RX-bytes"], n, bytesSent)
	}
	if ps := p.Stats(); ps.OPackets != n || ps.OBytes != bytesSent || ps.OErrors != 0 {
		t.Errorf("our tx stats %d packets %d bytes %d errors; want %d, %d, 0", ps.OPackets, ps.OBytes, ps.OErrors, n, bytesSent)
	}

	// DPDK -> dpkit.
	tp.send(t, "clear port stats 0")
	tp.send(t, "start tx_first 10")
	time.Sleep(300 * time.Millisecond)
	tp.send(t, "stop")
	tp.send(t, "show port stats 0")
	tp.send(t, "quit")
	st = portStats(t, tp.output())
	if st["TX-packets"] != 320 || st["TX-bytes"] != 320*64 {
		t.Fatalf("testpmd txonly sent %d packets, %d bytes; want 320 of 64", st["TX-packets"], st["TX-bytes"])
	}
	got := rxAll(t, p, 1, 320)[0]
	if len(got) != 320 {
		t.Fatalf("received %d of testpmd's 320 packets (imissed %d)", len(got), p.Stats().IMissed)
	}
	for i, g := range got {
		// testpmd's txonly packet: IPv4/UDP, 198.18.0.1 -> 198.18.0.2, 64 bytes.
		ip := g.data[14:]
		if len(g.data) != 64 || binary.BigEndian.Uint16(g.data[12:]) != 0x0800 || ip[9] != 17 ||
			!bytes.Equal(ip[12:20], []byte{198, 18, 0, 1, 198, 18, 0, 2}) {
			t.Fatalf("packet %d from testpmd: % x", i, g.data)
		}
	}
	t.Logf("dpkit -> testpmd: %d packets, %d bytes; testpmd -> dpkit: 320 x 64 bytes", n, bytesSent)
}
