package proto

import (
	"testing"

	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/internal/testutil"
	"github.com/dpkit/dpkit/mbuf"
)

func TestMain(m *testing.M) { testutil.Main(m) }

// lc is the lcore id the tests allocate on.
const lc = 0

func newPool(t testing.TB, dataRoom int) *mbuf.Pool {
	return mbuftest.NewPool(t, mbuf.PoolConfig{N: 63, DataRoomSize: dataRoom})
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
