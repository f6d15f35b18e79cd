package memifproto

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// testpmd is DPDK's dpdk-testpmd in interactive mode, driven through a
// pipe as scripts drive it.
type testpmd struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser
	mu    sync.Mutex
	out   bytes.Buffer
}

func (p *testpmd) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func (p *testpmd) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// startTestpmd runs dpdk-testpmd with one net_memif vdev; it skips the
// test, loudly, where DPDK cannot run (not root, not installed).
func startTestpmd(t *testing.T, vdev string) *testpmd {
	t.Helper()
	bin, err := exec.LookPath("dpdk-testpmd")
	if err != nil {
		t.Skip("SKIP: dpdk-testpmd not installed (Debian package dpdk); make check installs it")
	}
	if os.Geteuid() != 0 {
		t.Skip("SKIP: dpdk-testpmd needs root (hugepages); make check runs as root")
	}
	// testpmd's stdout is a pipe here: without stdbuf, stdio would hold
	// everything back until exit.
	stdbuf, err := exec.LookPath("stdbuf")
	if err != nil {
		t.Skip("SKIP: stdbuf (coreutils) not found")
	}
	p := &testpmd{t: t}
	p.cmd = exec.Command(stdbuf, "-oL", "-eL", bin, "-l", "0-1", "--no-pci", "--file-prefix=dpkit-memifproto", "-m", "256",
		"--log-level=pmd.net.memif:debug", "--vdev", vdev, "--", "-i", "--total-num-mbufs=4096")
	p.cmd.Stdout, p.cmd.Stderr = p, p
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.stdin.Write([]byte("quit\n"))
		p.stdin.Close()
		done := make(chan struct{})
		go func() { p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("testpmd output:\n%s", p.output())
		}
	})
	p.expect("testpmd> ", 30*time.Second)
	return p
}

// send writes a command line.
func (p *testpmd) send(cmd string) {
	if _, err := io.WriteString(p.stdin, cmd+"\n"); err != nil {
		p.t.Fatalf("testpmd: %v", err)
	}
}

// expect waits until the output (from offset on) contains s.
func (p *testpmd) expect(s string, d time.Duration) {
	p.t.Helper()
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if strings.Contains(p.output(), s) {
			return
		}
		if p.cmd.ProcessState != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.t.Fatalf("testpmd: no %q within %v", s, d)
}

var statRe = regexp.MustCompile(`(RX-packets|RX-bytes|TX-packets|TX-bytes):\s+(\d+)`)

// portStats runs "show port stats 0" and parses the newest block.
func (p *testpmd) portStats() map[string]uint64 {
	p.t.Helper()
	mark := fmt.Sprintf("mark-%d", time.Now().UnixNano())
	p.send("show port stats 0")
	p.send("echo " + mark) // not a command: testpmd answers "Bad arguments", after the stats
	p.expect(mark, 10*time.Second)
	out := p.output()
	i := strings.LastIndex(out, "NIC statistics for port 0")
	if i < 0 {
		p.t.Fatal("testpmd printed no port stats")
	}
	st := map[string]uint64{}
	for _, m := range statRe.FindAllStringSubmatch(out[i:], -1) {
		if _, seen := st[m[1]]; !seen {
			st[m[1]], _ = strconv.ParseUint(m[2], 10, 64)
		}
	}
	return st
}

// linkUp waits until testpmd reports port 0's link up.
func (p *testpmd) linkUp() {
	p.t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		mark := fmt.Sprintf("mark-%d", time.Now().UnixNano())
		p.send("show port info 0")
		p.send("echo " + mark)
		p.expect(mark, 10*time.Second)
		out := p.output()
		if i := strings.LastIndex(out, "Link status:"); i >= 0 && strings.HasPrefix(out[i:], "Link status: up") {
			return
		}
	}
	p.t.Fatal("testpmd: port 0 link not up")
}

func dialRetry(t *testing.T, addr SocketAddr) *Conn {
	t.Helper()
	end := time.Now().Add(20 * time.Second)
	for {
		c, err := Dial(addr)
		if err == nil {
			return c
		}
		if time.Now().After(end) {
			t.Fatalf("dial %v: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDPDKServer: DPDK's memif PMD as the server, this package as the
// client; packets both ways, counted exactly and checked byte for byte.
func TestDPDKServer(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "memif.sock")
	p := startTestpmd(t, "net_memif0,role=server,id=3,secret=abc,socket="+sock+",socket-abstract=no,rsize=9,bsize=2048")
	c := dialRetry(t, SocketAddr{Path: sock})
	s, err := ClientHandshake(c, ClientConfig{ID: 3, Secret: "abc", Name: "dpkit", IfName: "dpkit0", NumC2S: 1, NumS2C: 1, Log2RingSize: 9, BufSize: 2048})
	if err != nil {
		t.Fatalf("handshake with DPDK: %v", err)
	}
	defer s.Close()
	if !strings.HasPrefix(s.PeerName, "DPDK") {
		t.Errorf("peer name %q", s.PeerName)
	}
	p.linkUp()

	// DPDK txonly -> us: after stop, what DPDK counts as sent is what we got.
	rx := s.ClientRxQueue(0)
	rx.SetInterrupt(false)
	rx.Refill()
	stop := make(chan struct{})
	type result struct {
		pkts, bytes uint64
		err         error
	}
	res := make(chan result, 1)
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		<-res // the reader must be done before the region is unmapped
	}()
	go func() {
		var r result
		idle := 0
		for {
			n, err := rx.Ready()
			if err != nil {
				r.err = err
				break
			}
			for i := range n {
				b, next, ok := rx.Buf(i)
				if !ok || next {
					r.err = fmt.Errorf("descriptor %d: ok %v next %v", i, ok, next)
				}
				r.pkts++
				r.bytes += uint64(len(b))
			}
			rx.Done(n)
			if n == 0 {
				select {
				case <-stop:
					// Drain what was in flight when told to stop.
					if idle++; idle > 100 {
						res <- r
						return
					}
				default:
				}
				time.Sleep(100 * time.Microsecond)
			}
		}
		res <- r
	}()
	p.send("set fwd txonly")
	p.send("start")
	time.Sleep(500 * time.Millisecond)
	p.send("stop")
	p.expect("Done.", 10*time.Second)
	close(stop)
	r := <-res
	res <- r
	if r.err != nil {
		t.Fatal(r.err)
	}
	st := p.portStats()
	if r.pkts == 0 || r.pkts != st["TX-packets"] || r.bytes != st["TX-bytes"] {
		t.Errorf("DPDK sent %d packets / %d bytes, we received %d / %d", st["TX-packets"], st["TX-bytes"], r.pkts, r.bytes)
	}
	t.Logf("DPDK txonly -> dpkit: %d packets, %d bytes", r.pkts, r.bytes)

	// Us -> DPDK rxonly: 5000 packets of 100..1099 bytes through a ring of 512.
	p.send("clear port stats 0")
	p.send("set fwd rxonly")
	p.send("start")
	tx := s.ClientTxQueue(0)
	var want uint64
	sent := 0
	for deadline := time.Now().Add(10 * time.Second); sent < 5000; {
		n, err := tx.Ready()
		if err != nil {
			t.Fatal(err)
		}
		n = min(n, 5000-sent, 32)
		for i := range n {
			b, _, _ := tx.Buf(i)
			size := 100 + (sent+i)%1000
			copy(b, bytes.Repeat([]byte{0xaa}, size))
			tx.Set(i, uint32(size), false)
			want += uint64(size)
		}
		tx.Done(n)
		sent += n
		if n == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("DPDK stopped taking packets after %d", sent)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	// Wait until DPDK has taken them all back (tail catches up).
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if n, _ := tx.Ready(); n == tx.Size() {
			break
		}
	}
	p.send("stop")
	p.expect("Done.", 10*time.Second)
	st = p.portStats()
	if st["RX-packets"] != 5000 || st["RX-bytes"] != want {
		t.Errorf("DPDK received %d packets / %d bytes, we sent 5000 / %d", st["RX-packets"], st["RX-bytes"], want)
	}
}

// TestDPDKClient: this package as the server, DPDK's memif PMD as the
// client (it lays out the memory; we validate and map it).
func TestDPDKClient(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "memif.sock")
	addr := SocketAddr{Path: sock}
	l, err := Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p := startTestpmd(t, "net_memif0,role=client,id=5,socket="+sock+",socket-abstract=no,rsize=10,bsize=2048")
	type hs struct {
		s   *Session
		err error
	}
	ch := make(chan hs, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			ch <- hs{nil, err}
			return
		}
		s, err := ServerHandshake(c, ServerConfig{Name: "dpkit", MaxRegion: 255, MaxC2SRing: 255, MaxS2CRing: 255, MaxLog2RingSize: 14,
			Accept: func(in Init) (string, error) {
				if in.ID != 5 {
					return "", fmt.Errorf("no interface %d", in.ID)
				}
				return "dpkit0", nil
			}})
		ch <- hs{s, err}
	}()
	var s *Session
	select {
	case h := <-ch:
		if h.err != nil {
			t.Fatalf("handshake with DPDK: %v", h.err)
		}
		s = h.s
	case <-time.After(20 * time.Second):
		t.Fatal("DPDK's client did not connect")
	}
	defer s.Close()
	p.linkUp()

	// Us -> DPDK (server tx on S2C): DPDK's rxonly counts them.
	p.send("set fwd rxonly")
	p.send("start")
	tx := s.ServerTxQueue(0)
	var want uint64
	sent := 0
	for deadline := time.Now().Add(10 * time.Second); sent < 3000; {
		n, err := tx.Ready()
		if err != nil {
			t.Fatal(err)
		}
		n = min(n, 3000-sent, 32)
		for i := range n {
			b, _, ok := tx.Buf(i)
			if !ok || len(b) < 1500 {
				t.Fatalf("DPDK offered a bad buffer: %d bytes, ok %v", len(b), ok)
			}
			size := 60 + (sent+i)%1400
			tx.Set(i, uint32(size), false)
			want += uint64(size)
		}
		tx.Done(n)
		sent += n
		if n == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("DPDK offered no buffers after %d packets", sent)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	time.Sleep(200 * time.Millisecond)
	p.send("stop")
	p.expect("Done.", 10*time.Second)
	st := p.portStats()
	if st["RX-packets"] != 3000 || st["RX-bytes"] != want {
		t.Errorf("DPDK received %d packets / %d bytes, we sent 3000 / %d", st["RX-packets"], st["RX-bytes"], want)
	}

	// DPDK txonly -> us (server rx on C2S).
	rx := s.ServerRxQueue(0)
	p.send("clear port stats 0")
	p.send("set fwd txonly")
	p.send("start")
	var got, gotBytes uint64
	drain := func() {
		n, err := rx.Ready()
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			b, next, ok := rx.Buf(i)
			if !ok || next {
				t.Fatalf("descriptor from DPDK: ok %v next %v", ok, next)
			}
			got++
			gotBytes += uint64(len(b))
		}
		rx.Done(n)
	}
	for end := time.Now().Add(500 * time.Millisecond); time.Now().Before(end); {
		drain()
	}
	p.send("stop")
	p.expect("Done.", 10*time.Second)
	for range 50 {
		drain()
		time.Sleep(2 * time.Millisecond)
	}
	st = p.portStats()
	if got == 0 || got != st["TX-packets"] || gotBytes != st["TX-bytes"] {
		t.Errorf("DPDK sent %d / %d bytes, we received %d / %d", st["TX-packets"], st["TX-bytes"], got, gotBytes)
	}
	t.Logf("DPDK txonly -> dpkit server: %d packets", got)
}
