package porttest

import (
	"testing"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/mbuf"
)

// Helpers for drivers' own tests, beside the suite.

// NewPool creates an mbuf pool that is closed when the test ends and must
// then be full (testutil.CheckPool). A zero Huge means eal.HugeNever.
func NewPool(t testing.TB, cfg mbuf.PoolConfig) *mbuf.Pool { return mbuftest.NewPool(t, cfg) }

// Open opens a port by devargs; it is stopped and closed when the test
// ends.
func Open(t testing.TB, devargs string) *ethdev.Port {
	t.Helper()
	p, err := ethdev.Open(devargs)
	if err != nil {
		t.Fatalf("Open(%q): %v", devargs, err)
	}
	CloseAtEnd(t, p)
	return p
}

// CloseAtEnd stops (if started) and closes p when the test ends.
func CloseAtEnd(t testing.TB, p *ethdev.Port) {
	t.Cleanup(func() {
		if p.State() == ethdev.StateStarted {
			if err := p.Stop(); err != nil {
				t.Error(err)
			}
		}
		if p.State() != ethdev.StateClosed {
			if err := p.Close(); err != nil {
				t.Error(err)
			}
		}
	})
}

// Start configures p with cfg, sets up every queue (rx from mp) for
// lcore, and starts it.
func Start(t testing.TB, p *ethdev.Port, cfg ethdev.Config, mp *mbuf.Pool, lcore uint) {
	t.Helper()
	if err := p.Configure(cfg); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	for q := range uint16(cfg.RxQueues) {
		if err := p.RxQueueSetup(q, 0, mp, &ethdev.RxQueueConf{Lcore: lcore}); err != nil {
			t.Fatalf("RxQueueSetup(%d): %v", q, err)
		}
	}
	for q := range uint16(cfg.TxQueues) {
		if err := p.TxQueueSetup(q, 0, &ethdev.TxQueueConf{Lcore: lcore}); err != nil {
			t.Fatalf("TxQueueSetup(%d): %v", q, err)
		}
	}
	if err := p.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
}
