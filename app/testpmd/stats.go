package testpmd

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// The printers in this file write what DPDK 22.11's testpmd writes, with
// the same labels, spacing and rules: scripts parse these blocks. They are
// fed plain structs.

// PortStats are a port's basic counters (rte_eth_stats).
type PortStats struct {
	IPackets, IMissed, IBytes, IErrors, RxNombuf uint64
	OPackets, OErrors, OBytes                    uint64
}

// Throughput is a port's rate since the previous show.
type Throughput struct {
	RxPPS, RxBPS, TxPPS, TxBPS uint64
}

// rateMeter computes Throughput between two samples of a port's stats.
type rateMeter struct {
	last PortStats
	at   time.Time
}

// sample returns the rate since the previous sample (zero the first time
// or when the counters went back, as after a clear).
func (r *rateMeter) sample(s PortStats, now time.Time) Throughput {
	var t Throughput
	if !r.at.IsZero() {
		dt := now.Sub(r.at).Seconds()
		if dt > 0 {
			rate := func(a, b uint64) uint64 {
				if a < b {
					return 0
				}
				return uint64(float64(a-b) / dt)
			}
			t = Throughput{
				RxPPS: rate(s.IPackets, r.last.IPackets), TxPPS: rate(s.OPackets, r.last.OPackets),
				RxBPS: rate(s.IBytes, r.last.IBytes) * 8, TxBPS: rate(s.OBytes, r.last.OBytes) * 8,
			}
		}
	}
	r.last, r.at = s, now
	return t
}

// printNICStats writes "show port stats N".
func printNICStats(w io.Writer, port int, s PortStats, t Throughput) {
	fmt.Fprintf(w, "\n  %s NIC statistics for port %-2d %s\n", hashes(24), port, hashes(24))
	fmt.Fprintf(w, "  RX-packets: %-10d RX-missed: %-10d RX-bytes:  %d\n", s.IPackets, s.IMissed, s.IBytes)
	fmt.Fprintf(w, "  RX-errors: %d\n", s.IErrors)
	fmt.Fprintf(w, "  RX-nombuf:  %-10d\n", s.RxNombuf)
	fmt.Fprintf(w, "  TX-packets: %-10d TX-errors: %-10d TX-bytes:  %d\n", s.OPackets, s.OErrors, s.OBytes)
	fmt.Fprintf(w, "\n  Throughput (since last show)\n")
	fmt.Fprintf(w, "  Rx-pps: %12d          Rx-bps: %12d\n", t.RxPPS, t.RxBPS)
	fmt.Fprintf(w, "  Tx-pps: %12d          Tx-bps: %12d\n", t.TxPPS, t.TxBPS)
	fmt.Fprintf(w, "  %s\n", hashes(76))
}

func hashes(n int) string { return strings.Repeat("#", n) }

// FwdStats are a port's forwarding counters since forwarding started.
type FwdStats struct {
	RxPackets, RxDropped, TxPackets, TxDropped           uint64
	BadIPCsum, BadL4Csum, BadOuterL4Csum, BadOuterIPCsum uint64
}

func (a *FwdStats) add(b FwdStats) {
	a.RxPackets += b.RxPackets
	a.RxDropped += b.RxDropped
	a.TxPackets += b.TxPackets
	a.TxDropped += b.TxDropped
	a.BadIPCsum += b.BadIPCsum
	a.BadL4Csum += b.BadL4Csum
	a.BadOuterL4Csum += b.BadOuterL4Csum
	a.BadOuterIPCsum += b.BadOuterIPCsum
}

// printFwdPortStats writes one port's block of the forward statistics;
// csum adds the checksum counters (csum engine).
func printFwdPortStats(w io.Writer, port int, s FwdStats, csum bool) {
	fmt.Fprintf(w, "\n  %s Forward statistics for port %-2d %s\n", dashes(22), port, dashes(22))
	fmt.Fprintf(w, "  RX-packets: %-14d RX-dropped: %-14dRX-total: %d\n", s.RxPackets, s.RxDropped, s.RxPackets+s.RxDropped)
	if csum {
		fmt.Fprintf(w, "  Bad-ipcsum: %-14d Bad-l4csum: %-14dBad-outer-l4csum: %-14d\n", s.BadIPCsum, s.BadL4Csum, s.BadOuterL4Csum)
		fmt.Fprintf(w, "  Bad-outer-ipcsum: %-14d\n", s.BadOuterIPCsum)
	}
	fmt.Fprintf(w, "  TX-packets: %-14d TX-dropped: %-14dTX-total: %d\n", s.TxPackets, s.TxDropped, s.TxPackets+s.TxDropped)
	fmt.Fprintf(w, "  %s\n", dashes(76))
}

func dashes(n int) string { return strings.Repeat("-", n) }

// printFwdAccum writes the accumulated block; elapsed, when not zero, adds
// a line with the rates over the run (dpkit's addition: DPDK leaves the
// division to the reader).
func printFwdAccum(w io.Writer, s FwdStats, elapsed time.Duration) {
	plus := strings.Repeat("+", 15)
	fmt.Fprintf(w, "\n  %s Accumulated forward statistics for all ports%s\n", plus, plus)
	fmt.Fprintf(w, "  RX-packets: %-14d RX-dropped: %-14dRX-total: %d\n", s.RxPackets, s.RxDropped, s.RxPackets+s.RxDropped)
	fmt.Fprintf(w, "  TX-packets: %-14d TX-dropped: %-14dTX-total: %d\n", s.TxPackets, s.TxDropped, s.TxPackets+s.TxDropped)
	fmt.Fprintf(w, "  %s\n", strings.Repeat("+", 76))
	if elapsed > 0 {
		sec := elapsed.Seconds()
		fmt.Fprintf(w, "  Throughput (over %.3f s): RX-Mpps: %.3f          TX-Mpps: %.3f\n",
			sec, float64(s.RxPackets)/sec/1e6, float64(s.TxPackets)/sec/1e6)
	}
}

// XStat is one named extended statistic.
type XStat struct {
	Name  string
	Value uint64
}

// printXStats writes "show port xstats N".
func printXStats(w io.Writer, port int, xs []XStat) {
	fmt.Fprintf(w, "###### NIC extended statistics for port %-2d\n", port)
	for _, x := range xs {
		fmt.Fprintf(w, "%s: %d\n", x.Name, x.Value)
	}
}
