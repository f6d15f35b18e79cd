package testpmd

import (
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/mbuf"
)

// MaxBurst is the largest burst a stream moves at once (DPDK's
// MAX_PKT_BURST).
const MaxBurst = 512

// RxQueue is one receive queue as a stream polls it.
type RxQueue interface {
	RxBurst(pkts []*mbuf.Mbuf) int
}

// TxQueue is one transmit queue as a stream fills it. TxBurst takes the
// first n packets and returns n; the caller keeps pkts[n:].
type TxQueue interface {
	TxBurst(pkts []*mbuf.Mbuf) int
}

// FwdParams are the engine parameters of a forwarding run (the ones
// testpmd's "set" commands and options change). Streams share it
// read-only while forwarding.
type FwdParams struct {
	// TxPkts are the segment lengths of txonly packets (--txpkts); the
	// first segment holds the whole Ethernet/IPv4/UDP header.
	TxPkts []int
	// MultiFlow makes txonly vary the IPv4 source address per packet
	// (--txonly-multi-flow).
	MultiFlow bool
	// Flows is the number of flows flowgen cycles through (1..).
	Flows int
	// FlowgenLen is the frame length flowgen builds.
	FlowgenLen int
}

// DefaultFwdParams are DPDK testpmd's defaults: 64-byte txonly frames in
// one segment, 1024 flowgen flows of 60 bytes.
func DefaultFwdParams() FwdParams {
	return FwdParams{TxPkts: []int{64}, Flows: 1024, FlowgenLen: 60}
}

// Stream is one rx queue -> tx queue path, polled by one lcore (DPDK's
// fwd_stream). Its counters are written by that lcore only and read by
// the control path with atomic loads.
type Stream struct {
	RxPort, RxQueueID, TxPort, TxQueueID uint16
	Rx                                   RxQueue
	Tx                                   TxQueue
	// rxPort and txPort, when set, are the ports behind Rx and Tx, called
	// directly (one interface call less per burst each way).
	rxPort, txPort *ethdev.Port
	// Lcore is the lcore id that polls the stream (the mempool cache it
	// allocates and frees with).
	Lcore uint
	// Pool is where generating engines (txonly, flowgen) allocate.
	Pool *mbuf.Pool
	// RxMAC and TxMAC are the addresses of the rx and tx ports; PeerMAC
	// is the tx port's peer (--eth-peer).
	RxMAC, TxMAC, PeerMAC MAC
	// Burst is the number of packets per burst (1..MaxBurst).
	Burst int
	// TxCsum are the checksums the tx port computes (the csum engine
	// then only sets offload flags); the others are done in software.
	TxCsum CsumOffload
	Params *FwdParams

	// Counters: written by the polling lcore only (add), read by the
	// control path with atomic loads.
	rxPackets, txPackets, fwdDropped, badIP, badL4 uint64

	flow uint32   // generating engines' flow counter
	hdr  [64]byte // generating engines' header template
	pkts [MaxBurst]*mbuf.Mbuf
	_    [64]byte
}

// CsumOffload says which checksums a port computes in hardware (testpmd's
// "csum set <ip|udp|tcp> hw <port>").
type CsumOffload uint8

const (
	CsumIP CsumOffload = 1 << iota
	CsumUDP
	CsumTCP
)

// StreamStats is a snapshot of a stream's counters.
type StreamStats struct {
	RxPackets, TxPackets, FwdDropped uint64
	BadIPCsum, BadL4Csum             uint64
}

// Stats returns the stream's counters.
func (s *Stream) Stats() StreamStats {
	return StreamStats{
		RxPackets: atomic.LoadUint64(&s.rxPackets), TxPackets: atomic.LoadUint64(&s.txPackets),
		FwdDropped: atomic.LoadUint64(&s.fwdDropped),
		BadIPCsum:  atomic.LoadUint64(&s.badIP), BadL4Csum: atomic.LoadUint64(&s.badL4),
	}
}

// ResetStats zeroes the counters; call it while the stream is not polled.
func (s *Stream) ResetStats() {
	for _, c := range []*uint64{&s.rxPackets, &s.txPackets, &s.fwdDropped, &s.badIP, &s.badL4} {
		atomic.StoreUint64(c, 0)
	}
}

// rx receives one burst into s.pkts and counts it.
func (s *Stream) rx() []*mbuf.Mbuf {
	pk := s.pkts[:s.Burst]
	var n int
	if s.rxPort != nil {
		n = s.rxPort.RxBurst(s.RxQueueID, pk)
	} else {
		n = s.Rx.RxBurst(pk)
	}
	if n == 0 {
		return nil
	}
	add(&s.rxPackets, n)
	return pk[:n]
}

// send transmits pkts, counts what went, and frees (and counts as
// dropped) what the tx queue did not take.
func (s *Stream) send(pkts []*mbuf.Mbuf) {
	if len(pkts) == 0 {
		return
	}
	var n int
	if s.txPort != nil {
		n = s.txPort.TxBurst(s.TxQueueID, pkts)
	} else {
		n = s.Tx.TxBurst(pkts)
	}
	add(&s.txPackets, n)
	if n < len(pkts) {
		add(&s.fwdDropped, len(pkts)-n)
		mbuf.FreeBulk(s.Lcore, pkts[n:])
	}
}

// Engine is a forwarding mode: one small file each (fwd_*.go), listed in
// engines.
type Engine struct {
	Name string
	// Begin readies a stream when forwarding starts (templates, flow
	// counters); nil if there is nothing to do.
	Begin func(s *Stream) error
	// Fwd runs one iteration on s: receive (or build) at most one burst,
	// process it, transmit it. It must not allocate from the Go heap.
	Fwd func(s *Stream)
	// CsumStats: the forward statistics show the checksum counters.
	CsumStats bool
}

// engines is the table of forwarding engines, in the order "set fwd"
// lists them.
var engines = []*Engine{
	&ioEngine, &macEngine, &macswapEngine, &flowgenEngine, &rxonlyEngine,
	&txonlyEngine, &csumEngine, &icmpechoEngine, &fiveTupleSwapEngine,
}

// LookupEngine returns the engine called name.
func LookupEngine(name string) (*Engine, bool) {
	i := slices.IndexFunc(engines, func(e *Engine) bool { return e.Name == name })
	if i < 0 {
		return nil, false
	}
	return engines[i], true
}

// EngineNames lists the engines, as "set fwd" accepts them.
func EngineNames() []string {
	n := make([]string, len(engines))
	for i, e := range engines {
		n[i] = e.Name
	}
	return n
}

// checkTxPkts validates --txpkts / "set txpkts" segment lengths.
func checkTxPkts(segs []int, dataRoom int) error {
	if len(segs) == 0 {
		return fmt.Errorf("no segment length")
	}
	total := 0
	for _, l := range segs {
		if l <= 0 || l > dataRoom {
			return fmt.Errorf("segment length %d out of range 1..%d", l, dataRoom)
		}
		total += l
	}
	if segs[0] < txonlyHdrLen {
		return fmt.Errorf("first segment length %d is shorter than the %d-byte Ethernet/IPv4/UDP header", segs[0], txonlyHdrLen)
	}
	if total > 0xffff-etherHdrLen {
		return fmt.Errorf("packet length %d too large", total)
	}
	return nil
}
