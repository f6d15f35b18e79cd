package lpm

import (
	"errors"
	"runtime"
	"sync/atomic"
)

// QSBR is quiescent-state-based reclamation (rte_rcu_qsbr): readers say
// when they hold no reference into a table, and a writer that unlinked a
// group reuses it only once every registered reader has said so after the
// unlink.
//
// A reader registers once (Register), then calls Quiescent between lookups
// (typically once per burst), and Offline/Online around long idle periods.
// The methods of one reader id are called by one goroutine only.
type QSBR struct {
	token atomic.Uint64 // writer's counter, bumped by Start
	_     [56]byte
	slots []qsbrSlot
}

// qsbrSlot is one reader's counter on its own cache line: 0 = not
// registered or offline, otherwise the last token seen.
type qsbrSlot struct {
	seen atomic.Uint64
	_    [56]byte
}

// ErrReader is returned for a reader id out of range.
var ErrReader = errors.New("lpm: qsbr reader id out of range")

// NewQSBR returns a QSBR for reader ids 0..maxReaders-1.
func NewQSBR(maxReaders int) *QSBR {
	q := &QSBR{slots: make([]qsbrSlot, max(maxReaders, 1))}
	q.token.Store(1)
	return q
}

// Register makes reader id online: from now on writers wait for it.
func (q *QSBR) Register(id int) error {
	if id < 0 || id >= len(q.slots) {
		return ErrReader
	}
	q.slots[id].seen.Store(q.token.Load())
	return nil
}

// Unregister takes reader id offline for good (same as Offline).
func (q *QSBR) Unregister(id int) { q.Offline(id) }

// Offline says reader id will not look anything up until Online.
func (q *QSBR) Offline(id int) {
	if uint(id) < uint(len(q.slots)) {
		q.slots[id].seen.Store(0)
	}
}

// Online brings reader id back after Offline.
func (q *QSBR) Online(id int) {
	if uint(id) < uint(len(q.slots)) {
		q.slots[id].seen.Store(q.token.Load())
	}
}

// Quiescent reports that reader id holds no reference into any table
// (call it between bursts). It is one load and one store.
func (q *QSBR) Quiescent(id int) {
	if uint(id) < uint(len(q.slots)) {
		q.slots[id].seen.Store(q.token.Load())
	}
}

// start begins a grace period and returns its token.
func (q *QSBR) start() uint64 { return q.token.Add(1) }

// passed reports whether every online reader has been quiescent since
// token was handed out.
func (q *QSBR) passed(token uint64) bool {
	for i := range q.slots {
		if s := q.slots[i].seen.Load(); s != 0 && s < token {
			return false
		}
	}
	return true
}

// wait blocks until passed(token).
func (q *QSBR) wait(token uint64) {
	for spins := 0; !q.passed(token); spins++ {
		if spins > 64 {
			runtime.Gosched()
		}
	}
}

// groupPool hands out second-level group indexes, holding freed ones back
// until a QSBR grace period has passed.
type groupPool struct {
	free    []uint32 // ready for reuse (LIFO)
	pending []pendingGroup
	next    uint32 // groups [next, total) were never used
	total   uint32
	inUse   int
	qsbr    *QSBR
}

type pendingGroup struct {
	group uint32
	token uint64
}

// get returns a group index, or false when all are in use, and whether
// the group was never used: its entries are then still the arena's zeros,
// and a new group whose entries must all be 0 (invalid) need not be
// written, nor its memory touched. With a QSBR it first reuses groups
// whose grace period has passed and, when there are none, waits for the
// oldest pending one.
func (p *groupPool) get() (g uint32, fresh, ok bool) {
	if len(p.free) == 0 && len(p.pending) > 0 {
		p.reclaim(false)
		if len(p.free) == 0 && p.next == p.total {
			p.reclaim(true)
		}
	}
	switch {
	case len(p.free) > 0:
		g = p.free[len(p.free)-1]
		p.free = p.free[:len(p.free)-1]
	case p.next < p.total:
		g = p.next
		p.next++
		fresh = true
	default:
		return 0, false, false
	}
	p.inUse++
	return g, fresh, true
}

// put gives back a group that was unlinked from the table.
func (p *groupPool) put(g uint32) {
	p.inUse--
	if p.qsbr == nil {
		p.free = append(p.free, g)
		return
	}
	p.pending = append(p.pending, pendingGroup{g, p.qsbr.start()})
}

// reclaim moves pending groups whose grace period is over to the free
// list; with wait it waits for the oldest one first.
func (p *groupPool) reclaim(wait bool) {
	if len(p.pending) == 0 {
		return
	}
	if wait {
		p.qsbr.wait(p.pending[0].token)
	}
	n := 0
	for n < len(p.pending) && p.qsbr.passed(p.pending[n].token) {
		p.free = append(p.free, p.pending[n].group)
		n++
	}
	p.pending = append(p.pending[:0], p.pending[n:]...)
}

// avail returns how many groups get can still hand out, waiting for grace
// periods if need be.
func (p *groupPool) avail() int {
	return len(p.free) + len(p.pending) + int(p.total-p.next)
}
