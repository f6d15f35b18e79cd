package mbuf

import (
	"bytes"
	"errors"
	"testing"
	"unsafe"
)

// TestExtBuf: the callback of an external buffer runs exactly once, when
// the last of the mbufs attached to it (directly or through clones) is
// freed, in any order.
func TestExtBuf(t *testing.T) {
	p := newPool(t, PoolConfig{N: 8})
	ip := newPool(t, PoolConfig{Name: "indirect", N: 8, DataRoomSize: 8})
	live := ExtBufsLive()
	for _, order := range [][]int{{0, 1, 2}, {2, 1, 0}, {1, 0, 2}} {
		mem := make([]byte, 1000)
		calls := 0
		var gotBuf unsafe.Pointer
		var gotOpaque any
		e, err := NewExtBuf(mem, func(buf unsafe.Pointer, opaque any) {
			calls++
			gotBuf, gotOpaque = buf, opaque
		}, "cookie")
		if err != nil {
			t.Fatal(err)
		}
		if e.Refcnt() != 1 || e.Len() != 1000 || e.Addr() != unsafe.Pointer(&mem[0]) {
			t.Fatal("NewExtBuf")
		}
		m := alloc(t, p)
		if err := AttachExtBuf(m, unsafe.Pointer(&mem[100]), 500, e); err != nil {
			t.Fatal(err)
		}
		if !m.HasExtBuf() || m.IsDirect() || m.IsIndirect() || m.ExtBuf() != e || m.Direct() != nil {
			t.Fatal("attached mbuf kind")
		}
		if m.Headroom() != 0 || m.Tailroom() != 500 || e.Refcnt() != 1 {
			t.Fatalf("headroom %d tailroom %d refcnt %d", m.Headroom(), m.Tailroom(), e.Refcnt())
		}
		m.ResetHeadroom()
		copy(m.Append(5), "hello")
		if !bytes.Equal(mem[100+Headroom:100+Headroom+5], []byte("hello")) {
			t.Fatal("data not in the external buffer")
		}
		if err := m.Check(true); err != nil {
			t.Fatal(err)
		}
		c1 := ip.Clone(m, lc)
		c2 := p.Clone(c1, lc)
		if e.Refcnt() != 3 || m.Refcnt() != 1 || !c1.HasExtBuf() || c1.ExtBuf() != e || c1.IsIndirect() {
			t.Fatalf("after two clones: ext refcnt %d, mbuf refcnt %d", e.Refcnt(), m.Refcnt())
		}
		checkPkt(t, c2, []byte("hello"))
		all := []*Mbuf{m, c1, c2}
		for i, k := range order {
			all[k].Free(lc)
			if want := 0; i == 2 {
				want = 1
				if calls != want {
					t.Fatalf("order %v: %d callbacks after the last free", order, calls)
				}
			} else if calls != want {
				t.Fatalf("order %v: callback ran after %d frees", order, i+1)
			}
		}
		if gotBuf != unsafe.Pointer(&mem[100]) || gotOpaque != "cookie" {
			t.Errorf("callback args %p %v", gotBuf, gotOpaque)
		}
	}
	if ExtBufsLive() != live {
		t.Errorf("%d external buffers still registered, want %d", ExtBufsLive(), live)
	}
}

func TestExtBufDetachAndErrors(t *testing.T) {
	p := newPool(t, PoolConfig{N: 4})
	mem := make([]byte, 64)
	calls := 0
	e, err := NewExtBuf(mem, func(unsafe.Pointer, any) { calls++ }, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := alloc(t, p)
	if err := AttachExtBuf(m, unsafe.Pointer(&mem[10]), 60, e); !errors.Is(err, ErrInvalid) {
		t.Errorf("AttachExtBuf past the end: %v", err)
	}
	if err := AttachExtBuf(m, unsafe.Pointer(&mem[0]), 64, e); err != nil {
		t.Fatal(err)
	}
	m2 := alloc(t, p)
	Attach(m2, m) // an mbuf attached to an external mbuf shares the ExtBuf
	if !m2.HasExtBuf() || e.Refcnt() != 2 {
		t.Fatal("Attach to an external mbuf")
	}
	if err := AttachExtBuf(m2, unsafe.Pointer(&mem[0]), 64, e); !errors.Is(err, ErrInvalid) {
		t.Error("AttachExtBuf to a non-direct mbuf succeeded")
	}
	m.Detach(lc)
	m2.Detach(lc)
	if calls != 1 || !m.IsDirect() || !m2.IsDirect() || m.Tailroom() != DefaultDataRoom {
		t.Fatalf("Detach: %d calls", calls)
	}
	if err := AttachExtBuf(m, unsafe.Pointer(&mem[0]), 64, e); !errors.Is(err, ErrInvalid) {
		t.Error("AttachExtBuf of a released ExtBuf succeeded")
	}
	m.Free(lc)
	m2.Free(lc)

	// never attached: Release runs the callback
	e2, _ := NewExtBuf(mem, func(unsafe.Pointer, any) { calls++ }, nil)
	e2.Release()
	if calls != 2 {
		t.Fatal("Release")
	}
	if _, err := NewExtBuf(nil, nil, nil); err == nil {
		t.Error("NewExtBuf(nil) succeeded")
	}
	if _, err := NewExtBuf(make([]byte, MaxBufSize+1), nil, nil); err == nil {
		t.Error("NewExtBuf of more than MaxBufSize succeeded")
	}
}

// TestCheck makes each kind of corruption rte_mbuf_check knows (and a few
// more) and expects Check to name it.
func TestCheck(t *testing.T) {
	p := newPool(t, PoolConfig{N: 8})
	other := newPool(t, PoolConfig{Name: "other", N: 8})
	m := chainOf(t, p, pattern(0, 10), pattern(10, 10))
	defer m.Free(lc)
	seg := m.Next()
	if err := m.Check(true); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		header bool
		break_ func()
		fix    func()
		want   string
	}{
		{"bad pool id", false, func() { m.pool = 0 }, func() { m.pool = p.ID() }, "bad pool id"},
		{"wrong pool", false, func() { m.pool = other.ID() }, func() { m.pool = p.ID() }, "not an mbuf of pool"},
		{"refcnt 0", false, func() { m.refcnt = 0 }, func() { m.refcnt = 1 }, "bad refcnt"},
		{"buffer outside pool", false, func() { m.buf = unsafe.Add(m.buf, 4096) }, func() { m.buf = m.ownBuf() }, "outside its pool object"},
		{"nil buffer", false, func() { m.buf = nil }, func() { m.buf = m.ownBuf() }, "nil buffer"},
		{"buf_len", false, func() { m.bufLen = 100 }, func() { m.bufLen = DefaultBufSize }, "data room"},
		{"bad indirect", false, func() { m.olFlags |= IndirectMbuf }, func() { m.olFlags = 0 }, "indirect"},
		{"bad ext handle", false, func() { m.olFlags |= ExtBufMbuf; m.extHandle = 1<<22 - 1 }, func() { m.olFlags = 0; m.extHandle = 0 }, "not registered"},
		{"nb_segs too small", true, func() { m.nbSegs = 1 }, func() { m.nbSegs = 2 }, "bad nb_segs"},
		{"nb_segs too big", true, func() { m.nbSegs = 3 }, func() { m.nbSegs = 2 }, "bad nb_segs"},
		{"pkt_len", true, func() { m.pktLen = 21 }, func() { m.pktLen = 20 }, "bad pkt_len"},
		{"data_len > pkt_len", true, func() { m.dataLen = 30 }, func() { m.dataLen = 10 }, "bad data_len"},
		{"data_off+data_len", true, func() { seg.dataLen = DefaultBufSize }, func() { seg.dataLen = 10 }, "data_len"},
		{"data_off > buf_len", true, func() { seg.dataOff = DefaultBufSize + 1 }, func() { seg.dataOff = Headroom }, "data_off"},
		{"bad segment", true, func() { seg.refcnt = 0 }, func() { seg.refcnt = 1 }, "segment 1"},
	} {
		c.break_()
		err := m.Check(c.header)
		c.fix()
		if !errors.Is(err, ErrCorrupt) || !bytes.Contains([]byte(err.Error()), []byte(c.want)) {
			t.Errorf("%s: Check = %v, want an ErrCorrupt naming %q", c.name, err, c.want)
		}
		if err := m.Check(true); err != nil {
			t.Fatalf("%s: not repaired: %v", c.name, err)
		}
	}
	if err := (*Mbuf)(nil).Check(true); !errors.Is(err, ErrCorrupt) {
		t.Error("Check(nil)")
	}
}
