// Package memif is the net_memif driver (DPDK's drivers/net/memif): a
// shared-memory packet interface to another process on the same host
// (DPDK, VPP, another dpkit), in either role. The protocol itself is
// internal/memifproto; this package adapts it to ethdev.
//
//	net_memif0,role=server,id=0,socket=/run/memif.sock   (role defaults to client, as in DPDK)
//	net_memif1,role=client,id=0,socket=/run/memif.sock,socket-abstract=no
//
// The client lays out the shared memory (its rings and buffers, copy
// mode) and the server maps it; the server checks everything the client
// announces. Each ethdev tx queue of the client is a client-to-server
// ring, each rx queue a server-to-client ring (and the other way round on
// the server); the server's HELLO caps the client's counts, and queues
// beyond what was agreed stay idle. Several server interfaces (ids) share
// one socket.
//
// The link is up while a peer is connected. A client whose server goes
// away retries every 100 ms while started; a server accepts a new client
// on the same id. Packets are copied between mbufs and the shared buffers;
// a packet larger than one buffer spans several descriptors, and a
// received one longer than one mbuf becomes a chain.
package memif

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/internal/memifproto"
	"github.com/dpkit/dpkit/mbuf"
	"golang.org/x/sys/unix"
)

// Name is the driver name.
const Name = "net_memif"

// MaxQueues is the most queues a port offers per direction.
const MaxQueues = 255

func init() {
	ethdev.Register(ethdev.Driver{
		Name:    Name,
		Aliases: []string{"eth_memif"},
		Params: []ethdev.Param{
			{Key: "role", Type: ethdev.String, Default: "client", Help: "client (the default, as in DPDK) or server (master/slave are accepted)"},
			{Key: "id", Type: ethdev.Int, Default: "0", Min: 0, Max: 1<<32 - 1, Help: "interface id, unique per socket"},
			{Key: "socket", Type: ethdev.String, Default: "/run/memif.sock", Help: "control socket path"},
			{Key: "socket-abstract", Type: ethdev.Bool, Default: "1", Help: "put the socket in the abstract namespace (yes/no)"},
			{Key: "secret", Type: ethdev.String, Help: "a shared secret of up to 24 bytes"},
			{Key: "mac", Type: ethdev.String, Help: "the port's MAC address"},
			{Key: "rsize", Type: ethdev.Int, Default: "10", Min: 1, Max: memifproto.MaxLog2RingSize, Help: "log2 of the ring size"},
			{Key: "bsize", Type: ethdev.Int, Default: "2048", Min: 64, Max: 65535, Help: "buffer size (multiple of 8)"},
			{Key: "zero-copy", Type: ethdev.Bool, Default: "0", Help: "client only: share the mbuf pools' memory instead of copying (pools made with Shared)"},
		},
		Probe: probe,
	})
}

type role uint8

const (
	roleServer role = iota
	roleClient
)

func probe(args *ethdev.Devargs) (ethdev.Device, error) {
	d := &device{name: args.Name, id: uint32(args.Int("id")), secret: args.Str("secret"),
		addr:  memifproto.SocketAddr{Path: args.Str("socket"), Abstract: args.Bool("socket-abstract")},
		log2:  uint8(args.Int("rsize")),
		bsize: uint32(args.Int("bsize"))}
	switch r := args.Str("role"); r {
	case "server", "master":
		d.role = roleServer
	case "client", "slave":
		d.role = roleClient
	default:
		return nil, fmt.Errorf("net_memif: role=%q: want server or client", r)
	}
	if len(d.secret) > memifproto.SecretSize {
		return nil, fmt.Errorf("net_memif: secret: %d bytes, at most %d", len(d.secret), memifproto.SecretSize)
	}
	if d.bsize%8 != 0 {
		return nil, fmt.Errorf("net_memif: bsize=%d: must be a multiple of 8", d.bsize)
	}
	d.zc = args.Bool("zero-copy")
	if d.zc && d.role != roleClient {
		return nil, errZCServer
	}
	if d.addr.Path == "" {
		return nil, errors.New("net_memif: socket: empty path")
	}
	if s := args.Str("mac"); s != "" {
		hw, err := net.ParseMAC(s)
		if err != nil || len(hw) != 6 {
			return nil, fmt.Errorf("net_memif: mac=%q: not a MAC address like 02:00:00:00:00:01", s)
		}
		copy(d.mac[:], hw)
	} else {
		d.mac = ethdev.RandomMAC()
	}
	if d.role == roleServer {
		if err := registerServer(d); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// device is one memif port.
type device struct {
	name   string
	role   role
	id     uint32
	secret string
	addr   memifproto.SocketAddr
	mac    ethdev.MAC
	log2   uint8
	bsize  uint32
	zc     bool

	mu       sync.Mutex
	rxq      []*rxQueue
	txq      []*txQueue
	started  bool
	closed   bool
	sess     *memifproto.Session
	notify   func()
	stop     chan struct{} // closed by Stop: ends the client's dial loop
	loops    sync.WaitGroup
	srv      *server
	connects atomic.Uint64
	drops    atomic.Uint64 // sessions ended by a protocol error on the rings
}

var _ ethdev.Device = (*device)(nil)

func (d *device) Info(info *ethdev.DevInfo) {
	info.Driver = Name
	info.MaxRxQueues, info.MaxTxQueues = MaxQueues, MaxQueues
	info.MaxMTU = 9000
	info.MaxRxPktLen = 9018
	info.LinkIntr = true
	info.RxIntr = true
	info.Speed = 10000
}

func (d *device) Configure(cfg *ethdev.Config) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, q := range d.rxq {
		if q != nil {
			q.closeIntr()
		}
	}
	d.rxq = make([]*rxQueue, cfg.RxQueues)
	d.txq = make([]*txQueue, cfg.TxQueues)
	return nil
}

func (d *device) RxQueueSetup(q uint16, conf *ethdev.RxQueueConf) (ethdev.RxQueue, error) {
	if d.zc {
		if err := checkZCPool(conf.Pool); err != nil {
			return nil, err
		}
	}
	rq := &rxQueue{dev: d, pool: conf.Pool, lcore: conf.Lcore, port: conf.Port, ringEfd: -1}
	if err := rq.openIntr(); err != nil {
		return nil, err
	}
	d.mu.Lock()
	if old := d.rxq[q]; old != nil {
		old.closeIntr()
	}
	d.rxq[q] = rq
	d.mu.Unlock()
	return rq, nil
}

func (d *device) TxQueueSetup(q uint16, conf *ethdev.TxQueueConf) (ethdev.TxQueue, error) {
	tq := &txQueue{dev: d, lcore: conf.Lcore}
	d.mu.Lock()
	d.txq[q] = tq
	d.mu.Unlock()
	return tq, nil
}

func (d *device) Start() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.started = true
	d.stop = make(chan struct{})
	if d.role == roleClient {
		d.loops.Add(1)
		go d.dialLoop(d.stop)
	}
	return nil
}

func (d *device) Stop() error {
	d.mu.Lock()
	d.started = false
	if d.stop != nil {
		close(d.stop)
		d.stop = nil
	}
	s := d.sess
	d.mu.Unlock()
	if s != nil {
		d.detach(s, "port stopped")
	}
	d.loops.Wait()
	return nil
}

func (d *device) Close() error {
	d.mu.Lock()
	d.closed = true
	for _, q := range d.rxq {
		if q != nil {
			q.closeIntr()
		}
	}
	d.mu.Unlock()
	if d.role == roleServer {
		unregisterServer(d)
	}
	return nil
}

// Link: up while a peer is connected.
func (d *device) Link() ethdev.Link {
	d.mu.Lock()
	defer d.mu.Unlock()
	return ethdev.Link{Up: d.sess != nil, Speed: 10000, Duplex: ethdev.FullDuplex}
}

func (d *device) WatchLink(notify func()) {
	d.mu.Lock()
	d.notify = notify
	d.mu.Unlock()
}

func (d *device) MAC() ethdev.MAC { return d.mac }

func (d *device) SetMAC(m ethdev.MAC) error { d.mac = m; return nil }

func (d *device) XStats(add func(string, uint64)) {
	add("connects", d.connects.Load())
	add("ring_errors", d.drops.Load())
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, q := range d.rxq {
		if q != nil {
			add(fmt.Sprintf("rx_q%d_bad_descs", i), q.badDescs.Load())
		}
	}
}

func (d *device) ResetXStats() {
	d.connects.Store(0)
	d.drops.Store(0)
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, q := range d.rxq {
		if q != nil {
			q.badDescs.Store(0)
		}
	}
}

func (d *device) Stats(s *ethdev.Stats) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, q := range d.rxq {
		if q != nil {
			s.RxNoMbuf += q.nombuf.Load()
			s.IErrors += q.badDescs.Load()
		}
	}
	for _, q := range d.txq {
		if q != nil {
			s.OErrors += q.oerrors.Load()
		}
	}
}

func (d *device) ResetStats() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, q := range d.rxq {
		if q != nil {
			q.nombuf.Store(0)
			q.badDescs.Store(0)
		}
	}
	for _, q := range d.txq {
		if q != nil {
			q.oerrors.Store(0)
		}
	}
}

// dialLoop is the client: connect, run the session until it ends, and
// again, while the port is started.
func (d *device) dialLoop(stop chan struct{}) {
	defer d.loops.Done()
	for {
		select {
		case <-stop:
			return
		default:
		}
		if err := d.dialOnce(stop); err != nil {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
}

func (d *device) dialOnce(stop chan struct{}) error {
	c, err := memifproto.Dial(d.addr)
	if err != nil {
		return err
	}
	d.mu.Lock()
	nrx, ntx := len(d.rxq), len(d.txq)
	d.mu.Unlock()
	cfg := memifproto.ClientConfig{
		ID: d.id, Secret: d.secret, Name: "dpkit", IfName: d.name,
		NumC2S: ntx, NumS2C: nrx, Log2RingSize: d.log2, BufSize: d.bsize,
		RegionName: "memif-" + d.name,
	}
	var table []zcRegion
	if d.zc {
		cfg.ZeroCopy = true
		cfg.Extra, table = zcRegions()
	}
	s, err := memifproto.ClientHandshake(c, cfg)
	if err != nil {
		return err
	}
	if !d.attach(s, table) {
		s.Disconnect("port stopped")
		return nil
	}
	// Wait returns when the peer goes, or when detach closed the session.
	done := make(chan struct{})
	go func() {
		select {
		case <-stop:
			d.detach(s, "port stopped")
		case <-done:
		}
	}()
	err = s.Wait()
	close(done)
	d.detach(s, fmt.Sprint(err))
	return err
}

// attach makes s the device's session: the queues start using its rings.
// It reports false (and leaves s alone) if the port is not started or
// already has a session.
func (d *device) attach(s *memifproto.Session, table []zcRegion) bool {
	d.mu.Lock()
	if !d.started || d.sess != nil {
		d.mu.Unlock()
		return false
	}
	d.sess = s
	server := d.role == roleServer
	for i, q := range d.rxq {
		var mq *memifproto.Queue
		switch {
		case server && i < len(s.C2S):
			mq = s.ServerRxQueue(i)
		case !server && i < len(s.S2C):
			mq = s.ClientRxQueue(i)
			if s.ZeroCopy {
				q.zc, q.regions, q.slots = true, table, make([]*mbuf.Mbuf, mq.Size())
				q.offerZC(mq)
			} else {
				q.zc = false
				mq.Refill()
			}
		}
		if mq != nil {
			mq.SetInterrupt(q.armed.Load()) // polling: the peer does not signal
			q.attachIntr(mq.Eventfd())
			q.mq.Store(mq)
			if q.armed.Load() {
				fence.Add(1)
				if n, _ := mq.Ready(); n > 0 {
					q.wake()
				}
			}
		}
	}
	for i, q := range d.txq {
		switch {
		case server && i < len(s.S2C):
			q.mq.Store(s.ServerTxQueue(i))
		case !server && i < len(s.C2S):
			mq := s.ClientTxQueue(i)
			q.zc = s.ZeroCopy
			if q.zc {
				q.regions, q.slots = table, make([]*mbuf.Mbuf, mq.Size())
			}
			q.mq.Store(mq)
		}
	}
	notify := d.notify
	d.mu.Unlock()
	d.connects.Add(1)
	if notify != nil {
		notify()
	}
	return true
}

// detach ends session s if it is still the device's: the queues stop
// using its rings (waiting out a burst in progress), then it is closed.
func (d *device) detach(s *memifproto.Session, reason string) {
	d.mu.Lock()
	if d.sess != s {
		d.mu.Unlock()
		return
	}
	d.sess = nil
	for _, q := range d.rxq {
		q.mq.Store(nil)
		for q.busy.Load() != 0 {
			time.Sleep(time.Microsecond)
		}
		q.detachIntr()
		freeSlots(q.slots, q.lcore)
	}
	for _, q := range d.txq {
		q.mq.Store(nil)
		for q.busy.Load() != 0 {
			time.Sleep(time.Microsecond)
		}
		freeSlots(q.slots, q.lcore)
	}
	notify := d.notify
	d.mu.Unlock()
	s.Disconnect(reason)
	if notify != nil {
		notify()
	}
}

// ringError is called from the fast path when the peer corrupted a ring:
// the session is dropped (off the fast path's goroutine).
func (d *device) ringError(err error) {
	d.mu.Lock()
	s := d.sess
	d.mu.Unlock()
	if s != nil {
		d.drops.Add(1)
		go d.detach(s, err.Error())
	}
}

// rxQueue receives from one ring. busy brackets a burst so that detach
// can wait until no burst uses the ring before unmapping it.
type rxQueue struct {
	mq       atomic.Pointer[memifproto.Queue]
	busy     atomic.Uint32
	dev      *device
	pool     *mbuf.Pool
	lcore    uint
	port     uint16
	nombuf   atomic.Uint64
	badDescs atomic.Uint64

	// Zero-copy: the mbuf offered in each slot, and the regions.
	zc      bool
	slots   []*mbuf.Mbuf
	regions []zcRegion

	// Rx interrupt: epfd is the queue's stable fd (an epoll set the app
	// polls); it holds kick (written to wake the app at once) and, while
	// connected, the ring's eventfd, which the peer writes when armed.
	epfd, kick int
	ringEfd    int
	armed      atomic.Bool
}

func (q *rxQueue) RxBurst(pkts []*mbuf.Mbuf) int {
	q.busy.Store(1)
	n := 0
	if mq := q.mq.Load(); mq != nil {
		if q.zc {
			n = q.rxZC(mq, pkts)
		} else {
			n = q.rx(mq, pkts)
		}
	}
	q.busy.Store(0)
	return n
}

func (q *rxQueue) rx(mq *memifproto.Queue, pkts []*mbuf.Mbuf) int {
	ready, err := mq.Ready()
	if err != nil {
		q.dev.ringError(err)
		return 0
	}
	want := min(ready, len(pkts))
	if want == 0 {
		return 0
	}
	if !q.pool.AllocBulk(q.lcore, pkts[:want]) {
		q.nombuf.Add(1)
		return 0
	}
	n, d := 0, 0
	for n < want && d < ready {
		head := pkts[n]
		e, complete, good := d, false, true
		for e < ready {
			b, next, ok := mq.Buf(e)
			e++
			if !ok {
				good = false
			} else if good && !appendBytes(q, head, b) {
				good = false
			}
			if !next {
				complete = true
				break
			}
		}
		if !complete {
			// The rest of the packet is not published yet: leave it all.
			resetPkt(head, q.lcore)
			break
		}
		d = e
		if !good {
			q.badDescs.Add(1)
			resetPkt(head, q.lcore)
			continue
		}
		head.SetPort(q.port)
		n++
	}
	mq.Done(d)
	if n < want {
		mbuf.FreeBulk(q.lcore, pkts[n:want])
	}
	return n
}

// appendBytes copies b at the end of m, chaining segments as needed.
func appendBytes(q *rxQueue, m *mbuf.Mbuf, b []byte) bool {
	for len(b) > 0 {
		last := m.LastSeg()
		if last.Tailroom() == 0 {
			seg := q.pool.Alloc(q.lcore)
			if seg == nil {
				q.nombuf.Add(1)
				return false
			}
			if mbuf.Chain(m, seg) != nil {
				seg.Free(q.lcore)
				return false
			}
			last = seg
		}
		k := min(last.Tailroom(), len(b))
		copy(m.Append(k), b[:k])
		b = b[k:]
	}
	return true
}

// resetPkt frees a packet's extra segments and empties its first one, to
// be used for the next packet.
func resetPkt(m *mbuf.Mbuf, lcore uint) {
	if next := m.Next(); next != nil {
		m.SetNext(nil)
		next.SetNbSegs(m.NbSegs() - 1)
		next.Free(lcore)
	}
	m.Reset()
}

// txQueue transmits on one ring.
type txQueue struct {
	mq      atomic.Pointer[memifproto.Queue]
	busy    atomic.Uint32
	dev     *device
	lcore   uint
	oerrors atomic.Uint64
	// Zero-copy: the packet whose last segment each slot holds.
	zc      bool
	slots   []*mbuf.Mbuf
	regions []zcRegion
}

func (q *txQueue) TxBurst(pkts []*mbuf.Mbuf) int {
	q.busy.Store(1)
	n := 0
	if mq := q.mq.Load(); mq != nil {
		if q.zc {
			n = q.txZC(mq, pkts)
			q.busy.Store(0)
			return n // the ring owns them until the server hands them back
		}
		n = q.tx(mq, pkts)
	}
	q.busy.Store(0)
	if n > 0 {
		mbuf.FreeBulk(q.lcore, pkts[:n])
	}
	return n
}

func (q *txQueue) tx(mq *memifproto.Queue, pkts []*mbuf.Mbuf) int {
	free, err := mq.Ready()
	if err != nil {
		q.dev.ringError(err)
		return 0
	}
	n, d := 0, 0
	for ; n < len(pkts); n++ {
		e, ok, bad := fill(mq, pkts[n], d, free)
		if bad {
			q.dev.ringError(memifproto.ErrRingCorrupt)
		}
		if !ok {
			break
		}
		d = e
	}
	mq.Done(d)
	return n
}

// fill copies packet m into descriptors d.. (below free), returning the
// next free descriptor, or ok false if it does not fit or the peer offered
// a buffer outside its regions (bad).
func fill(mq *memifproto.Queue, m *mbuf.Mbuf, d, free int) (next int, ok, bad bool) {
	var buf []byte
	used, have := 0, false
	for seg := m; seg != nil; seg = seg.Next() {
		data := seg.Data()
		for len(data) > 0 {
			if used == len(buf) {
				if have {
					mq.Set(d, uint32(used), true)
					d++
				}
				if d >= free {
					return d, false, false
				}
				b, _, ok := mq.Buf(d)
				if !ok || len(b) == 0 {
					return d, false, true
				}
				buf, used, have = b, 0, true
			}
			k := copy(buf[used:], data)
			used += k
			data = data[k:]
		}
	}
	if !have && d >= free { // an empty packet still takes a descriptor
		return d, false, false
	}
	mq.Set(d, uint32(used), false)
	return d + 1, true, false
}

// Rx interrupt mode (ethdev.RxInterrupter).

func (q *rxQueue) openIntr() error {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return fmt.Errorf("net_memif: epoll_create: %w", err)
	}
	kick, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(ep)
		return fmt.Errorf("net_memif: eventfd: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(kick)}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, kick, &ev); err != nil {
		unix.Close(ep)
		unix.Close(kick)
		return fmt.Errorf("net_memif: epoll_ctl: %w", err)
	}
	q.epfd, q.kick = ep, kick
	return nil
}

func (q *rxQueue) closeIntr() {
	if q.epfd > 0 {
		unix.Close(q.epfd)
		unix.Close(q.kick)
		q.epfd, q.kick = -1, -1
	}
}

// attachIntr adds a new session's ring eventfd to the queue's epoll set.
func (q *rxQueue) attachIntr(efd int) {
	if q.epfd < 0 || efd < 0 {
		return
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(efd)}
	if unix.EpollCtl(q.epfd, unix.EPOLL_CTL_ADD, efd, &ev) == nil {
		q.ringEfd = efd
	}
}

// detachIntr takes the ring's eventfd out before the session closes it.
func (q *rxQueue) detachIntr() {
	if q.ringEfd >= 0 {
		unix.EpollCtl(q.epfd, unix.EPOLL_CTL_DEL, q.ringEfd, nil)
		q.ringEfd = -1
	}
}

func (q *rxQueue) wake() {
	var one [8]byte
	one[0] = 1 // little-endian 1; eventfd counters are host order (x86, arm64)
	unix.Write(q.kick, one[:])
}

func drain(fd int) {
	var b [8]byte
	if fd >= 0 {
		unix.Read(fd, b[:])
	}
}

// fence orders the store of the ring's interrupt flag before the load of
// its index (a locked instruction: x86 may otherwise let the load pass the
// store, and a packet sent in between would wake nobody).
var fence atomic.Uint32

func (d *device) RxIntrFd(q uint16) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if int(q) >= len(d.rxq) || d.rxq[q] == nil {
		return -1, fmt.Errorf("net_memif: rx queue %d not set up", q)
	}
	return d.rxq[q].epfd, nil
}

// RxIntrEnable asks the peer to signal the ring and makes the fd readable
// at once if packets are waiting. It runs on the queue's polling
// goroutine, like RxBurst.
func (d *device) RxIntrEnable(q uint16) error {
	rq, err := d.rxQueue(q)
	if err != nil {
		return err
	}
	rq.armed.Store(true)
	rq.busy.Store(1)
	if mq := rq.mq.Load(); mq != nil {
		mq.SetInterrupt(true)
		fence.Add(1)
		if n, _ := mq.Ready(); n > 0 {
			rq.wake()
		}
	}
	rq.busy.Store(0)
	return nil
}

// RxIntrDisable tells the peer to stop signalling and clears the fd.
func (d *device) RxIntrDisable(q uint16) error {
	rq, err := d.rxQueue(q)
	if err != nil {
		return err
	}
	rq.armed.Store(false)
	rq.busy.Store(1)
	if mq := rq.mq.Load(); mq != nil {
		mq.SetInterrupt(false)
		mq.ClearInterrupt()
	}
	rq.busy.Store(0)
	drain(rq.kick)
	return nil
}

func (d *device) rxQueue(q uint16) (*rxQueue, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if int(q) >= len(d.rxq) || d.rxq[q] == nil {
		return nil, fmt.Errorf("net_memif: rx queue %d not set up", q)
	}
	return d.rxq[q], nil
}
