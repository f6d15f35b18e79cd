package ethdev_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/internal/toeplitz"
	"github.com/dpkit/dpkit/mbuf"
)

// feedDev is a one-queue device that receives the frames written to its
// feed channel: a device that can neither hash nor steer.
type feedDev struct {
	feed       chan []byte
	configured int // rx queues the device was configured with
	lcore      uint
}

func (d *feedDev) Info(di *ethdev.DevInfo) {}
func (d *feedDev) Configure(cfg *ethdev.Config) error {
	d.configured = cfg.RxQueues
	return nil
}
func (d *feedDev) RxQueueSetup(q uint16, c *ethdev.RxQueueConf) (ethdev.RxQueue, error) {
	d.lcore = c.Lcore
	return &feedRx{d: d, pool: c.Pool, lcore: c.Lcore}, nil
}
func (d *feedDev) TxQueueSetup(q uint16, c *ethdev.TxQueueConf) (ethdev.TxQueue, error) {
	return emptyQ{}, nil
}
func (d *feedDev) Start() error { return nil }
func (d *feedDev) Stop() error  { return nil }
func (d *feedDev) Close() error { return nil }

type feedRx struct {
	d     *feedDev
	pool  *mbuf.Pool
	lcore uint
}

func (q *feedRx) RxBurst(pkts []*mbuf.Mbuf) int {
	n := 0
	for n < len(pkts) {
		select {
		case f := <-q.d.feed:
			m := q.pool.Alloc(q.lcore)
			copy(m.Append(len(f)), f)
			pkts[n] = m
			n++
		default:
			return n
		}
	}
	return n
}

var feeds = map[string]*feedDev{}

func init() {
	ethdev.Register(ethdev.Driver{
		Name: "net_feed",
		Probe: func(a *ethdev.Devargs) (ethdev.Device, error) {
			d := &feedDev{feed: make(chan []byte, 40000)}
			feeds[a.Name] = d
			return d, nil
		},
	})
}

// udpFrame is an IPv4/UDP frame of flow f carrying seq in its payload.
func udpFrame(f, seq int) []byte {
	b := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00}
	b = append(b, 0x45, 0, 0, 32, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 1, byte(f>>8), byte(f), 10, 2, 0, 1)
	b = binary.BigEndian.AppendUint16(b, uint16(1024+f))
	b = binary.BigEndian.AppendUint16(b, 4789)
	b = append(b, 0, 12, 0, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(f))
	return binary.BigEndian.AppendUint32(b, uint32(seq))
}

func frameFlowSeq(m *mbuf.Mbuf) (int, int) {
	d := m.Data()
	return int(binary.BigEndian.Uint32(d[42:])), int(binary.BigEndian.Uint32(d[46:]))
}

func refQueue(reta []uint16, f int) (uint32, uint16) {
	tuple := append([]byte{10, 1, byte(f >> 8), byte(f), 10, 2, 0, 1}, byte((1024+f)>>8), byte(1024+f), 0x12, 0xb5)
	h := toeplitz.Hash(toeplitz.DefaultKey[:], tuple)
	return h, reta[h%uint32(len(reta))]
}

func openFeed(t *testing.T, name string, nq int, mp *mbuf.Pool, lcore func(q int) uint) (*ethdev.Port, *feedDev) {
	t.Helper()
	p := open(t, name)
	if di := p.Info(); !di.SoftRSS || !di.SoftRSSSpread || di.MaxRxQueues != 1 {
		t.Fatalf("one-queue device DevInfo: SoftRSS %v spread %v max rx %d", di.SoftRSS, di.SoftRSSSpread, di.MaxRxQueues)
	}
	if err := p.Configure(ethdev.Config{RxQueues: 2, TxQueues: 1}); !errors.Is(err, ethdev.ErrInvalid) {
		t.Errorf("2 rx queues without RSS on a one-queue device: %v", err)
	}
	if err := p.Configure(ethdev.Config{RxQueues: ethdev.SoftRSSMaxQueues + 1, TxQueues: 1, RxMQMode: ethdev.MQRSS}); !errors.Is(err, ethdev.ErrInvalid) {
		t.Errorf("%d rx queues: %v", ethdev.SoftRSSMaxQueues+1, err)
	}
	if err := p.Configure(ethdev.Config{RxQueues: nq, TxQueues: 1, RxMQMode: ethdev.MQRSS}); err != nil {
		t.Fatal(err)
	}
	for q := range nq {
		if err := p.RxQueueSetup(uint16(q), 0, mp, &ethdev.RxQueueConf{Lcore: lcore(q)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.TxQueueSetup(0, 0, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	d := feeds[name]
	if d.configured != 1 || d.lcore != ^uint(0) {
		t.Errorf("device configured with %d rx queues, lcore %d; want 1 and LcoreAny", d.configured, d.lcore)
	}
	return p, d
}

func TestSoftRSSSpread(t *testing.T) {
	mp := newPool(t, 4095)
	const nq, flows, perFlow = 4, 100, 8
	p, d := openFeed(t, "net_feed_spread", nq, mp, func(int) uint { return lc })
	for s := range perFlow {
		for f := range flows {
			d.feed <- udpFrame(f, s)
		}
	}
	reta, err := p.RETA()
	if err != nil {
		t.Fatal(err)
	}
	next := make([]int, flows)
	per := make([]int, nq)
	pkts := make([]*mbuf.Mbuf, 16)
	for total, idle := 0, 0; total < flows*perFlow && idle < 1000; {
		idle++
		for q := range uint16(nq) {
			n := p.RxBurst(q, pkts)
			for _, m := range pkts[:n] {
				f, seq := frameFlowSeq(m)
				h, want := refQueue(reta, f)
				if q != want || m.RSSHash() != h || m.OlFlags()&mbuf.RxRSSHash == 0 {
					t.Fatalf("flow %d on queue %d hash %#x; want queue %d hash %#x", f, q, m.RSSHash(), want, h)
				}
				if seq != next[f] {
					t.Fatalf("flow %d: packet %d arrived when %d was due", f, seq, next[f])
				}
				next[f]++
			}
			mbuf.FreeBulk(lc, pkts[:n])
			per[q] += n
			total += n
			if n > 0 {
				idle = 0
			}
		}
	}
	// The spreading path allocates nothing.
	for i := range 64 * 40 {
		d.feed <- udpFrame(i%flows, 1000+i)
	}
	allocs := testing.AllocsPerRun(50, func() {
		for q := range uint16(nq) {
			n := p.RxBurst(q, pkts)
			mbuf.FreeBulk(lc, pkts[:n])
			per[q] += n
		}
	})
	if allocs != 0 {
		t.Errorf("software RSS: %v allocations per round of bursts", allocs)
	}
	for q := range uint16(nq) {
		for n := p.RxBurst(q, pkts); n > 0; n = p.RxBurst(q, pkts) {
			mbuf.FreeBulk(lc, pkts[:n])
			per[q] += n
		}
	}
	st := p.Stats()
	for q := range nq {
		if per[q] == 0 || st.QIPackets[q] != uint64(per[q]) {
			t.Errorf("queue %d: received %d, stats %d (all %v)", q, per[q], st.QIPackets[q], per)
		}
	}
	if st.IPackets != flows*perFlow+64*40 || st.IMissed != 0 {
		t.Errorf("stats: %d packets, %d missed; want %d, 0", st.IPackets, st.IMissed, flows*perFlow+64*40)
	}
}

// TestSoftRSSMissed: a queue nobody polls fills up; the rest is dropped
// and counted, nothing leaks, and Close frees what waits.
func TestSoftRSSMissed(t *testing.T) {
	mp := newPool(t, 4095)
	p, d := openFeed(t, "net_feed_missed", 2, mp, func(int) uint { return lc })
	var all []ethdev.RETAEntry
	for i := range ethdev.SoftRETASize {
		all = append(all, ethdev.RETAEntry{Index: i, Queue: 1})
	}
	if err := p.RETAUpdate(all); err != nil {
		t.Fatal(err)
	}
	const fed = 1500
	for i := range fed {
		d.feed <- udpFrame(i%50, i)
	}
	pkts := make([]*mbuf.Mbuf, 32)
	for range fed/32 + 10 {
		if n := p.RxBurst(0, pkts); n != 0 {
			t.Fatalf("queue 0 got %d packets the RETA sends to 1", n)
		}
	}
	st := p.Stats()
	if st.IMissed != fed-1023 {
		t.Errorf("imissed %d, want %d (a ring of 1024 holds 1023)", st.IMissed, fed-1023)
	}
	got := 0
	for {
		n := p.RxBurst(1, pkts[:7])
		if n == 0 {
			break
		}
		got += n
		mbuf.FreeBulk(lc, pkts[:n])
	}
	if got != 1023 {
		t.Errorf("queue 1 received %d, want 1023", got)
	}
	// Leave some waiting: Close must free them (the pool check sees it).
	for i := range 100 {
		d.feed <- udpFrame(i, i)
	}
	p.RxBurst(0, pkts)
}

// TestSoftRSSConcurrent: four pollers on four goroutines (lcore ids 1-4)
// share the one device queue; every packet arrives once, on its RETA
// queue, in flow order (run with -race).
func TestSoftRSSConcurrent(t *testing.T) {
	mp := newPool(t, 8191)
	const nq, flows, perFlow = 4, 64, 150
	p, d := openFeed(t, "net_feed_conc", nq, mp, func(q int) uint { return uint(q + 1) })
	reta, err := p.RETA()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	counts := make([]int, nq)
	errs := make([]error, nq)
	done := make(chan struct{})
	for q := range nq {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := map[int]int{}
			pkts := make([]*mbuf.Mbuf, 32)
			lcore := uint(q + 1)
			for {
				n := p.RxBurst(uint16(q), pkts)
				for _, m := range pkts[:n] {
					f, seq := frameFlowSeq(m)
					if _, want := refQueue(reta, f); want != uint16(q) && errs[q] == nil {
						errs[q] = fmt.Errorf("flow %d on queue %d, RETA says %d", f, q, want)
					}
					if seq != next[f] && errs[q] == nil {
						errs[q] = fmt.Errorf("queue %d flow %d: packet %d when %d was due", q, f, seq, next[f])
					}
					next[f] = seq + 1
				}
				mbuf.FreeBulk(lcore, pkts[:n])
				counts[q] += n
				if n == 0 {
					select {
					case <-done:
						if len(d.feed) == 0 && p.RxBurst(uint16(q), pkts[:0]) == 0 {
							return
						}
					default:
					}
				}
			}
		}()
	}
	// Feed with at most 512 frames outstanding, so that no queue's ring
	// overflows (that is TestSoftRSSMissed's case).
	fed := 0
	for s := range perFlow {
		for f := range flows {
			d.feed <- udpFrame(f, s)
			fed++
			for fed%256 == 0 && p.Stats().IPackets+512 < uint64(fed) {
				runtime.Gosched()
			}
		}
	}
	// Wait until everything was received (the pollers keep polling).
	for {
		st := p.Stats()
		if st.IPackets+st.IMissed >= flows*perFlow {
			break
		}
	}
	close(done)
	wg.Wait()
	total := 0
	for q := range nq {
		if errs[q] != nil {
			t.Error(errs[q])
		}
		total += counts[q]
	}
	if st := p.Stats(); total != flows*perFlow || st.IMissed != 0 {
		t.Errorf("received %d of %d, missed %d (per queue %v)", total, flows*perFlow, st.IMissed, counts)
	}
}
