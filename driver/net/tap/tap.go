// Package tap is the net_tap driver (DPDK's drivers/net/tap): a port that
// is a Linux TAP interface, so that the kernel's stack is the other end of
// the wire (internal/tap does the kernel side).
//
// Devargs, as DPDK 22.11's net_tap:
//
//	net_tap0,iface=dtap0,mac=fixed,persist
//
//	iface    the TAP's name (default dtap%d: the kernel numbers it); an
//	         existing persistent TAP is attached to
//	mac      the interface's MAC: an address, or "fixed" for
//	         00:64:74:61:70:NN (NN counts the ports opened with it);
//	         default: the kernel's random one
//	persist  keep the interface when the port is closed
//
// One queue is one TAP fd (IFF_MULTI_QUEUE): the kernel spreads what it
// sends over the rx queues by flow. Frames carry a virtio-net header
// (IFF_VNET_HDR), through which the tx offloads go to the kernel: L4
// checksums (TxTCPCksum, TxUDPCksum; the checksum field holds the
// pseudo-header sum, as for any NIC) and segmentation (TxTCPSeg, TxUDPSeg).
// On receive, packets the kernel already verified get RxL4CksumGood, and
// with the tcp_lro offload the kernel hands over unsegmented TCP/UDP
// packets up to 64 KiB (RxLRO, TSOSegsz the segment size) whose checksum
// is left to fill (RxL4CksumNone); the udp/tcp_cksum offloads alone let it
// leave checksums to fill too.
//
// Start brings the interface up and Stop down (as DPDK's does); the link is
// up while the interface is. Each rx queue's fd polls readable when a frame
// waits: it is the queue's rx interrupt.
package tap

import (
	"errors"
	"fmt"
	"net"
	"sync/atomic"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/internal/afpacket"
	"github.com/dpkit/dpkit/internal/netns"
	itap "github.com/dpkit/dpkit/internal/tap"
	"golang.org/x/sys/unix"
)

// maxQueues is DPDK's RTE_PMD_TAP_MAX_QUEUES.
const maxQueues = 16

// maxRxPktLen is the largest frame without LRO (DPDK's tap: 9728).
const maxRxPktLen = 9728

// lroMax is the largest frame the kernel hands over with LRO (GSO).
const lroMax = 65536

func init() {
	ethdev.Register(ethdev.Driver{
		Name:    "net_tap",
		Aliases: []string{"eth_tap"},
		Params: []ethdev.Param{
			{Key: "iface", Type: ethdev.String, Default: "dtap%d", Help: "TAP interface name"},
			{Key: "mac", Type: ethdev.String, Help: `MAC address, or "fixed"`},
			{Key: "persist", Type: ethdev.Bool, Default: "0", Help: "keep the interface after close"},
		},
		Probe: probe,
	})
}

var fixedUnit atomic.Uint32

type device struct {
	tap     *itap.Tap
	ns      *netns.Handle
	persist bool
	cfg     ethdev.Config
	rxqs    []*rxQueue
	txqs    []*txQueue
	started atomic.Bool        // read by the link watcher's goroutine
	link    afpacket.LinkWatch // rtnetlink watch while started
}

var (
	_ ethdev.Device        = (*device)(nil)
	_ ethdev.LinkReporter  = (*device)(nil)
	_ ethdev.LinkWatcher   = (*device)(nil)
	_ ethdev.MACAddresser  = (*device)(nil)
	_ ethdev.PromiscSetter = (*device)(nil)
	_ ethdev.MTUSetter     = (*device)(nil)
	_ ethdev.StatsReporter = (*device)(nil)
	_ ethdev.RxInterrupter = (*device)(nil)
)

// ErrMAC is returned for a mac= that is neither an address nor "fixed".
var ErrMAC = errors.New("net_tap: bad mac=")

// parseMAC reads mac=: "" (keep the kernel's), "fixed" or an address.
func parseMAC(s string) (mac [6]byte, set bool, err error) {
	switch s {
	case "":
		return mac, false, nil
	case "fixed":
		return [6]byte{0x00, 0x64, 0x74, 0x61, 0x70, byte(fixedUnit.Add(1) - 1)}, true, nil
	}
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 {
		return mac, false, fmt.Errorf("%w%q: want xx:xx:xx:xx:xx:xx or fixed", ErrMAC, s)
	}
	if hw[0]&1 != 0 {
		return mac, false, fmt.Errorf("%w%q: a multicast address", ErrMAC, s)
	}
	copy(mac[:], hw)
	return mac, true, nil
}

func probe(args *ethdev.Devargs) (ethdev.Device, error) {
	mac, setMAC, err := parseMAC(args.Str("mac"))
	if err != nil {
		return nil, err
	}
	cfg := itap.Config{Name: args.Str("iface"), MultiQueue: true, VnetHdr: true, Persist: args.Bool("persist")}
	if setMAC {
		cfg.MAC = mac
	}
	ns, err := netns.Current()
	if err != nil {
		return nil, err
	}
	t, err := itap.Open(cfg)
	if err != nil {
		ns.Close()
		return nil, fmt.Errorf("net_tap: %w", err)
	}
	return &device{tap: t, ns: ns, persist: cfg.Persist}, nil
}

// Name is the TAP's interface name (for tests and logs).
func (d *device) Name() string { return d.tap.Name() }

func (d *device) Info(di *ethdev.DevInfo) {
	di.MaxRxQueues = maxQueues
	di.MaxTxQueues = maxQueues
	di.MaxRxPktLen = maxRxPktLen
	di.MaxMTU = maxRxPktLen - 18
	di.RxOffloadCapa = ethdev.RxOffloadUDPCksum | ethdev.RxOffloadTCPCksum | ethdev.RxOffloadTCPLRO | ethdev.RxOffloadScatter
	di.TxOffloadCapa = ethdev.TxOffloadMultiSegs | ethdev.TxOffloadUDPCksum | ethdev.TxOffloadTCPCksum |
		ethdev.TxOffloadTCPTSO | ethdev.TxOffloadUDPTSO | ethdev.TxOffloadVLANInsert
	// The kernel completes a checksum from the pseudo-header sum in the
	// L4 field (virtio-net NEEDS_CSUM): TxPrepare writes it.
	di.TxPseudoCksum = true
	di.Speed = 10000 // DPDK's tap reports 10 Gbps
	di.RxIntr = true
	di.LinkIntr = true
	if ifi, err := d.ifindex(); err == nil {
		di.IfIndex = ifi
	}
}

func (d *device) ifindex() (int, error) {
	var idx int
	err := d.ns.Do(func() error {
		ifi, err := net.InterfaceByName(d.tap.Name())
		if err == nil {
			idx = ifi.Index
		}
		return err
	})
	return idx, err
}

// Configure attaches max(rx, tx) queues and sets what the kernel may hand
// over undone: checksums with the rx checksum offloads, GSO packets with
// tcp_lro.
func (d *device) Configure(cfg *ethdev.Config) error {
	for _, q := range d.rxqs {
		if q != nil {
			q.release()
		}
	}
	d.cfg = *cfg
	n := max(cfg.RxQueues, cfg.TxQueues)
	if err := d.ns.Do(func() error { return d.tap.SetQueues(n) }); err != nil {
		return fmt.Errorf("net_tap %s: %w", d.tap.Name(), err)
	}
	off := offloads(cfg.RxOffloads)
	if off&itap.OffloadTSO4 != 0 {
		// UDP segments too where the kernel can (Linux 6.2).
		if d.tap.SetOffloads(off|itap.OffloadUSO4|itap.OffloadUSO6) == nil {
			off = -1
		}
	}
	if off >= 0 {
		if err := d.tap.SetOffloads(off); err != nil {
			return err
		}
	}
	d.rxqs = make([]*rxQueue, cfg.RxQueues)
	d.txqs = make([]*txQueue, cfg.TxQueues)
	return nil
}

// offloads maps rx offloads to TUNSETOFFLOAD flags (Configure adds UDP
// segmentation to TCP's where the kernel has it).
func offloads(rx ethdev.RxOffload) int {
	var f int
	if rx&(ethdev.RxOffloadUDPCksum|ethdev.RxOffloadTCPCksum|ethdev.RxOffloadTCPLRO) != 0 {
		f |= itap.OffloadCsum
	}
	if rx&ethdev.RxOffloadTCPLRO != 0 {
		f |= itap.OffloadTSO4 | itap.OffloadTSO6
	}
	return f
}

func (d *device) RxQueueSetup(q uint16, conf *ethdev.RxQueueConf) (ethdev.RxQueue, error) {
	maxLen := d.cfg.MTU
	if maxLen == 0 {
		maxLen = ethdev.DefaultMTU
	}
	maxLen += 18 // Ethernet header and a VLAN tag
	if (d.cfg.RxOffloads|conf.Offloads)&ethdev.RxOffloadTCPLRO != 0 {
		maxLen = lroMax
	}
	rq, err := newRxQueue(d.tap, int(q), conf, maxLen)
	if err != nil {
		return nil, err
	}
	d.rxqs[q] = rq
	return rq, nil
}

func (d *device) TxQueueSetup(q uint16, conf *ethdev.TxQueueConf) (ethdev.TxQueue, error) {
	tq := &txQueue{tap: d.tap, q: int(q), lcore: conf.Lcore}
	d.txqs[q] = tq
	return tq, nil
}

// Start brings the interface up.
func (d *device) Start() error {
	if err := d.tap.SetUp(true); err != nil {
		return err
	}
	d.started.Store(true)
	if d.link.Wanted() {
		if ifindex, err := d.ifindex(); err == nil {
			d.link.Start(d.ns, ifindex)
		}
	}
	return nil
}

// Stop brings the interface down.
func (d *device) Stop() error {
	d.link.Stop()
	d.started.Store(false)
	return d.tap.SetUp(false)
}

// WatchLink keeps notify for the rtnetlink watcher that runs while the
// port is started (the link is down while it is stopped anyway).
func (d *device) WatchLink(notify func()) { d.link.SetNotify(notify) }

// Close gives back the mbufs the rx queues keep for their next reads and
// closes the TAP (which goes away unless persistent).
func (d *device) Close() error {
	for _, q := range d.rxqs {
		if q != nil {
			q.release()
		}
	}
	d.rxqs = nil
	d.link.Stop()
	err := d.tap.Close()
	d.ns.Close()
	return err
}

func (d *device) Link() ethdev.Link {
	f, err := d.tap.Flags()
	return ethdev.Link{Up: d.started.Load() && err == nil && f&unix.IFF_UP != 0, Speed: 10000, Duplex: ethdev.FullDuplex}
}

func (d *device) MAC() ethdev.MAC {
	m, _ := d.tap.MAC()
	return m
}

func (d *device) SetMAC(m ethdev.MAC) error { return d.tap.SetMAC(m) }

func (d *device) SetPromisc(on bool) error { return d.tap.SetFlag(unix.IFF_PROMISC, on) }

func (d *device) SetAllMulticast(on bool) error { return d.tap.SetFlag(unix.IFF_ALLMULTI, on) }

func (d *device) SetMTU(mtu int) error { return d.tap.SetMTU(mtu) }

func (d *device) Stats(s *ethdev.Stats) {
	for i, q := range d.rxqs {
		if q == nil {
			continue
		}
		nombuf, errs := q.nombuf.Load(), q.errors.Load()
		s.RxNoMbuf += nombuf
		s.IErrors += errs
		if i < len(s.QErrors) {
			s.QErrors[i] += nombuf + errs
		}
	}
	for _, q := range d.txqs {
		if q != nil {
			s.OErrors += q.oerrors.Load()
		}
	}
}

func (d *device) ResetStats() {
	for _, q := range d.rxqs {
		if q != nil {
			q.nombuf.Store(0)
			q.errors.Store(0)
		}
	}
	for _, q := range d.txqs {
		if q != nil {
			q.oerrors.Store(0)
		}
	}
}

// RxIntrFd is the queue's TAP fd (readable while a frame waits).
func (d *device) RxIntrFd(q uint16) (int, error) {
	if int(q) >= len(d.rxqs) {
		return -1, fmt.Errorf("net_tap: rx queue %d: %w", q, ethdev.ErrInvalid)
	}
	return d.tap.Fd(int(q)), nil
}

func (d *device) RxIntrEnable(q uint16) error  { return nil }
func (d *device) RxIntrDisable(q uint16) error { return nil }
