package lpm

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConcurrentReaders runs readers that look up addresses whose covering
// route never changes while a writer adds and deletes routes around them
// (deeper and shallower routes that do not cover them, routes in the same
// /24 so groups come and go). No reader may see a wrong answer. Readers
// report quiescent states to the table's QSBR, so freed groups are reused
// only when it is safe.
func TestConcurrentReaders(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		t.Run(fmt.Sprintf("v6=%v", v6), func(t *testing.T) { concurrentReaders(t, v6) })
	}
}

func concurrentReaders(t *testing.T, v6 bool) {
	const readers = 2
	q := NewQSBR(readers)
	var tb lpmTable
	// Few groups: the writer must reuse them, waiting for the readers.
	cfg := Config{NumGroups: 64, QSBR: q}
	if v6 {
		cfg.NumGroups = 256
		tb = newTestTable6(t, cfg)
	} else {
		tb = newTestTable(t, cfg)
	}
	P := netip.MustParsePrefix
	A := netip.MustParseAddr
	// Stable routes: the checked addresses are each covered by exactly one
	// of these, and the writer never touches a route covering them.
	stable := []Route{{P("10.1.0.0/16"), 1}, {P("10.1.2.128/25"), 2}, {P("10.1.2.7/32"), 3}, {P("10.9.9.0/24"), 4}}
	probes := []struct {
		a  netip.Addr
		nh uint32
	}{{A("10.1.5.5"), 1}, {A("10.1.2.200"), 2}, {A("10.1.2.7"), 3}, {A("10.9.9.9"), 4}, {A("10.1.2.6"), 1}, {A("10.1.3.200"), 1}}
	// Churn: routes that never cover a probe.
	// 10.1.3.0/25 and deeper churn the group of 10.1.3.200's /24, which
	// may then be reused for 10.1.4.128/25, where a slow reader of
	// 10.1.3.200 would find the churn's next hop.
	churnBase := []string{"10.1.3.0", "10.1.4.128", "10.1.4.0", "10.1.2.0", "10.2.0.0", "10.9.8.0"}
	if v6 {
		stable = []Route{{P("2001:db8::/32"), 1}, {P("2001:db8:1:2::/64"), 2}, {P("2001:db8:1:2::7/128"), 3}, {P("2001:db8:9::/48"), 4}}
		probes = probes[:0]
		probes = append(probes, struct {
			a  netip.Addr
			nh uint32
		}{A("2001:db8:5::5"), 1}, struct {
			a  netip.Addr
			nh uint32
		}{A("2001:db8:1:2::200"), 2}, struct {
			a  netip.Addr
			nh uint32
		}{A("2001:db8:1:2::7"), 3}, struct {
			a  netip.Addr
			nh uint32
		}{A("2001:db8:9::9"), 4}, struct {
			a  netip.Addr
			nh uint32
		}{A("2001:db8:5::5"), 1})
		churnBase = []string{"2001:db8:1:3::", "2001:db8:1:2:8000::", "2001:db8:2::", "2001:db8:9:1::", "2001:db8:5:0:8000::", "2001:db8:6::"}
	}
	for _, r := range stable {
		if err := tb.Add(r.Prefix, r.NextHop); err != nil {
			t.Fatal(err)
		}
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var lookups atomic.Int64
	errs := make(chan string, readers)
	for id := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q.Register(id)
			defer q.Unregister(id)
			n := 0
			for !stop.Load() {
				for i, p := range probes {
					nh, ok := tb.Lookup(p.a)
					if (n+i)%4 == 0 {
						nh, ok = slowLookup(tb, p.a)
					}
					if !ok || nh != p.nh {
						errs <- fmt.Sprintf("reader %d: lookup %v = %d,%v, want %d", id, p.a, nh, ok, p.nh)
						return
					}
				}
				n++
				q.Quiescent(id)
			}
			lookups.Add(int64(n * len(probes)))
		}()
	}
	rng := rand.New(rand.NewPCG(1, 1))
	deadline := time.Now().Add(time.Second)
	live := map[netip.Prefix]bool{}
	ops := 0
	for time.Now().Before(deadline) && len(errs) == 0 {
		base := A(churnBase[rng.IntN(len(churnBase))])
		bits := base.BitLen()
		// deeper than 24 (v4) / 48 (v6) mostly, so groups churn
		d := bits - rng.IntN(bits/4)
		p := netip.PrefixFrom(base, d).Masked()
		// keep clear of the probes' covering routes
		covers := false
		for _, pr := range probes {
			if p.Contains(pr.a) {
				covers = true
			}
		}
		if covers {
			continue
		}
		if live[p] {
			if err := tb.Delete(p); err != nil {
				t.Fatal(err)
			}
			delete(live, p)
		} else {
			if err := tb.Add(p, 99); err != nil {
				t.Fatalf("add %v: %v", p, err)
			}
			live[p] = true
		}
		ops++
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	t.Logf("%d writer ops, %d lookups", ops, lookups.Load())
}

// TestQSBRDefersReuse: a group freed while a reader is registered and has
// not been quiescent is not handed out again until it is.
func TestQSBRDefersReuse(t *testing.T) {
	q := NewQSBR(1)
	tb := newTestTable(t, Config{NumGroups: 1, QSBR: q})
	if err := q.Register(0); err != nil {
		t.Fatal(err)
	}
	if err := q.Register(1); err != ErrReader {
		t.Errorf("reader 1 of 1: %v", err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(tb.Add(netip.MustParsePrefix("10.0.0.0/25"), 1))
	must(tb.Delete(netip.MustParsePrefix("10.0.0.0/25"))) // group freed, pending
	if tb.GroupsInUse() != 0 {
		t.Fatalf("%d groups in use", tb.GroupsInUse())
	}
	done := make(chan error)
	go func() { done <- tb.Add(netip.MustParsePrefix("11.0.0.0/25"), 2) }()
	select {
	case err := <-done:
		t.Fatalf("the group was reused before the reader was quiescent (add returned %v)", err)
	case <-time.After(100 * time.Millisecond):
	}
	q.Quiescent(0)
	select {
	case err := <-done:
		must(err)
	case <-time.After(5 * time.Second):
		t.Fatal("add still waiting after the reader was quiescent")
	}
	if nh, ok := tb.Lookup(netip.MustParseAddr("11.0.0.1")); !ok || nh != 2 {
		t.Errorf("lookup = %d,%v", nh, ok)
	}
	// an offline reader does not hold anything back
	q.Offline(0)
	must(tb.Delete(netip.MustParsePrefix("11.0.0.0/25")))
	must(tb.Add(netip.MustParsePrefix("12.0.0.0/25"), 3))
}

// slowLookup does what Lookup does, one entry load at a time, but yields
// the processor between the loads: a reader preempted in the middle of a
// lookup, the case group reclaim must be safe against.
func slowLookup(tb lpmTable, a netip.Addr) (uint32, bool) {
	switch t := tb.(type) {
	case *Table:
		b := a.As4()
		ip := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		e := atomic.LoadUint32(&t.tbl24[ip>>8])
		if e&extBit != 0 {
			runtime.Gosched()
			e = atomic.LoadUint32(&t.groups[(e&nhMask)<<8|ip&0xff])
		}
		return e & nhMask, e&validBit != 0
	case *Table6:
		ip := a.As16()
		e := atomic.LoadUint32(&t.tbl24[uint32(ip[0])<<16|uint32(ip[1])<<8|uint32(ip[2])])
		for k := 3; e&extBit != 0 && k < 16; k++ {
			runtime.Gosched()
			e = atomic.LoadUint32(&t.groups[uint(e&groupMask)<<8|uint(ip[k])])
		}
		return e & nhMask6, e&validBit != 0
	}
	panic("unknown table")
}
