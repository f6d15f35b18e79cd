package mbuf

import (
	"bytes"
	"testing"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/internal/testutil"
)

// lc is the lcore id the single-goroutine tests use.
const lc = 0

// newPool creates a pool for one test; at the end of the test the pool
// must be full (testutil.CheckPool), then it is closed.
func newPool(t testing.TB, cfg PoolConfig) *Pool {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = t.Name()
	}
	if cfg.N == 0 {
		cfg.N = 63
	}
	cfg.Huge = eal.HugeNever
	p, err := NewPool(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	testutil.CheckPool(t, p.Mempool()) // runs before Close (cleanups are LIFO)
	return p
}

func alloc(t testing.TB, p *Pool) *Mbuf {
	t.Helper()
	m := p.Alloc(lc)
	if m == nil {
		t.Fatalf("pool %s: Alloc returned nil (%d in use)", p.Name(), p.InUse())
	}
	return m
}

// pattern returns n bytes starting at seed, counting up.
func pattern(seed byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i)
	}
	return b
}

// withData allocates an mbuf holding data.
func withData(t testing.TB, p *Pool, data []byte) *Mbuf {
	t.Helper()
	m := alloc(t, p)
	b := m.Append(len(data))
	if b == nil {
		t.Fatalf("Append(%d) failed (tailroom %d)", len(data), m.Tailroom())
	}
	copy(b, data)
	return m
}

// chainOf builds one packet from segments holding parts.
func chainOf(t testing.TB, p *Pool, parts ...[]byte) *Mbuf {
	t.Helper()
	head := withData(t, p, parts[0])
	for _, d := range parts[1:] {
		if err := Chain(head, withData(t, p, d)); err != nil {
			t.Fatal(err)
		}
	}
	return head
}

// contents returns a copy of the packet's data, every segment.
func contents(m *Mbuf) []byte {
	b := make([]byte, m.PktLen())
	m.CopyTo(b)
	return b
}

func checkPkt(t testing.TB, m *Mbuf, want []byte) {
	t.Helper()
	if err := m.Check(true); err != nil {
		t.Fatal(err)
	}
	if m.PktLen() != len(want) {
		t.Fatalf("PktLen %d, want %d", m.PktLen(), len(want))
	}
	if got := contents(m); !bytes.Equal(got, want) {
		t.Fatalf("contents\n got %x\nwant %x", got, want)
	}
}

// TestMain fails the run when a pool still has mbufs out after the tests.
func TestMain(m *testing.M) { testutil.Main(m) }
