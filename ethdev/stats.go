package ethdev

import (
	"fmt"
	"sync/atomic"
)

// Stats are a port's basic statistics (rte_eth_stats). Packets and bytes
// are counted by ethdev at every burst (a packet counts as sent when the
// driver took it); the error counters come from the driver.
type Stats struct {
	IPackets, OPackets uint64
	IBytes, OBytes     uint64
	IMissed            uint64 // dropped by the device: rx ring full
	IErrors, OErrors   uint64
	RxNoMbuf           uint64 // rx allocation failures
	// Per queue, indexed by queue id.
	QIPackets, QIBytes, QErrors []uint64
	QOPackets, QOBytes          []uint64
}

// Stats returns the port's statistics since the last ResetStats
// (rte_eth_stats_get). It may be called while the queues are polled.
func (p *Port) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.rawStats()
	b := &p.statsBase
	sub := func(v *uint64, base uint64) { *v -= base }
	sub(&s.IPackets, b.IPackets)
	sub(&s.OPackets, b.OPackets)
	sub(&s.IBytes, b.IBytes)
	sub(&s.OBytes, b.OBytes)
	for i := range s.QIPackets {
		if i < len(b.QIPackets) {
			sub(&s.QIPackets[i], b.QIPackets[i])
			sub(&s.QIBytes[i], b.QIBytes[i])
		}
	}
	for i := range s.QOPackets {
		if i < len(b.QOPackets) {
			sub(&s.QOPackets[i], b.QOPackets[i])
			sub(&s.QOBytes[i], b.QOBytes[i])
		}
	}
	return s
}

// rawStats reads the counters as they run (not rebased); p.mu is held.
func (p *Port) rawStats() Stats {
	s := Stats{
		QIPackets: make([]uint64, len(p.rxq)), QIBytes: make([]uint64, len(p.rxq)), QErrors: make([]uint64, len(p.rxq)),
		QOPackets: make([]uint64, len(p.txq)), QOBytes: make([]uint64, len(p.txq)),
	}
	for i := range p.rxq {
		c := &p.rxq[i].c
		s.QIPackets[i] = atomic.LoadUint64(&c.packets)
		s.QIBytes[i] = atomic.LoadUint64(&c.bytes)
		s.IPackets += s.QIPackets[i]
		s.IBytes += s.QIBytes[i]
	}
	for i := range p.txq {
		c := &p.txq[i].c
		s.QOPackets[i] = atomic.LoadUint64(&c.packets)
		s.QOBytes[i] = atomic.LoadUint64(&c.bytes)
		s.OPackets += s.QOPackets[i]
		s.OBytes += s.QOBytes[i]
	}
	if sr, ok := p.dev.(StatsReporter); ok && p.state != StateClosed {
		sr.Stats(&s)
	}
	if p.fan != nil {
		s.IMissed += p.fan.missed.Load()
	}
	return s
}

// ResetStats zeroes the statistics (rte_eth_stats_reset). ethdev's
// counters are rebased rather than written, so it is safe while the queues
// are polled.
func (p *Port) ResetStats() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if sr, ok := p.dev.(StatsReporter); ok && p.state != StateClosed {
		sr.ResetStats()
	}
	p.statsBase = p.rawStats()
}

// XStat is one named extended statistic (rte_eth_xstat + its name).
type XStat struct {
	Name  string
	Value uint64
}

// XStats returns the extended statistics (rte_eth_xstats_get_names +
// rte_eth_xstats_get): DPDK's generic names first, per queue next, then
// the driver's own.
func (p *Port) XStats() []XStat {
	s := p.Stats()
	out := []XStat{
		{"rx_good_packets", s.IPackets}, {"tx_good_packets", s.OPackets},
		{"rx_good_bytes", s.IBytes}, {"tx_good_bytes", s.OBytes},
		{"rx_missed_errors", s.IMissed}, {"rx_errors", s.IErrors},
		{"tx_errors", s.OErrors}, {"rx_mbuf_allocation_errors", s.RxNoMbuf},
	}
	for i := range s.QIPackets {
		out = append(out,
			XStat{fmt.Sprintf("rx_q%d_packets", i), s.QIPackets[i]},
			XStat{fmt.Sprintf("rx_q%d_bytes", i), s.QIBytes[i]},
			XStat{fmt.Sprintf("rx_q%d_errors", i), s.QErrors[i]})
	}
	for i := range s.QOPackets {
		out = append(out,
			XStat{fmt.Sprintf("tx_q%d_packets", i), s.QOPackets[i]},
			XStat{fmt.Sprintf("tx_q%d_bytes", i), s.QOBytes[i]})
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if xr, ok := p.dev.(XStatsReporter); ok && p.state != StateClosed {
		xr.XStats(func(name string, v uint64) { out = append(out, XStat{name, v}) })
	}
	return out
}

// XStat returns the extended statistic called name.
func (p *Port) XStat(name string) (uint64, error) {
	for _, x := range p.XStats() {
		if x.Name == name {
			return x.Value, nil
		}
	}
	return 0, p.errf(ErrInvalid, "no xstat %q", name)
}

// ResetXStats zeroes the basic and the driver's extended statistics
// (rte_eth_xstats_reset).
func (p *Port) ResetXStats() {
	p.ResetStats()
	p.mu.Lock()
	defer p.mu.Unlock()
	if xr, ok := p.dev.(XStatsReporter); ok && p.state != StateClosed {
		xr.ResetXStats()
	}
}
