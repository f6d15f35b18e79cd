// Package ring is the net_ring driver (DPDK's drivers/net/ring): ports
// whose queues are in-process rings of mbufs. A packet sent on tx queue q
// is enqueued on ring q of the wire the port sends to; rx queue q dequeues
// from ring q of the wire it receives from. Nothing is copied.
//
// From devargs, as DPDK's net_ring, a port is a loopback (it sends to and
// receives from the same rings), named after the device or after the
// nodeaction's ring name:
//
//	net_ring0                          rings "net_ring0", created (or attached if they exist)
//	net_ring0,nodeaction=r1:0:CREATE   create rings "r1" (the node is a NUMA hint, ignored)
//	net_ring1,nodeaction=r1:0:ATTACH   use the existing rings "r1": two ports on one set of rings
//
// From Go, NewPair connects two ports back to back (a's tx is b's rx and
// the other way round) and FromRings builds a port over rings of your own
// (rte_eth_from_rings).
//
// Rings are multi-producer (several tx queues, RSS spreading and attached
// ports may send to one ring) and single-consumer: one goroutine at a time
// may receive from a given rx queue, across attached ports too.
//
// The port offers RSS through ethdev's software Toeplitz hash: with
// Config.RxMQMode MQRSS, whoever sends to the port spreads packets over its
// rx rings by the port's RETA (as the receiving NIC would), and drops what
// does not fit (counted as the receiver's imissed). It offers rx interrupt
// mode: an eventfd per rx ring, written by the sender when the receiver
// has armed it and is about to sleep.
package ring

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/mempool"
	"github.com/dpkit/dpkit/ring"
	"golang.org/x/sys/unix"
)

// Name is the driver name.
const Name = "net_ring"

const (
	// MaxQueues is the number of rings of a wire (RTE_PMD_RING_MAX_RX_RINGS).
	MaxQueues = 16
	// RingSize is the size of the rings created by devargs and NewPair.
	RingSize = 1024
)

func init() {
	ethdev.Register(ethdev.Driver{
		Name:    Name,
		Aliases: []string{"eth_ring"},
		Params: []ethdev.Param{
			{Key: "nodeaction", Type: ethdev.String, Help: "name:node:CREATE|ATTACH - create the named rings or attach to existing ones"},
		},
		Probe: probe,
	})
}

// wireRing is one ring of a wire, with what its receiver publishes to
// senders (RSS, interrupt state) and counts.
type wireRing struct {
	r      *ring.Ring[*mbuf.Mbuf]
	efd    atomic.Int32 // eventfd for rx interrupts, -1 until needed
	intrOn atomic.Bool  // the receiver configured rx interrupt mode
	armed  atomic.Bool  // the receiver is about to sleep
	missed atomic.Uint64
}

// wire is a set of rings between senders and a receiver.
type wire struct {
	name  string
	rings []*wireRing
	// rss is the receiver's RSS engine and queue count, nil without RSS.
	rss atomic.Pointer[rssTarget]
	// refs counts the ports using the wire; the last one out drains it.
	refs int
}

type rssTarget struct {
	rss    *ethdev.RSS
	queues int
}

var (
	wiresMu sync.Mutex
	wires   = map[string]*wire{} // named wires (devargs); guarded by wiresMu
)

func newWire(name string, n int, flags ring.Flags) (*wire, error) {
	w := &wire{name: name}
	for i := range n {
		r, err := ring.New[*mbuf.Mbuf](fmt.Sprintf("%s_%d", name, i), RingSize, flags|ring.OffHeap)
		if err != nil {
			return nil, err
		}
		wr := &wireRing{r: r}
		wr.efd.Store(-1)
		w.rings = append(w.rings, wr)
	}
	return w, nil
}

func wireFromRings(name string, rs []*ring.Ring[*mbuf.Mbuf]) *wire {
	w := &wire{name: name}
	for _, r := range rs {
		wr := &wireRing{r: r}
		wr.efd.Store(-1)
		w.rings = append(w.rings, wr)
	}
	return w
}

// release drops one reference; the last frees every mbuf still on the
// rings and closes the eventfds (wiresMu held).
func (w *wire) release() {
	w.refs--
	if w.refs > 0 {
		return
	}
	if wires[w.name] == w {
		delete(wires, w.name)
	}
	var buf [64]*mbuf.Mbuf
	for _, wr := range w.rings {
		for {
			n := wr.r.DequeueBurst(buf[:])
			if n == 0 {
				break
			}
			mbuf.FreeBulk(mempool.LcoreAny, buf[:n])
		}
		if fd := wr.efd.Swap(-1); fd >= 0 {
			unix.Close(int(fd))
		}
	}
}

func probe(args *ethdev.Devargs) (ethdev.Device, error) {
	name, action := args.Name, "CREATE_OR_ATTACH"
	if v := args.Str("nodeaction"); v != "" {
		var err error
		if name, action, err = parseNodeaction(v); err != nil {
			return nil, err
		}
	}
	wiresMu.Lock()
	defer wiresMu.Unlock()
	w := wires[name]
	switch {
	case w != nil && action == "CREATE":
		return nil, fmt.Errorf("%w: rings %q exist already (use ATTACH)", ethdev.ErrExists, name)
	case w == nil && action == "ATTACH":
		return nil, fmt.Errorf("%w: no rings %q to attach to (CREATE them first)", ethdev.ErrNoPort, name)
	case w == nil:
		var err error
		if w, err = newWire(name, MaxQueues, ring.SingleConsumer); err != nil {
			return nil, err
		}
		wires[name] = w
	}
	w.refs++
	return newDevice(w, w), nil
}

// parseNodeaction splits DPDK's "name:node:ACTION" (the node is a NUMA
// node number, accepted and ignored).
func parseNodeaction(v string) (name, action string, err error) {
	parts := strings.Split(v, ":")
	if len(parts) != 3 || parts[0] == "" {
		return "", "", fmt.Errorf("%w: nodeaction %q: want name:node:CREATE or name:node:ATTACH", ethdev.ErrDevargs, v)
	}
	if _, err := strconv.ParseUint(parts[1], 10, 16); err != nil {
		return "", "", fmt.Errorf("%w: nodeaction %q: node %q is not a number", ethdev.ErrDevargs, v, parts[1])
	}
	if parts[2] != "CREATE" && parts[2] != "ATTACH" {
		return "", "", fmt.Errorf("%w: nodeaction %q: action %q is neither CREATE nor ATTACH", ethdev.ErrDevargs, v, parts[2])
	}
	return parts[0], parts[2], nil
}

// NewPair creates two ports named a and b, connected back to back over two
// sets of rings: what a sends on tx queue q, b receives on rx queue q (or
// on the queue its RSS picks), and the other way round.
func NewPair(a, b string) (pa, pb *ethdev.Port, err error) {
	wa, err := newWire(a, MaxQueues, ring.SingleConsumer)
	if err != nil {
		return nil, nil, err
	}
	wb, err := newWire(b, MaxQueues, ring.SingleConsumer)
	if err != nil {
		return nil, nil, err
	}
	wa.refs, wb.refs = 2, 2
	da, db := newDevice(wa, wb), newDevice(wb, wa)
	if pa, err = ethdev.OpenDevice(Name, a, da); err != nil {
		return nil, nil, err // the rings hold nothing yet: dropped with the devices
	}
	if pb, err = ethdev.OpenDevice(Name, b, db); err != nil {
		pa.Close()
		return nil, nil, err
	}
	return pa, pb, nil
}

// FromRings creates a port over rings of the caller's (rte_eth_from_rings):
// rx queue q dequeues from rx[q], tx queue q enqueues on tx[q]. Close
// drains the rings (the mbufs go back to their pools); the rings stay the
// caller's. The rings must be created OffHeap (mbufs live in arenas), and
// the rx rings must allow the senders the caller has in mind
// (multi-producer if several goroutines send to one ring).
func FromRings(name string, rx, tx []*ring.Ring[*mbuf.Mbuf]) (*ethdev.Port, error) {
	if len(rx) == 0 || len(tx) == 0 || len(rx) > MaxQueues || len(tx) > MaxQueues {
		return nil, fmt.Errorf("%w: %d rx and %d tx rings (want 1..%d each)", ethdev.ErrInvalid, len(rx), len(tx), MaxQueues)
	}
	wrx, wtx := wireFromRings(name+"-rx", rx), wireFromRings(name+"-tx", tx)
	wrx.refs, wtx.refs = 1, 1
	return ethdev.OpenDevice(Name, name, newDevice(wrx, wtx))
}

type device struct {
	rx, tx   *wire
	rxQueues int
	rxIntr   bool
	closed   bool
}

var (
	_ ethdev.Device        = (*device)(nil)
	_ ethdev.SoftRSSUser   = (*device)(nil)
	_ ethdev.RxInterrupter = (*device)(nil)
	_ ethdev.StatsReporter = (*device)(nil)
)

func newDevice(rx, tx *wire) *device { return &device{rx: rx, tx: tx} }

func (d *device) Info(di *ethdev.DevInfo) {
	di.MaxRxQueues = len(d.rx.rings)
	di.MaxTxQueues = len(d.tx.rings)
	di.Speed = 10000 // DPDK's net_ring reports 10 Gbps
	di.RxDesc = ethdev.DescLim{Min: 1, Max: RingSize, Align: 1, Default: RingSize}
	di.TxDesc = di.RxDesc
	di.TxOffloadCapa = ethdev.TxOffloadMultiSegs
}

func (d *device) Configure(cfg *ethdev.Config) error {
	d.rxQueues = cfg.RxQueues
	d.rxIntr = cfg.RxIntr
	for i, wr := range d.rx.rings {
		wr.intrOn.Store(cfg.RxIntr && i < cfg.RxQueues)
		wr.armed.Store(false)
		if cfg.RxIntr && i < cfg.RxQueues && wr.efd.Load() < 0 {
			fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
			if err != nil {
				return fmt.Errorf("eventfd: %w", err)
			}
			wr.efd.Store(int32(fd))
		}
	}
	if cfg.RxMQMode != ethdev.MQRSS {
		d.rx.rss.Store(nil)
	}
	return nil
}

// UseSoftRSS publishes the port's RSS engine to whoever sends to it.
func (d *device) UseSoftRSS(r *ethdev.RSS) {
	d.rx.rss.Store(&rssTarget{rss: r, queues: d.rxQueues})
}

func (d *device) RxQueueSetup(q uint16, conf *ethdev.RxQueueConf) (ethdev.RxQueue, error) {
	return &rxQueue{r: d.rx.rings[q].r}, nil
}

func (d *device) TxQueueSetup(q uint16, conf *ethdev.TxQueueConf) (ethdev.TxQueue, error) {
	return &txQueue{w: d.tx, wr: d.tx.rings[q], lcore: conf.Lcore}, nil
}

func (d *device) Start() error { return nil }
func (d *device) Stop() error  { return nil }

func (d *device) Close() error {
	wiresMu.Lock()
	defer wiresMu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	d.rx.rss.Store(nil)
	d.rx.release()
	if d.tx != d.rx { // a loopback holds its one wire once
		d.tx.release()
	}
	return nil
}

func (d *device) Stats(s *ethdev.Stats) {
	for i, wr := range d.rx.rings[:min(d.rxQueues, len(d.rx.rings))] {
		n := wr.missed.Load()
		s.IMissed += n
		if i < len(s.QErrors) {
			s.QErrors[i] += n
		}
	}
}

func (d *device) ResetStats() {
	for _, wr := range d.rx.rings {
		wr.missed.Store(0)
	}
}

// RxIntrFd returns rx queue q's eventfd.
func (d *device) RxIntrFd(q uint16) (int, error) {
	if !d.rxIntr || int(q) >= d.rxQueues {
		return -1, fmt.Errorf("%w: rx interrupt on queue %d: not configured (Config.RxIntr)", ethdev.ErrInvalid, q)
	}
	return int(d.rx.rings[q].efd.Load()), nil
}

// RxIntrEnable arms queue q: the next sender writes the eventfd. If the
// ring has packets already, the eventfd is written at once.
func (d *device) RxIntrEnable(q uint16) error {
	if _, err := d.RxIntrFd(q); err != nil {
		return err
	}
	wr := d.rx.rings[q]
	wr.armed.Store(true) // a full barrier on amd64 (XCHG): before the Count below
	if wr.r.Count() > 0 && wr.armed.Swap(false) {
		signal(wr.efd.Load())
	}
	return nil
}

// RxIntrDisable disarms queue q and clears its eventfd.
func (d *device) RxIntrDisable(q uint16) error {
	if _, err := d.RxIntrFd(q); err != nil {
		return err
	}
	wr := d.rx.rings[q]
	wr.armed.Store(false)
	var b [8]byte
	_, _ = unix.Read(int(wr.efd.Load()), b[:]) // EAGAIN when clear
	return nil
}

func signal(efd int32) {
	b := [8]byte{1}
	_, _ = unix.Write(int(efd), b[:])
}

type rxQueue struct {
	r *ring.Ring[*mbuf.Mbuf]
}

func (q *rxQueue) RxBurst(pkts []*mbuf.Mbuf) int {
	return q.r.DequeueBurst(pkts) // ethdev sets the mbufs' port
}

type txQueue struct {
	w     *wire
	wr    *wireRing
	lcore uint
	qs    [spreadChunk]uint16
	sel   [spreadChunk]*mbuf.Mbuf
}

// spreadChunk is how many packets an RSS spread handles at a time.
const spreadChunk = 64

func (q *txQueue) TxBurst(pkts []*mbuf.Mbuf) int {
	if t := q.w.rss.Load(); t != nil && t.queues > 1 {
		q.spread(t, pkts)
		return len(pkts)
	}
	n := q.wr.r.EnqueueBurst(pkts)
	if n > 0 && q.wr.intrOn.Load() {
		wake(q.wr)
	}
	return n
}

// wake writes the receiver's eventfd if it armed it. The Swap is a full
// barrier: either it sees the receiver's arming, or the receiver's check of
// the ring (after arming) sees the packets just enqueued.
func wake(wr *wireRing) {
	if wr.armed.Swap(false) {
		signal(wr.efd.Load())
	}
}

// spread sends pkts to the receiver's rx rings by its RSS RETA; packets
// that do not fit are dropped and counted as the receiver's imissed.
func (q *txQueue) spread(t *rssTarget, pkts []*mbuf.Mbuf) {
	rings := q.w.rings
	for len(pkts) > 0 {
		chunk := pkts[:min(len(pkts), spreadChunk)]
		pkts = pkts[len(chunk):]
		for i, m := range chunk {
			qi := t.rss.Queue(m)
			if int(qi) >= t.queues || int(qi) >= len(rings) {
				qi = 0
			}
			q.qs[i] = qi
		}
		for dst := range uint16(min(t.queues, len(rings))) {
			sel := q.sel[:0]
			for i, m := range chunk {
				if q.qs[i] == dst {
					sel = append(sel, m)
				}
			}
			if len(sel) == 0 {
				continue
			}
			wr := rings[dst]
			n := wr.r.EnqueueBurst(sel)
			if n < len(sel) {
				wr.missed.Add(uint64(len(sel) - n))
				mbuf.FreeBulk(q.lcore, sel[n:])
			}
			if n > 0 && wr.intrOn.Load() {
				wake(wr)
			}
		}
	}
}
