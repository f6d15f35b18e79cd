package afxdp_test

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
	"github.com/dpkit/dpkit/ethdev/porttest"
	"github.com/dpkit/dpkit/mbuf"
)

// testpmd is DPDK 22.11's dpdk-testpmd in interactive mode in a
// namespace: commands go to its stdin, its output is collected.
type testpmd struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

func (tp *testpmd) Write(b []byte) (int, error) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return tp.out.Write(b)
}

func (tp *testpmd) text() string {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return tp.out.String()
}

// waitPrompt waits for testpmd's nth prompt.
func (tp *testpmd) waitPrompt(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for strings.Count(tp.text(), "testpmd> ") < n {
		select {
		case <-tp.done:
			t.Fatalf("testpmd exited:\n%s", tp.text())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("testpmd: no prompt in 60 s:\n%s", tp.text())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// do runs a command and waits for the prompt after it.
func (tp *testpmd) do(t *testing.T, cmd string) {
	t.Helper()
	n := strings.Count(tp.text(), "testpmd> ")
	if _, err := io.WriteString(tp.in, cmd+"\n"); err != nil {
		t.Fatalf("testpmd %q: %v", cmd, err)
	}
	if cmd != "quit" {
		tp.waitPrompt(t, n+1)
	}
}

// runTestpmd starts testpmd with DPDK's net_af_xdp on e.vb in e.b.
func runTestpmd(t *testing.T, e *env) *testpmd {
	t.Helper()
	if _, err := exec.LookPath("dpdk-testpmd"); err != nil {
		t.Skip("SKIPPING: dpdk-testpmd not installed (Debian package dpdk)")
	}
	tp := &testpmd{done: make(chan struct{})}
	tp.cmd = e.b.Command("stdbuf", "-o0", "-e0", "dpdk-testpmd", "-l", "0-1", "--no-pci", "--file-prefix=afxdp-test", "-m", "512",
		"--vdev", "net_af_xdp0,iface="+e.vb+",start_queue=0,queue_count=1", "--", "-i", "--total-num-mbufs=16384")
	tp.cmd.Stdout, tp.cmd.Stderr = tp, tp
	var err error
	if tp.in, err = tp.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := tp.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { tp.cmd.Wait(); close(tp.done) }()
	t.Cleanup(func() {
		tp.in.Close()
		select {
		case <-tp.done:
		case <-time.After(10 * time.Second):
			tp.cmd.Process.Kill()
			<-tp.done
		}
		if t.Failed() {
			t.Logf("testpmd output:\n%s", tp.text())
		}
	})
	tp.waitPrompt(t, 1)
	return tp
}

// pmdStats parses testpmd's last "NIC statistics for port 0".
func pmdStats(t *testing.T, out string) map[string]uint64 {
	t.Helper()
	i := strings.LastIndex(out, "NIC statistics for port 0")
	if i < 0 {
		t.Fatalf("no port statistics from testpmd:\n%s", out)
	}
	st := map[string]uint64{}
	for _, m := range regexp.MustCompile(`(RX-packets|RX-bytes|TX-packets|TX-bytes):\s+(\d+)`).FindAllStringSubmatch(out[i:], -1) {
		if _, ok := st[m[1]]; !ok {
			st[m[1]], _ = strconv.ParseUint(m[2], 10, 64)
		}
	}
	return st
}

// TestDPDKPeer puts DPDK's own net_af_xdp (testpmd) on the other end of
// the veth: what we send, its rxonly counts exactly; what its txonly sends
// (10 bursts of 32 with "start tx_first 10"), we receive exactly.
func TestDPDKPeer(t *testing.T) {
	e := newEnv(t)
	skipNoXDP(t, e)
	mp := porttest.NewPool(t, mbuf.PoolConfig{Name: "afxdp-" + t.Name(), N: 2047, CacheSize: 32, DataRoomSize: 2176})
	p := e.open(t, "")
	porttest.Start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1}, mp, 0)
	tp := runTestpmd(t, e)

	tp.do(t, "set fwd rxonly")
	tp.do(t, "start")
	const n = 1000
	var sentBytes uint64
	pkts := make([]*mbuf.Mbuf, 32)
	for i := 0; i < n; {
		k := min(32, n-i)
		for j := range k {
			sz := 60 + (i+j)*37%1340
			pkts[j] = mp.Alloc(0)
			copy(pkts[j].Append(sz), frame(sz, byte(i+j)))
		}
		sent := p.TxBurst(0, pkts[:k])
		for j := range sent {
			sentBytes += uint64(60 + (i+j)*37%1340)
		}
		mbuf.FreeBulk(0, pkts[sent:k])
		i += sent
		time.Sleep(200 * time.Microsecond)
	}
	time.Sleep(300 * time.Millisecond)
	tp.do(t, "stop")
	tp.do(t, "show port stats 0")
	st := pmdStats(t, tp.text())
	if st["RX-packets"] != n || st["RX-bytes"] != sentBytes {
		t.Errorf("testpmd received %d packets, %d bytes; we sent %d, %d", st["RX-packets"], st["RX-bytes"], n, sentBytes)
	}

	tp.do(t, "clear port stats 0")
	tp.do(t, "start tx_first 10")
	time.Sleep(300 * time.Millisecond)
	tp.do(t, "stop")
	tp.do(t, "show port stats 0")
	tp.do(t, "quit")
	st = pmdStats(t, tp.text())
	if st["TX-packets"] != 320 {
		t.Fatalf("testpmd txonly sent %d packets, want 320", st["TX-packets"])
	}
	got := recvPort(p, 320)
	defer mbuf.FreeBulk(0, got)
	if len(got) != 320 {
		t.Fatalf("received %d of testpmd's 320 packets (imissed %d)", len(got), p.Stats().IMissed)
	}
	for i, m := range got {
		b := make([]byte, m.PktLen())
		m.CopyTo(b)
		// testpmd's txonly: IPv4/UDP 198.18.0.1 -> 198.18.0.2, 64 bytes.
		if len(b) != 64 || binary.BigEndian.Uint16(b[12:]) != 0x0800 || b[14+9] != 17 ||
			!bytes.Equal(b[14+12:14+20], []byte{198, 18, 0, 1, 198, 18, 0, 2}) {
			t.Fatalf("packet %d from testpmd: % x", i, b)
		}
	}
	t.Logf("dpkit -> testpmd: %d packets, %d bytes; testpmd -> dpkit: 320 x 64 bytes", n, sentBytes)
}
