package afxdp_test

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/mbuf"
)

// childEnv names the interface the re-executed test binary opens a port
// on (in the namespace it was started in) before it waits to be killed.
const childEnv = "DPKIT_AFXDP_KILL_CHILD"

// A process that has a started port and is killed with SIGKILL leaves no
// XDP program on the interface: the program is attached through a
// bpf_link, whose only reference is the process's file descriptor, and the
// kernel closes those when the process dies, which detaches the program
// (and closing the AF_XDP sockets takes them out of the XSKMAP and frees
// their UMEM registrations). No cleanup code of ours runs.
func TestKilledProcessDetaches(t *testing.T) {
	if iface := os.Getenv(childEnv); iface != "" {
		killChild(iface)
		return
	}
	e := newEnv(t)
	skipNoXDP(t, e)
	cmd := exec.Command("ip", "netns", "exec", e.a.Name(), os.Args[0], "-test.run=^TestKilledProcessDetaches$")
	cmd.Env = append(os.Environ(), childEnv+"="+e.va)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "ready") || strings.HasPrefix(sc.Text(), "child:") {
				ready <- sc.Text()
				return
			}
		}
		ready <- "child exited"
	}()
	select {
	case s := <-ready:
		if s != "ready" {
			t.Fatalf("child: %s", s)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("child not ready in 20 s")
	}
	if !xdpAttached(t, e.a, e.va) {
		t.Fatal("no XDP program while the child's port runs")
	}
	// ip netns exec runs the binary in its own process (exec): kill it.
	if err := cmd.Process.Signal(os.Kill); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	killed = true
	deadline := time.Now().Add(2 * time.Second)
	for xdpAttached(t, e.a, e.va) {
		if time.Now().After(deadline) {
			t.Fatal("XDP program still attached 2 s after the process was killed")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// killChild opens and starts a port on iface, says "ready" and waits to
// be killed.
func killChild(iface string) {
	fail := func(err error) {
		os.Stdout.WriteString("child: " + err.Error() + "\n")
		os.Exit(1)
	}
	pool, err := mbuf.NewPool(mbuf.PoolConfig{Name: "afxdp-kill-child", N: 512, CacheSize: 32})
	if err != nil {
		fail(err)
	}
	p, err := ethdev.Open("net_af_xdp_kill,iface=" + iface)
	if err != nil {
		fail(err)
	}
	if err := p.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1}); err != nil {
		fail(err)
	}
	if err := p.RxQueueSetup(0, 0, pool, &ethdev.RxQueueConf{Lcore: 0}); err != nil {
		fail(err)
	}
	if err := p.TxQueueSetup(0, 0, &ethdev.TxQueueConf{Lcore: 0}); err != nil {
		fail(err)
	}
	if err := p.Start(); err != nil {
		fail(err)
	}
	os.Stdout.WriteString("ready\n")
	time.Sleep(time.Minute)
	fail(os.ErrDeadlineExceeded)
}
