package testpmd

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPty returns the two ends of a new pseudo-terminal.
func openPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("SKIP: no pseudo-terminals here (%v): the terminal line editor is not tested", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		t.Skipf("SKIP: unlocking the pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		t.Skipf("SKIP: pty number: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Skipf("SKIP: opening the pty: %v", err)
	}
	t.Cleanup(func() { s.Close(); m.Close() })
	return m, s
}

// TestTerminalShell runs the interactive shell on a real terminal: raw
// mode, Tab completion, history recall with the Up arrow, and the
// terminal's settings restored at exit.
func TestTerminalShell(t *testing.T) {
	master, slave := openPty(t)
	before, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	sb := &syncBuf{b: &out}
	done := make(chan int)
	go func() {
		done <- Run(append(lcoreArgs(), "--vdev", "net_null0", "--vdev", "net_null1", "--", "-i"),
			RunConfig{Stdin: slave, Stdout: sb, Stderr: sb, Signals: make(chan os.Signal)})
	}()
	waitFor(t, sb, "testpmd> ", 1)
	for _, keys := range []string{"sh\tpo\tsta\t", "al\t\r", "\x1b[A\r", "show port \t\t", "\x15quit\r"} {
		time.Sleep(300 * time.Millisecond)
		if _, err := master.WriteString(keys); err != nil {
			t.Fatal(err)
		}
	}
	var code int
	select {
	case code = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("testpmd did not quit")
	}
	sb.mu.Lock()
	s := out.String()
	sb.mu.Unlock()
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, s)
	}
	if n := strings.Count(s, "NIC statistics for port 1"); n != 2 {
		t.Errorf("%d port 1 statistics blocks, want 2 (completed command, then recalled)\n%q", n, s)
	}
	if !strings.Contains(s, "\ninfo  stats  summary  xstats\n") {
		t.Errorf("second Tab did not list the candidates:\n%q", s)
	}
	after, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if after.Lflag != before.Lflag || after.Iflag != before.Iflag {
		t.Errorf("terminal not restored: lflag %#x -> %#x, iflag %#x -> %#x", before.Lflag, after.Lflag, before.Iflag, after.Iflag)
	}
}
