// Package dpdktest drives DPDK 22.11's dpdk-testpmd from tests, the way
// scripts drive it: interactive mode through a pipe, output parsed.
package dpdktest

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Testpmd is DPDK's dpdk-testpmd in interactive mode, driven through a
// pipe as scripts drive it.
type Testpmd struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser
	mu    sync.Mutex
	out   bytes.Buffer
	// exited is closed when the process has ended.
	exited chan struct{}
}

// Write collects testpmd's output (it is the process's stdout and stderr).
func (p *Testpmd) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

// Output is everything testpmd printed so far.
func (p *Testpmd) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// Start runs dpdk-testpmd -i with the vdevs (and --file-prefix=prefix,
// -m 256, --no-pci on lcores 0-1) and waits for its prompt. It skips the
// test, loudly, where DPDK cannot run (not root, not installed). The
// process is told to quit, and killed if it does not, when the test ends.
func Start(t *testing.T, prefix string, vdevs ...string) *Testpmd {
	t.Helper()
	return StartArgs(t, prefix, vdevs, nil)
}

// StartArgs is Start with testpmd's own arguments (after "--", beside -i
// and --total-num-mbufs=4096), e.g. --rxq=2 --txq=2.
func StartArgs(t *testing.T, prefix string, vdevs, appArgs []string) *Testpmd {
	t.Helper()
	return StartIn(t, "", prefix, vdevs, appArgs)
}

// StartIn is StartArgs inside the network namespace netns (a name under
// /run/netns, as `ip netns` makes; "" is this process's namespace).
func StartIn(t *testing.T, netns, prefix string, vdevs, appArgs []string) *Testpmd {
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
	p := &Testpmd{t: t}
	args := []string{"-oL", "-eL", bin, "-l", "0-1", "--no-pci", "--file-prefix=" + prefix, "-m", "256"}
	for _, v := range vdevs {
		args = append(args, "--vdev", v)
	}
	args = append(args, "--", "-i", "--total-num-mbufs=4096")
	args = append(args, appArgs...)
	if netns != "" {
		p.cmd = exec.Command("ip", append([]string{"netns", "exec", netns, stdbuf}, args...)...)
	} else {
		p.cmd = exec.Command(stdbuf, args...)
	}
	p.cmd.Stdout, p.cmd.Stderr = p, p
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.exited = make(chan struct{})
	go func() { p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.stdin.Write([]byte("quit\n"))
		p.stdin.Close()
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("testpmd output:\n%s", p.Output())
		}
	})
	p.Expect("testpmd> ", 30*time.Second)
	return p
}

// Kill ends testpmd at once (SIGKILL), as a crash would, and waits for it.
func (p *Testpmd) Kill() {
	p.cmd.Process.Kill()
	<-p.exited
}

// Do sends a command and waits for the prompt after it (for "quit", only
// sends it).
func (p *Testpmd) Do(cmd string) {
	p.t.Helper()
	n := strings.Count(p.Output(), "testpmd> ")
	p.Send(cmd)
	if cmd == "quit" {
		return
	}
	for end := time.Now().Add(60 * time.Second); strings.Count(p.Output(), "testpmd> ") <= n; time.Sleep(10 * time.Millisecond) {
		select {
		case <-p.exited:
			p.t.Fatalf("testpmd exited after %q", cmd)
		default:
		}
		if time.Now().After(end) {
			p.t.Fatalf("testpmd: no prompt after %q", cmd)
		}
	}
}

// Send writes a command line.
func (p *Testpmd) Send(cmd string) {
	if _, err := io.WriteString(p.stdin, cmd+"\n"); err != nil {
		p.t.Fatalf("testpmd: %v", err)
	}
}

// Expect waits until the output (from offset on) contains s.
func (p *Testpmd) Expect(s string, d time.Duration) {
	p.t.Helper()
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if strings.Contains(p.Output(), s) {
			return
		}
		select {
		case <-p.exited:
			if strings.Contains(p.Output(), s) {
				return
			}
			p.t.Fatalf("testpmd exited before printing %q", s)
		default:
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.t.Fatalf("testpmd: no %q within %v", s, d)
}

var statRe = regexp.MustCompile(`(RX-packets|RX-bytes|TX-packets|TX-bytes):\s+(\d+)`)

// Stop stops forwarding and waits until testpmd says it is done.
func (p *Testpmd) Stop() {
	p.t.Helper()
	from := len(p.Output())
	p.Send("stop")
	p.WaitAfter(from, 10*time.Second, "Done.")
}

// WaitAfter waits until the output past offset from contains all of want,
// in order, and returns that part of the output.
func (p *Testpmd) WaitAfter(from int, d time.Duration, want ...string) string {
	p.t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		out := p.Output()[from:]
		rest, ok := out, true
		for _, w := range want {
			i := strings.Index(rest, w)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(w):]
		}
		if ok {
			return out
		}
	}
	p.t.Fatalf("testpmd: no %q within %v", want, d)
	return ""
}

// PortStats runs "show port stats "+strconv.Itoa(port) and parses what it prints.
func (p *Testpmd) PortStats(port int) map[string]uint64 {
	p.t.Helper()
	from := len(p.Output())
	p.Send("show port stats " + strconv.Itoa(port))
	out := p.WaitAfter(from, 10*time.Second, fmt.Sprintf("NIC statistics for port %d ", port), "Tx-bps")
	st := map[string]uint64{}
	for _, m := range statRe.FindAllStringSubmatch(out[strings.Index(out, fmt.Sprintf("NIC statistics for port %d ", port)):], -1) {
		if _, seen := st[m[1]]; !seen {
			st[m[1]], _ = strconv.ParseUint(m[2], 10, 64)
		}
	}
	return st
}

// LinkUp waits until testpmd reports port 0's link up.
func (p *Testpmd) LinkUp(port int) {
	p.t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		from := len(p.Output())
		p.Send("show port info " + strconv.Itoa(port))
		if strings.Contains(p.WaitAfter(from, 10*time.Second, "Link status:", "\n"), "Link status: up") {
			return
		}
	}
	p.t.Fatal("testpmd: port 0 link not up")
}
