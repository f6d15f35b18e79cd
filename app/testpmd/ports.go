package testpmd

import (
	"fmt"
	"io"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/mempool"
)

// port is testpmd's view of one ethdev port.
type port struct {
	p    *ethdev.Port
	id   int
	peer MAC // --eth-peer, default 02:00:00:00:00:<id>
	rate rateMeter
	// base are the port's counters when forwarding (or its stats) started
	// or were last cleared: the forward statistics are the difference.
	base ethdev.Stats
	csum CsumOffload
	// rxLcore/txLcore are the lcores the queues were set up for (their
	// drivers allocate and free through those lcores' mempool caches).
	rxLcore, txLcore []uint
	// dirty: the queue configuration changed (port config); set the port
	// up again at its next start.
	dirty      bool
	promiscSet bool
}

func (pt *port) mac() MAC { return MAC(pt.p.MAC()) }

func (pt *port) started() bool { return pt.p.State() == ethdev.StateStarted }

// portRx and portTx are a stream's queues: one port queue each.
type portRx struct {
	p *ethdev.Port
	q uint16
}

func (r *portRx) RxBurst(pkts []*mbuf.Mbuf) int { return r.p.RxBurst(r.q, pkts) }

type portTx struct {
	p *ethdev.Port
	q uint16
}

func (t *portTx) TxBurst(pkts []*mbuf.Mbuf) int { return t.p.TxBurst(t.q, pkts) }

// setupPort configures port pt and sets up its queues, each for the lcore
// that will poll it (mempool.LcoreAny for a queue no stream uses).
func (a *App) setupPort(pt *port, rxl, txl []uint) error {
	// The checksums "csum set ... hw" gives the port are its tx offloads:
	// done by the device, or by ethdev in software where it cannot.
	var txo ethdev.TxOffload
	if pt.csum&CsumIP != 0 {
		txo |= ethdev.TxOffloadIPv4Cksum
	}
	if pt.csum&CsumUDP != 0 {
		txo |= ethdev.TxOffloadUDPCksum
	}
	if pt.csum&CsumTCP != 0 {
		txo |= ethdev.TxOffloadTCPCksum
	}
	if err := pt.p.Configure(ethdev.Config{RxQueues: a.opts.RxQ, TxQueues: a.opts.TxQ, TxOffloads: txo}); err != nil {
		return err
	}
	for q := range a.opts.RxQ {
		if err := pt.p.RxQueueSetup(uint16(q), a.opts.RxD, a.pool, &ethdev.RxQueueConf{Lcore: rxl[q]}); err != nil {
			return err
		}
	}
	for q := range a.opts.TxQ {
		if err := pt.p.TxQueueSetup(uint16(q), a.opts.TxD, &ethdev.TxQueueConf{Lcore: txl[q]}); err != nil {
			return err
		}
	}
	pt.rxLcore, pt.txLcore = rxl, txl
	pt.dirty = false
	return nil
}

// queueLcores returns, for every port (by position in a.ports), the lcore each queue is polled by
// in the current forwarding configuration.
func (a *App) queueLcores() (rx, tx [][]uint) {
	rx = make([][]uint, len(a.ports))
	tx = make([][]uint, len(a.ports))
	for i := range a.ports {
		rx[i] = make([]uint, a.opts.RxQ)
		tx[i] = make([]uint, a.opts.TxQ)
		for q := range rx[i] {
			rx[i][q] = mempool.LcoreAny
		}
		for q := range tx[i] {
			tx[i][q] = mempool.LcoreAny
		}
	}
	for _, sp := range a.streamPlan() {
		rx[sp.rxPort][sp.rxQ] = sp.lcore
		tx[sp.txPort][sp.txQ] = sp.lcore
	}
	return rx, tx
}

func sameLcores(a, b []uint) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// startPort sets the port up (if its queue lcores are not the ones the
// forwarding configuration needs) and starts it.
func (a *App) startPort(pt *port, w io.Writer) error {
	if pt.started() {
		return nil
	}
	rxl, txl := a.queueLcores()
	i := a.portPos(pt.id)
	if pt.dirty || pt.p.State() == ethdev.StateProbed || !sameLcores(pt.rxLcore, rxl[i]) || !sameLcores(pt.txLcore, txl[i]) {
		if err := a.setupPort(pt, rxl[i], txl[i]); err != nil {
			return err
		}
	}
	if err := pt.p.Start(); err != nil {
		return err
	}
	if !pt.promiscSet {
		// testpmd turns promiscuous mode on at its first start (a port
		// that cannot filter is promiscuous anyway).
		_ = pt.p.SetPromisc(true)
		pt.promiscSet = true
	}
	pt.base = pt.p.Stats()
	fmt.Fprintf(w, "Port %d: %s\n", pt.id, pt.mac())
	return nil
}

// rebindQueues re-creates the queues of started ports whose lcores differ
// from the forwarding configuration's (after "set nbcore", say): stop,
// set up, start.
func (a *App) rebindQueues() error {
	rxl, txl := a.queueLcores()
	for i, pt := range a.ports {
		if !pt.started() || (sameLcores(pt.rxLcore, rxl[i]) && sameLcores(pt.txLcore, txl[i])) {
			continue
		}
		if err := pt.p.Stop(); err != nil {
			return err
		}
		if err := a.setupPort(pt, rxl[i], txl[i]); err != nil {
			return err
		}
		if err := pt.p.Start(); err != nil {
			return err
		}
	}
	return nil
}

func toPortStats(s ethdev.Stats) PortStats {
	return PortStats{IPackets: s.IPackets, IMissed: s.IMissed, IBytes: s.IBytes, IErrors: s.IErrors, RxNombuf: s.RxNoMbuf,
		OPackets: s.OPackets, OErrors: s.OErrors, OBytes: s.OBytes}
}

func sub(a, b uint64) uint64 {
	if a < b {
		return 0
	}
	return a - b
}

// printPortInfo writes "show port info N" in DPDK's layout (the lines
// that mean something for dpkit's ports).
func printPortInfo(w io.Writer, pt *port) {
	p := pt.p
	di := p.Info()
	l := p.Link()
	onOff := func(b bool) string {
		if b {
			return "enabled"
		}
		return "disabled"
	}
	fmt.Fprintf(w, "\n********************* Infos for port %-2d *********************\n", pt.id)
	fmt.Fprintf(w, "MAC address: %s\n", pt.mac())
	fmt.Fprintf(w, "Device name: %s\n", p.Name())
	fmt.Fprintf(w, "Driver name: %s\n", di.Driver)
	fmt.Fprintf(w, "Firmware-version: not available\n")
	devargs := p.Devargs()
	if devargs == p.Name() {
		devargs = ""
	}
	fmt.Fprintf(w, "Devargs: %s\n", devargs)
	fmt.Fprintf(w, "Connect to socket: 0\n")
	fmt.Fprintf(w, "memory allocation on the socket: 0\n")
	if l.Up {
		fmt.Fprintf(w, "Link status: up\n")
	} else {
		fmt.Fprintf(w, "Link status: down\n")
	}
	fmt.Fprintf(w, "Link speed: %s\n", speedString(l.Speed))
	if l.Duplex == ethdev.HalfDuplex {
		fmt.Fprintf(w, "Link duplex: half-duplex\n")
	} else {
		fmt.Fprintf(w, "Link duplex: full-duplex\n")
	}
	if l.Autoneg {
		fmt.Fprintf(w, "Autoneg status: On\n")
	} else {
		fmt.Fprintf(w, "Autoneg status: Off\n")
	}
	fmt.Fprintf(w, "MTU: %d\n", p.MTU())
	fmt.Fprintf(w, "Promiscuous mode: %s\n", onOff(p.Promisc()))
	fmt.Fprintf(w, "Allmulticast mode: %s\n", onOff(p.AllMulticast()))
	fmt.Fprintf(w, "Maximum number of MAC addresses: %d\n", di.MACAddresses)
	fmt.Fprintf(w, "Maximum number of MAC addresses of hash filtering: 0\n")
	cfg := p.Config()
	fmt.Fprintf(w, "VLAN offload: \n")
	fmt.Fprintf(w, "  strip %s, filter %s, extend %s, qinq strip %s\n",
		offOn(cfg.RxOffloads&ethdev.RxOffloadVLANStrip), offOn(cfg.RxOffloads&ethdev.RxOffloadVLANFilter),
		offOn(cfg.RxOffloads&ethdev.RxOffloadVLANExtend), offOn(cfg.RxOffloads&ethdev.RxOffloadQinQStrip))
	if di.RETASize > 0 {
		fmt.Fprintf(w, "Redirection table size: %d\n", di.RETASize)
	}
	if di.RSSOffloads == 0 {
		fmt.Fprintf(w, "No RSS offload flow type is supported.\n")
	} else {
		fmt.Fprintf(w, "Supported RSS offload flow types:\n")
		k := 0
		for _, t := range rssTypeNames {
			if di.RSSOffloads&t.bit == 0 {
				continue
			}
			fmt.Fprintf(w, "  %s", t.name)
			if k++; k%6 == 0 {
				fmt.Fprintln(w)
			}
		}
		if k%6 != 0 {
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintf(w, "Minimum size of RX buffer: 0\n")
	fmt.Fprintf(w, "Maximum configurable length of RX packet: %d\n", di.MaxRxPktLen)
	fmt.Fprintf(w, "Maximum configurable size of LRO aggregated packet: 0\n")
	fmt.Fprintf(w, "Current number of RX queues: %d\n", p.NbRxQueues())
	fmt.Fprintf(w, "Max possible RX queues: %d\n", di.MaxRxQueues)
	fmt.Fprintf(w, "Max possible number of RXDs per queue: %d\n", di.RxDesc.Max)
	fmt.Fprintf(w, "Min possible number of RXDs per queue: %d\n", di.RxDesc.Min)
	fmt.Fprintf(w, "RXDs number alignment: %d\n", di.RxDesc.Align)
	fmt.Fprintf(w, "Current number of TX queues: %d\n", p.NbTxQueues())
	fmt.Fprintf(w, "Max possible TX queues: %d\n", di.MaxTxQueues)
	fmt.Fprintf(w, "Max possible number of TXDs per queue: %d\n", di.TxDesc.Max)
	fmt.Fprintf(w, "Min possible number of TXDs per queue: %d\n", di.TxDesc.Min)
	fmt.Fprintf(w, "TXDs number alignment: %d\n", di.TxDesc.Align)
	fmt.Fprintf(w, "Max segment number per packet: %d\n", mbuf.MaxSegs)
	fmt.Fprintf(w, "Max segment number per MTU/TSO: %d\n", mbuf.MaxSegs)
	fmt.Fprintf(w, "Device capabilities: 0x0( )\n")
	fmt.Fprintf(w, "Device error handling mode: none\n")
}

func offOn(v ethdev.RxOffload) string {
	if v != 0 {
		return "on"
	}
	return "off"
}

// rssTypeNames are testpmd's names of the RSS hash types ethdev has.
var rssTypeNames = []struct {
	bit  ethdev.RSSHash
	name string
}{
	{ethdev.RSSIPv4, "ipv4"}, {ethdev.RSSFragIPv4, "ipv4-frag"}, {ethdev.RSSNonfragIPv4TCP, "ipv4-tcp"},
	{ethdev.RSSNonfragIPv4UDP, "ipv4-udp"}, {ethdev.RSSNonfragIPv4Oth, "ipv4-other"}, {ethdev.RSSIPv6, "ipv6"},
	{ethdev.RSSFragIPv6, "ipv6-frag"}, {ethdev.RSSNonfragIPv6TCP, "ipv6-tcp"}, {ethdev.RSSNonfragIPv6UDP, "ipv6-udp"},
	{ethdev.RSSNonfragIPv6Oth, "ipv6-other"},
}

// speedString formats a link speed in Mbps as DPDK does ("10 Gbps").
func speedString(mbps uint32) string {
	switch {
	case mbps == 0:
		return "None"
	case mbps < 1000:
		return fmt.Sprintf("%d Mbps", mbps)
	case mbps%1000 == 0:
		return fmt.Sprintf("%d Gbps", mbps/1000)
	default:
		return fmt.Sprintf("%.1f Gbps", float64(mbps)/1000)
	}
}

// printPortSummary writes "show port summary all".
func printPortSummary(w io.Writer, ports []*port) {
	fmt.Fprintf(w, "Number of available ports: %d\n", len(ports))
	fmt.Fprintf(w, "%-4s %-17s %-12s %-14s %-8s %s\n", "Port", "MAC Address", "Name", "Driver", "Status", "Link")
	for _, pt := range ports {
		l := pt.p.Link()
		st := "down"
		if l.Up {
			st = "up"
		}
		fmt.Fprintf(w, "%-4d %s %-12s %-14s %-8s %s\n", pt.id, pt.mac(), pt.p.Name(), pt.p.Info().Driver, st, speedString(l.Speed))
	}
}
