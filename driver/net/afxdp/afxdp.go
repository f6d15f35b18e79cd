// Package afxdp is the net_af_xdp driver (DPDK's drivers/net/af_xdp): a
// port over a Linux interface through AF_XDP sockets (internal/xsk), one
// socket per queue pair, bound to the interface's queues
// start_queue..start_queue+queue_count-1, with one XDP program on the
// interface that redirects each of those queues to its socket.
//
// Devargs, as DPDK 22.11's net_af_xdp:
//
//	net_af_xdp0,iface=veth0,start_queue=0,queue_count=1
//
//	iface        the interface (required), in the network namespace of
//	             the thread that opens the port
//	start_queue  the first interface queue used (default 0)
//	queue_count  queue pairs (default 1)
//	busy_budget  > 0: preferred busy polling (SO_PREFER_BUSY_POLL,
//	             SO_BUSY_POLL_BUDGET) with this budget; 0 (the default,
//	             unlike DPDK's 64) leaves the kernel on interrupts
//	force_copy   0 or 1: the driver always works in copy mode for now
//	xdp_prog     not supported yet: only empty is accepted
//	shared_umem  not supported yet: only 0 is accepted
//
// This version copies: each socket has a UMEM of its own, half of whose
// frames are kept in the fill ring for the kernel to receive into and half
// used to transmit. Received packets are copied into mbufs of the rx
// queue's pool (a chain when longer than an mbuf) and their frames go back
// to the fill ring at once; transmitted mbufs (chains too) are copied into
// free frames and freed, and frames come back through the completion ring.
// The kernel is woken (recvfrom on rx, sendto on tx) only when its ring
// asks for it (need_wakeup): once per rx burst, and once per 32 packets
// on tx, the most the kernel sends per sendto in copy mode. Packets the
// kernel could not take at once (EAGAIN, EBUSY) go out with the next
// burst's kick, as with DPDK's PMD. Zero-copy (mbufs as UMEM frames) is
// not done yet: force_copy=1 changes nothing.
//
// imissed is the sockets' rx_dropped (XDP_STATISTICS); the xstats are the
// kernel's counters of all the sockets: rx_dropped, rx_invalid_descs,
// rx_ring_full, tx_invalid_descs, rx_fill_ring_empty_descs and
// tx_ring_empty_descs. Each receive queue's socket polls readable while
// its rx ring holds packets: it is the queue's rx interrupt. The link is
// up while the port is started and the interface is up and running; the
// MAC address and the MTU are the interface's (set with SIOCSIFHWADDR and
// SIOCSIFMTU in its namespace).
package afxdp

import (
	"errors"
	"fmt"
	"net"
	"sync/atomic"

	"github.com/dpkit/dpkit/ethdev"
	afp "github.com/dpkit/dpkit/internal/afpacket"
	"github.com/dpkit/dpkit/internal/netns"
	"github.com/dpkit/dpkit/internal/xsk"
	"golang.org/x/sys/unix"
)

// maxQueues bounds queue_count.
const maxQueues = 64

func init() {
	ethdev.Register(ethdev.Driver{
		Name:    "net_af_xdp",
		Aliases: []string{"eth_af_xdp"},
		Params: []ethdev.Param{
			{Key: "iface", Type: ethdev.String, Help: "interface name (required)"},
			{Key: "start_queue", Type: ethdev.Int, Default: "0", Min: 0, Max: 1 << 16, Help: "first interface queue"},
			{Key: "queue_count", Type: ethdev.Int, Default: "1", Min: 1, Max: maxQueues, Help: "queue pairs"},
			{Key: "busy_budget", Type: ethdev.Int, Default: "0", Min: 0, Max: 1<<16 - 1, Help: "preferred busy polling budget (0: off)"},
			{Key: "force_copy", Type: ethdev.Bool, Default: "0", Help: "copy mode (the only mode for now)"},
			{Key: "xdp_prog", Type: ethdev.String, Help: "custom XDP program (not supported yet)"},
			{Key: "shared_umem", Type: ethdev.Bool, Default: "0", Help: "share one UMEM among ports (not supported yet)"},
		},
		Probe: probe,
	})
}

// speed is the link speed reported (DPDK's af_xdp asks the interface;
// veths have none): 10 Gbps.
const speed = 10000

// Errors of Probe.
var (
	ErrNoIface      = errors.New("net_af_xdp: iface= is required")
	ErrNotSupported = errors.New("net_af_xdp: not supported yet")
)

type device struct {
	iface   string
	start   int
	count   int
	busy    int // busy_budget
	ns      *netns.Handle
	ifindex int
	prog    *xsk.Program
	socks   []*xsk.Socket
	rxqs    []*rxQueue
	txqs    []*txQueue
	base    []xsk.Stats // per socket, at ResetStats
	xbase   []xsk.Stats // per socket, at ResetXStats
	started atomic.Bool
}

var (
	_ ethdev.Device         = (*device)(nil)
	_ ethdev.LinkReporter   = (*device)(nil)
	_ ethdev.MACAddresser   = (*device)(nil)
	_ ethdev.MTUSetter      = (*device)(nil)
	_ ethdev.StatsReporter  = (*device)(nil)
	_ ethdev.XStatsReporter = (*device)(nil)
	_ ethdev.RxInterrupter  = (*device)(nil)
)

func probe(args *ethdev.Devargs) (ethdev.Device, error) {
	d := &device{
		iface: args.Str("iface"),
		start: int(args.Int("start_queue")),
		count: int(args.Int("queue_count")),
		busy:  int(args.Int("busy_budget")),
	}
	switch {
	case d.iface == "":
		return nil, ErrNoIface
	case args.Str("xdp_prog") != "":
		return nil, fmt.Errorf("%w: xdp_prog=%s", ErrNotSupported, args.Str("xdp_prog"))
	case args.Bool("shared_umem"):
		return nil, fmt.Errorf("%w: shared_umem=1", ErrNotSupported)
	}
	ns, err := netns.Current()
	if err != nil {
		return nil, err
	}
	d.ns = ns
	ifi, err := net.InterfaceByName(d.iface)
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("net_af_xdp: interface %q: %w", d.iface, err)
	}
	d.ifindex = ifi.Index
	return d, nil
}

// ifc reads the interface in its namespace.
func (d *device) ifc() (*net.Interface, error) {
	var ifi *net.Interface
	err := d.ns.Do(func() (err error) {
		ifi, err = net.InterfaceByName(d.iface)
		return err
	})
	return ifi, err
}

// maxFrame is the longest frame a UMEM frame holds (the kernel keeps
// XDP_PACKET_HEADROOM before it).
const maxFrame = xsk.DefaultFrameSize - 256

func (d *device) Info(di *ethdev.DevInfo) {
	di.IfIndex = d.ifindex
	di.MaxRxQueues = d.count
	di.MaxTxQueues = d.count
	di.MaxRxPktLen = maxFrame
	di.MaxMTU = maxFrame - 14
	di.RxOffloadCapa = ethdev.RxOffloadScatter
	di.TxOffloadCapa = ethdev.TxOffloadMultiSegs
	di.RxDesc = ethdev.DescLim{Min: 1, Max: 1 << 15, Align: 1, Default: xsk.DefaultRingSize}
	di.TxDesc = di.RxDesc
	di.Speed = speed
	di.RxIntr = true
}

func (d *device) closeSockets() {
	for _, q := range d.txqs {
		if q != nil {
			q.free = q.free[:0]
		}
	}
	for _, s := range d.socks {
		s.Close()
	}
	if d.prog != nil {
		d.prog.Close()
		d.prog = nil
	}
	d.socks, d.rxqs, d.txqs, d.base, d.xbase = nil, nil, nil, nil, nil
}

// Configure attaches the XDP program and opens max(rx, tx) sockets on
// queues start_queue.. of the interface, in its namespace.
func (d *device) Configure(cfg *ethdev.Config) error {
	d.closeSockets()
	n := max(cfg.RxQueues, cfg.TxQueues)
	err := d.ns.Do(func() error {
		p, err := xsk.Attach(d.iface, d.start+n, xsk.XDPAuto)
		if err != nil {
			return err
		}
		d.prog = p
		for i := range n {
			s, err := xsk.Open(xsk.Config{Iface: d.iface, QueueID: d.start + i, Bind: xsk.BindCopy, XDP: xsk.XDPNone, BusyBudget: d.busy})
			if err != nil {
				return err
			}
			d.socks = append(d.socks, s)
			if err := p.Register(d.start+i, s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		d.closeSockets()
		return fmt.Errorf("net_af_xdp %s: %w", d.iface, err)
	}
	d.rxqs = make([]*rxQueue, cfg.RxQueues)
	d.txqs = make([]*txQueue, cfg.TxQueues)
	d.base = make([]xsk.Stats, n)
	d.xbase = make([]xsk.Stats, n)
	return nil
}

// rxFrames is how many of a socket's frames receive (the rest transmit).
func rxFrames(s *xsk.Socket) int { return min(s.FrameCount()/2, s.Fill.Size()) }

func (d *device) RxQueueSetup(q uint16, conf *ethdev.RxQueueConf) (ethdev.RxQueue, error) {
	s := d.socks[q]
	rq := &rxQueue{s: s, pool: conf.Pool, lcore: conf.Lcore, port: conf.Port}
	if d.rxqs[q] != nil {
		// Set up again: the socket's receive frames are with the kernel
		// already (fill and rx rings).
		d.rxqs[q] = rq
		return rq, nil
	}
	// Give the kernel the receive frames.
	nrx := rxFrames(s)
	idx, n := s.Fill.Reserve(nrx)
	if n != nrx {
		return nil, fmt.Errorf("net_af_xdp %s: fill ring took %d of %d frames", d.iface, n, nrx)
	}
	for i := range n {
		s.Fill.Set(idx+uint32(i), uint64(i*s.FrameSize()))
	}
	s.Fill.Submit()
	d.rxqs[q] = rq
	return rq, nil
}

func (d *device) TxQueueSetup(q uint16, conf *ethdev.TxQueueConf) (ethdev.TxQueue, error) {
	s := d.socks[q]
	tq := &txQueue{s: s, lcore: conf.Lcore}
	if old := d.txqs[q]; old != nil {
		// Set up again: frames may still be in the tx and completion
		// rings; the free ones are the old queue's.
		tq.free = old.free
	} else {
		tq.free = make([]uint64, 0, s.FrameCount()-rxFrames(s))
		for i := rxFrames(s); i < s.FrameCount(); i++ {
			tq.free = append(tq.free, uint64(i*s.FrameSize()))
		}
	}
	d.txqs[q] = tq
	return tq, nil
}

func (d *device) Start() error {
	d.started.Store(true)
	return nil
}

func (d *device) Stop() error {
	d.started.Store(false)
	return nil
}

// Close closes the sockets and detaches the XDP program (the UMEMs hold
// copies, never mbufs).
func (d *device) Close() error {
	d.closeSockets()
	if d.ns != nil {
		d.ns.Close()
		d.ns = nil
	}
	return nil
}

func (d *device) Link() ethdev.Link {
	ifi, err := d.ifc()
	up := d.started.Load() && err == nil && ifi.Flags&(net.FlagUp|net.FlagRunning) == net.FlagUp|net.FlagRunning
	return ethdev.Link{Up: up, Speed: speed, Duplex: ethdev.FullDuplex}
}

func (d *device) MAC() ethdev.MAC {
	var mac ethdev.MAC
	if ifi, err := d.ifc(); err == nil {
		copy(mac[:], ifi.HardwareAddr)
	}
	return mac
}

// SetMAC sets the interface's address (SIOCSIFHWADDR), in its namespace.
func (d *device) SetMAC(mac ethdev.MAC) error {
	return d.ioctl(func(fd int) error { return afp.SetHardwareAddr(fd, d.iface, mac) })
}

// SetMTU sets the interface's MTU.
func (d *device) SetMTU(mtu int) error {
	return d.ioctl(func(fd int) error { return afp.SetMTU(fd, d.iface, mtu) })
}

// ioctl runs f with an interface control socket in the interface's
// namespace.
func (d *device) ioctl(f func(fd int) error) error {
	return d.ns.Do(func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("net_af_xdp: control socket: %w", err)
		}
		defer unix.Close(fd)
		if err := f(fd); err != nil {
			return fmt.Errorf("net_af_xdp %s: %w", d.iface, err)
		}
		return nil
	})
}

// Stats adds the sockets' rx_dropped (imissed), the rx allocation failures
// and the frames too long to send (oerrors).
func (d *device) Stats(s *ethdev.Stats) {
	for i, q := range d.rxqs {
		if q == nil {
			continue
		}
		st, _ := d.socks[i].Stats()
		miss := st.RxDropped - d.base[i].RxDropped
		nombuf := q.nombuf.Load()
		s.IMissed += miss
		s.RxNoMbuf += nombuf
		if i < len(s.QErrors) {
			s.QErrors[i] += miss + nombuf
		}
	}
	for _, q := range d.txqs {
		if q != nil {
			s.OErrors += q.oerrors.Load()
		}
	}
}

func (d *device) ResetStats() {
	for i, s := range d.socks {
		d.base[i], _ = s.Stats()
	}
	for _, q := range d.rxqs {
		if q != nil {
			q.nombuf.Store(0)
		}
	}
	for _, q := range d.txqs {
		if q != nil {
			q.oerrors.Store(0)
		}
	}
}

// XStats adds the kernel's counters summed over the sockets.
func (d *device) XStats(add func(name string, value uint64)) {
	var t xsk.Stats
	for i, s := range d.socks {
		st, _ := s.Stats()
		b := d.xbase[i]
		t.RxDropped += st.RxDropped - b.RxDropped
		t.RxInvalidDescs += st.RxInvalidDescs - b.RxInvalidDescs
		t.TxInvalidDescs += st.TxInvalidDescs - b.TxInvalidDescs
		t.RxRingFull += st.RxRingFull - b.RxRingFull
		t.RxFillRingEmpty += st.RxFillRingEmpty - b.RxFillRingEmpty
		t.TxRingEmpty += st.TxRingEmpty - b.TxRingEmpty
	}
	add("rx_dropped", t.RxDropped)
	add("rx_invalid_descs", t.RxInvalidDescs)
	add("rx_ring_full", t.RxRingFull)
	add("tx_invalid_descs", t.TxInvalidDescs)
	add("rx_fill_ring_empty_descs", t.RxFillRingEmpty)
	add("tx_ring_empty_descs", t.TxRingEmpty)
}

func (d *device) ResetXStats() {
	for i, s := range d.socks {
		d.xbase[i], _ = s.Stats()
	}
}

// RxIntrFd is the queue's socket: it polls readable while its rx ring
// holds packets (level-triggered, so enabling and disabling need nothing).
func (d *device) RxIntrFd(q uint16) (int, error) {
	if int(q) >= len(d.rxqs) {
		return -1, fmt.Errorf("net_af_xdp: rx queue %d: %w", q, ethdev.ErrInvalid)
	}
	return d.socks[q].Fd(), nil
}

func (d *device) RxIntrEnable(q uint16) error  { return nil }
func (d *device) RxIntrDisable(q uint16) error { return nil }
