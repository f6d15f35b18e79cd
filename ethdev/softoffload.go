package ethdev

import (
	"sync"
	"sync/atomic"

	"github.com/dpkit/dpkit/mbuf"
)

// Software offloads. A device that cannot compute a checksum, insert or
// strip a VLAN tag, segment a TCP packet or parse the packet type still
// offers these offloads: ethdev has them done in software, in the burst
// functions, by a SoftOffload. ethdev sits below the protocol layer and
// cannot parse packets itself, so the implementation lives in package
// offload, which registers itself in init; a program imports it for that
// side effect:
//
//	import _ "github.com/dpkit/dpkit/offload"
//
// With it, DevInfo's RxOffloadCapa and TxOffloadCapa include what it can
// do on top of the device (SoftRxOffloads, SoftTxOffloads say which), and
// Configure or a queue setup that enables one of those gives the queue a
// software stage: TxBurst hands the burst to SoftTxQueue.TxBurst, which
// does the requested offloads and passes the packets to the driver;
// RxBurst runs SoftRxQueue.RxBurst on what the driver received. An
// offload the device does itself is left to it: the software stage never
// sees it. A queue with no software offload enabled pays nothing (one
// nil test per burst). Without the package, enabling an offload the
// device lacks fails with ErrNotSupported naming the offload.

// SoftOffload does offloads in software for devices that lack them.
type SoftOffload interface {
	// Capa returns the offloads it can do.
	Capa() (RxOffload, TxOffload)
	// NewTxQueue returns the software stage of one tx queue.
	NewTxQueue(c *SoftTxConf) (SoftTxQueue, error)
	// NewRxQueue returns the software stage of one rx queue.
	NewRxQueue(c *SoftRxConf) (SoftRxQueue, error)
	// PseudoCksum prepares pkts for a device that computes L4 checksums
	// from the pseudo-header sum in the checksum field
	// (DevInfo.TxPseudoCksum), as rte_net_intel_cksum_prepare: it
	// writes that sum, and zeroes the IPv4 header checksum field that
	// TxIPCksum asks for. It returns how many of pkts, from the front,
	// are ready (pkts[n] has headers it could not find).
	PseudoCksum(pkts []*mbuf.Mbuf) int
}

// SoftTxConf is what a software tx stage is made for.
type SoftTxConf struct {
	Port, Queue uint16
	// Offloads are the ones to do in software: enabled on the queue and
	// missing on the device.
	Offloads TxOffload
	// Lcore calls TxBurst (for the mbufs TSO allocates).
	Lcore uint
	// MTU is the port's MTU at setup.
	MTU int
}

// SoftRxConf is what a software rx stage is made for.
type SoftRxConf struct {
	Port, Queue uint16
	// Offloads are the ones to do in software.
	Offloads RxOffload
	// Ptypes: set the packet type of received packets (Config.RxPtypes
	// that the device does not report).
	Ptypes bool
}

// SoftTxQueue is the software stage of a tx queue; one goroutine at a
// time uses it, as the queue.
type SoftTxQueue interface {
	// TxBurst does the software offloads pkts ask for and sends them on
	// dev. It reports how many of pkts, from the front, the port took
	// (Taken: ethdev's TxBurst returns it) and the frames and bytes the
	// device took. A packet the stage cannot do as asked (its header
	// lengths do not match its data, no headroom for a VLAN tag, no mbufs
	// for TSO) ends the burst there, untaken.
	TxBurst(dev TxQueue, pkts []*mbuf.Mbuf) SoftTxResult
}

// SoftTxResult is what SoftTxQueue.TxBurst did.
type SoftTxResult struct {
	// Taken is how many of the application's packets the port took.
	Taken int
	// Frames and Bytes are what the device took: a TSO packet counts
	// one frame per segment.
	Frames int
	Bytes  uint64
	// Dropped counts TSO segments freed because the device took only
	// part of a packet's segments (the packet counts as taken).
	Dropped int
}

// SoftRxQueue is the software stage of an rx queue.
type SoftRxQueue interface {
	// RxBurst does the software rx offloads on the received pkts.
	RxBurst(pkts []*mbuf.Mbuf)
}

var (
	softMu   sync.RWMutex
	softImpl SoftOffload
)

// SetSoftOffload registers the software offloads (package offload calls
// it in init). Ports opened before keep the capabilities they had until
// their next Configure.
func SetSoftOffload(s SoftOffload) {
	softMu.Lock()
	softImpl = s
	softMu.Unlock()
}

func softOffload() SoftOffload {
	softMu.RLock()
	defer softMu.RUnlock()
	return softImpl
}

// softHint is appended to an unsupported-offload error when no software
// offloads are registered.
func softHint() string {
	if softOffload() == nil {
		return "; import github.com/dpkit/dpkit/offload to have the device's missing offloads done in software"
	}
	return ""
}

// softTx is a started tx queue's software stage.
type softTx struct {
	q       SoftTxQueue
	dropped atomic.Uint64 // TSO segments the device did not take
}

// softBurst is TxBurst through the software stage.
func (t *txQueue) softBurst(pkts []*mbuf.Mbuf) int {
	r := t.soft.q.TxBurst(t.q, pkts)
	if r.Frames > 0 {
		addCounter(&t.c.packets, uint64(r.Frames))
		addCounter(&t.c.bytes, r.Bytes)
	}
	if r.Dropped > 0 {
		t.soft.dropped.Add(uint64(r.Dropped))
	}
	return r.Taken
}
