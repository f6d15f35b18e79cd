package testpmd

import (
	"bytes"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/dpkit/dpkit/mbuf"
)

// A missing mbuf at exit is a warning and a failing exit status.
func TestShutdownLeak(t *testing.T) {
	pool, err := mbuf.NewPool(mbuf.PoolConfig{Name: "leaky", N: 64})
	if err != nil {
		t.Fatal(err)
	}
	m := pool.Alloc(testLcore)
	var out bytes.Buffer
	a := &App{out: &out, pool: pool}
	if code := a.shutdown(); code != ExitError {
		t.Errorf("exit %d with an mbuf out, want %d", code, ExitError)
	}
	if !strings.Contains(out.String(), "Warning: 1 of the 64 mbufs of pool leaky were not returned (leaked)") {
		t.Errorf("output %q", out.String())
	}
	m.Free(testLcore)
	if err := pool.Close(); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	pool, _ = mbuf.NewPool(mbuf.PoolConfig{Name: "tight", N: 64})
	a = &App{out: &out, pool: pool}
	if code := a.shutdown(); code != ExitOK || !strings.HasSuffix(out.String(), "Bye...\n") {
		t.Errorf("exit %d, output %q", code, out.String())
	}
}

// With no arguments testpmd runs its demo: two net_null ports, io
// forwarding and the statistics every second, until a signal.
func TestDefaultRun(t *testing.T) {
	sigs := make(chan os.Signal, 1)
	var out bytes.Buffer
	sb := &syncBuf{b: &out}
	done := make(chan int)
	go func() { done <- Run(nil, RunConfig{Stdout: sb, Stderr: sb, Signals: sigs}) }()
	waitFor(t, sb, "All ports: Rx-Mpps:", 1)
	sigs <- syscall.SIGTERM
	code := <-done
	s := sb.String()
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, s)
	}
	for _, want := range []string{"running the demo", "Port statistics ====", "Rx-pps:", "Signal 15 received",
		"Accumulated forward statistics", "RX-Mpps:", "All ports: Rx-Mpps:", "Bye..."} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	acc := accumRe.FindStringSubmatch(s)
	if acc == nil || atoi(t, acc[1]) == 0 || acc[1] != acc[4] {
		t.Errorf("io forwarding on net_null: want RX == TX > 0, got %q", acc)
	}
}
