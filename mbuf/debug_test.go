//go:build dpkit_debug

package mbuf

import (
	"fmt"
	"strings"
	"testing"
)

// expectPanic runs fn and fails unless it panics with a message
// containing want.
func expectPanic(t *testing.T, want string, fn func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("no panic, want one naming %q", want)
		}
		if msg := fmt.Sprint(r); !strings.Contains(msg, want) {
			t.Fatalf("panic %q, want one naming %q", msg, want)
		}
	}()
	fn()
}

func TestDebugDoubleFree(t *testing.T) {
	p := newPool(t, PoolConfig{N: 4})
	m := alloc(t, p)
	m.Free(lc)
	expectPanic(t, "double free", func() { m.Free(lc) })
	expectPanic(t, "double free", func() { FreeBulk(lc, []*Mbuf{m}) })
	expectPanic(t, "double free", func() { m.FreeSeg(lc) })
}

func TestDebugDoubleFreeSegment(t *testing.T) {
	p := newPool(t, PoolConfig{N: 4})
	m := chainOf(t, p, []byte{1}, []byte{2})
	seg := m.Next()
	m.SetNext(nil) // unlink and free the segment, then free the packet
	m.SetNbSegs(1)
	m.SetPktLen(1)
	seg.Free(lc)
	m.SetNext(seg)
	m.SetNbSegs(2)
	m.SetPktLen(2)
	expectPanic(t, "corrupt", func() { m.Free(lc) })
	m.SetNext(nil)
	m.SetNbSegs(1)
	m.SetPktLen(1)
	m.Free(lc)
}

func TestDebugRefcntUnderflow(t *testing.T) {
	p := newPool(t, PoolConfig{N: 4})
	m := alloc(t, p)
	mi := alloc(t, p)
	Attach(mi, m)
	m.Free(lc) // 2 -> 1: mi holds it
	m.Free(lc) // a bug: the count reaches 0 and m goes back to its pool
	expectPanic(t, "underflow", func() { mi.Free(lc) })
	// repair: mi's reference is gone with m
	mi.Reset()
	mi.buf, mi.bufLen, mi.bufPriv, mi.olFlags = mi.ownBuf(), DefaultBufSize, mi.privSize, 0
	mi.Free(lc)
}

func TestDebugWrongPool(t *testing.T) {
	p := newPool(t, PoolConfig{N: 4})
	other := newPool(t, PoolConfig{Name: "other", N: 4})
	m := alloc(t, p)
	m.pool = other.ID()
	expectPanic(t, "not an mbuf of pool", func() { m.Free(lc) })
	m.pool = 0
	expectPanic(t, "bad pool id", func() { m.Free(lc) })
	m.pool = p.ID()
	m.Free(lc)
}

func TestDebugCorruptPacket(t *testing.T) {
	p := newPool(t, PoolConfig{N: 4})
	m := withData(t, p, []byte{1, 2, 3})
	m.SetPktLen(4)
	expectPanic(t, "bad pkt_len", func() { m.Free(lc) })
	m.SetPktLen(3)
	m.Free(lc)
}

func TestDebugUseAfterFree(t *testing.T) {
	p := newPool(t, PoolConfig{N: 1})
	m := alloc(t, p)
	m.Free(lc)
	m.SetRefcnt(1) // a write after free
	expectPanic(t, "still in use", func() { p.Alloc(lc) })
	// the panicking Alloc took the mbuf out of the pool: give it back
	m.Free(lc)
	if m.Refcnt() != 0 {
		t.Fatal("an mbuf in its pool has refcnt 0 in debug builds")
	}
}

func TestDebugRefcntUpdateUnderflow(t *testing.T) {
	p := newPool(t, PoolConfig{N: 1})
	m := alloc(t, p)
	expectPanic(t, "underflow", func() { m.RefcntUpdate(-2) })
	m.SetRefcnt(3)
	expectPanic(t, "underflow", func() { m.RefcntUpdate(-4) })
	m.SetRefcnt(1)
	m.Free(lc)
}
