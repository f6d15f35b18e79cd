package ethdev

import "github.com/dpkit/dpkit/mbuf"

// This file is the driver API (DPDK's ethdev_driver.h): what a poll-mode
// driver implements and registers. Applications use Port instead.

// Driver describes a poll-mode driver. Register it from an init function:
//
//	func init() { ethdev.Register(ethdev.Driver{Name: "net_null", Params: params, Probe: probe}) }
type Driver struct {
	// Name is the DPDK driver name, e.g. "net_null". A devargs device name
	// selects the driver whose Name is its longest prefix: "net_null0" and
	// "net_null_a" both select "net_null".
	Name string
	// Aliases are other prefixes that select the driver ("eth_null").
	Aliases []string
	// Params are the devargs keys the driver accepts. ethdev rejects any
	// other key, and any value that does not parse as the key's Type,
	// before Probe runs.
	Params []Param
	// Probe creates the device named by args.Name. It is called with the
	// validated devargs; it must not keep args.
	Probe func(args *Devargs) (Device, error)
}

// Device is one probed port, as its driver sees it. ethdev calls its
// methods from the control path only, one at a time, in the order the port
// state machine allows (so a driver need not check the order itself):
//
//	Probe -> Info -> Configure -> RxQueueSetup/TxQueueSetup (every queue)
//	      -> Start -> Stop -> [Configure ...] -> Close
//
// A device that needs more (link events, MAC, promiscuous mode, MTU,
// statistics, rx interrupts, reset, RSS) implements the optional interfaces
// below; ethdev finds them by type assertion and does the rest in software.
type Device interface {
	// Info reports what the device can do. It is called after Probe and
	// again after Configure; the driver fills only what it knows (ethdev
	// fills the defaults and the software features).
	Info(*DevInfo)
	// Configure is called on a stopped device with a config that ethdev
	// checked against Info (queue counts, offloads, MTU). Queues set up
	// before are released: the device must free any mbuf they hold.
	Configure(cfg *Config) error
	// RxQueueSetup creates receive queue q (0 <= q < cfg.RxQueues).
	RxQueueSetup(q uint16, conf *RxQueueConf) (RxQueue, error)
	// TxQueueSetup creates transmit queue q.
	TxQueueSetup(q uint16, conf *TxQueueConf) (TxQueue, error)
	// Start starts the device: after it returns, the queues' bursts may
	// run (each queue on one goroutine at a time).
	Start() error
	// Stop stops the device. ethdev has stopped calling the queues' burst
	// functions before it calls Stop.
	Stop() error
	// Close releases the device; every mbuf it holds (in rx rings, tx
	// rings, software queues) goes back to its pool. The device is stopped.
	Close() error
}

// RxQueue is the fast path of one receive queue. RxBurst fills pkts with
// up to len(pkts) received packets (allocated from the queue's pool; the
// caller owns them) and returns how many. It must not allocate from the Go
// heap, block, or return an error: an empty queue or an empty pool gives 0.
// It is called by one goroutine at a time.
type RxQueue interface {
	RxBurst(pkts []*mbuf.Mbuf) int
}

// TxQueue is the fast path of one transmit queue. TxBurst takes the first
// n packets of pkts (it owns them from then on: it sends and frees them)
// and returns n; the caller keeps pkts[n:]. It must not allocate from the
// Go heap, block, or return an error. It is called by one goroutine at a
// time.
type TxQueue interface {
	TxBurst(pkts []*mbuf.Mbuf) int
}

// RxQueueConf configures a receive queue (rte_eth_rxconf plus the
// descriptor count and mempool of rte_eth_rx_queue_setup).
type RxQueueConf struct {
	// NbDesc is the ring size; 0 means DevInfo.RxDesc default.
	NbDesc int
	// Pool is where received packets are allocated from.
	Pool *mbuf.Pool
	// Lcore is the lcore id that polls the queue: the driver allocates and
	// frees mbufs with it (mempool cache). mempool.LcoreAny if unknown.
	Lcore uint
	// Offloads are per-queue rx offloads on top of Config.RxOffloads.
	Offloads RxOffload
	// DropEn drops packets when no descriptor is free (rx_drop_en).
	DropEn bool
	// Port is the port id, set by ethdev (which also stores it in every
	// received mbuf: a driver need not call SetPort).
	Port uint16
}

// TxQueueConf configures a transmit queue (rte_eth_txconf).
type TxQueueConf struct {
	// NbDesc is the ring size; 0 means DevInfo.TxDesc default.
	NbDesc int
	// Lcore is the lcore id that calls TxBurst: the driver frees sent
	// mbufs with it. mempool.LcoreAny if unknown.
	Lcore uint
	// Offloads are per-queue tx offloads on top of Config.TxOffloads.
	Offloads TxOffload
	// FreeThresh is tx_free_thresh (a hint; 0 = driver default).
	FreeThresh int
}

// Optional device interfaces.

// LinkReporter reports the link. Without it a port's link is up at
// DevInfo.Speed, full duplex, while started, and down otherwise.
type LinkReporter interface {
	Link() Link
}

// LinkWatcher is a device that learns of link changes on its own (a
// netlink event, a peer going away). ethdev calls WatchLink once after
// Probe; the device calls notify (from any goroutine) when its link
// changes, and ethdev runs the port's link-change callbacks.
type LinkWatcher interface {
	WatchLink(notify func())
}

// MACAddresser is a device with a MAC address of its own. Without it
// ethdev gives the port a random locally administered address.
type MACAddresser interface {
	MAC() MAC
	SetMAC(MAC) error
}

// PromiscSetter is a device that filters by destination address. Without
// it the mode is recorded by ethdev only (the device receives everything).
type PromiscSetter interface {
	SetPromisc(on bool) error
	SetAllMulticast(on bool) error
}

// MTUSetter is a device whose MTU matters to it (a kernel interface).
// ethdev checks the MTU against DevInfo before the call.
type MTUSetter interface {
	SetMTU(mtu int) error
}

// StatsReporter adds the counters only the device knows to the ones ethdev
// keeps (packets and bytes per queue): imissed, ierrors, oerrors and
// rx_nombuf, in total and per queue. The device adds to s (it does not
// reset it); ResetStats zeroes the device's counters.
type StatsReporter interface {
	Stats(s *Stats)
	ResetStats()
}

// XStatsReporter is a device with named extended statistics; ethdev adds
// them after its own ("rx_good_packets", "rx_q0_packets", ...).
type XStatsReporter interface {
	XStats(add func(name string, value uint64))
	ResetXStats()
}

// RxInterrupter is a device whose receive queues can wake a sleeping
// poller (rte_eth_dev_rx_intr_*). RxIntrFd returns a file descriptor that
// becomes readable (epoll EPOLLIN) when queue q has packets after
// RxIntrEnable(q); RxIntrEnable must make it readable at once if the queue
// is not empty. RxIntrDisable stops the wake-ups and clears the fd. A
// driver over a kernel file descriptor (tap, af_packet) returns that fd,
// which is readable exactly when packets wait, and does nothing in Enable
// and Disable; a driver whose packets come from another goroutine uses an
// eventfd that the sender writes when the queue is armed (see net_ring).
// ethdev sleeps with poll(2)/epoll(7) on the fd.
type RxInterrupter interface {
	RxIntrFd(q uint16) (int, error)
	RxIntrEnable(q uint16) error
	RxIntrDisable(q uint16) error
}

// Resetter is a device that can reinitialise itself (rte_eth_dev_reset);
// ethdev calls it on a stopped device and then needs a new Configure.
type Resetter interface {
	Reset() error
}

// SoftRSSUser is a device without RSS hardware that can still steer
// received packets to queues itself: it is given the port's software RSS
// engine (Toeplitz hash, key, RETA) at every Configure with RxMQMode MQRSS,
// and calls RSS.Queue per packet where it chooses the rx queue (net_ring
// does it on the sending side). A device with neither RSS hardware
// (DevInfo.RSSOffloads) nor this interface still offers RSS: ethdev
// configures it with one rx queue and spreads that queue's packets over
// the application's queues in software (fanout.go).
type SoftRSSUser interface {
	UseSoftRSS(r *RSS)
}
