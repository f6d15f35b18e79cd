// Package mbuftest holds the helpers that tests of packet code share: a
// pool that must be full again when the test ends, and packets built from
// bytes and read back as bytes.
package mbuftest

import (
	"testing"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/internal/testutil"
	"github.com/dpkit/dpkit/mbuf"
)

// Lcore is the lcore id the helpers allocate on.
const Lcore = 0

// NewPool creates an mbuf pool that is closed when the test ends and must
// then be full (testutil.CheckPool). A zero Huge means eal.HugeNever; an
// empty Name is the test's name.
func NewPool(t testing.TB, cfg mbuf.PoolConfig) *mbuf.Pool {
	t.Helper()
	if cfg.Huge == 0 {
		cfg.Huge = eal.HugeNever
	}
	if cfg.Name == "" {
		cfg.Name = t.Name()
	}
	p, err := mbuf.NewPool(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	testutil.CheckPool(t, p.Mempool())
	return p
}

// Chain builds one packet whose segments hold parts, in order (at least
// one segment, empty when parts are); the caller frees it.
func Chain(t testing.TB, p *mbuf.Pool, parts ...[]byte) *mbuf.Mbuf {
	t.Helper()
	var head *mbuf.Mbuf
	for i := 0; i < len(parts) || head == nil; i++ {
		var d []byte
		if i < len(parts) {
			d = parts[i]
		}
		m := p.Alloc(Lcore)
		if m == nil {
			fail(t, head, "pool %s empty", p.Name())
		}
		seg := m.Append(len(d))
		if seg == nil {
			m.Free(Lcore)
			fail(t, head, "pool %s: %d bytes do not fit in a segment", p.Name(), len(d))
		}
		copy(seg, d)
		if head == nil {
			head = m
		} else if err := mbuf.Chain(head, m); err != nil {
			t.Fatal(err)
		}
	}
	return head
}

// Packet puts b in a packet of segments of at most seg bytes each, or
// with seg <= 0 of as many bytes as each segment's tailroom takes (one
// segment when b fits); the caller frees it.
func Packet(t testing.TB, p *mbuf.Pool, b []byte, seg int) *mbuf.Mbuf {
	t.Helper()
	var head *mbuf.Mbuf
	for len(b) > 0 || head == nil {
		m := p.Alloc(Lcore)
		if m == nil {
			fail(t, head, "pool %s empty", p.Name())
		}
		n := min(len(b), m.Tailroom())
		if seg > 0 {
			n = min(n, seg)
		}
		if n == 0 && len(b) > 0 {
			m.Free(Lcore)
			fail(t, head, "pool %s: no room in a segment", p.Name())
		}
		copy(m.Append(n), b[:n])
		b = b[n:]
		if head == nil {
			head = m
		} else if err := mbuf.Chain(head, m); err != nil {
			t.Fatal(err)
		}
	}
	return head
}

// fail frees the packet built so far (head may be nil), so that the pool
// is whole again for the next test or fuzz input, and fails t.
func fail(t testing.TB, head *mbuf.Mbuf, format string, args ...any) {
	t.Helper()
	if head != nil {
		head.Free(Lcore)
	}
	t.Fatalf(format, args...)
}

// Bytes returns a copy of the packet's data, all its segments.
func Bytes(m *mbuf.Mbuf) []byte {
	b := make([]byte, m.PktLen())
	m.CopyTo(b)
	return b
}
