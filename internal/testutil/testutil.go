// Package testutil holds dpkit's test helpers: leak checks that fail a
// test, or a whole test binary, when objects were not given back to their
// mempool ("nothing lost", DESIGN.md).
//
// Per test:
//
//	p, _ := mempool.New(cfg)
//	t.Cleanup(func() { p.Close() })
//	testutil.CheckPool(t, p) // registered after Close: runs before it
//
// Per package, in one of its _test.go files:
//
//	func TestMain(m *testing.M) { testutil.Main(m) }
package testutil

import (
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/dpkit/dpkit/mempool"
)

// CheckPool registers a cleanup that fails t (t.Errorf) if any of pools
// has objects in use when the test ends, naming the pool and the count, or
// fails its Audit. Nothing is flushed first: objects the test left in an
// lcore cache count as returned, objects it holds do not. A pool closed
// before the cleanup is judged by its counts at Close (it is not audited).
func CheckPool(t testing.TB, pools ...*mempool.Pool) {
	t.Helper()
	t.Cleanup(func() {
		for _, p := range pools {
			if err := check(p); err != nil {
				t.Errorf("%v", err)
			}
		}
	})
}

// CheckAllPools registers a cleanup that applies CheckPool's test to every
// pool created after the call and still open when the test ends. Pools the
// test closed itself are not seen: use CheckPool for those.
func CheckAllPools(t testing.TB) {
	t.Helper()
	before := map[*mempool.Pool]bool{}
	for _, p := range mempool.Pools() {
		before[p] = true
	}
	t.Cleanup(func() {
		for _, p := range mempool.Pools() {
			if before[p] {
				continue
			}
			if err := check(p); err != nil {
				t.Errorf("%v", err)
			}
		}
	})
}

// check reports a leak in p or a failed Audit.
func check(p *mempool.Pool) error {
	if n := p.InUse(); n != 0 {
		return fmt.Errorf("mempool %q: %d of %d objects still in use (leaked)", p.Name(), n, p.Size())
	}
	if p.Closed() {
		return nil
	}
	return p.Audit()
}

// CheckLeaks writes one line to w for every open pool with objects in use
// or failing its Audit, and reports whether there was none.
func CheckLeaks(w io.Writer) bool {
	ok := true
	for _, p := range mempool.Pools() {
		if err := check(p); err != nil {
			fmt.Fprintf(w, "leak check: %v\n", err)
			ok = false
		}
	}
	return ok
}

// Main runs a package's tests and exits; the run fails if they passed but
// an open pool has objects in use afterwards. Call it from TestMain.
func Main(m *testing.M) {
	os.Exit(run(m, os.Stderr))
}

// runner is the part of *testing.M that Main uses.
type runner interface{ Run() int }

func run(m runner, w io.Writer) int {
	code := m.Run()
	if !CheckLeaks(w) && code == 0 {
		code = 1
	}
	return code
}
