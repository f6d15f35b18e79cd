package ethdev

import (
	"sync/atomic"

	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/mempool"
	"github.com/dpkit/dpkit/ring"
)

// Software RSS for a device that can neither hash nor steer (no hardware
// RSS, no SoftRSSUser): ethdev configures the device with one rx queue and
// gives the application up to SoftRSSMaxQueues. Every application queue has
// a ring of its own; whichever poller finds its ring short of a burst takes
// the device queue (a try-lock, one compare-and-swap per burst), receives
// a burst, keeps the packets the RETA sends to its own queue and enqueues
// the others on their queues' rings. A packet whose ring is full is
// dropped and counted as imissed, as a NIC does when an rx ring is full.
// The packets of a queue stay in arrival order. Every packet is allocated
// from rx queue 0's pool (the device's one queue), without an lcore cache
// (the device queue is polled by whichever lcore holds the lock).
//
//	device queue 0 --RxBurst (by the lock holder)--> RSS.Queue --+--> own queue: returned at once
//	                                                             +--> ring[q'] --> queue q' poller

// SoftRSSMaxQueues is the number of rx queues ethdev can spread a
// one-queue device over.
const SoftRSSMaxQueues = 16

// fanRingSize is the size of each queue's ring.
const fanRingSize = 1024

// fanBurst is how many packets the lock holder takes from the device.
const fanBurst = 32

type fanout struct {
	lock   atomic.Uint32
	_      [60]byte
	src    RxQueue // the device's queue 0
	rss    *RSS
	rings  []*ring.Ring[*mbuf.Mbuf]
	missed atomic.Uint64
	buf    [fanBurst]*mbuf.Mbuf // used under lock
}

func newFanout(queues int, rss *RSS) (*fanout, error) {
	f := &fanout{rss: rss}
	for range queues {
		r, err := ring.New[*mbuf.Mbuf]("ethdev-rss", fanRingSize, ring.SingleProducer|ring.SingleConsumer|ring.OffHeap)
		if err != nil {
			return nil, err
		}
		f.rings = append(f.rings, r)
	}
	return f, nil
}

// release frees every packet still waiting in the rings (control path,
// no poller running).
func (f *fanout) release() {
	var buf [64]*mbuf.Mbuf
	for _, r := range f.rings {
		for {
			n := r.DequeueBurst(buf[:])
			if n == 0 {
				break
			}
			mbuf.FreeBulk(mempool.LcoreAny, buf[:n])
		}
	}
}

// fanQueue is application rx queue q of a spread port.
type fanQueue struct {
	f     *fanout
	q     uint16
	lcore uint
}

func (fq *fanQueue) RxBurst(pkts []*mbuf.Mbuf) int {
	f := fq.f
	r := f.rings[fq.q]
	n := r.DequeueBurst(pkts)
	if n == len(pkts) || !f.lock.CompareAndSwap(0, 1) {
		return n
	}
	// What another poller spread to us before we took the lock comes
	// first; after this, our ring is empty unless pkts is full.
	n += r.DequeueBurst(pkts[n:])
	got := f.src.RxBurst(f.buf[:])
	var missed uint64
	for _, m := range f.buf[:got] {
		qi := f.rss.Queue(m)
		if int(qi) >= len(f.rings) {
			qi = 0
		}
		if qi == fq.q && n < len(pkts) {
			pkts[n] = m
			n++
		} else if !f.rings[qi].Enqueue(m) {
			m.Free(fq.lcore)
			missed++
		}
	}
	f.lock.Store(0)
	if missed > 0 {
		f.missed.Add(missed)
	}
	return n
}
