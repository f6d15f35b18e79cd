package ethdev

import (
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/mempool"
)

// MaxPorts is the number of port ids (RTE_MAX_ETHPORTS).
const MaxPorts = 256

// State is a port's place in its lifecycle.
type State uint8

const (
	// StateProbed: opened, not configured (after Open or Reset).
	StateProbed State = iota
	// StateConfigured: configured, stopped, maybe with queues set up.
	StateConfigured
	// StateStarted: running; the burst functions work.
	StateStarted
	// StateClosed: closed; the port id is free again.
	StateClosed
)

func (s State) String() string {
	switch s {
	case StateProbed:
		return "probed (not configured)"
	case StateConfigured:
		return "configured (stopped)"
	case StateStarted:
		return "started"
	case StateClosed:
		return "closed"
	}
	return fmt.Sprintf("State(%d)", s)
}

// Port is an Ethernet port: the application API (rte_ethdev.h). Control
// methods return errors and may be called from any goroutine (they are
// serialised); RxBurst, TxBurst and TxPrepare are the fast path (see
// fastpath.go).
type Port struct {
	// Fast path: read by every burst.
	rxq []rxQueue
	txq []txQueue
	id  uint16

	mu       sync.Mutex // control path
	name     string
	devargs  string
	drv      *Driver
	dev      Device
	info     DevInfo
	cfg      Config
	state    State
	rxConf   []RxQueueConf
	rxSet    []RxQueue // the driver's queues, nil until set up
	txSet    []TxQueue
	mac      MAC
	promisc  bool
	allmulti bool
	mtu      int
	rss      *RSS
	fan      *fanout // software RSS over a one-queue device, or nil

	statsBase Stats // counters at the last ResetStats

	linkMu   sync.Mutex
	linkCbs  []*linkCallback
	lastLink Link
}

var (
	portsMu sync.Mutex // attach/detach
	ports   [MaxPorts]atomic.Pointer[Port]
)

// Open probes the device named by a devargs string and returns its port,
// unconfigured (rte_dev_probe / hot-plug attach):
//
//	p, err := ethdev.Open("net_null0,size=128")
func Open(devargs string) (*Port, error) {
	d, err := ParseDevargs(devargs)
	if err != nil {
		return nil, err
	}
	drv, err := lookupDriver(d.Name)
	if err != nil {
		return nil, err
	}
	if err := d.validate(drv.Name, drv.Params); err != nil {
		return nil, err
	}
	return register(drv, d.Name, d.String(), func() (Device, error) { return drv.Probe(d) })
}

// OpenDevice makes a port of a device that a registered driver built
// through its own Go API rather than from devargs (net_ring's pairs of
// ports over rings, like rte_eth_from_rings). The device is then run by
// ethdev exactly like a probed one.
func OpenDevice(driver, name string, dev Device) (*Port, error) {
	if d, err := ParseDevargs(name); err != nil {
		return nil, err
	} else if d.Name != name || len(d.Args) > 0 {
		return nil, fmt.Errorf("%w: %q is not a plain device name", ErrInvalid, name)
	}
	driversMu.RLock()
	drv := drivers[driver]
	driversMu.RUnlock()
	if drv == nil {
		return nil, fmt.Errorf("%w: %q is not registered", ErrNoDriver, driver)
	}
	return register(drv, name, name, func() (Device, error) { return dev, nil })
}

// register probes a device and gives it a port id.
func register(drv *Driver, name, devargs string, probe func() (Device, error)) (*Port, error) {
	portsMu.Lock()
	defer portsMu.Unlock()
	id := -1
	for i := range ports {
		p := ports[i].Load()
		if p == nil {
			if id < 0 {
				id = i
			}
			continue
		}
		if p.name == name {
			return nil, fmt.Errorf("%w: %s is port %d", ErrExists, name, p.id)
		}
	}
	if id < 0 {
		return nil, fmt.Errorf("%w: all %d port ids in use", ErrInvalid, MaxPorts)
	}
	dev, err := probe()
	if err != nil {
		return nil, fmt.Errorf("%s: probe: %w", name, err)
	}
	p := &Port{id: uint16(id), name: name, devargs: devargs, drv: drv, dev: dev, mtu: DefaultMTU}
	p.loadInfo()
	if ma, ok := dev.(MACAddresser); ok {
		p.mac = ma.MAC()
	} else {
		p.mac = RandomMAC()
	}
	// lastLink before the watcher starts: its notify may run at once.
	p.lastLink = p.Link()
	if lw, ok := dev.(LinkWatcher); ok {
		lw.WatchLink(p.linkChanged)
	}
	ports[id].Store(p)
	return p, nil
}

// Attach is Open: a port created at run time from a devargs string.
func Attach(devargs string) (*Port, error) { return Open(devargs) }

// Detach stops (if started) and closes the port with this id, freeing its
// id (rte_dev_remove).
func Detach(id uint16) error {
	p := PortByID(id)
	if p == nil {
		return fmt.Errorf("%w: id %d", ErrNoPort, id)
	}
	if p.State() == StateStarted {
		if err := p.Stop(); err != nil {
			return err
		}
	}
	return p.Close()
}

// PortByID returns the open port with this id, nil if none.
func PortByID(id uint16) *Port {
	if int(id) >= MaxPorts {
		return nil
	}
	return ports[id].Load()
}

// PortByName returns the open port with this device name, nil if none.
func PortByName(name string) *Port {
	for i := range ports {
		if p := ports[i].Load(); p != nil && p.name == name {
			return p
		}
	}
	return nil
}

// Ports returns the open ports, by id.
func Ports() []*Port {
	var out []*Port
	for i := range ports {
		if p := ports[i].Load(); p != nil {
			out = append(out, p)
		}
	}
	return out
}

// RandomMAC returns a random locally administered unicast address
// (rte_eth_random_addr).
func RandomMAC() MAC {
	var m MAC
	_, _ = rand.Read(m[:])
	m[0] = m[0]&^1 | 2
	return m
}

// ID returns the port id.
func (p *Port) ID() uint16 { return p.id }

// Name returns the device name ("net_null0").
func (p *Port) Name() string { return p.name }

// Devargs returns the devargs the port was opened with.
func (p *Port) Devargs() string { return p.devargs }

// Device returns the driver's device (for driver-specific calls, found
// by type assertion).
func (p *Port) Device() Device { return p.dev }

// State returns the lifecycle state.
func (p *Port) State() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

func (p *Port) loadInfo() {
	var di DevInfo
	p.dev.Info(&di)
	di.Driver = p.drv.Name
	di.fillDefaults()
	if di.RSSOffloads == 0 {
		// No RSS hardware: ethdev's Toeplitz hash, with the device
		// steering (SoftRSSUser) or ethdev spreading its one queue.
		_, user := p.dev.(SoftRSSUser)
		di.SoftRSS = true
		di.SoftRSSSpread = !user
		di.RSSOffloads = SoftRSSOffloads
		di.HashKeySize = RSSKeySize
		di.RETASize = SoftRETASize
		di.RxOffloadCapa |= RxOffloadRSSHash
	}
	if _, ok := p.dev.(RxInterrupter); ok {
		di.RxIntr = true
	}
	if _, ok := p.dev.(LinkWatcher); ok {
		di.LinkIntr = true
	}
	p.info = di
}

// Info returns the device information (rte_eth_dev_info_get).
func (p *Port) Info() DevInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.info
}

// Config returns the configuration of the last Configure.
func (p *Port) Config() Config {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cfg
}

func (p *Port) errf(base error, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %w", p.name, fmt.Sprintf(format, args...), base)
}

// stateErr is the error of a call made in the wrong state.
func (p *Port) stateErr(call, need string) error {
	return p.errf(ErrState, "%s: port is %s; %s", call, p.state, need)
}

// Configure sets the queue counts, offloads, MTU and RSS
// (rte_eth_dev_configure). The port must not be started; queues set up
// before are released and must be set up again.
func (p *Port) Configure(cfg Config) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch p.state {
	case StateStarted:
		return p.stateErr("configure", "stop it first")
	case StateClosed:
		return p.stateErr("configure", "open it again")
	}
	di := &p.info
	spread := cfg.RxMQMode == MQRSS && di.SoftRSSSpread
	maxRx := di.MaxRxQueues
	if spread {
		maxRx = max(maxRx, SoftRSSMaxQueues)
	}
	if cfg.RxQueues < 1 || cfg.RxQueues > maxRx {
		return p.errf(ErrInvalid, "configure: %d rx queues (want 1..%d)", cfg.RxQueues, maxRx)
	}
	if spread && cfg.RxIntr {
		return p.errf(ErrNotSupported, "configure: rx interrupt mode with software RSS spreading")
	}
	if cfg.TxQueues < 1 || cfg.TxQueues > di.MaxTxQueues {
		return p.errf(ErrInvalid, "configure: %d tx queues (want 1..%d)", cfg.TxQueues, di.MaxTxQueues)
	}
	if bad := cfg.RxOffloads &^ di.RxOffloadCapa; bad != 0 {
		return p.errf(ErrNotSupported, "configure: rx offloads %v (port offers %v)", bad, di.RxOffloadCapa)
	}
	if bad := cfg.TxOffloads &^ di.TxOffloadCapa; bad != 0 {
		return p.errf(ErrNotSupported, "configure: tx offloads %v (port offers %v)", bad, di.TxOffloadCapa)
	}
	if cfg.MTU == 0 {
		cfg.MTU = DefaultMTU
	}
	if cfg.MTU < di.MinMTU || cfg.MTU > di.MaxMTU {
		return p.errf(ErrInvalid, "configure: MTU %d (want %d..%d)", cfg.MTU, di.MinMTU, di.MaxMTU)
	}
	if cfg.RxIntr && !di.RxIntr {
		return p.errf(ErrNotSupported, "configure: rx interrupt mode")
	}
	var rss *RSS
	if cfg.RxMQMode == MQRSS {
		if di.RSSOffloads == 0 {
			return p.errf(ErrNotSupported, "configure: RSS")
		}
		var err error
		if rss, err = p.newRSS(cfg); err != nil {
			return err
		}
	} else if cfg.RxMQMode != MQNone {
		return p.errf(ErrInvalid, "configure: rx mq mode %d", cfg.RxMQMode)
	}
	cfg.RSS.Key = append([]byte(nil), cfg.RSS.Key...)
	var fan *fanout
	devCfg := cfg
	if spread {
		var err error
		if fan, err = newFanout(cfg.RxQueues, rss); err != nil {
			return p.errf(err, "configure: software RSS")
		}
		devCfg.RxQueues, devCfg.RxMQMode, devCfg.RSS = 1, MQNone, RSSConf{}
		devCfg.RxOffloads &^= RxOffloadRSSHash
	}
	if p.fan != nil {
		p.fan.release()
		p.fan = nil
	}
	if err := p.dev.Configure(&devCfg); err != nil {
		// The device may have released the old queues: start over.
		if p.state == StateConfigured {
			p.parkQueues()
			p.rxSet, p.txSet = nil, nil
			p.state = StateProbed
		}
		return fmt.Errorf("%s: configure: %w", p.name, err)
	}
	if su, ok := p.dev.(SoftRSSUser); ok && rss != nil {
		su.UseSoftRSS(rss)
	}
	p.rss = rss
	p.fan = fan
	p.cfg = cfg
	p.mtu = cfg.MTU
	p.rxConf = make([]RxQueueConf, cfg.RxQueues)
	p.rxSet = make([]RxQueue, cfg.RxQueues)
	p.txSet = make([]TxQueue, cfg.TxQueues)
	p.statsBase = Stats{}
	p.rxq = make([]rxQueue, cfg.RxQueues)
	p.txq = make([]txQueue, cfg.TxQueues)
	for i := range p.rxq {
		p.rxq[i].init(p.id, uint16(i))
	}
	for i := range p.txq {
		p.txq[i].init(p.id, uint16(i))
	}
	p.state = StateConfigured
	p.loadInfo()
	return nil
}

// RxQueueSetup creates rx queue q with nbDesc descriptors (0: the driver's
// default) receiving into pool (rte_eth_rx_queue_setup). conf may be nil.
// The port must be configured and stopped.
func (p *Port) RxQueueSetup(q uint16, nbDesc int, pool *mbuf.Pool, conf *RxQueueConf) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.queueSetupState("rx queue setup", int(q), len(p.rxSet), "rx"); err != nil {
		return err
	}
	if pool == nil {
		return p.errf(ErrInvalid, "rx queue %d: nil mempool", q)
	}
	c := RxQueueConf{Lcore: ^uint(0)}
	if conf != nil {
		c = *conf
	}
	c.Pool = pool
	c.Port = p.id
	if bad := c.Offloads &^ p.info.RxOffloadCapa; bad != 0 {
		return p.errf(ErrNotSupported, "rx queue %d: offloads %v (port offers %v)", q, bad, p.info.RxOffloadCapa)
	}
	nb, err := p.descCount("rx", q, nbDesc, p.info.RxDesc)
	if err != nil {
		return err
	}
	c.NbDesc = nb
	var rq RxQueue
	if p.fan != nil {
		// The device has one queue, polled by whichever lcore holds the
		// spreading lock: no per-lcore mempool cache for it.
		if q == 0 {
			c0 := c
			c0.Lcore = mempool.LcoreAny
			src, err := p.dev.RxQueueSetup(0, &c0)
			if err != nil {
				return fmt.Errorf("%s: rx queue 0: %w", p.name, err)
			}
			p.fan.src = src
		}
		rq = &fanQueue{f: p.fan, q: q, lcore: c.Lcore}
	} else {
		var err error
		if rq, err = p.dev.RxQueueSetup(q, &c); err != nil {
			return fmt.Errorf("%s: rx queue %d: %w", p.name, q, err)
		}
	}
	p.rxSet[q] = rq
	p.rxConf[q] = c
	return nil
}

// TxQueueSetup creates tx queue q with nbDesc descriptors (0: the driver's
// default) (rte_eth_tx_queue_setup). conf may be nil.
func (p *Port) TxQueueSetup(q uint16, nbDesc int, conf *TxQueueConf) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.queueSetupState("tx queue setup", int(q), len(p.txSet), "tx"); err != nil {
		return err
	}
	c := TxQueueConf{Lcore: ^uint(0)}
	if conf != nil {
		c = *conf
	}
	if bad := c.Offloads &^ p.info.TxOffloadCapa; bad != 0 {
		return p.errf(ErrNotSupported, "tx queue %d: offloads %v (port offers %v)", q, bad, p.info.TxOffloadCapa)
	}
	nb, err := p.descCount("tx", q, nbDesc, p.info.TxDesc)
	if err != nil {
		return err
	}
	c.NbDesc = nb
	tq, err := p.dev.TxQueueSetup(q, &c)
	if err != nil {
		return fmt.Errorf("%s: tx queue %d: %w", p.name, q, err)
	}
	p.txSet[q] = tq
	p.txq[q].offl = p.cfg.TxOffloads | c.Offloads
	return nil
}

func (p *Port) queueSetupState(call string, q, n int, dir string) error {
	switch p.state {
	case StateProbed:
		return p.stateErr(call, "call Configure first")
	case StateStarted:
		return p.stateErr(call, "stop it first")
	case StateClosed:
		return p.stateErr(call, "open it again")
	}
	if q >= n {
		return p.errf(ErrInvalid, "%s queue %d: out of range (configured %d)", dir, q, n)
	}
	return nil
}

func (p *Port) descCount(dir string, q uint16, nb int, lim DescLim) (int, error) {
	if nb == 0 {
		return lim.Default, nil
	}
	if nb < lim.Min || nb > lim.Max || nb%lim.Align != 0 {
		return 0, p.errf(ErrInvalid, "%s queue %d: %d descriptors (want %d..%d, multiple of %d)", dir, q, nb, lim.Min, lim.Max, lim.Align)
	}
	return nb, nil
}

// Start starts the port (rte_eth_dev_start): every queue must be set up.
func (p *Port) Start() error {
	p.mu.Lock()
	if err := p.start(); err != nil {
		p.mu.Unlock()
		return err
	}
	p.mu.Unlock()
	p.linkChanged()
	return nil
}

func (p *Port) start() error {
	switch p.state {
	case StateProbed:
		return p.stateErr("start", "call Configure and set up the queues first")
	case StateStarted:
		return p.stateErr("start", "it is already started")
	case StateClosed:
		return p.stateErr("start", "open it again")
	}
	for i, q := range p.rxSet {
		if q == nil {
			return p.errf(ErrState, "start: rx queue %d is not set up", i)
		}
	}
	if p.fan != nil && p.fan.src == nil {
		return p.errf(ErrState, "start: rx queue 0 is not set up")
	}
	for i, q := range p.txSet {
		if q == nil {
			return p.errf(ErrState, "start: tx queue %d is not set up", i)
		}
	}
	if err := p.dev.Start(); err != nil {
		return fmt.Errorf("%s: start: %w", p.name, err)
	}
	for i, q := range p.rxSet {
		p.rxq[i].q = q
	}
	for i, q := range p.txSet {
		p.txq[i].setQueue(q)
	}
	p.state = StateStarted
	return nil
}

// Stop stops the port (rte_eth_dev_stop). The burst functions return 0
// afterwards; the caller must have stopped calling them first. Packets in
// flight inside the device stay there until Start or Close.
func (p *Port) Stop() error {
	p.mu.Lock()
	if p.state != StateStarted {
		err := p.stateErr("stop", "it is not started")
		p.mu.Unlock()
		return err
	}
	p.parkQueues()
	err := p.dev.Stop()
	p.state = StateConfigured
	p.mu.Unlock()
	p.linkChanged()
	if err != nil {
		return fmt.Errorf("%s: stop: %w", p.name, err)
	}
	return nil
}

// parkQueues points every queue at the stopped stand-in.
func (p *Port) parkQueues() {
	for i := range p.rxq {
		p.rxq[i].q = stoppedQueue{}
	}
	for i := range p.txq {
		p.txq[i].setQueue(stoppedQueue{})
	}
}

// Close releases the port and its id (rte_eth_dev_close). The port must
// be stopped; every mbuf the device held goes back to its pool.
func (p *Port) Close() error {
	p.mu.Lock()
	switch p.state {
	case StateStarted:
		err := p.stateErr("close", "stop it first")
		p.mu.Unlock()
		return err
	case StateClosed:
		err := p.stateErr("close", "it is closed already")
		p.mu.Unlock()
		return err
	}
	p.parkQueues() // a stray burst after Close returns 0
	err := p.dev.Close()
	if p.fan != nil {
		p.fan.release()
		p.fan = nil
	}
	p.state = StateClosed
	p.rxSet, p.txSet = nil, nil
	p.mu.Unlock()
	portsMu.Lock()
	ports[p.id].CompareAndSwap(p, nil)
	portsMu.Unlock()
	if err != nil {
		return fmt.Errorf("%s: close: %w", p.name, err)
	}
	return nil
}

// Reset stops the port if it is started and takes it back to the probed
// state (rte_eth_dev_reset): Configure and the queue setups must be done
// again.
func (p *Port) Reset() error {
	p.mu.Lock()
	if p.state == StateClosed {
		err := p.stateErr("reset", "open it again")
		p.mu.Unlock()
		return err
	}
	var errs []error
	wasStarted := p.state == StateStarted
	if wasStarted {
		p.parkQueues()
		errs = append(errs, p.dev.Stop())
	}
	if r, ok := p.dev.(Resetter); ok {
		errs = append(errs, r.Reset())
	}
	p.state = StateProbed
	p.parkQueues()
	p.rxSet, p.txSet = nil, nil
	if p.fan != nil {
		p.fan.release()
		p.fan = nil
	}
	p.mu.Unlock()
	if wasStarted {
		p.linkChanged()
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s: reset: %w", p.name, err)
	}
	return nil
}

// NbRxQueues and NbTxQueues return the configured queue counts.
func (p *Port) NbRxQueues() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.rxSet)
}

// NbTxQueues returns the configured number of tx queues.
func (p *Port) NbTxQueues() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.txSet)
}

// RxQueueConf returns the setup of rx queue q (pool, descriptors, lcore).
func (p *Port) RxQueueConf(q uint16) (RxQueueConf, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if int(q) >= len(p.rxSet) || p.rxSet[q] == nil {
		return RxQueueConf{}, p.errf(ErrInvalid, "rx queue %d is not set up", q)
	}
	return p.rxConf[q], nil
}
