// Package qsbr is quiescent-state-based reclamation, as DPDK's rte_rcu_qsbr:
// a writer that has unlinked an element from a structure read lock-free
// waits until every reader has passed a quiescent state (a point where it
// holds no reference into the structure) before it reuses the element.
//
// Readers register once with an id, go Online before reading the structure
// and report Quiescent between reads (typically once per burst on a polling
// lcore); Offline readers are not waited for. The writer calls Start after
// unlinking, keeps the token, and reuses the element once Check(token)
// reports true.
//
// All methods are safe for concurrent use; each reader id must be used by
// one goroutine at a time.
package qsbr

import (
	"errors"
	"runtime"
	"sync/atomic"
)

// offline is the counter value of a reader that is not reading.
const offline = 0

type reader struct {
	cnt atomic.Uint64
	_   [56]byte
}

// QSBR tracks the quiescent states of up to MaxReaders readers.
type QSBR struct {
	token   atomic.Uint64
	_       [56]byte
	readers []reader
}

// ErrReaders is returned by New for a reader count below 1.
var ErrReaders = errors.New("qsbr: need at least one reader")

// New returns a QSBR for reader ids 0..maxReaders-1, all offline.
func New(maxReaders int) (*QSBR, error) {
	if maxReaders < 1 {
		return nil, ErrReaders
	}
	q := &QSBR{readers: make([]reader, maxReaders)}
	q.token.Store(1)
	return q, nil
}

// MaxReaders returns the number of reader ids.
func (q *QSBR) MaxReaders() int { return len(q.readers) }

// Online marks reader id as reading: from now on writers wait for it.
func (q *QSBR) Online(id int) {
	// Store the current token: the reader has seen every removal made
	// before it (sequentially consistent atomics order the store before
	// the reader's following loads of the structure).
	q.readers[id].cnt.Store(q.token.Load())
}

// Offline marks reader id as holding no references and not reading.
func (q *QSBR) Offline(id int) { q.readers[id].cnt.Store(offline) }

// Quiescent reports that reader id holds no reference into the structure
// obtained before this call. An offline reader stays offline.
func (q *QSBR) Quiescent(id int) {
	r := &q.readers[id]
	if r.cnt.Load() != offline {
		r.cnt.Store(q.token.Load())
	}
}

// Start begins a grace period after the writer has unlinked elements and
// returns its token.
func (q *QSBR) Start() uint64 { return q.token.Add(1) }

// Check reports whether every reader online has passed a quiescent state
// since the Start that returned token. With wait it spins (yielding the
// processor) until they have.
func (q *QSBR) Check(token uint64, wait bool) bool {
	for i := range q.readers {
		r := &q.readers[i]
		for {
			c := r.cnt.Load()
			if c == offline || c >= token {
				break
			}
			if !wait {
				return false
			}
			runtime.Gosched()
		}
	}
	return true
}

// Synchronize starts a grace period and waits for it to end.
func (q *QSBR) Synchronize() { q.Check(q.Start(), true) }
