// Package ethdev is dpkit's port layer, like DPDK's rte_ethdev: the API an
// application uses to run Ethernet ports, the small interface a poll-mode
// driver implements, the registry of drivers, and DPDK-style devargs.
//
// The package keeps three things apart, as DPDK does:
//
//   - the application API (Port, in port.go, control.go, stats.go,
//     rss.go, intr.go): control calls that return errors;
//   - the fast path (fastpath.go): RxBurst, TxBurst and TxPrepare, which
//     return counts, never errors, and never allocate;
//   - the driver API (driver.go): Driver, Device, RxQueue, TxQueue and a
//     few optional interfaces.
//
// # Using a port
//
//	p, err := ethdev.Open("net_null0,size=64")   // or net_ring0, net_pcap0,...
//	err = p.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1})
//	err = p.RxQueueSetup(0, 1024, pool, nil)     // nil: default rx conf
//	err = p.TxQueueSetup(0, 1024, nil)
//	err = p.Start()
//	for {
//		n := p.RxBurst(0, pkts[:32])             // caller owns pkts[:n]
//		sent := p.TxBurst(0, pkts[:n])           // port owns pkts[:sent]
//		mbuf.FreeBulk(lcore, pkts[sent:n])       // caller frees the rest
//	}
//	err = p.Stop()
//	err = p.Close()
//
// Calls out of order (Start before Configure, Configure while started,
// Close while started, a queue not set up) fail with ErrState and a
// message that says what is needed. A stopped port's bursts return 0.
//
// Set RxQueueConf.Lcore / TxQueueConf.Lcore to the lcore that will poll a
// queue: the driver allocates and frees mbufs through that lcore's mempool
// cache (Go has no thread-local lcore id).
//
// # Writing a driver
//
// A driver is a package under driver/net/<name> that registers itself in
// init under its DPDK name and declares its devargs keys:
//
//	func init() {
//		ethdev.Register(ethdev.Driver{
//			Name: "net_null",
//			Params: []ethdev.Param{
//				{Key: "size", Type: ethdev.Int, Default: "64", Min: 1, Max: 65535, Help: "rx packet size"},
//				{Key: "copy", Type: ethdev.Bool, Default: "0", Help: "copy packet data"},
//			},
//			Probe: probe,
//		})
//	}
//
//	func probe(args *ethdev.Devargs) (ethdev.Device, error) {
//		return &device{size: int(args.Int("size")), copy: args.Bool("copy")}, nil
//	}
//
// ethdev parses the devargs, rejects unknown keys and bad values (naming
// the key and listing the valid ones) and only then calls Probe, so the
// typed getters (Int, Bool, Str, All) cannot fail. Probe returns a Device:
//
//	Info(*DevInfo)                                   capabilities (max queues, offloads, descriptors)
//	Configure(*Config) error                         queue counts etc., checked by ethdev first
//	RxQueueSetup(q, *RxQueueConf) (RxQueue, error)   one object per queue
//	TxQueueSetup(q, *TxQueueConf) (TxQueue, error)
//	Start() error / Stop() error / Close() error
//
// The queues are the fast path: RxQueue.RxBurst(pkts) int fills pkts with
// packets allocated from RxQueueConf.Pool (with RxQueueConf.Lcore), and
// TxQueue.TxBurst(pkts) int takes packets from the front of pkts and frees
// them once sent. Neither allocates from the Go heap, blocks, or returns an
// error; each runs on one goroutine at a time. ethdev calls them once per
// burst through the interface and counts packets and bytes itself, so a
// driver need not keep those statistics.
//
// ethdev calls the Device's methods one at a time in lifecycle order, so a
// driver does not check the order. Close (and Configure, for queues set up
// before) must give back every mbuf the device holds: the conformance
// suite in ethdev/porttest checks it, and every driver's test runs that
// suite:
//
//	func TestPort(t *testing.T) {
//		porttest.Run(t, porttest.Config{Devargs: "net_null0", Generates: true})
//	}
//
// porttest.Config says what the port can do so that the suite can check
// real traffic: Loopback (tx queue q comes back on rx queue q), Generates
// (rx makes packets, like net_null), Inject and Observe (put a frame in
// front of an rx queue, read what the port sent: a pcap file, a peer
// socket, the other end of a pair), Noisy (a kernel interface that
// receives frames nobody sent).
//
// Everything else is optional, found by type assertion: LinkReporter,
// LinkWatcher (link events), MACAddresser, PromiscSetter, MTUSetter,
// StatsReporter (imissed, errors, rx_nombuf), XStatsReporter,
// RxInterrupter (an fd per queue for RxIntrWait), Resetter, SoftRSSUser
// (receive side scaling by ethdev's software Toeplitz hash), and
// TxPreparer on a TxQueue. ethdev does what a driver lacks in software
// (MAC, promiscuous flags, MTU bookkeeping, and RSS: a Toeplitz hash and
// RETA that the driver applies where it can steer, SoftRSSUser, or else
// ethdev spreading the device's one rx queue over up to SoftRSSMaxQueues
// application queues).
//
// Applications import driver/net/all (or single drivers) for their init
// side effect and open ports by devargs; they never import a driver's
// types.
package ethdev
