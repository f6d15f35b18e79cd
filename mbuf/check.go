package mbuf

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// Check verifies the header of m (rte_mbuf_check): that its pool id names
// a live pool holding m, that its buffer is where it must be (its own, the
// direct mbuf's, or inside its ExtBuf), that its reference count is not 0
// and, when isHeader is true, that every segment's data fits in its buffer
// and that the segments add up to NbSegs and PktLen. The error wraps
// ErrCorrupt and names the first fault found.
//
// Check reads the whole chain: it is meant for debugging, tests and debug
// builds (which run it on every Alloc and Free), not for the fast path.
func (m *Mbuf) Check(isHeader bool) error {
	if m == nil {
		return fmt.Errorf("%w: nil mbuf", ErrCorrupt)
	}
	if err := m.checkSeg(); err != nil {
		return err
	}
	if !isHeader {
		return nil
	}
	if uint32(m.dataLen) > m.pktLen {
		return m.corrupt("bad data_len: %d > pkt_len %d", m.dataLen, m.pktLen)
	}
	n, left := 0, int(m.pktLen)
	for s := m; s != nil; s = s.next {
		if n++; n > int(m.nbSegs) {
			return m.corrupt("bad nb_segs: %d, but the chain is longer", m.nbSegs)
		}
		if s != m {
			if err := s.checkSeg(); err != nil {
				return fmt.Errorf("%w (segment %d of %p)", err, n-1, m)
			}
		}
		if s.dataOff > s.bufLen {
			return s.corrupt("data_off %d > buf_len %d", s.dataOff, s.bufLen)
		}
		if int(s.dataOff)+int(s.dataLen) > int(s.bufLen) {
			return s.corrupt("data_off %d + data_len %d > buf_len %d", s.dataOff, s.dataLen, s.bufLen)
		}
		left -= int(s.dataLen)
	}
	if n != int(m.nbSegs) {
		return m.corrupt("bad nb_segs: %d, but the chain has %d", m.nbSegs, n)
	}
	if left != 0 {
		return m.corrupt("bad pkt_len: %d, but the segments hold %d", m.pktLen, int(m.pktLen)-left)
	}
	return nil
}

func (m *Mbuf) checkSeg() error {
	p := PoolByID(m.pool)
	if p == nil {
		return m.corrupt("bad pool id %d", m.pool)
	}
	if p.mp.ObjIndex(m.obj()) < 0 {
		return m.corrupt("not an mbuf of pool %q (id %d)", p.name, p.id)
	}
	if rc := m.refcnt; rc == 0 || rc >= 0xffff {
		return m.corrupt("bad refcnt %d", rc)
	}
	if m.buf == nil {
		return m.corrupt("nil buffer address")
	}
	switch {
	case m.olFlags&attachFlags == attachFlags:
		return m.corrupt("both indirect and external")
	case m.olFlags&ExtBufMbuf != 0:
		e := extLookup(m.extHandle)
		if e == nil {
			return m.corrupt("external buffer handle %d is not registered", m.extHandle)
		}
		if !e.covers(m.buf, int(m.bufLen)) {
			return m.corrupt("buffer (%d bytes at %p) outside its external buffer (%d bytes at %p)",
				m.bufLen, m.buf, e.size, e.addr)
		}
	case m.olFlags&IndirectMbuf != 0:
		d := m.fromIndirect()
		dp := poolHolding(d)
		if dp == nil {
			return m.corrupt("indirect buffer %p is in no pool", m.buf)
		}
		if d.refcnt == 0 {
			return m.corrupt("direct mbuf %p of its buffer has refcnt 0: freed while attached (reference count underflow)", d)
		}
		if dp.id != d.pool || !d.IsDirect() || d.buf != m.buf {
			return m.corrupt("indirect buffer %p: direct mbuf %p of pool %q is not live and direct", m.buf, d, dp.name)
		}
		if m.bufLen != d.bufLen {
			return m.corrupt("indirect buf_len %d != direct mbuf's %d", m.bufLen, d.bufLen)
		}
	default:
		if !m.bufIsOwn() {
			return m.corrupt("buffer %p outside its pool object (want %p)", m.buf, m.ownBuf())
		}
		if m.bufLen != p.dataRoom {
			return m.corrupt("buf_len %d != pool %q data room %d", m.bufLen, p.name, p.dataRoom)
		}
	}
	return nil
}

func (m *Mbuf) corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: mbuf %p: %s", ErrCorrupt, m, fmt.Sprintf(format, args...))
}

// live is the list of live pools, for finding the owner of an address.
var live struct {
	mu    sync.Mutex
	pools atomic.Pointer[[]*Pool]
}

func addLive(p *Pool) {
	live.mu.Lock()
	defer live.mu.Unlock()
	var l []*Pool
	if old := live.pools.Load(); old != nil {
		l = append(l, *old...)
	}
	l = append(l, p)
	live.pools.Store(&l)
}

func removeLive(p *Pool) {
	live.mu.Lock()
	defer live.mu.Unlock()
	old := live.pools.Load()
	if old == nil {
		return
	}
	var l []*Pool
	for _, q := range *old {
		if q != p {
			l = append(l, q)
		}
	}
	live.pools.Store(&l)
}

// poolHolding returns the live pool of which m is an object, nil if none.
func poolHolding(m *Mbuf) *Pool {
	l := live.pools.Load()
	if l == nil {
		return nil
	}
	for _, p := range *l {
		if p.mp.ObjIndex(m.obj()) >= 0 {
			return p
		}
	}
	return nil
}
