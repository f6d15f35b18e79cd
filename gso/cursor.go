package gso

import "github.com/dpkit/dpkit/mbuf"

// cursor walks a packet's bytes segment by segment.
type cursor struct {
	seg *mbuf.Mbuf
	off int // in seg
}

// skip advances n bytes.
func (c *cursor) skip(n int) {
	for c.seg != nil && n >= c.seg.Len()-c.off {
		n -= c.seg.Len() - c.off
		c.seg, c.off = c.seg.Next(), 0
	}
	c.off += n
}

// attach appends the next n bytes to the packet head as indirect mbufs
// from pool, and advances; false when the pool runs out (what was
// attached stays on head, for the caller to free).
func (c *cursor) attach(head *mbuf.Mbuf, n int, pool *mbuf.Pool, lcore uint) bool {
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
		mbuf.Attach(im, c.seg)
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
