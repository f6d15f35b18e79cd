// Package pcap is the net_pcap driver (DPDK's drivers/net/pcap): a port
// whose receive queues read packets from capture files or from a Linux
// interface, and whose transmit queues write packets to capture files or
// send them on an interface. The file formats are internal/pcapfile's
// (classic pcap and pcapng in; classic pcap with nanosecond timestamps
// out); interfaces are plain AF_PACKET sockets.
//
// Devargs, as DPDK 22.11's net_pcap:
//
//	net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap
//	net_pcap1,rx_pcap=a.pcap,rx_pcap=b.pcapng,tx_pcap=oa.pcap,tx_pcap=ob.pcap   (two queue pairs)
//	net_pcap2,iface=eth0
//	net_pcap3,rx_iface_in=eth0,tx_iface=eth1
//
//	rx_pcap=FILE      one rx queue reading FILE (repeat for more queues)
//	tx_pcap=FILE      one tx queue writing FILE, created or truncated at probe
//	rx_iface=IF       one rx queue receiving on interface IF, both directions
//	rx_iface_in=IF    the same, incoming packets only
//	tx_iface=IF       one tx queue sending on IF
//	iface=IF          one rx and one tx queue on IF (alone)
//	infinite_rx=0|1   with rx_pcap: replay the files forever
//	phy_mac=0|1       with iface: the port takes IF's MAC address
//
// Without rx keys every rx queue receives nothing (one per tx queue);
// without tx keys every tx queue drops and counts (one per rx queue). A
// port has as many queues of each kind as its keys give, up to 16.
//
// Receive copies each packet into an mbuf from the queue's pool, chaining
// more mbufs for a packet longer than one buffer, and sets its Timestamp
// (nanoseconds since the epoch, with mbuf.RxTimestamp) from the file, or
// from the kernel's receive time (SO_TIMESTAMPNS) on an interface. A
// packet that cannot get its mbufs stays in the queue and counts in
// rx_nombuf. A file that ends in a cut or corrupt record delivers the
// packets before it and counts one rx error; a file that grows by whole
// records after its end is followed. Transmit writes each packet (all its
// segments) as one record stamped with the current time, flushes the file
// once per burst, and frees the mbufs.
//
// Differences from DPDK: a stopped and restarted port rewinds its rx files
// as DPDK does but appends to its tx files (DPDK truncates them again);
// infinite_rx keeps the packets in Go memory rather than in mbufs of the
// pool, so it accepts packets of any length.
package pcap

import (
	"errors"
	"fmt"
	"net"
	"sync/atomic"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/internal/pcapfile"
	"github.com/dpkit/dpkit/mbuf"
)

// maxQueues is DPDK's RTE_PMD_PCAP_MAX_QUEUES.
const maxQueues = 16

// snapLen is the snapshot length of the files tx writes (DPDK's
// RTE_ETH_PCAP_SNAPSHOT_LEN).
const snapLen = 65535

func init() {
	ethdev.Register(ethdev.Driver{
		Name:    "net_pcap",
		Aliases: []string{"eth_pcap"},
		Params: []ethdev.Param{
			{Key: "rx_pcap", Type: ethdev.String, Repeat: true, Help: "pcap or pcapng file an rx queue reads"},
			{Key: "tx_pcap", Type: ethdev.String, Repeat: true, Help: "pcap file a tx queue writes"},
			{Key: "rx_iface", Type: ethdev.String, Repeat: true, Help: "interface an rx queue receives on (both directions)"},
			{Key: "rx_iface_in", Type: ethdev.String, Repeat: true, Help: "interface an rx queue receives on (incoming only)"},
			{Key: "tx_iface", Type: ethdev.String, Repeat: true, Help: "interface a tx queue sends on"},
			{Key: "iface", Type: ethdev.String, Help: "interface for one rx and one tx queue"},
			{Key: "phy_mac", Type: ethdev.Bool, Default: "0", Help: "with iface: use the interface's MAC address"},
			{Key: "infinite_rx", Type: ethdev.Bool, Default: "0", Help: "with rx_pcap: replay the files forever"},
		},
		Probe: probe,
	})
}

// rxSource is what one rx queue reads from; it outlives queue setups.
type rxSource interface {
	// start makes the source ready to receive (rewinds a file).
	start() error
	close() error
}

// txSink is what one tx queue writes to.
type txSink interface {
	flush() error
	close() error
}

type device struct {
	name     string
	rx       []rxSource
	tx       []txSink
	infinite bool
	single   bool // iface=: d.rx[0] and d.tx[0] are one socket
	mac      ethdev.MAC
	ifindex  int
	rxqs     []*rxStats // by queue id, for Stats
	txqs     []*txStats
}

var (
	_ ethdev.Device        = (*device)(nil)
	_ ethdev.StatsReporter = (*device)(nil)
	_ ethdev.MACAddresser  = (*device)(nil)
)

// macIndex numbers the ports for their MAC address, 02:70:63:61:70:<n>
// ("pcap", locally administered), as DPDK does.
var macIndex atomic.Uint32

func probe(args *ethdev.Devargs) (_ ethdev.Device, err error) {
	d := &device{name: args.Name}
	d.mac = ethdev.MAC{0x02, 0x70, 0x63, 0x61, 0x70, byte(macIndex.Add(1) - 1)}
	defer func() {
		if err != nil {
			d.closeAll()
		}
	}()
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s: %s", ethdev.ErrDevargs, args.Name, fmt.Sprintf(format, a...))
	}
	d.infinite = args.Bool("infinite_rx")
	rxPcaps, txPcaps := args.All("rx_pcap"), args.All("tx_pcap")
	txIfaces := args.All("tx_iface")
	var rxIfaces []ifaceSpec
	for _, kv := range args.Args {
		if kv.Key == "rx_iface" || kv.Key == "rx_iface_in" {
			rxIfaces = append(rxIfaces, ifaceSpec{name: kv.Value, inOnly: kv.Key == "rx_iface_in"})
		}
	}
	if d.infinite && len(rxPcaps) == 0 {
		return nil, bad("infinite_rx needs rx_pcap")
	}
	if args.Has("iface") {
		if len(rxPcaps)+len(txPcaps)+len(rxIfaces)+len(txIfaces) > 0 {
			return nil, bad("iface cannot be combined with rx_pcap, tx_pcap, rx_iface, rx_iface_in or tx_iface")
		}
		name := args.Str("iface")
		s, err := openSocket(name, false)
		if err != nil {
			return nil, fmt.Errorf("%s: iface=%s: %w", args.Name, name, err)
		}
		d.rx, d.tx, d.ifindex, d.single = []rxSource{s}, []txSink{s}, s.ifindex, true
		if args.Bool("phy_mac") {
			ifc, err := net.InterfaceByName(name)
			if err != nil || len(ifc.HardwareAddr) != 6 {
				return nil, fmt.Errorf("%s: phy_mac: no MAC address for %s: %v", args.Name, name, err)
			}
			copy(d.mac[:], ifc.HardwareAddr)
		}
		return d, nil
	}
	if len(rxPcaps) > 0 && len(rxIfaces) > 0 {
		return nil, bad("rx_pcap cannot be combined with rx_iface or rx_iface_in")
	}
	if len(txPcaps) > 0 && len(txIfaces) > 0 {
		return nil, bad("tx_pcap cannot be combined with tx_iface")
	}
	nrx, ntx := len(rxPcaps)+len(rxIfaces), len(txPcaps)+len(txIfaces)
	if nrx == 0 && ntx == 0 {
		return nil, bad("no rx or tx queue given (rx_pcap, tx_pcap, rx_iface, rx_iface_in, tx_iface or iface)")
	}
	if nrx > maxQueues || ntx > maxQueues {
		return nil, bad("%d rx and %d tx queues given, at most %d of each", nrx, ntx, maxQueues)
	}
	for _, path := range rxPcaps {
		f, err := openRxFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s: rx_pcap=%s: %w", args.Name, path, err)
		}
		d.rx = append(d.rx, f)
	}
	for _, spec := range rxIfaces {
		s, err := openSocket(spec.name, spec.inOnly)
		if err != nil {
			return nil, fmt.Errorf("%s: rx_iface=%s: %w", args.Name, spec.name, err)
		}
		d.rx = append(d.rx, s)
	}
	for _, path := range txPcaps {
		f, err := createTxFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s: tx_pcap=%s: %w", args.Name, path, err)
		}
		d.tx = append(d.tx, f)
	}
	for _, name := range txIfaces {
		s, err := openSocket(name, false)
		if err != nil {
			return nil, fmt.Errorf("%s: tx_iface=%s: %w", args.Name, name, err)
		}
		d.tx = append(d.tx, s)
	}
	if len(d.rx) == 0 {
		for range d.tx {
			d.rx = append(d.rx, nullSource{})
		}
	}
	if len(d.tx) == 0 {
		for range d.rx {
			d.tx = append(d.tx, dropSink{})
		}
	}
	return d, nil
}

type ifaceSpec struct {
	name   string
	inOnly bool
}

func (d *device) Info(di *ethdev.DevInfo) {
	di.MaxRxQueues = len(d.rx)
	di.MaxTxQueues = len(d.tx)
	di.IfIndex = d.ifindex
	di.Speed = 10000 // DPDK's pcap reports 10 Gbps
	di.MaxMTU = snapLen - 18
	di.MaxRxPktLen = pcapfile.MaxSnapLen
	di.RxOffloadCapa = ethdev.RxOffloadTimestamp | ethdev.RxOffloadScatter
	di.TxOffloadCapa = ethdev.TxOffloadMultiSegs
}

func (d *device) Configure(cfg *ethdev.Config) error {
	d.rxqs = make([]*rxStats, cfg.RxQueues)
	d.txqs = make([]*txStats, cfg.TxQueues)
	return nil
}

func (d *device) RxQueueSetup(q uint16, conf *ethdev.RxQueueConf) (ethdev.RxQueue, error) {
	m := mbufFiller{pool: conf.Pool, lcore: conf.Lcore} // ethdev stamps the port
	st := new(rxStats)
	d.rxqs[q] = st
	switch src := d.rx[q].(type) {
	case *rxFile:
		if d.infinite {
			if err := src.load(); err != nil {
				return nil, fmt.Errorf("%s: infinite_rx: %w", d.name, err)
			}
			fits := src.maxLen <= conf.Pool.DataRoomSize()-mbuf.Headroom
			return &replayQueue{src: src, m: m, st: st, fits: fits}, nil
		}
		return &fileRxQueue{src: src, m: m, st: st}, nil
	case *socket:
		return &sockRxQueue{s: src, m: m, st: st}, nil
	default:
		return nullQueue{}, nil
	}
}

func (d *device) TxQueueSetup(q uint16, conf *ethdev.TxQueueConf) (ethdev.TxQueue, error) {
	st := new(txStats)
	d.txqs[q] = st
	switch dst := d.tx[q].(type) {
	case *txFile:
		return &fileTxQueue{f: dst, lcore: conf.Lcore, st: st}, nil
	case *socket:
		return &sockTxQueue{s: dst, lcore: conf.Lcore, st: st}, nil
	default:
		return &dropQueue{lcore: conf.Lcore}, nil
	}
}

func (d *device) Start() error {
	for _, s := range d.rx {
		if err := s.start(); err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
	}
	return nil
}

func (d *device) Stop() error {
	var errs []error
	for _, s := range d.tx {
		errs = append(errs, s.flush())
	}
	return errors.Join(errs...)
}

// Close closes the files and sockets; the device holds no mbufs.
func (d *device) Close() error { return d.closeAll() }

func (d *device) closeAll() error {
	var errs []error
	for _, s := range d.rx {
		errs = append(errs, s.close())
	}
	for i, s := range d.tx {
		if !(d.single && i == 0) {
			errs = append(errs, s.close())
		}
	}
	d.rx, d.tx = nil, nil
	return errors.Join(errs...)
}

func (d *device) Stats(s *ethdev.Stats) {
	for i, q := range d.rxqs {
		if q != nil {
			e, n := q.errors.Load(), q.nombuf.Load()
			s.IErrors += e
			s.RxNoMbuf += n
			s.QErrors[i] += e + n
		}
	}
	for _, q := range d.txqs {
		if q != nil {
			s.OErrors += q.errors.Load()
		}
	}
}

func (d *device) ResetStats() {
	for _, q := range d.rxqs {
		if q != nil {
			q.errors.Store(0)
			q.nombuf.Store(0)
		}
	}
	for _, q := range d.txqs {
		if q != nil {
			q.errors.Store(0)
		}
	}
}

func (d *device) MAC() ethdev.MAC { return d.mac }

func (d *device) SetMAC(m ethdev.MAC) error {
	d.mac = m
	return nil
}

// rxStats are the counters of one rx queue that ethdev does not keep.
type rxStats struct {
	errors atomic.Uint64 // bad records, a failed read
	nombuf atomic.Uint64
}

type txStats struct {
	errors atomic.Uint64 // packets not written or sent
}

// mbufFiller copies received packets into mbufs.
type mbufFiller struct {
	pool  *mbuf.Pool
	lcore uint
}

// packet returns a packet holding a copy of data, chained over as many
// mbufs as it needs, or nil if the pool ran out (nothing is then held).
func (f *mbufFiller) packet(data []byte) *mbuf.Mbuf {
	m := f.pool.Alloc(f.lcore)
	if m == nil {
		return nil
	}
	if len(data) <= m.Tailroom() {
		copy(m.Append(len(data)), data)
		return m
	}
	return f.chain(m, data)
}

// chain fills head and as many more segments as data needs (DPDK's
// pcap jumbo receive): the segments after the first have no headroom.
func (f *mbufFiller) chain(head *mbuf.Mbuf, data []byte) *mbuf.Mbuf {
	k := head.Tailroom()
	copy(head.Append(k), data[:k])
	rest := data[k:]
	last, segs := head, 1
	for len(rest) > 0 {
		s := f.pool.Alloc(f.lcore)
		if s == nil || segs == mbuf.MaxSegs {
			if s != nil {
				s.Free(f.lcore)
			}
			head.SetNbSegs(segs)
			head.SetPktLen(len(data) - len(rest))
			head.Free(f.lcore)
			return nil
		}
		s.SetHeadroom(0)
		k := min(len(rest), s.Tailroom())
		copy(s.Append(k), rest[:k])
		s.SetPktLen(k)
		last.SetNext(s)
		last, segs = s, segs+1
		rest = rest[k:]
	}
	head.SetNbSegs(segs)
	head.SetPktLen(len(data))
	return head
}

// nullSource is the rx side of a port given tx keys only.
type nullSource struct{}

func (nullSource) start() error { return nil }
func (nullSource) close() error { return nil }

type nullQueue struct{}

func (nullQueue) RxBurst([]*mbuf.Mbuf) int { return 0 }

// dropSink is the tx side of a port given rx keys only: it frees what it
// is given (ethdev counts it as sent, as DPDK's eth_tx_drop does).
type dropSink struct{}

func (dropSink) flush() error { return nil }
func (dropSink) close() error { return nil }

type dropQueue struct{ lcore uint }

func (q *dropQueue) TxBurst(pkts []*mbuf.Mbuf) int {
	mbuf.FreeBulk(q.lcore, pkts)
	return len(pkts)
}
