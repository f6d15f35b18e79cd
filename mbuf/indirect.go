package mbuf

// Attach makes mi an indirect mbuf sharing m's buffer (rte_pktmbuf_attach):
// mi gets m's data window and header fields, and the mbuf that owns the
// buffer (m.Direct()) one more reference, so the buffer stays until both
// are freed. If m is attached to an external buffer, mi is attached to the
// same ExtBuf instead, whose count goes up.
//
// mi must be direct, one segment, with reference count 1 (a fresh Alloc);
// debug builds panic otherwise. m is one segment: Clone attaches a chain.
func Attach(mi, m *Mbuf) {
	if debug && (!mi.IsDirect() || mi.Refcnt() != 1) {
		panicf("mbuf: Attach to %p: %p must be direct with reference count 1 (flags %s, refcnt %d)",
			m, mi, FlagsString(mi.olFlags), mi.Refcnt())
	}
	if m.olFlags&ExtBufMbuf != 0 {
		extLookup(m.extHandle).RefcntUpdate(1)
		mi.olFlags = m.olFlags
		mi.extHandle = m.extHandle
	} else {
		m.Direct().RefcntUpdate(1)
		mi.bufPriv = m.bufPriv
		mi.olFlags = m.olFlags | IndirectMbuf
	}
	copyHdr(mi, m)
	mi.buf = m.buf
	mi.bufLen = m.bufLen
	mi.dataOff = m.dataOff
	mi.dataLen = m.dataLen
	mi.next = nil
	mi.pktLen = uint32(m.dataLen)
	mi.nbSegs = 1
}

// copyHdr copies the per-packet metadata (__rte_pktmbuf_copy_hdr plus the
// dynamic fields).
func copyHdr(dst, src *Mbuf) {
	dst.port = src.port
	dst.vlanTCI = src.vlanTCI
	dst.vlanTCIOuter = src.vlanTCIOuter
	dst.txOffload = src.txOffload
	dst.rss = src.rss
	dst.fdirID = src.fdirID
	dst.packetType = src.packetType
	dst.timestamp = src.timestamp
	dst.timesync = src.timesync
	dst.userData = src.userData
	dst.dynfield = src.dynfield
}

// Clone returns a new packet made of indirect mbufs from p, one per segment
// of m, sharing m's buffers (rte_pktmbuf_clone); each buffer's owner gets
// one more reference. It returns nil, changing nothing, if p runs out of
// mbufs. The clone and m are freed independently, in any order; the data
// is shared, so neither should be written while both live.
func (p *Pool) Clone(m *Mbuf, lcore uint) *Mbuf {
	mc := p.Alloc(lcore)
	if mc == nil {
		return nil
	}
	mi, nseg, plen := mc, 1, m.pktLen
	for {
		Attach(mi, m)
		if m = m.next; m == nil {
			break
		}
		next := p.Alloc(lcore)
		if next == nil {
			mc.nbSegs = uint16(nseg)
			mc.pktLen = uint32(mc.chainLen())
			mc.Free(lcore)
			return nil
		}
		mi.next = next
		mi = next
		nseg++
	}
	mc.nbSegs = uint16(nseg)
	mc.pktLen = plen
	return mc
}

// chainLen sums the data lengths of the segments.
func (m *Mbuf) chainLen() int {
	n := 0
	for s := m; s != nil; s = s.next {
		n += int(s.dataLen)
	}
	return n
}

// Detach gives an indirect or external mbuf its own buffer back
// (rte_pktmbuf_detach): the reference it held on the shared buffer is
// dropped (freeing the direct mbuf on lcore, or running the ExtBuf's
// callback, if it was the last), and m is left empty with the default
// headroom and no flags. It does nothing to a direct mbuf.
func (m *Mbuf) Detach(lcore uint) {
	if m.olFlags&attachFlags != 0 {
		m.detach(lcore)
	}
}

func (m *Mbuf) detach(lcore uint) {
	if m.olFlags&ExtBufMbuf != 0 {
		extLookup(m.extHandle).release(m.buf)
		m.extHandle = 0
	} else {
		d := m.fromIndirect()
		if debug && d.Refcnt() == 0 {
			panicf("mbuf: reference count underflow: %p detached from %p whose count is already 0", m, d)
		}
		if d.RefcntUpdate(-1) == 0 {
			d.next = nil
			d.nbSegs = 1
			d.refcnt = 1
			d.rawFree(lcore)
		}
	}
	m.bufPriv = m.privSize
	m.buf = m.ownBuf()
	m.bufLen = pools[m.pool].Load().dataRoom
	m.dataOff = uint16(min(Headroom, int(m.bufLen)))
	m.pktLen -= uint32(m.dataLen)
	m.dataLen = 0
	m.olFlags = 0
}
