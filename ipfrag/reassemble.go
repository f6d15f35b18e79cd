package ipfrag

import (
	"encoding/binary"

	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

// ReassembleIPv4 gives the received packet m to the table at time now
// (TSC cycles); m's data starts at an L2 header of l2 bytes, and the IPv4
// header must lie in its first segment (rte_ipv4_frag_reassemble_packet).
//
// A packet that is not a fragment is returned as it is. A fragment
// becomes the table's: the result is the whole datagram when m completed
// it (a chain: the first fragment, L2 header and all, then the payloads
// of the others in order; total length, flags and checksum fixed, L2Len
// and L3Len set), nil otherwise. Whatever the table drops, m or held
// fragments, goes to dr. The first fragment's header is rewritten: if its
// buffer is shared (an indirect mbuf, or a reference count above 1) the
// datagram is dropped (Stats.DropShared). It does not allocate.
func (t *Table) ReassembleIPv4(dr *DeathRow, m *mbuf.Mbuf, now uint64, l2 int) *mbuf.Mbuf {
	d := m.Data()
	if l2 < 0 || len(d) < l2+proto.IPv4MinLen || d[l2]>>4 != 4 {
		return t.malformed(m, dr)
	}
	ip := proto.IPv4(d[l2:])
	hl, tl := ip.HeaderLen(), ip.TotalLen()
	if hl < proto.IPv4MinLen || l2+hl > len(d) || tl < hl || l2+tl > m.PktLen() {
		return t.malformed(m, dr)
	}
	if !ip.IsFragment() {
		return m
	}
	off, n, last := ip.FragmentOffset(), tl-hl, !ip.MoreFragments()
	if n == 0 || !last && n%8 != 0 {
		return t.malformed(m, dr)
	}
	t.stats.Fragments++
	trimTo(m, l2+tl, dr)

	var k key
	copy(k.src[:4], d[l2+12:l2+16])
	copy(k.dst[:4], d[l2+16:l2+20])
	k.id = uint32(ip.ID())
	k.proto = ip.Protocol()
	fi := t.lookup(&k, now, dr)
	if fi < 0 {
		t.stats.DropNoSpace++
		dr.add(m)
		return nil
	}
	switch {
	case hl+off+n > 0xffff:
		return t.killWith(fi, m, dr, &t.stats.DropOversize)
	case off == 8 && k.proto == proto.IPProtoTCP:
		return t.killWith(fi, m, dr, &t.stats.DropTiny)
	}
	if _, done := t.add(fi, m, off, n, l2+hl, last, dr); !done {
		return nil
	}

	f := &t.flows[fi]
	t.sort(f)
	head := f.frags[0].m
	hl = int(f.frags[0].hlen) - l2
	if hl+int(f.total) > 0xffff || !head.IsDirect() || head.Refcnt() != 1 {
		if hl+int(f.total) > 0xffff {
			t.stats.DropOversize++
		} else {
			t.stats.DropShared++
		}
		t.kill(fi, dr)
		t.stats.FlowsKilled++
		return nil
	}
	if !t.chainTail(fi, dr) {
		return nil
	}
	hip := proto.IPv4(head.Data()[l2:])
	binary.BigEndian.PutUint16(hip[2:4], uint16(hl+int(f.total)))
	binary.BigEndian.PutUint16(hip[6:8], hip.FlagsFragOff()&proto.IPv4FlagDF)
	hip.SetChecksum(0)
	hip.SetChecksum(hip.CalculateChecksum())
	head.SetL2Len(l2)
	head.SetL3Len(hl)
	t.release(fi)
	t.stats.Completed++
	return head
}

// ReassembleIPv6 is ReassembleIPv4 for IPv6 (rte_ipv6_frag_reassemble_packet):
// a fragment is a packet with a fragment header after the unfragmentable
// part (hop-by-hop, destination options and routing headers, all in m's
// first segment). The datagram returned has the first fragment's
// unfragmentable part, without the fragment header, and its payload
// length fixed. An atomic fragment (offset 0, M clear) is returned as it
// is (RFC 6946). The first fragment's buffer is written (the fragment
// header is cut out): if it is shared the datagram is dropped
// (Stats.DropShared).
func (t *Table) ReassembleIPv6(dr *DeathRow, m *mbuf.Mbuf, now uint64, l2 int) *mbuf.Mbuf {
	d := m.Data()
	if l2 < 0 || len(d) < l2+proto.IPv6Len || d[l2]>>4 != 6 {
		return t.malformed(m, dr)
	}
	h := proto.IPv6(d[l2:])
	tl := proto.IPv6Len + h.PayloadLen()
	if tl == proto.IPv6Len || l2+tl > m.PktLen() {
		return t.malformed(m, dr)
	}
	h = h[:min(len(h), tl)]
	p, off, nhPos := h[6], proto.IPv6Len, 6
	for range 8 {
		if p != proto.IPProtoHopOpts && p != proto.IPProtoRouting && p != proto.IPProtoDstOpts {
			break
		}
		if off+2 > len(h) {
			return t.malformed(m, dr)
		}
		l := proto.ExtLen(p, h[off:])
		if off+l > len(h) {
			return t.malformed(m, dr)
		}
		p, nhPos, off = h[off], off, off+l
	}
	if p != proto.IPProtoFragment {
		return m
	}
	if off+proto.IPv6FragmentLen > len(h) {
		return t.malformed(m, dr)
	}
	fh := proto.IPv6Fragment(h[off:])
	fo, last := fh.FragmentOffset(), !fh.MoreFragments()
	if fo == 0 && last {
		return m
	}
	hlen := off + proto.IPv6FragmentLen
	n := tl - hlen
	if n <= 0 || !last && n%8 != 0 {
		return t.malformed(m, dr)
	}
	t.stats.Fragments++
	trimTo(m, l2+tl, dr)

	var k key
	copy(k.src[:], h[8:24])
	copy(k.dst[:], h[24:40])
	k.id = fh.ID()
	k.v6 = true
	fi := t.lookup(&k, now, dr)
	if fi < 0 {
		t.stats.DropNoSpace++
		dr.add(m)
		return nil
	}
	switch {
	case off-proto.IPv6Len+fo+n > 0xffff:
		return t.killWith(fi, m, dr, &t.stats.DropOversize)
	case fo == 8 && fh.NextHeader() == proto.IPProtoTCP:
		return t.killWith(fi, m, dr, &t.stats.DropTiny)
	}
	stored, done := t.add(fi, m, fo, n, l2+hlen, last, dr)
	f := &t.flows[fi]
	if stored && fo == 0 {
		f.nhPos = int32(nhPos)
	}
	if !done {
		return nil
	}

	t.sort(f)
	head := f.frags[0].m
	fragAt := int(f.frags[0].hlen) - proto.IPv6FragmentLen // L2 + unfragmentable part
	ulen := fragAt - l2 - proto.IPv6Len
	switch {
	case ulen+int(f.total) > 0xffff:
		t.stats.DropOversize++
	case !head.IsDirect() || head.Refcnt() != 1:
		t.stats.DropShared++
	default:
		if !t.chainTail(fi, dr) {
			return nil
		}
		hd := head.Data()
		hd[l2+int(f.nhPos)] = hd[fragAt] // the fragment header's next header
		copy(hd[proto.IPv6FragmentLen:fragAt+proto.IPv6FragmentLen], hd[:fragAt])
		head.Adj(proto.IPv6FragmentLen)
		proto.IPv6(head.Data()[l2:]).SetPayloadLen(uint16(ulen + int(f.total)))
		head.SetL2Len(l2)
		head.SetL3Len(proto.IPv6Len + ulen)
		t.release(fi)
		t.stats.Completed++
		return head
	}
	t.kill(fi, dr)
	t.stats.FlowsKilled++
	return nil
}

func (t *Table) malformed(m *mbuf.Mbuf, dr *DeathRow) *mbuf.Mbuf {
	t.stats.Fragments++
	t.stats.DropMalformed++
	dr.add(m)
	return nil
}

// killWith drops m and flow fi, counting the reason.
func (t *Table) killWith(fi int32, m *mbuf.Mbuf, dr *DeathRow, reason *uint64) *mbuf.Mbuf {
	*reason++
	dr.add(m)
	t.kill(fi, dr)
	t.stats.FlowsKilled++
	return nil
}

// add stores fragment m (payload bytes off..off+n of the datagram, after
// hlen bytes of headers) in flow fi, or drops it, or kills the flow. It
// reports whether m was stored and whether the datagram is now whole.
func (t *Table) add(fi int32, m *mbuf.Mbuf, off, n, hlen int, last bool, dr *DeathRow) (stored, done bool) {
	f := &t.flows[fi]
	end := int32(off + n)
	o := int32(off)
	var reason *uint64
	for _, e := range f.frags[:f.n] {
		if o < e.off+e.len && e.off < end {
			if o == e.off && int32(n) == e.len && (last == (f.total == end)) {
				t.stats.DropDuplicate++
				dr.add(m)
				return false, false
			}
			reason = &t.stats.DropOverlap
			break
		}
	}
	if reason == nil {
		switch {
		case last && f.total >= 0:
			reason = &t.stats.DropBadLast // a second, different end
		case f.total >= 0 && end > f.total:
			reason = &t.stats.DropBadLast // data past the end
		case int(f.n) == t.maxFrag:
			reason = &t.stats.DropTooMany
		}
	}
	if reason == nil && last {
		for _, e := range f.frags[:f.n] {
			if e.off+e.len > end {
				reason = &t.stats.DropBadLast
				break
			}
		}
	}
	if reason != nil {
		t.killWith(fi, m, dr, reason)
		return false, false
	}
	if last {
		f.total = end
	}
	f.frags[f.n] = frag{m: m, off: o, len: int32(n), hlen: int32(hlen)}
	f.n++
	f.have += int32(n)
	return true, f.total >= 0 && f.have == f.total
}

// sort orders f's fragments by offset (insertion sort: a handful, often
// in order already).
func (t *Table) sort(f *flow) {
	fr := f.frags[:f.n]
	for i := 1; i < len(fr); i++ {
		for j := i; j > 0 && fr[j].off < fr[j-1].off; j-- {
			fr[j], fr[j-1] = fr[j-1], fr[j]
		}
	}
}

// chainTail cuts the headers off every fragment of fi but the first and
// chains them, in order, to the first. The fragments must be sorted. If
// the chain would have too many segments the flow is killed and it
// reports false.
func (t *Table) chainTail(fi int32, dr *DeathRow) bool {
	f := &t.flows[fi]
	segs := 0
	for _, e := range f.frags[:f.n] {
		segs += e.m.NbSegs()
	}
	if segs > mbuf.MaxSegs {
		t.stats.DropTooMany++
		t.kill(fi, dr)
		t.stats.FlowsKilled++
		return false
	}
	head := f.frags[0].m
	for _, e := range f.frags[1:f.n] {
		p := strip(e.m, int(e.hlen), dr)
		_ = mbuf.Chain(head, p) // cannot fail: the segments were counted
	}
	return true
}

// strip removes n bytes from the front of packet m, giving emptied
// leading segments to dr, and returns the packet's new first segment.
func strip(m *mbuf.Mbuf, n int, dr *DeathRow) *mbuf.Mbuf {
	for n > 0 && n >= m.Len() && m.Next() != nil {
		next := m.Next()
		n -= m.Len()
		next.SetNbSegs(m.NbSegs() - 1)
		next.SetPktLen(m.PktLen() - m.Len())
		m.SetNext(nil)
		m.SetNbSegs(1)
		m.SetPktLen(m.Len())
		dr.add(m)
		m = next
	}
	m.Adj(n)
	return m
}

// trimTo cuts packet m to its first n bytes (Ethernet padding after an IP
// datagram), giving segments left empty to dr.
func trimTo(m *mbuf.Mbuf, n int, dr *DeathRow) {
	if m.PktLen() <= n {
		return
	}
	acc, segs := 0, 1
	for s := m; s != nil; s, segs = s.Next(), segs+1 {
		if acc+s.Len() < n {
			acc += s.Len()
			continue
		}
		restLen := m.PktLen() - acc - s.Len()
		s.SetLen(n - acc)
		if rest := s.Next(); rest != nil {
			s.SetNext(nil)
			rest.SetNbSegs(m.NbSegs() - segs)
			rest.SetPktLen(restLen)
			dr.add(rest)
		}
		m.SetNbSegs(segs)
		m.SetPktLen(n)
		return
	}
}
