// Package afpacket is the net_af_packet driver (DPDK's
// drivers/net/af_packet): a port over a Linux interface through AF_PACKET
// sockets with memory-mapped TPACKET_V2 or V3 rings (internal/afpacket), one
// socket per queue, spread by the kernel's fanout (hash mode) when there
// are several receive queues.
//
// Devargs, as DPDK 22.11's net_af_packet:
//
//	net_af_packet0,iface=veth0,qpairs=2,blocksz=4096,framesz=2048,framecnt=512,qdisc_bypass=1,tpacket=2
//
//	iface         the interface (required), in the network namespace of
//	              the thread that opens the port
//	qpairs        queue pairs the port offers (default 1)
//	blocksz       ring block size (default 4096, a multiple of the page size)
//	framesz       ring frame size (default 2048): the largest frame sent is
//	              framesz-48 bytes
//	framecnt      frames per ring (default 512)
//	qdisc_bypass  1: transmit without the interface's qdisc (default 0)
//	tpacket       ring version (not in DPDK): 2 (default) receives frame by
//	              frame, each handed over at once, as DPDK's PMD (which
//	              always uses TPACKET_V2); 3 receives in blocks that the
//	              kernel hands over when full or after 1 ms (4 ms at
//	              HZ=250, the timer's resolution): fewer status checks at
//	              high rates, that much latency (and rx interrupt delay)
//	              at low ones, and the kernel's flow hash (RSS hash flag)
//
// Packets are copied between the rings and mbufs (a frame longer than an
// mbuf becomes a chain). The kernel strips VLAN tags on receive; without
// the vlan_strip offload the driver puts them back in the data, with it
// they go to the mbuf's VLAN TCI. The rx L4 checksum flag says GOOD when
// the kernel verified it (TP_STATUS_CSUM_VALID) and NONE when the packet
// comes from the local stack with its checksum still to be filled
// (TP_STATUS_CSUMNOTREADY, e.g. from a veth peer's sockets).
//
// imissed is the sockets' PACKET_STATISTICS drops (rx ring full); the
// link is up while the port is started and the interface is up and
// running (as DPDK's, which says up from start to stop), the MAC and MTU are the
// interface's, promiscuous and all-multicast modes are socket memberships.
// Each receive queue's socket polls readable when a block is ready: it is
// the queue's rx interrupt.
package afpacket

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/dpkit/dpkit/ethdev"
	afp "github.com/dpkit/dpkit/internal/afpacket"
	"github.com/dpkit/dpkit/internal/netns"
	"golang.org/x/sys/unix"
)

// maxQueues bounds qpairs.
const maxQueues = 16

func init() {
	ethdev.Register(ethdev.Driver{
		Name:    "net_af_packet",
		Aliases: []string{"eth_af_packet"},
		Params: []ethdev.Param{
			{Key: "iface", Type: ethdev.String, Help: "interface name (required)"},
			{Key: "qpairs", Type: ethdev.Int, Default: "1", Min: 1, Max: maxQueues, Help: "queue pairs"},
			{Key: "blocksz", Type: ethdev.Int, Default: fmt.Sprint(afp.DefaultBlockSize), Min: 4096, Max: 1 << 30, Help: "ring block size"},
			{Key: "framesz", Type: ethdev.Int, Default: fmt.Sprint(afp.DefaultFrameSize), Min: 128, Max: 1 << 30, Help: "ring frame size"},
			{Key: "framecnt", Type: ethdev.Int, Default: fmt.Sprint(afp.DefaultFrameCount), Min: 1, Max: 1 << 24, Help: "frames per ring"},
			{Key: "qdisc_bypass", Type: ethdev.Bool, Default: "0", Help: "bypass the interface's qdisc on transmit"},
			{Key: "tpacket", Type: ethdev.Int, Default: "2", Min: 2, Max: 3, Help: "ring version: 2 (rx frame by frame, as DPDK's) or 3 (rx in blocks)"},
		},
		Probe: probe,
	})
}

// speed is the link speed reported, as DPDK's af_packet (10 Gbps).
const speed = 10000

type device struct {
	sock    afp.Config // the socket template: iface, geometry, bypass
	qpairs  int
	ns      *netns.Handle // the interface's network namespace
	ctl     int           // socket for interface ioctls, in ns
	ifindex int
	socks   []*afp.Socket
	rxqs    []*rxQueue
	txqs    []*txQueue
	cfg     ethdev.Config
	promisc bool
	allmult bool
	base    []afp.Stats   // per rx socket, at ResetStats
	started atomic.Bool   // read by the link watcher's goroutine
	link    afp.LinkWatch // rtnetlink watch while started
}

var (
	_ ethdev.Device         = (*device)(nil)
	_ ethdev.LinkReporter   = (*device)(nil)
	_ ethdev.LinkWatcher    = (*device)(nil)
	_ ethdev.MACAddresser   = (*device)(nil)
	_ ethdev.PromiscSetter  = (*device)(nil)
	_ ethdev.MTUSetter      = (*device)(nil)
	_ ethdev.StatsReporter  = (*device)(nil)
	_ ethdev.RxInterrupter  = (*device)(nil)
	_ ethdev.XStatsReporter = (*device)(nil)
)

// ErrNoIface is returned by Probe without iface=.
var ErrNoIface = errors.New("net_af_packet: iface= is required")

func probe(args *ethdev.Devargs) (ethdev.Device, error) {
	d := &device{
		sock: afp.Config{
			Iface:       args.Str("iface"),
			BlockSize:   int(args.Int("blocksz")),
			FrameSize:   int(args.Int("framesz")),
			FrameCount:  int(args.Int("framecnt")),
			QdiscBypass: args.Bool("qdisc_bypass"),
			Version:     afp.TPacketV2,
		},
		qpairs: int(args.Int("qpairs")),
		ctl:    -1,
	}
	if args.Int("tpacket") == 3 {
		d.sock.Version = afp.TPacketV3
	}
	if d.sock.Iface == "" {
		return nil, ErrNoIface
	}
	if err := d.sock.Check(); err != nil {
		return nil, err
	}
	ns, err := netns.Current()
	if err != nil {
		return nil, err
	}
	d.ns = ns
	ctl, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("net_af_packet: control socket: %w", err)
	}
	d.ctl = ctl
	ifr, err := unix.NewIfreq(d.sock.Iface)
	if err == nil {
		err = unix.IoctlIfreq(ctl, unix.SIOCGIFINDEX, ifr)
	}
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("net_af_packet: interface %q: %w", d.sock.Iface, err)
	}
	d.ifindex = int(ifr.Uint32())
	return d, nil
}

func (d *device) Info(di *ethdev.DevInfo) {
	di.IfIndex = d.ifindex
	di.MaxRxQueues = d.qpairs
	di.MaxTxQueues = d.qpairs
	di.MaxRxPktLen = afp.MaxFrameLen(d.sock)
	di.MaxMTU = di.MaxRxPktLen - 14
	di.RxOffloadCapa = ethdev.RxOffloadVLANStrip | ethdev.RxOffloadUDPCksum | ethdev.RxOffloadTCPCksum |
		ethdev.RxOffloadScatter
	if d.sock.Version == afp.TPacketV3 {
		di.RxOffloadCapa |= ethdev.RxOffloadRSSHash // V3 headers carry the kernel's flow hash
	}
	di.TxOffloadCapa = ethdev.TxOffloadVLANInsert | ethdev.TxOffloadMultiSegs
	// The rings are sized by framecnt, whatever the descriptor count.
	di.RxDesc = ethdev.DescLim{Min: 1, Max: 1 << 15, Align: 1, Default: d.sock.FrameCount}
	di.TxDesc = di.RxDesc
	di.Speed = speed
	di.RxIntr = true
	di.LinkIntr = true
}

// closeSockets closes the queues' sockets.
func (d *device) closeSockets() {
	for _, s := range d.socks {
		s.Close()
	}
	d.socks, d.rxqs, d.txqs, d.base = nil, nil, nil, nil
}

// Configure opens max(rx, tx) sockets in the interface's namespace: the
// first RxQueues receive (in one fanout group when there are several), the
// others only transmit.
func (d *device) Configure(cfg *ethdev.Config) error {
	d.closeSockets()
	d.cfg = *cfg
	n := max(cfg.RxQueues, cfg.TxQueues)
	err := d.ns.Do(func() error {
		var fanout *afp.Fanout
		for i := range n {
			c := d.sock
			c.TxOnly = i >= cfg.RxQueues
			if cfg.RxQueues > 1 && !c.TxOnly {
				if fanout == nil {
					fanout = &afp.Fanout{UniqueID: true, Mode: afp.FanoutHash}
				}
				f := *fanout
				c.Fanout = &f
			}
			s, err := afp.Open(c)
			if err != nil {
				return err
			}
			d.socks = append(d.socks, s)
			if fanout != nil && fanout.UniqueID {
				g, err := s.FanoutGroup()
				if err != nil {
					return err
				}
				fanout = &afp.Fanout{Group: g, Mode: afp.FanoutHash}
			}
		}
		return nil
	})
	if err != nil {
		d.closeSockets()
		return fmt.Errorf("net_af_packet %s: %w", d.sock.Iface, err)
	}
	d.rxqs = make([]*rxQueue, cfg.RxQueues)
	d.txqs = make([]*txQueue, cfg.TxQueues)
	d.base = make([]afp.Stats, cfg.RxQueues)
	if d.promisc {
		if err := d.socks[0].SetPromisc(true); err != nil {
			return err
		}
	}
	if d.allmult {
		if err := d.socks[0].SetAllMulticast(true); err != nil {
			return err
		}
	}
	return nil
}

func (d *device) RxQueueSetup(q uint16, conf *ethdev.RxQueueConf) (ethdev.RxQueue, error) {
	offl := d.cfg.RxOffloads | conf.Offloads
	rq := &rxQueue{
		s:     d.socks[q],
		pool:  conf.Pool,
		lcore: conf.Lcore,
		port:  conf.Port,
		strip: offl&ethdev.RxOffloadVLANStrip != 0,
	}
	d.rxqs[q] = rq
	return rq, nil
}

func (d *device) TxQueueSetup(q uint16, conf *ethdev.TxQueueConf) (ethdev.TxQueue, error) {
	tq := &txQueue{s: d.socks[q], lcore: conf.Lcore}
	d.txqs[q] = tq
	return tq, nil
}

func (d *device) Start() error {
	d.started.Store(true)
	d.link.Start(d.ns, d.ifindex)
	return nil
}

func (d *device) Stop() error {
	d.link.Stop()
	d.started.Store(false)
	return nil
}

// WatchLink keeps notify for the rtnetlink watcher that runs while the
// port is started (the link is down while it is stopped anyway).
func (d *device) WatchLink(notify func()) { d.link.SetNotify(notify) }

// Close closes the sockets (the rings hold copies, never mbufs).
func (d *device) Close() error {
	d.link.Stop()
	d.closeSockets()
	if d.ctl >= 0 {
		unix.Close(d.ctl)
		d.ctl = -1
	}
	if d.ns != nil {
		d.ns.Close()
		d.ns = nil
	}
	return nil
}

func (d *device) Link() ethdev.Link {
	f, err := afp.LinkFlags(d.ctl, d.sock.Iface)
	up := d.started.Load() && err == nil && f&(unix.IFF_UP|unix.IFF_RUNNING) == unix.IFF_UP|unix.IFF_RUNNING
	return ethdev.Link{Up: up, Speed: speed, Duplex: ethdev.FullDuplex}
}

func (d *device) MAC() ethdev.MAC {
	mac, _ := afp.HardwareAddr(d.ctl, d.sock.Iface)
	return mac
}

func (d *device) SetMAC(mac ethdev.MAC) error {
	return afp.SetHardwareAddr(d.ctl, d.sock.Iface, mac)
}

// SetPromisc holds or drops a promiscuous membership on the first socket
// (the interface is promiscuous while the port is configured).
func (d *device) SetPromisc(on bool) error {
	if len(d.socks) > 0 {
		if err := d.socks[0].SetPromisc(on); err != nil {
			return err
		}
	}
	d.promisc = on
	return nil
}

func (d *device) SetAllMulticast(on bool) error {
	if len(d.socks) > 0 {
		if err := d.socks[0].SetAllMulticast(on); err != nil {
			return err
		}
	}
	d.allmult = on
	return nil
}

func (d *device) SetMTU(mtu int) error { return afp.SetMTU(d.ctl, d.sock.Iface, mtu) }

// Stats adds the sockets' ring drops (imissed), the rx allocation
// failures and the frames too long to send (oerrors).
func (d *device) Stats(s *ethdev.Stats) {
	for i, q := range d.rxqs {
		if q == nil {
			continue
		}
		st, _ := d.socks[i].Stats()
		miss := st.Drops - d.base[i].Drops
		nombuf, trunc := q.nombuf.Load(), q.trunc.Load()
		s.IMissed += miss
		s.RxNoMbuf += nombuf
		s.IErrors += trunc
		if i < len(s.QErrors) {
			s.QErrors[i] += miss + nombuf + trunc
		}
	}
	for _, q := range d.txqs {
		if q != nil {
			s.OErrors += q.oerrors.Load()
		}
	}
}

func (d *device) ResetStats() {
	for i, q := range d.rxqs {
		if q != nil {
			d.base[i], _ = d.socks[i].Stats()
			q.nombuf.Store(0)
			q.trunc.Store(0)
		}
	}
	for _, q := range d.txqs {
		if q != nil {
			q.oerrors.Store(0)
		}
	}
}

// XStats adds the kernel's per-socket counters.
func (d *device) XStats(add func(name string, value uint64)) {
	for i := range d.rxqs {
		st, _ := d.socks[i].Stats()
		add(fmt.Sprintf("rx_q%d_kernel_packets", i), st.Packets-d.base[i].Packets)
		add(fmt.Sprintf("rx_q%d_kernel_drops", i), st.Drops-d.base[i].Drops)
		add(fmt.Sprintf("rx_q%d_freeze_q", i), st.FreezeQ-d.base[i].FreezeQ)
	}
}

func (d *device) ResetXStats() {
	for i := range d.rxqs {
		d.base[i], _ = d.socks[i].Stats()
	}
}

// RxIntrFd is the queue's socket: it polls readable when an rx block is
// ready (level-triggered, so enabling and disabling need nothing).
func (d *device) RxIntrFd(q uint16) (int, error) {
	if int(q) >= len(d.rxqs) {
		return -1, fmt.Errorf("net_af_packet: rx queue %d: %w", q, ethdev.ErrInvalid)
	}
	return d.socks[q].Fd(), nil
}

func (d *device) RxIntrEnable(q uint16) error  { return nil }
func (d *device) RxIntrDisable(q uint16) error { return nil }
