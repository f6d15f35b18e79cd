package ethdev

import (
	"slices"

	"github.com/dpkit/dpkit/mbuf"
)

// RxCallback runs after a queue's receive burst (rte_rx_callback_fn):
// pkts[:n] were received, len(pkts) is the burst size asked for; it
// returns the new count (it may drop packets by freeing them and
// compacting pkts, or add some up to len(pkts)). It runs on the polling
// goroutine and must not allocate if the fast path is to stay free of it.
type RxCallback func(port, queue uint16, pkts []*mbuf.Mbuf, n int) int

// TxCallback runs before a queue's transmit burst (rte_tx_callback_fn) on
// pkts and returns how many of them, from the front, go on to the driver
// (it frees or keeps the ones it removes).
type TxCallback func(port, queue uint16, pkts []*mbuf.Mbuf) int

// RxCallbackHandle names an added rx callback for RemoveRxCallback.
type RxCallbackHandle struct {
	fn RxCallback
}

// TxCallbackHandle names an added tx callback for RemoveTxCallback.
type TxCallbackHandle struct {
	fn TxCallback
}

// AddRxCallback appends fn to rx queue q's callbacks
// (rte_eth_add_rx_callback). It may be called while the queue is polled:
// the next burst sees it.
func (p *Port) AddRxCallback(q uint16, fn RxCallback) (*RxCallbackHandle, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if int(q) >= len(p.rxq) {
		return nil, p.errf(ErrInvalid, "add rx callback: rx queue %d not configured", q)
	}
	h := &RxCallbackHandle{fn: fn}
	rq := &p.rxq[q]
	var list []*RxCallbackHandle
	if old := rq.cbs.Load(); old != nil {
		list = slices.Clone(*old)
	}
	list = append(list, h)
	rq.cbs.Store(&list)
	return h, nil
}

// RemoveRxCallback removes a callback added by AddRxCallback
// (rte_eth_remove_rx_callback). A burst running at the time of the call
// may still run it once.
func (p *Port) RemoveRxCallback(q uint16, h *RxCallbackHandle) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if int(q) >= len(p.rxq) {
		return p.errf(ErrInvalid, "remove rx callback: rx queue %d not configured", q)
	}
	rq := &p.rxq[q]
	old := rq.cbs.Load()
	if old == nil || !slices.Contains(*old, h) {
		return p.errf(ErrInvalid, "remove rx callback: not on rx queue %d", q)
	}
	list := slices.DeleteFunc(slices.Clone(*old), func(x *RxCallbackHandle) bool { return x == h })
	if len(list) == 0 {
		rq.cbs.Store(nil)
	} else {
		rq.cbs.Store(&list)
	}
	return nil
}

// AddTxCallback appends fn to tx queue q's callbacks
// (rte_eth_add_tx_callback).
func (p *Port) AddTxCallback(q uint16, fn TxCallback) (*TxCallbackHandle, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if int(q) >= len(p.txq) {
		return nil, p.errf(ErrInvalid, "add tx callback: tx queue %d not configured", q)
	}
	h := &TxCallbackHandle{fn: fn}
	tq := &p.txq[q]
	var list []*TxCallbackHandle
	if old := tq.cbs.Load(); old != nil {
		list = slices.Clone(*old)
	}
	list = append(list, h)
	tq.cbs.Store(&list)
	return h, nil
}

// RemoveTxCallback removes a callback added by AddTxCallback.
func (p *Port) RemoveTxCallback(q uint16, h *TxCallbackHandle) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if int(q) >= len(p.txq) {
		return p.errf(ErrInvalid, "remove tx callback: tx queue %d not configured", q)
	}
	tq := &p.txq[q]
	old := tq.cbs.Load()
	if old == nil || !slices.Contains(*old, h) {
		return p.errf(ErrInvalid, "remove tx callback: not on tx queue %d", q)
	}
	list := slices.DeleteFunc(slices.Clone(*old), func(x *TxCallbackHandle) bool { return x == h })
	if len(list) == 0 {
		tq.cbs.Store(nil)
	} else {
		tq.cbs.Store(&list)
	}
	return nil
}
