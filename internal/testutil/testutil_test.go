package testutil

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unsafe"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/mempool"
)

// TestMain is the pattern every package with mempools follows: the run
// fails if a pool is left with objects in use.
func TestMain(m *testing.M) { Main(m) }

// fakeTB records what a check reports instead of failing the real test;
// Cleanup functions run when done is called.
type fakeTB struct {
	testing.TB
	errs     []string
	cleanups []func()
}

func (f *fakeTB) Helper()                        {}
func (f *fakeTB) Cleanup(fn func())              { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Errorf(format string, a ...any) { f.errs = append(f.errs, fmt.Sprintf(format, a...)) }
func (f *fakeTB) Error(a ...any)                 { f.errs = append(f.errs, fmt.Sprint(a...)) }

func (f *fakeTB) done() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

func newPool(t *testing.T, name string, cache int) *mempool.Pool {
	t.Helper()
	p, err := mempool.New(mempool.Config{Name: name, N: 64, ObjSize: 64, CacheSize: cache, Huge: eal.HugeNever})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestCheckPoolReportsLeak(t *testing.T) {
	p := newPool(t, "leaky", 8)
	f := &fakeTB{TB: t}
	CheckPool(f, p)
	objs := make([]unsafe.Pointer, 3)
	if !p.GetBulk(0, objs) {
		t.Fatal("GetBulk")
	}
	f.done()
	if len(f.errs) != 1 || !strings.Contains(f.errs[0], `"leaky"`) || !strings.Contains(f.errs[0], "3 of 64") {
		t.Fatalf("CheckPool reported %q, want one error naming the pool and 3 of 64 objects", f.errs)
	}
	p.PutBulk(0, objs)

	// Everything back (some of it in lcore 0's cache): no report.
	f = &fakeTB{TB: t}
	CheckPool(f, p)
	f.done()
	if len(f.errs) != 0 {
		t.Fatalf("CheckPool on a full pool reported %q", f.errs)
	}
}

func TestCheckPoolAfterClose(t *testing.T) {
	p, err := mempool.New(mempool.Config{Name: "closed", N: 8, ObjSize: 8, Huge: eal.HugeNever})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeTB{TB: t}
	CheckPool(f, p)
	p.Get(mempool.LcoreAny)
	p.Close() // as a deferred Close would, before the cleanups
	f.done()
	if len(f.errs) != 1 || !strings.Contains(f.errs[0], "1 of 8") {
		t.Fatalf("leak in a pool closed before the check: reported %q", f.errs)
	}
}

func TestCheckPoolReportsAudit(t *testing.T) {
	p := newPool(t, "corrupt", 4)
	f := &fakeTB{TB: t}
	CheckPool(f, p)
	o, _ := p.Get(1)
	p.Put(1, o)
	p.Put(2, o) // double free: counts look fine, Audit does not
	f.done()
	if len(f.errs) == 0 || !strings.Contains(strings.Join(f.errs, "\n"), "free twice") {
		t.Fatalf("double free: reported %q", f.errs)
	}
	p.Close()
}

func TestCheckAllPools(t *testing.T) {
	old := newPool(t, "old", 0)
	old.Get(mempool.LcoreAny) // not ours to judge: created before the check
	f := &fakeTB{TB: t}
	CheckAllPools(f)
	p := newPool(t, "new", 0)
	o, _ := p.Get(mempool.LcoreAny)
	f.done()
	if len(f.errs) != 1 || !strings.Contains(f.errs[0], `"new"`) {
		t.Fatalf("CheckAllPools reported %q, want the new pool only", f.errs)
	}
	p.Put(mempool.LcoreAny, o)
	old.Close() // closed pools are not checked by the TestMain leak check
}

type fakeM int

func (m fakeM) Run() int { return int(m) }

func TestMainLeakCheck(t *testing.T) {
	var buf bytes.Buffer
	if code := run(fakeM(0), &buf); code != 0 || buf.Len() != 0 {
		t.Fatalf("clean run: code %d, output %q", code, buf.String())
	}
	p := newPool(t, "main-leak", 0)
	o, _ := p.Get(mempool.LcoreAny)
	if code := run(fakeM(0), &buf); code != 1 || !strings.Contains(buf.String(), "main-leak") {
		t.Fatalf("leaky run: code %d, output %q", code, buf.String())
	}
	if code := run(fakeM(3), &buf); code != 3 {
		t.Fatalf("failed run: code %d, want the tests' 3", code)
	}
	p.Put(mempool.LcoreAny, o)
}
