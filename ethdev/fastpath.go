package ethdev

import (
	"sync/atomic"

	"github.com/dpkit/dpkit/mbuf"
)

// This file is the fast path (DPDK's rte_eth_rx_burst / rte_eth_tx_burst,
// inline in rte_ethdev.h): one slice index and one interface call per
// burst, a few counter updates, and the queue's callbacks if it has any.
// Nothing here allocates, blocks or returns an error.

// rxQueue is what RxBurst reads for one queue; it is written by the
// control path only while the port is stopped.
type rxQueue struct {
	q    RxQueue // the driver's queue, or stoppedQueue
	cbs  atomic.Pointer[[]*RxCallbackHandle]
	port uint16
	id   uint16
	_    [64 - 16 - 8 - 4]byte
	c    counters // written by the polling goroutine only
}

// txQueue is what TxBurst reads for one queue.
type txQueue struct {
	q    TxQueue
	prep TxPreparer // q's, or nil
	cbs  atomic.Pointer[[]*TxCallbackHandle]
	offl TxOffload // the queue's offloads (port-wide and per queue)
	port uint16
	id   uint16
	_    [64 - 32 - 8 - 8 - 4]byte
	c    counters
}

// counters are one queue's packet and byte counts, on their own cache
// line; one goroutine writes them (see counter_*.go), any goroutine reads.
type counters struct {
	packets, bytes uint64
	_              [48]byte
}

func (r *rxQueue) init(port, id uint16) { r.q, r.port, r.id = stoppedQueue{}, port, id }
func (t *txQueue) init(port, id uint16) { t.setQueue(stoppedQueue{}); t.port, t.id = port, id }

func (t *txQueue) setQueue(q TxQueue) {
	t.q = q
	t.prep, _ = q.(TxPreparer)
}

// stoppedQueue stands in for the driver's queues while the port is
// stopped, as DPDK's dummy burst functions do: nothing is received and
// nothing is taken.
type stoppedQueue struct{}

func (stoppedQueue) RxBurst([]*mbuf.Mbuf) int { return 0 }
func (stoppedQueue) TxBurst([]*mbuf.Mbuf) int { return 0 }

// TxPreparer is an optional TxQueue interface: TxPrepare checks and
// prepares the packets' tx offload requests (rte_eth_tx_prepare) and
// returns how many of pkts, from the front, are ready to send.
type TxPreparer interface {
	TxPrepare(pkts []*mbuf.Mbuf) int
}

// RxBurst receives up to len(pkts) packets from queue q into pkts and
// returns how many (rte_eth_rx_burst). The caller owns the received
// mbufs; their Port() is p's id. A stopped port returns 0. q must be a configured queue (else it
// panics, like an out-of-range slice index) and only one goroutine at a
// time may poll it.
func (p *Port) RxBurst(q uint16, pkts []*mbuf.Mbuf) int {
	rq := &p.rxq[q]
	n := rq.q.RxBurst(pkts)
	if n > 0 {
		b := stampRx(pkts[:n], rq.port)
		addCounter(&rq.c.packets, uint64(n))
		addCounter(&rq.c.bytes, b)
	}
	if cbs := rq.cbs.Load(); cbs != nil {
		for _, cb := range *cbs {
			n = cb.fn(rq.port, q, pkts, n)
		}
	}
	return n
}

// TxBurst sends packets on queue q and returns how many it took, from the
// front (rte_eth_tx_burst): the port owns pkts[:n] from then on, and the
// caller still owns (and must free or retry) pkts[n:]. A stopped port
// takes nothing. Only one goroutine at a time may use a queue.
func (p *Port) TxBurst(q uint16, pkts []*mbuf.Mbuf) int {
	tq := &p.txq[q]
	if cbs := tq.cbs.Load(); cbs != nil {
		n := len(pkts)
		for _, cb := range *cbs {
			n = cb.fn(tq.port, q, pkts[:n])
		}
		pkts = pkts[:n]
	}
	// Count the bytes before the driver owns (and maybe frees) them.
	b := sumLen(pkts)
	n := tq.q.TxBurst(pkts)
	if n < len(pkts) {
		b -= sumLen(pkts[n:])
	}
	if n > 0 {
		addCounter(&tq.c.packets, uint64(n))
		addCounter(&tq.c.bytes, b)
	}
	return n
}

// TxPrepare checks the tx offload requests of pkts for queue q and returns
// how many, from the front, may be given to TxBurst
// (rte_eth_tx_prepare); pkts[n], if n < len(pkts), is the first packet
// the port cannot send as asked. A driver may check more (TxPreparer);
// otherwise ethdev checks that every requested offload was configured on
// the queue and that the header lengths it needs are set.
func (p *Port) TxPrepare(q uint16, pkts []*mbuf.Mbuf) int {
	tq := &p.txq[q]
	if tq.prep != nil {
		return tq.prep.TxPrepare(pkts)
	}
	for i, m := range pkts {
		if f := m.OlFlags() & mbuf.TxOffloadMask; f != 0 && !txRequestOK(m, f, tq.offl) {
			return i
		}
	}
	return len(pkts)
}

// txRequestOK reports whether the offloads that flags f of m ask for are
// among offl, with the lengths they need.
func txRequestOK(m *mbuf.Mbuf, f uint64, offl TxOffload) bool {
	var need TxOffload
	if f&mbuf.TxIPCksum != 0 {
		need |= TxOffloadIPv4Cksum
	}
	switch f & mbuf.TxL4Mask {
	case mbuf.TxTCPCksum:
		need |= TxOffloadTCPCksum
	case mbuf.TxUDPCksum:
		need |= TxOffloadUDPCksum
	case mbuf.TxSCTPCksum:
		need |= TxOffloadSCTPCksum
	}
	if f&mbuf.TxTCPSeg != 0 {
		need |= TxOffloadTCPTSO
	}
	if f&mbuf.TxUDPSeg != 0 {
		need |= TxOffloadUDPTSO
	}
	if f&mbuf.TxVLAN != 0 {
		need |= TxOffloadVLANInsert
	}
	if f&mbuf.TxQinQ != 0 {
		need |= TxOffloadQinQInsert
	}
	if f&mbuf.TxOuterIPCksum != 0 {
		need |= TxOffloadOuterIPv4Cksum
	}
	if f&mbuf.TxOuterUDPCksum != 0 {
		need |= TxOffloadOuterUDPCksum
	}
	if need&^offl != 0 {
		return false
	}
	l3 := f&(mbuf.TxIPCksum|mbuf.TxL4Mask|mbuf.TxTCPSeg|mbuf.TxUDPSeg) != 0
	if l3 && (m.L2Len() == 0 || m.L3Len() == 0 || f&(mbuf.TxIPv4|mbuf.TxIPv6) == 0) {
		return false
	}
	if f&mbuf.TxIPCksum != 0 && f&mbuf.TxIPv6 != 0 {
		return false // no IPv4 header checksum on an IPv6 packet
	}
	if f&(mbuf.TxTCPSeg|mbuf.TxUDPSeg) != 0 && (m.L4Len() == 0 || m.TSOSegsz() == 0) {
		return false
	}
	return true
}

// stampRx sets the port of every received mbuf and returns their bytes, in
// one pass unrolled by four (the loop is most of what the port layer adds
// to a zero-copy burst).
func stampRx(pkts []*mbuf.Mbuf, port uint16) uint64 {
	var b0, b1 uint64
	for len(pkts) >= 4 {
		m0, m1, m2, m3 := pkts[0], pkts[1], pkts[2], pkts[3]
		m0.SetPort(port)
		m1.SetPort(port)
		m2.SetPort(port)
		m3.SetPort(port)
		b0 += uint64(m0.PktLen()) + uint64(m1.PktLen())
		b1 += uint64(m2.PktLen()) + uint64(m3.PktLen())
		pkts = pkts[4:]
	}
	for _, m := range pkts {
		m.SetPort(port)
		b0 += uint64(m.PktLen())
	}
	return b0 + b1
}

// sumLen returns the bytes of pkts, unrolled by four.
func sumLen(pkts []*mbuf.Mbuf) uint64 {
	var b0, b1 uint64
	for len(pkts) >= 4 {
		b0 += uint64(pkts[0].PktLen()) + uint64(pkts[1].PktLen())
		b1 += uint64(pkts[2].PktLen()) + uint64(pkts[3].PktLen())
		pkts = pkts[4:]
	}
	for _, m := range pkts {
		b0 += uint64(m.PktLen())
	}
	return b0 + b1
}
