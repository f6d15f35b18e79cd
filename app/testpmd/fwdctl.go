package testpmd

import (
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/mbuf"
)

// streamSpec is one stream of the forwarding configuration.
type streamSpec struct {
	rxPort, rxQ, txPort, txQ int
	lcore                    uint
}

// peerPort is the port that port i forwards to, by --port-topology.
func (a *App) peerPort(i int) int {
	n := len(a.ports)
	switch a.opts.PortTopology {
	case "chained":
		return (i + 1) % n
	case "loop":
		return i
	}
	if i^1 < n {
		return i ^ 1
	}
	return i
}

// fwdLcores returns the lcores that forward: the first nbcore workers,
// no more than there are streams.
func (a *App) fwdLcores() []uint {
	w := eal.WorkerLcores()
	n := min(a.nbCores, len(w), len(a.ports)*a.opts.RxQ)
	return w[:max(n, 0)]
}

// streamPlan lays the streams out: for every rx queue and port (in that
// order, as DPDK lists them), a stream to the peer port's tx queue of the
// same number (modulo the tx queue count); the streams are dealt to the forwarding lcores in contiguous
// runs, as DPDK's testpmd does.
func (a *App) streamPlan() []streamSpec {
	lc := a.fwdLcores()
	if len(lc) == 0 {
		return nil
	}
	var out []streamSpec
	for q := range a.opts.RxQ {
		for i := range a.ports {
			out = append(out, streamSpec{rxPort: i, rxQ: q, txPort: a.peerPort(i), txQ: q % a.opts.TxQ})
		}
	}
	per, extra := len(out)/len(lc), len(out)%len(lc)
	k := 0
	for li, l := range lc {
		n := per
		if li < extra {
			n++
		}
		for range n {
			out[k].lcore = l
			k++
		}
	}
	return out
}

// fwdRun is one forwarding run, from start to stop.
type fwdRun struct {
	engine  *Engine
	streams []*Stream
	lcores  []uint
	byLcore [][]*Stream
	stop    atomic.Bool
	_       [56]byte
	started time.Time
	// base holds each stream's counters at the last "clear fwd stats"
	// (the lcores own the counters: the control path does not write them).
	base []StreamStats
}

// buildStreams makes the streams of the current configuration.
func (a *App) buildStreams() ([]*Stream, error) {
	var out []*Stream
	for _, sp := range a.streamPlan() {
		rp, tp := a.ports[sp.rxPort], a.ports[sp.txPort]
		s := &Stream{
			RxPort: uint16(rp.id), RxQueueID: uint16(sp.rxQ), TxPort: uint16(tp.id), TxQueueID: uint16(sp.txQ),
			Rx: &portRx{rp.p, uint16(sp.rxQ)}, Tx: &portTx{tp.p, uint16(sp.txQ)},
			Lcore: sp.lcore, Pool: a.pool, RxMAC: rp.mac(), TxMAC: tp.mac(), PeerMAC: tp.peer,
			Burst: a.burst, TxCsum: tp.csum, Params: &a.params,
			rxPort: rp.p, txPort: tp.p,
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, errors.New("no forwarding lcore: give testpmd at least two lcores (e.g. -l 0-1, or --lcores 0@0,1@0 on one CPU)")
	}
	return out, nil
}

var errNotStarted error = message("Packet forwarding not started")

// startFwd starts packet forwarding (DPDK's "start"); txFirst sends one
// txonly burst on every stream first (start tx_first).
func (a *App) startFwd(w io.Writer, txFirst int) error {
	if a.run != nil {
		fmt.Fprintln(w, "Packet forwarding already started")
		return nil
	}
	for _, pt := range a.ports {
		if !pt.started() {
			fmt.Fprintf(w, "Please start all ports before starting forwarding (port %d is stopped)\n", pt.id)
			return nil
		}
	}
	if err := a.rebindQueues(); err != nil {
		return err
	}
	// The streams read the parameters while they run: set them now only.
	a.params.TxPkts = a.opts.TxPkts
	a.params.MultiFlow = a.opts.MultiFlow
	a.params.Flows = a.opts.Flows
	a.params.FlowgenLen = flowgenLen(a.opts.TxPkts)
	streams, err := a.buildStreams()
	if err != nil {
		return err
	}
	for _, s := range streams {
		if a.engine.Begin != nil {
			if err := a.engine.Begin(s); err != nil {
				return err
			}
		}
	}
	r := &fwdRun{engine: a.engine, streams: streams, base: make([]StreamStats, len(streams))}
	for _, s := range streams {
		if len(r.lcores) == 0 || r.lcores[len(r.lcores)-1] != s.Lcore {
			r.lcores = append(r.lcores, s.Lcore)
			r.byLcore = append(r.byLcore, nil)
		}
		r.byLcore[len(r.byLcore)-1] = append(r.byLcore[len(r.byLcore)-1], s)
	}
	if !a.opts.NoFlushRx {
		a.flushRx(streams)
	}
	a.printFwdConfig(w, streams, true)
	for _, pt := range a.ports {
		pt.base = pt.p.Stats()
	}
	if txFirst > 0 {
		for _, s := range streams {
			if err := txonlyBegin(s); err != nil {
				return err
			}
			for range txFirst {
				txonlyFwd(s)
			}
			s.ResetStats()
			if a.engine.Begin != nil {
				_ = a.engine.Begin(s)
			}
		}
	}
	r.started = time.Now()
	for _, pt := range a.ports {
		pt.rate.sample(toPortStats(pt.p.Stats()), r.started) // rates from here
	}
	for i, l := range r.lcores {
		list, fwd, stop := r.byLcore[i], r.engine.Fwd, &r.stop
		if err := eal.RemoteLaunch(l, func(uint) error {
			for !stop.Load() {
				for _, s := range list {
					fwd(s)
				}
			}
			return nil
		}); err != nil {
			r.stop.Store(true)
			for _, l2 := range r.lcores[:i] {
				_ = eal.Wait(l2)
			}
			return fmt.Errorf("launching lcore %d: %w", l, err)
		}
	}
	a.run = r
	return nil
}

// flushRx drains the rx queues of the streams, freeing what was waiting
// (DPDK's flush_fwd_rx_queues).
func (a *App) flushRx(streams []*Stream) {
	var pk [MaxBurst]*mbuf.Mbuf
	for _, s := range streams {
		for range 64 {
			n := s.Rx.RxBurst(pk[:])
			if n == 0 {
				break
			}
			mbuf.FreeBulk(s.Lcore, pk[:n])
		}
	}
}

// stopFwd stops forwarding and prints the forward statistics.
func (a *App) stopFwd(w io.Writer) error {
	r := a.run
	if r == nil {
		return errNotStarted
	}
	fmt.Fprintln(w, "Telling cores to stop...")
	r.stop.Store(true)
	fmt.Fprintln(w, "Waiting for lcores to finish...")
	var firstErr error
	for _, l := range r.lcores {
		if err := eal.Wait(l); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	elapsed := time.Since(r.started)
	a.printFwdStats(w, elapsed)
	fmt.Fprintln(w, "\nDone.")
	a.run = nil
	return firstErr
}

// portPos returns the position in a.ports of the port with this id, -1
// if it is closed.
func (a *App) portPos(id int) int {
	for i, pt := range a.ports {
		if pt.id == id {
			return i
		}
	}
	return -1
}

// fwdStats returns each port's forward statistics (by position in
// a.ports) and their sum.
func (a *App) fwdStats() ([]FwdStats, FwdStats) {
	per := make([]FwdStats, len(a.ports))
	for i, pt := range a.ports {
		s := pt.p.Stats()
		per[i].RxPackets = sub(s.IPackets, pt.base.IPackets)
		per[i].RxDropped = sub(s.IMissed, pt.base.IMissed)
		per[i].TxPackets = sub(s.OPackets, pt.base.OPackets)
	}
	if a.run != nil {
		for i, st := range a.run.streams {
			ss, b := st.Stats(), a.run.base[i]
			if tx := a.portPos(int(st.TxPort)); tx >= 0 {
				per[tx].TxDropped += ss.FwdDropped - b.FwdDropped
			}
			if rx := a.portPos(int(st.RxPort)); rx >= 0 {
				per[rx].BadIPCsum += ss.BadIPCsum - b.BadIPCsum
				per[rx].BadL4Csum += ss.BadL4Csum - b.BadL4Csum
			}
		}
	}
	var total FwdStats
	for _, s := range per {
		total.add(s)
	}
	return per, total
}

func (a *App) printFwdStats(w io.Writer, elapsed time.Duration) {
	per, total := a.fwdStats()
	csum := a.run != nil && a.run.engine.CsumStats
	for i, s := range per {
		printFwdPortStats(w, a.ports[i].id, s, csum)
	}
	printFwdAccum(w, total, elapsed)
}

// clearFwdStats restarts the forward statistics from now.
func (a *App) clearFwdStats() {
	for _, pt := range a.ports {
		pt.base = pt.p.Stats()
	}
	if a.run != nil {
		a.run.started = time.Now()
		for i, st := range a.run.streams {
			a.run.base[i] = st.Stats()
		}
	}
}

// printFwdConfig writes "show config fwd", and with details the per-port
// lines "start" adds.
func (a *App) printFwdConfig(w io.Writer, streams []*Stream, details bool) {
	lcores := 0
	var last uint = 1<<32 - 1
	for _, s := range streams {
		if s.Lcore != last {
			lcores++
			last = s.Lcore
		}
	}
	fmt.Fprintf(w, "%s packet forwarding - ports=%d - cores=%d - streams=%d - NUMA support enabled, MP allocation mode: native\n",
		a.engine.Name, len(a.ports), lcores, len(streams))
	for i := 0; i < len(streams); {
		l := streams[i].Lcore
		j := i
		for j < len(streams) && streams[j].Lcore == l {
			j++
		}
		fmt.Fprintf(w, "Logical Core %d (socket 0) forwards packets on %d streams:\n", l, j-i)
		for _, s := range streams[i:j] {
			fmt.Fprintf(w, "  RX P=%d/Q=%d (socket 0) -> TX P=%d/Q=%d (socket 0) peer=%s\n",
				s.RxPort, s.RxQueueID, s.TxPort, s.TxQueueID, s.PeerMAC)
		}
		i = j
	}
	fmt.Fprintln(w)
	if !details {
		return
	}
	a.printRxTxConfig(w, lcores)
}

// printRxTxConfig writes "show config rxtx" (and the end of "start"): the
// engine, then each port's queues as DPDK prints them (queue 0 of each
// kind stands for all).
func (a *App) printRxTxConfig(w io.Writer, lcores int) {
	fmt.Fprintf(w, "  %s packet forwarding packets/burst=%d\n", a.engine.Name, a.burst)
	if a.engine == &txonlyEngine {
		total := 0
		for _, l := range a.opts.TxPkts {
			total += l
		}
		fmt.Fprintf(w, "  packet len=%d - nb packet segments=%d\n", total, len(a.opts.TxPkts))
	}
	fmt.Fprintf(w, "  nb forwarding cores=%d - nb forwarding ports=%d\n", lcores, len(a.ports))
	for _, pt := range a.ports {
		fmt.Fprintf(w, "  port %d: RX queue number: %d Tx queue number: %d\n", pt.id, a.opts.RxQ, a.opts.TxQ)
		fmt.Fprintf(w, "    Rx offloads=0x0 Tx offloads=0x0\n")
		for q := range min(a.opts.RxQ, 1) {
			fmt.Fprintf(w, "    RX queue: %d\n", q)
			fmt.Fprintf(w, "      RX desc=%d - RX free threshold=0\n", a.opts.RxD)
			fmt.Fprintf(w, "      RX threshold registers: pthresh=0 hthresh=0  wthresh=0\n")
			fmt.Fprintf(w, "      RX Offloads=0x0\n")
		}
		for q := range min(a.opts.TxQ, 1) {
			fmt.Fprintf(w, "    TX queue: %d\n", q)
			fmt.Fprintf(w, "      TX desc=%d - TX free threshold=0\n", a.opts.TxD)
			fmt.Fprintf(w, "      TX threshold registers: pthresh=0 hthresh=0  wthresh=0\n")
			fmt.Fprintf(w, "      TX offloads=0x0 - TX RS bit threshold=0\n")
		}
	}
}
