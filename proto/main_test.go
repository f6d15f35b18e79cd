package proto

import (
	"testing"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/internal/testutil"
	"github.com/dpkit/dpkit/mbuf"
)

func TestMain(m *testing.M) { testutil.Main(m) }

// lc is the lcore id the tests allocate on.
const lc = 0

func newPool(t testing.TB, dataRoom int) *mbuf.Pool {
	t.Helper()
	p, err := mbuf.NewPool(mbuf.PoolConfig{Name: t.Name(), N: 63, DataRoomSize: dataRoom, Huge: eal.HugeNever})
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

// chainOf builds one packet whose segments hold parts; the caller frees it.
func chainOf(t testing.TB, p *mbuf.Pool, parts ...[]byte) *mbuf.Mbuf {
	t.Helper()
	var head *mbuf.Mbuf
	for _, d := range parts {
		m := p.Alloc(lc)
		if m == nil {
			t.Fatal("pool empty")
		}
		copy(m.Append(len(d)), d)
		if head == nil {
			head = m
		} else if err := mbuf.Chain(head, m); err != nil {
			t.Fatal(err)
		}
	}
	return head
}

// split cuts b at the given offsets.
func split(b []byte, cuts ...int) [][]byte {
	var out [][]byte
	prev := 0
	for _, c := range cuts {
		out = append(out, b[prev:c])
		prev = c
	}
	return append(out, b[prev:])
}
