package testpmd

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/dpkit/dpkit/driver/net/memif"
	"github.com/dpkit/dpkit/ethdev"
)

// TestDPDKPeerMemif: DPDK's testpmd generates (txonly, memif server) and
// dpkit testpmd receives (rxonly, memif client) through its shell; dpkit's
// forward statistics count what arrived and every mbuf is back at exit.
func TestDPDKPeerMemif(t *testing.T) {
	bin, err := exec.LookPath("dpdk-testpmd")
	if err != nil {
		t.Skip("SKIP: dpdk-testpmd not installed (Debian package dpdk): no real peer")
	}
	if os.Geteuid() != 0 {
		t.Skip("SKIP: DPDK's testpmd needs root (hugepages, /var/run/dpdk)")
	}
	sock := filepath.Join(t.TempDir(), "memif.sock")
	stdbuf, err := exec.LookPath("stdbuf")
	if err != nil {
		t.Skip("SKIP: no stdbuf (coreutils) to read dpdk-testpmd's output as it comes")
	}
	dpdk := exec.Command(stdbuf, "-o0", bin, "-l", "0-1", "--no-pci", "--file-prefix=dpkit-testpmd-peer", "-m", "256",
		"--vdev", "net_memif0,role=server,socket="+sock, "--", "-i", "--forward-mode=txonly")
	stdin, err := dpdk.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	dout := &syncBuf{b: &bytes.Buffer{}}
	dpdk.Stdout, dpdk.Stderr = dout, dout
	if err := dpdk.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		io.WriteString(stdin, "stop\nquit\n")
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- dpdk.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			dpdk.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("dpdk-testpmd:\n%s", dout.String())
		}
	}()
	// DPDK's memif server listens once its port is up (on an abstract
	// socket by default: no file to wait for).
	waitFor(t, dout, "testpmd> ", 1)
	io.WriteString(stdin, "start\n")
	out, code := runSessionWait(t, []string{"--vdev", "net_memif0,role=client,socket=" + sock, "--", "-i", "--forward-mode=rxonly"},
		[]string{"start", waitLine, "stop", "quit"}, 100*time.Millisecond,
		portWait(t, "net_memif0", func(s ethdev.Stats) bool { return s.IPackets >= 10000 }))
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	acc := accumRe.FindStringSubmatch(out)
	if acc == nil || atoi(t, acc[1]) < 10000 || acc[4] != "0" {
		t.Errorf("want at least 10000 packets received and none sent, got %q", acc)
	}
	if !strings.Contains(out, "rxonly packet forwarding") {
		t.Errorf("no rxonly run:\n%s", out)
	}
}
