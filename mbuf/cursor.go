package mbuf

// Cursor walks a packet's bytes segment by segment: the position from
// which fragmentation (ipfrag) and segmentation (gso) share a big packet's
// payload with the pieces they make, through indirect mbufs.
type Cursor struct {
	seg *Mbuf
	off int // in seg
}

// NewCursor returns a cursor at the first byte of m.
func NewCursor(m *Mbuf) Cursor { return Cursor{seg: m} }

// Skip advances n bytes.
func (c *Cursor) Skip(n int) {
	for c.seg != nil && n >= c.seg.Len()-c.off {
		n -= c.seg.Len() - c.off
		c.seg, c.off = c.seg.Next(), 0
	}
	c.off += n
}

// AttachTo appends the next n bytes to the packet head as indirect mbufs
// from pool (sharing the segments' buffers, as Attach does), and advances.
// It reports false when the pool runs out; what was attached stays on
// head, for the caller to free.
func (c *Cursor) AttachTo(head *Mbuf, n int, pool *Pool, lcore uint) bool {
	last := head.LastSeg()
	segs, plen := head.NbSegs(), head.PktLen()
	ok := true
	for n > 0 && c.seg != nil {
		take := min(n, c.seg.Len()-c.off)
		if take == 0 {
			c.seg, c.off = c.seg.Next(), 0
			continue
		}
		im := pool.Alloc(lcore)
		if im == nil {
			ok = false
			break
		}
		Attach(im, c.seg)
		im.Adj(c.off)
		im.Trim(im.Len() - take)
		last.SetNext(im)
		last = im
		segs++
		plen += take
		n -= take
		c.off += take
		if c.off == c.seg.Len() {
			c.seg, c.off = c.seg.Next(), 0
		}
	}
	head.SetNbSegs(segs)
	head.SetPktLen(plen)
	return ok
}
