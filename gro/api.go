package gro

import "github.com/dpkit/dpkit/mbuf"

// Burst merges packets within one burst (rte_gro_reassemble_burst). Its
// scratch table is allocated once, by NewBurst; a Burst is for one
// goroutine at a time.
type Burst struct {
	t   *table
	unp []*mbuf.Mbuf
}

// NewBurst makes a Burst for bursts of up to maxBurst packets.
func NewBurst(p Param, maxBurst int) (*Burst, error) {
	if p.MaxFlows == 0 {
		p.MaxFlows = maxBurst
	}
	if p.MaxItemsPerFlow == 0 {
		p.MaxItemsPerFlow = maxBurst
	}
	t, err := newTable(p)
	if err != nil {
		return nil, err
	}
	return &Burst{t: t, unp: make([]*mbuf.Mbuf, 0, maxBurst)}, nil
}

// Reassemble merges the packets of pkts that continue one another and
// returns how many packets are left: pkts[:n], the merged packets first
// (in the order their first packet came), then the ones it could not
// merge or did not try to (in their order). Packets past maxBurst are
// left as they are, after those. Ownership stays with the caller.
func (b *Burst) Reassemble(pkts []*mbuf.Mbuf) int {
	n := min(len(pkts), cap(b.unp))
	unp := b.unp[:0]
	for _, m := range pkts[:n] {
		if !b.t.add(m, 0) {
			unp = append(unp, m)
		}
	}
	k := 0
	for b.t.oldest >= 0 {
		pkts[k] = b.t.flush(b.t.oldest)
		k++
	}
	k += copy(pkts[k:], unp)
	if k < n { // fewer packets now: move the ones past maxBurst up
		k += copy(pkts[k:], pkts[n:])
	} else {
		k = len(pkts)
	}
	clear(b.unp[:len(unp)])
	return k
}

// Context keeps packets across bursts (rte_gro_ctx): the heavyweight mode.
// It is for one goroutine at a time.
type Context struct {
	t *table
}

// New makes a Context (rte_gro_ctx_create).
func New(p Param) (*Context, error) {
	t, err := newTable(p)
	if err != nil {
		return nil, err
	}
	return &Context{t: t}, nil
}

// Reassemble takes the packets it can merge into the context, at time now
// (TSC cycles), and moves the others to the front of pkts; it returns how
// many those are (rte_gro_reassemble). The context owns what it took.
func (c *Context) Reassemble(pkts []*mbuf.Mbuf, now uint64) int {
	n := 0
	for _, m := range pkts {
		if !c.t.add(m, now) {
			pkts[n] = m
			n++
		}
	}
	return n
}

// TimeoutFlush hands back, into out, the packets held for at least
// timeout cycles at now (every packet with timeout 0), oldest first, up to
// len(out); it returns how many (rte_gro_timeout_flush).
func (c *Context) TimeoutFlush(now, timeout uint64, out []*mbuf.Mbuf) int {
	n := 0
	for n < len(out) && c.t.oldest >= 0 && now-c.t.items[c.t.oldest].start >= timeout {
		out[n] = c.t.flush(c.t.oldest)
		n++
	}
	return n
}

// Count returns the number of packets the context holds
// (rte_gro_get_pkt_count); merged ones count once.
func (c *Context) Count() int { return c.t.count }
