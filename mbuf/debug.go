package mbuf

// The checks debug builds (-tags dpkit_debug, RTE_LIBRTE_MBUF_DEBUG) run
// on the fast path. In those builds an mbuf sitting in its pool has
// reference count 0 (DPDK keeps 1), so a second free, or a use after free
// that frees again, is caught.

func debugAlloc(m *Mbuf, p *Pool) {
	if m.pool != p.id {
		panicf("mbuf: %p allocated from pool %q (id %d) carries pool id %d", m, p.name, p.id, m.pool)
	}
	if m.refcnt != 0 {
		panicf("mbuf: %p allocated from pool %q with reference count %d: it was still in use while in the pool", m, p.name, m.refcnt)
	}
	if m.next != nil || m.nbSegs != 1 || !m.IsDirect() || !m.bufIsOwn() {
		panicf("mbuf: %p allocated from pool %q not reset (next %p, nb_segs %d, flags %s): written after free?",
			m, p.name, m.next, m.nbSegs, FlagsString(m.olFlags))
	}
}

func debugFree(m *Mbuf) {
	if m.refcnt == 0 {
		panicf("mbuf: double free of %p (reference count 0: already in its pool)", m)
	}
	if err := m.Check(true); err != nil {
		panic("mbuf: freeing a corrupt packet: " + err.Error())
	}
}

func debugFreeSeg(m *Mbuf) {
	if m.refcnt == 0 {
		panicf("mbuf: double free of %p (reference count 0: already in its pool)", m)
	}
	if err := m.Check(false); err != nil {
		panic("mbuf: freeing a corrupt segment: " + err.Error())
	}
}

func debugRawFree(m *Mbuf, p *Pool) {
	if p == nil {
		panicf("mbuf: freeing %p: bad pool id %d", m, m.pool)
	}
	if p.mp.ObjIndex(m.obj()) < 0 {
		panicf("mbuf: freeing %p into the wrong pool %q (id %d): it is not one of its objects", m, p.name, p.id)
	}
	if m.refcnt != 1 || m.next != nil || m.nbSegs != 1 || !m.IsDirect() {
		panicf("mbuf: %p going back to pool %q not reset (refcnt %d, next %p, nb_segs %d, flags %s)",
			m, p.name, m.refcnt, m.next, m.nbSegs, FlagsString(m.olFlags))
	}
	m.refcnt = 0
}

func debugRefcnt(m *Mbuf, v uint32) {
	if v > 0xffff {
		panicf("mbuf: reference count underflow or overflow on %p: %d", m, int32(v))
	}
}
