// Package afxdp is the net_af_xdp driver (DPDK's drivers/net/af_xdp): a
// port over a Linux interface through AF_XDP sockets (internal/xsk), one
// socket per queue pair, bound to the interface's queues
// start_queue..start_queue+queue_count-1, with an XDP program on the
// interface that redirects each of those queues to its socket and passes
// the packets of other queues to the kernel's stack.
//
// Devargs, as DPDK 22.11's net_af_xdp (plus xsks_map):
//
//	net_af_xdp0,iface=veth0,start_queue=0,queue_count=1
//
//	iface        the interface (required), in the network namespace of
//	             the thread that opens the port
//	start_queue  the first interface queue used (default 0); Configure
//	             checks the queues against the interface's channels
//	             (ETHTOOL_GCHANNELS) when its driver tells them
//	queue_count  queue pairs (default 1)
//	busy_budget  > 0: preferred busy polling (SO_PREFER_BUSY_POLL,
//	             SO_BUSY_POLL_BUDGET) with this budget; 0 (the default,
//	             unlike DPDK's 64) leaves the kernel on interrupts
//	force_copy   1: bind in copy mode (XDP_COPY) even where the device
//	             could do zero-copy
//	shared_umem  1: share the UMEM (XDP_SHARED_UMEM) with the other
//	             shared_umem=1 ports whose rx queues use the same pool
//	xdp_prog     path of an ELF object with an XDP program and an XSKMAP
//	             named xsks_map (DPDK's rule): that program is attached
//	             (bpf_link, driver mode then generic) instead of dpkit's
//	             and the sockets go in its xsks_map at their queue's
//	             index; what it redirects is its business. Probe checks
//	             the object (xsk.ErrConfig naming the missing program or
//	             map)
//	xsks_map     path of a pinned XSKMAP (bpffs) of an XDP program the
//	             user attached already: dpkit attaches and detaches
//	             nothing, it only puts its sockets in that map (not with
//	             xdp_prog)
//
// Mbufs are the UMEM frames. Sockets are opened at Start (once the rx
// queues' pools are known) and closed at Stop. The UMEM of a socket is the
// memory of its rx queue's mbuf pool (for a socket with only a tx queue,
// rx queue 0's): from the page of the pool's first object to the end of its
// last, registered with unaligned chunks, one chunk per pool object:
//
//	chunk = pool object (mbuf.Pool's element, 2048..4096 bytes)
//	+-------------+------+---------------------------------------------+
//	| Mbuf header | priv | data room: XDP headroom 256 | packet | ...   |
//	+-------------+------+---------------------------------------------+
//	 <-- UMEM headroom --> (the kernel leaves the mbuf alone)
//
// The fill ring is given the object addresses of freshly allocated mbufs
// (AllocBulk, in bursts of 64, keeping min(ring, pool size/(4 x rx
// queues on the pool)) with the kernel); an rx descriptor's address is the
// object's plus the packet's offset, so it becomes its mbuf by arithmetic
// (data_off = offset - header - priv, length from the descriptor): no copy.
// On tx, a direct one-segment mbuf of that pool goes on the tx ring by its
// data address and is freed when the completion ring gives it back; other
// mbufs (another pool, chains, indirect or external buffers) are copied
// into an mbuf of the pool, sent, and freed at once. The queues of a port
// on one pool share one UMEM (the first socket registers it, the others
// bind with XDP_SHARED_UMEM and their own fill and completion rings), and
// with shared_umem=1 so do ports. Each socket marks the mbufs its rings
// hold in a bitmap; at Stop and Close, after the socket is closed (and, in
// zero-copy mode, once the driver has let go of the queue), those are
// freed: every mbuf goes back to its pool.
//
// Zero-copy (XDP_ZEROCOPY) is asked for when the pool is on hugepages
// (zero-copy DMA wants a chunk within contiguous pages: on 4 KiB pages
// objects straddle them, so such pools bind XDP_COPY; mbufs whose object
// crosses a hugepage boundary are kept off the rings) and force_copy is
// not set, and the kernel falls back to copy mode where the device has no
// zero-copy (veth): the kernel then copies the packet into our mbuf, and
// we copy nothing. Zero-copy itself was not exercised here (no NIC with
// it). A pool whose objects cannot be chunks (element under 2048 bytes or
// over a page, e.g. small or jumbo data rooms) makes the port copy, as
// before, with a UMEM of its own per socket (half its 4096-byte frames
// receive, half transmit): received packets are copied into mbufs (chains
// when longer than one), sent ones into frames; Start says why on stderr.
//
// The kernel is woken (recvfrom on rx, sendto on tx) only when its ring
// asks for it (need_wakeup): once per rx burst, and once per 32 packets on
// tx, the most the kernel sends per sendto in copy mode. Packets the kernel
// could not take at once (EAGAIN, EBUSY) go out with the next burst's kick,
// as with DPDK's PMD. RxBurst and TxBurst allocate nothing.
//
// imissed is the sockets' rx_dropped (XDP_STATISTICS, kept across
// Stop/Start); the xstats are the kernel's counters of all the sockets:
// rx_dropped, rx_invalid_descs, rx_ring_full, tx_invalid_descs,
// rx_fill_ring_empty_descs and tx_ring_empty_descs. Each started receive
// queue's socket polls readable while its rx ring holds packets: it is the
// queue's rx interrupt. The link is up while the port is started and the
// interface is up and running; an rtnetlink watch while started reports
// its changes (the interface or its peer going down or up) to ethdev's
// link-change callbacks. The MAC address and the MTU are the interface's
// (set with SIOCSIFHWADDR and SIOCSIFMTU in its namespace); the MTU goes up
// to what an mbuf of the default data room holds after the XDP headroom
// (1920-byte frames).
//
// The XDP program (ours or xdp_prog's) is attached through a bpf_link
// whose only reference is our file descriptor: Close detaches it, and so
// does the kernel when the process dies, even by SIGKILL (tested), so no
// program is left on the interface. Missing privileges or kernel features
// give errors wrapping xsk.ErrNotSupported that name them; no call waits
// without a bound.
package afxdp

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"

	"github.com/dpkit/dpkit/ethdev"
	afp "github.com/dpkit/dpkit/internal/afpacket"
	"github.com/dpkit/dpkit/internal/netns"
	"github.com/dpkit/dpkit/internal/xsk"
	"github.com/dpkit/dpkit/mbuf"
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
			{Key: "force_copy", Type: ethdev.Bool, Default: "0", Help: "bind in copy mode (XDP_COPY) even where zero-copy is possible"},
			{Key: "xdp_prog", Type: ethdev.String, Help: "ELF object with an XDP program and an XSKMAP xsks_map to attach instead of dpkit's"},
			{Key: "xsks_map", Type: ethdev.String, Help: "pinned XSKMAP of an XDP program already attached: attach nothing, put the sockets in it"},
			{Key: "shared_umem", Type: ethdev.Bool, Default: "0", Help: "share the UMEM with other ports on the same mbuf pool"},
		},
		Probe: probe,
	})
}

// speed is the link speed reported (DPDK's af_xdp asks the interface;
// veths have none): 10 Gbps.
const speed = 10000

// ErrNoIface is Probe's error without iface=. Missing kernel features or
// privileges give errors wrapping xsk.ErrNotSupported, bad xdp_prog= or
// xsks_map= ones xsk.ErrConfig.
var ErrNoIface = errors.New("net_af_xdp: iface= is required")

type device struct {
	iface     string
	start     int
	count     int
	busy      int // busy_budget
	forceCopy bool
	shared    bool        // shared_umem: share the UMEM with other ports on the pool
	obj       *xsk.Object // xdp_prog
	pinned    string      // xsks_map
	ns        *netns.Handle
	ifindex   int
	prog      *xsk.Program
	nq        int // sockets: max(rx, tx) queues of the last Configure
	rxqs      []*rxQueue
	txqs      []*txQueue
	// While started: a socket per queue pair and the UMEM (nil: copying)
	// each one's queues use.
	socks   []*xsk.Socket
	umems   []*umem
	shares  []bool      // socket i shares another socket's UMEM
	why     string      // why the last Start copies instead of using mbufs as frames, "" if it does not
	acc     []xsk.Stats // per socket: the counters of the sockets closed since Configure
	base    []xsk.Stats // per socket, at ResetStats
	xbase   []xsk.Stats // per socket, at ResetXStats
	statMu  sync.Mutex
	link    afp.LinkWatch // rtnetlink watch while started
	started atomic.Bool
}

var (
	_ ethdev.Device         = (*device)(nil)
	_ ethdev.LinkReporter   = (*device)(nil)
	_ ethdev.LinkWatcher    = (*device)(nil)
	_ ethdev.MACAddresser   = (*device)(nil)
	_ ethdev.MTUSetter      = (*device)(nil)
	_ ethdev.StatsReporter  = (*device)(nil)
	_ ethdev.XStatsReporter = (*device)(nil)
	_ ethdev.RxInterrupter  = (*device)(nil)
)

func probe(args *ethdev.Devargs) (ethdev.Device, error) {
	d := &device{
		iface:     args.Str("iface"),
		start:     int(args.Int("start_queue")),
		count:     int(args.Int("queue_count")),
		busy:      int(args.Int("busy_budget")),
		forceCopy: args.Bool("force_copy"),
		shared:    args.Bool("shared_umem"),
	}
	switch {
	case d.iface == "":
		return nil, ErrNoIface
	case args.Str("xdp_prog") != "" && args.Str("xsks_map") != "":
		return nil, fmt.Errorf("net_af_xdp: %w: xdp_prog= and xsks_map= together", xsk.ErrConfig)
	}
	if path := args.Str("xdp_prog"); path != "" {
		o, err := xsk.ReadObject(path)
		if err != nil {
			return nil, fmt.Errorf("net_af_xdp: xdp_prog=%s: %w", path, err)
		}
		d.obj = o
	}
	d.pinned = args.Str("xsks_map")
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

// maxFrame is the longest frame a port receives: that of a pool of
// mbuf.DefaultBufSize data rooms used as UMEM chunks (the kernel keeps
// XDP_PACKET_HEADROOM before the packet). Copying, a UMEM frame of 4096
// bytes holds 3840.
const maxFrame = mbuf.DefaultBufSize - xdpHeadroom

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

// Configure attaches the XDP program for queues start_queue.. of the
// interface, in its namespace; the sockets are opened by Start, once the
// queues' pools are known.
func (d *device) Configure(cfg *ethdev.Config) error {
	d.closeSockets()
	if d.prog != nil {
		d.prog.Close()
		d.prog = nil
	}
	n := max(cfg.RxQueues, cfg.TxQueues)
	if err := d.ioctl(func(fd int) error {
		if have := queueCount(fd, d.iface); have > 0 && d.start+n > have {
			return fmt.Errorf("%w: queues %d..%d of an interface with %d", ethdev.ErrInvalid, d.start, d.start+n-1, have)
		}
		return nil
	}); err != nil {
		return err
	}
	err := d.ns.Do(func() (err error) {
		switch {
		case d.obj != nil:
			d.prog, err = xsk.AttachObject(d.iface, d.obj, xsk.XDPAuto)
		case d.pinned != "":
			d.prog, err = xsk.OpenMap(d.iface, d.pinned)
		default:
			d.prog, err = xsk.Attach(d.iface, d.start+n, xsk.XDPAuto)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("net_af_xdp %s: %w", d.iface, err)
	}
	if have := d.prog.Queues(); have < d.start+n {
		d.prog.Close()
		d.prog = nil
		return fmt.Errorf("net_af_xdp %s: %w: the XSKMAP has %d entries, queues %d..%d need %d", d.iface, xsk.ErrConfig, have, d.start, d.start+n-1, d.start+n)
	}
	d.nq = n
	d.rxqs = make([]*rxQueue, cfg.RxQueues)
	d.txqs = make([]*txQueue, cfg.TxQueues)
	d.acc = make([]xsk.Stats, n)
	d.base = make([]xsk.Stats, n)
	d.xbase = make([]xsk.Stats, n)
	return nil
}

func (d *device) RxQueueSetup(q uint16, conf *ethdev.RxQueueConf) (ethdev.RxQueue, error) {
	rq := &rxQueue{pool: conf.Pool, lcore: conf.Lcore, port: conf.Port, nb: conf.NbDesc}
	d.rxqs[q] = rq
	return rq, nil
}

func (d *device) TxQueueSetup(q uint16, conf *ethdev.TxQueueConf) (ethdev.TxQueue, error) {
	tq := &txQueue{lcore: conf.Lcore, nb: conf.NbDesc}
	d.txqs[q] = tq
	return tq, nil
}

// ringSize is a ring of at least nb slots (the default if 0).
func ringSize(nb int) int {
	if nb <= 0 {
		return xsk.DefaultRingSize
	}
	n := 1
	for n < nb {
		n <<= 1
	}
	return n
}

// Start opens a socket per queue pair and gives the kernel its receive
// buffers: mbufs of the queue's pool when the pool's objects can be UMEM
// chunks, else frames of a UMEM of the socket's own.
func (d *device) Start() error {
	err := d.ns.Do(d.openSockets)
	if err != nil {
		d.closeSockets()
		return fmt.Errorf("net_af_xdp %s: %w", d.iface, err)
	}
	d.started.Store(true)
	d.link.Start(d.ns, d.ifindex)
	return nil
}

// poolOf is the pool whose memory socket i's UMEM is: its rx queue's, or
// rx queue 0's for a socket with only a tx queue.
func (d *device) poolOf(i int) *mbuf.Pool {
	if i < len(d.rxqs) && d.rxqs[i] != nil {
		return d.rxqs[i].pool
	}
	if len(d.rxqs) > 0 && d.rxqs[0] != nil {
		return d.rxqs[0].pool
	}
	return nil
}

func (d *device) openSockets() error {
	d.why = ""
	d.statMu.Lock() // Stats and XStats read the sockets
	d.socks = make([]*xsk.Socket, d.nq)
	d.umems = make([]*umem, d.nq)
	d.shares = make([]bool, d.nq)
	d.statMu.Unlock()
	for i := range d.nq {
		rxn, txn := xsk.DefaultRingSize, xsk.DefaultRingSize
		if i < len(d.rxqs) && d.rxqs[i] != nil {
			rxn = ringSize(d.rxqs[i].nb)
		}
		if i < len(d.txqs) && d.txqs[i] != nil {
			txn = ringSize(d.txqs[i].nb)
		}
		cfg := xsk.Config{Iface: d.iface, QueueID: d.start + i, XDP: xsk.XDPNone, BusyBudget: d.busy,
			RxSize: rxn, FillSize: rxn, TxSize: txn, CompSize: txn, Bind: xsk.BindAuto}
		if d.forceCopy {
			cfg.Bind = xsk.BindCopy
		}
		var u *umem
		if pool := d.poolOf(i); pool != nil {
			var err error
			if u, err = newUmem(pool); err != nil {
				d.why = err.Error()
			}
		}
		if u != nil {
			if sh := d.shareable(i, u.pool); sh != nil {
				cfg.Share = sh
				d.shares[i] = true
			} else {
				cfg.Mem, cfg.FrameSize, cfg.Unaligned, cfg.Headroom = u.mem, u.size, true, u.hdr
				if u.hugePage == 0 && cfg.Bind == xsk.BindAuto {
					// Zero-copy DMA wants chunks within (physically
					// contiguous) pages: objects straddle 4 KiB pages.
					cfg.Bind = xsk.BindCopy
				}
			}
		}
		s, err := xsk.Open(cfg)
		if err != nil {
			return err
		}
		d.statMu.Lock()
		d.socks[i], d.umems[i] = s, u
		d.statMu.Unlock()
		if u != nil && d.shared {
			shareUmem(u.pool, s)
		}
		if err := d.prog.Register(d.start+i, s); err != nil {
			return err
		}
		d.startQueues(i)
	}
	if d.why != "" {
		fmt.Fprintf(os.Stderr, "net_af_xdp %s: copying packets between the UMEM and mbufs: %s\n", d.iface, d.why)
	}
	return nil
}

// shareable is a socket whose UMEM is pool's memory that socket i can
// share (XDP_SHARED_UMEM): one of this port's lower queues, or with
// shared_umem=1 one of another port's.
func (d *device) shareable(i int, pool *mbuf.Pool) *xsk.Socket {
	for j := range i {
		if d.umems[j] != nil && d.umems[j].pool == pool {
			return d.socks[j]
		}
	}
	if d.shared {
		return sharedSocket(pool)
	}
	return nil
}

// startQueues points queue pair i at its socket and gives the kernel the
// rx queue's receive buffers.
func (d *device) startQueues(i int) {
	s, u := d.socks[i], d.umems[i]
	zc := s.ZeroCopy()
	if i < len(d.rxqs) && d.rxqs[i] != nil {
		q := d.rxqs[i]
		q.s, q.u, q.zc = s, u, zc
		if u != nil {
			q.held = newBitset(u.n)
			nrx := 0
			for _, r := range d.rxqs {
				if r != nil && r.pool == q.pool {
					nrx++
				}
			}
			q.target = min(s.Fill.Size(), max(1, q.pool.Size()/(4*nrx)))
			q.posted = 0
			q.refill(false)
		} else {
			// Half the socket's frames receive, half transmit.
			nfr := min(s.FrameCount()/2, s.Fill.Size())
			idx, n := s.Fill.Reserve(nfr)
			for k := range n {
				s.Fill.Set(idx+uint32(k), uint64(k*s.FrameSize()))
			}
			s.Fill.Submit()
		}
	}
	if i < len(d.txqs) && d.txqs[i] != nil {
		q := d.txqs[i]
		q.s, q.u, q.zc = s, u, zc
		if u != nil {
			q.held = newBitset(u.n)
		} else {
			nrx := min(s.FrameCount()/2, s.Fill.Size())
			q.free = make([]uint64, 0, s.FrameCount()-nrx)
			for k := nrx; k < s.FrameCount(); k++ {
				q.free = append(q.free, uint64(k*s.FrameSize()))
			}
		}
	}
}

// closeSockets closes the sockets (the kernel stops using their rings),
// then frees every mbuf they held: in the fill, rx, tx or completion
// rings, or with the device in zero-copy mode.
func (d *device) closeSockets() {
	if d.socks == nil {
		return
	}
	zc := false
	d.statMu.Lock()
	// Sharing sockets first, the UMEM's owner (the lowest queue) last.
	for i := len(d.socks) - 1; i >= 0; i-- {
		s := d.socks[i]
		if s == nil {
			continue
		}
		zc = zc || s.ZeroCopy()
		if st, err := s.Stats(); err == nil {
			addStats(&d.acc[i], st)
		}
		if d.umems[i] != nil && d.shared {
			unshareUmem(d.umems[i].pool, s)
		}
		s.Close()
	}
	d.statMu.Unlock()
	if zc {
		// In zero-copy mode the driver lets go of the UMEM (stops its
		// DMA into our mbufs) from a kernel work item after the close:
		// wait for the queues to be free before the mbufs are reused.
		d.ns.Do(func() error {
			for i := range d.socks {
				waitQueueFree(d.iface, d.start+i)
			}
			return nil
		})
	}
	for i, u := range d.umems {
		if i < len(d.rxqs) && d.rxqs[i] != nil {
			q := d.rxqs[i]
			if u != nil {
				u.freeHeld(q.held, q.lcore)
			}
			mbuf.FreeBulk(q.lcore, q.park)
			q.s, q.u, q.held, q.park, q.posted = nil, nil, nil, q.park[:0], 0
		}
		if i < len(d.txqs) && d.txqs[i] != nil {
			q := d.txqs[i]
			if u != nil {
				u.freeHeld(q.held, q.lcore)
			}
			mbuf.FreeBulk(q.lcore, q.park)
			q.s, q.u, q.held, q.park, q.free = nil, nil, nil, q.park[:0], nil
		}
	}
	d.statMu.Lock()
	d.socks, d.umems, d.shares = nil, nil, nil
	d.statMu.Unlock()
}

// waitQueueFree waits (a bounded time) until an AF_XDP socket can bind to
// the queue again: its last socket's UMEM is released.
func waitQueueFree(iface string, queue int) {
	s, err := xsk.Open(xsk.Config{Iface: iface, QueueID: queue, Bind: xsk.BindCopy, XDP: xsk.XDPNone,
		FrameCount: 64, RxSize: 64, TxSize: 64, FillSize: 64, CompSize: 64})
	if err == nil {
		s.Close()
	}
}

func addStats(t *xsk.Stats, s xsk.Stats) {
	t.RxDropped += s.RxDropped
	t.RxInvalidDescs += s.RxInvalidDescs
	t.TxInvalidDescs += s.TxInvalidDescs
	t.RxRingFull += s.RxRingFull
	t.RxFillRingEmpty += s.RxFillRingEmpty
	t.TxRingEmpty += s.TxRingEmpty
}

func subStats(t *xsk.Stats, s xsk.Stats) {
	t.RxDropped -= s.RxDropped
	t.RxInvalidDescs -= s.RxInvalidDescs
	t.TxInvalidDescs -= s.TxInvalidDescs
	t.RxRingFull -= s.RxRingFull
	t.RxFillRingEmpty -= s.RxFillRingEmpty
	t.TxRingEmpty -= s.TxRingEmpty
}

// total is socket i's counters since Configure: the closed sockets' and
// the open one's.
func (d *device) total(i int) xsk.Stats {
	t := d.acc[i]
	if i < len(d.socks) && d.socks[i] != nil {
		if st, err := d.socks[i].Stats(); err == nil {
			addStats(&t, st)
		}
	}
	return t
}

// Stop closes the sockets: every mbuf the kernel held is back in its
// pool, and the interface's packets go to its stack until Start.
func (d *device) Stop() error {
	d.started.Store(false)
	d.link.Stop()
	d.closeSockets()
	return nil
}

// Close closes the sockets and detaches the XDP program.
func (d *device) Close() error {
	d.link.Stop()
	d.closeSockets()
	if d.prog != nil {
		d.prog.Close()
		d.prog = nil
	}
	if d.ns != nil {
		d.ns.Close()
		d.ns = nil
	}
	return nil
}

// WatchLink keeps notify for the rtnetlink watcher that runs while the
// port is started (the link is down while it is stopped anyway).
func (d *device) WatchLink(notify func()) { d.link.SetNotify(notify) }

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
	d.statMu.Lock()
	defer d.statMu.Unlock()
	for i, q := range d.rxqs {
		if q == nil {
			continue
		}
		miss := d.total(i).RxDropped - d.base[i].RxDropped
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
	d.statMu.Lock()
	defer d.statMu.Unlock()
	for i := range d.base {
		d.base[i] = d.total(i)
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
	d.statMu.Lock()
	var t xsk.Stats
	for i := range d.xbase {
		addStats(&t, d.total(i))
		subStats(&t, d.xbase[i])
	}
	d.statMu.Unlock()
	add("rx_dropped", t.RxDropped)
	add("rx_invalid_descs", t.RxInvalidDescs)
	add("rx_ring_full", t.RxRingFull)
	add("tx_invalid_descs", t.TxInvalidDescs)
	add("rx_fill_ring_empty_descs", t.RxFillRingEmpty)
	add("tx_ring_empty_descs", t.TxRingEmpty)
}

func (d *device) ResetXStats() {
	d.statMu.Lock()
	defer d.statMu.Unlock()
	for i := range d.xbase {
		d.xbase[i] = d.total(i)
	}
}

// RxIntrFd is the queue's socket (while started): it polls readable
// while its rx ring holds packets (level-triggered, so enabling and
// disabling need nothing).
func (d *device) RxIntrFd(q uint16) (int, error) {
	if int(q) >= len(d.rxqs) || int(q) >= len(d.socks) || d.socks[q] == nil {
		return -1, fmt.Errorf("net_af_xdp: rx queue %d (port not started?): %w", q, ethdev.ErrInvalid)
	}
	return d.socks[q].Fd(), nil
}

func (d *device) RxIntrEnable(q uint16) error  { return nil }
func (d *device) RxIntrDisable(q uint16) error { return nil }
