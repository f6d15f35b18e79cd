package memif

import (
	"errors"
	"fmt"
	"sort"
	"unsafe"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/internal/memifproto"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/mempool"
)

// Zero-copy (a client with zero-copy=yes, as in DPDK): the client
// announces its mbuf arenas as regions 1.. and its descriptors point
// straight at mbuf data. A packet sent stays the ring's until the server
// hands its slot back; a packet received is the mbuf the client offered,
// filled in place by the server. Only shared arenas (mbuf pools made with
// PoolConfig.Shared: a memfd) can be announced: the rx queues' pools must
// be, and a packet from any other memory is dropped (counted in oerrors).
//
// The server is trusted with those arenas: it can write anywhere in them,
// mbuf headers included. Use zero-copy only with a peer you trust.

// zcRegion is one announced arena.
type zcRegion struct {
	base, end uintptr
	idx       uint16
}

// zcRegions returns the shared arenas of every live pool, one region
// each (deduplicated), sorted by address.
func zcRegions() ([]*memifproto.Region, []zcRegion) {
	seen := map[int]bool{}
	var regs []*memifproto.Region
	var table []zcRegion
	for _, p := range mempool.Pools() {
		a := p.Arena()
		if a == nil || !a.Shared() || a.Fd() < 0 || seen[a.Fd()] {
			continue
		}
		seen[a.Fd()] = true
		mem := a.Bytes()
		if len(mem) == 0 {
			continue
		}
		regs = append(regs, memifproto.BorrowRegion(mem, a.Fd()))
		base := uintptr(unsafe.Pointer(&mem[0]))
		// Region 0 is the rings; arenas are 1...
		table = append(table, zcRegion{base: base, end: base + uintptr(len(mem)), idx: uint16(len(regs))})
	}
	sort.Slice(table, func(i, j int) bool { return table[i].base < table[j].base })
	return regs, table
}

// lookup finds the region holding [p, p+n).
func lookup(table []zcRegion, p unsafe.Pointer, n int) (idx uint16, off uint32, ok bool) {
	a := uintptr(p)
	for i := range table {
		r := &table[i]
		if a >= r.base && a+uintptr(n) <= r.end {
			return r.idx, uint32(a - r.base), true
		}
	}
	return 0, 0, false
}

// checkZCPool refuses an rx pool the peer cannot see.
func checkZCPool(p *mbuf.Pool) error {
	a := p.Mempool().Arena()
	if a == nil || !a.Shared() || a.Fd() < 0 {
		return fmt.Errorf("net_memif: zero-copy: rx pool %q is not shared memory (create it with mbuf.PoolConfig.Shared): %w", p.Name(), ethdev.ErrInvalid)
	}
	return nil
}

var errZCServer = errors.New("net_memif: zero-copy=yes is for role=client (the client's memory is shared)")

// rxZC receives the mbufs the server filled, then offers new ones.
func (q *rxQueue) rxZC(mq *memifproto.Queue, pkts []*mbuf.Mbuf) int {
	ready, err := mq.Ready()
	if err != nil {
		q.dev.ringError(err)
		return 0
	}
	n, d := 0, 0
	for n < len(pkts) && d < ready {
		// Find the packet's end first: an incomplete one stays.
		e := d
		for e < ready && mq.Desc(e).Flags&memifproto.DescFlagNext != 0 {
			e++
		}
		if e == ready {
			break
		}
		var head *mbuf.Mbuf
		good := true
		for i := d; i <= e; i++ {
			slot := mq.Slot(i)
			m := q.slots[slot]
			q.slots[slot] = nil
			if m == nil {
				good = false
				continue
			}
			if !good || m.Append(int(mq.Desc(i).Length)) == nil {
				good = false
				m.Free(q.lcore)
				continue
			}
			if head == nil {
				head = m
			} else if mbuf.Chain(head, m) != nil {
				good = false
				m.Free(q.lcore)
			}
		}
		d = e + 1
		if !good {
			q.badDescs.Add(1)
			if head != nil {
				head.Free(q.lcore)
			}
			continue
		}
		head.SetPort(q.port)
		pkts[n] = head
		n++
	}
	mq.Done(d)
	q.offerZC(mq)
	return n
}

// offerZC gives the server fresh mbufs for every free slot.
func (q *rxQueue) offerZC(mq *memifproto.Queue) {
	first, free := mq.Offerable()
	var batch [32]*mbuf.Mbuf
	given := 0
	for given < free {
		k := min(free-given, len(batch))
		if !q.pool.AllocBulk(q.lcore, batch[:k]) {
			q.nombuf.Add(1)
			break
		}
		for i, m := range batch[:k] {
			r, off, ok := lookup(q.regions, m.DataAddr(), m.Tailroom())
			if !ok { // checked at setup: cannot happen
				mbuf.FreeBulk(q.lcore, batch[i:k])
				mq.Offer(given)
				return
			}
			q.slots[(first+given)&(len(q.slots)-1)] = m
			mq.PutOffer(given, memifproto.Desc{Region: r, Offset: off, Length: uint32(m.Tailroom())})
			given++
		}
	}
	mq.Offer(given)
}

// txZC points descriptors at the packets' own data; the packets are freed
// when the server hands their slots back.
func (q *txQueue) txZC(mq *memifproto.Queue, pkts []*mbuf.Mbuf) int {
	first, done, err := mq.Completed()
	if err != nil {
		q.dev.ringError(err)
		return 0
	}
	mask := len(q.slots) - 1
	for i := range done {
		s := (first + i) & mask
		if m := q.slots[s]; m != nil {
			m.Free(q.lcore)
			q.slots[s] = nil
		}
	}
	mq.Reclaimed(done)
	free, err := mq.Ready()
	if err != nil {
		q.dev.ringError(err)
		return 0
	}
	n, d := 0, 0
	for ; n < len(pkts); n++ {
		m := pkts[n]
		segs := m.NbSegs()
		if d+segs > free {
			break
		}
		i, ok := 0, true
		for seg := m; seg != nil && ok; seg = seg.Next() {
			r, off, found := lookup(q.regions, seg.DataAddr(), seg.Len())
			if !found {
				ok = false
				break
			}
			f := uint16(memifproto.DescFlagNext)
			if seg.Next() == nil {
				f = 0
			}
			mq.Put(d+i, memifproto.Desc{Flags: f, Region: r, Offset: off, Length: uint32(seg.Len())})
			q.slots[mq.Slot(d+i)] = nil
			i++
		}
		if !ok {
			q.oerrors.Add(1) // not in shared memory: dropped
			m.Free(q.lcore)
			continue
		}
		q.slots[mq.Slot(d+i-1)] = m // freed with its last slot
		d += i
	}
	mq.Done(d)
	return n
}

// freeSlots gives back the mbufs a zero-copy queue holds (on detach).
func freeSlots(slots []*mbuf.Mbuf, lcore uint) {
	for i, m := range slots {
		if m != nil {
			m.Free(lcore)
			slots[i] = nil
		}
	}
}
