// Package porttest is the conformance suite every dpkit driver passes: the
// port lifecycle and its out-of-order errors, queue counts, burst
// semantics, statistics accounting, packet round trips where the driver
// can loop packets back or have them injected, zero allocations in the
// bursts, and no mbuf left out of its pool after Stop and Close.
//
// A driver's test calls Run:
//
//	func TestConformance(t *testing.T) {
//		porttest.Run(t, porttest.Config{Devargs: "net_ring0", Loopback: true})
//	}
package porttest

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/internal/testutil"
	"github.com/dpkit/dpkit/internal/toeplitz"
	"github.com/dpkit/dpkit/mbuf"
)

// Config describes the port under test and what it can do.
type Config struct {
	// Devargs opens the port. Run opens and closes it several times, one
	// at a time; each Open must give a fresh port.
	Devargs string
	// Open, if set, is used instead of ethdev.Open(Devargs) (for ports
	// built with a driver's Go API); it must return a fresh port each time.
	Open func(t *testing.T) *ethdev.Port
	// Queues is how many rx and tx queues the multi-queue cases use (0:
	// min(4, the driver's maxima)).
	Queues int
	// Loopback: what tx queue q sends, rx queue q receives (net_ring's
	// single port, a tap with a reflector...).
	Loopback bool
	// Generates: rx queues receive packets with no input (net_null), of
	// GenLen bytes each.
	Generates bool
	GenLen    int
	// Inject, if set, makes frame arrive on rx queue q of the port (a pcap
	// file, a peer socket...). Observe, if set, returns the frames the
	// port sent, in order, waiting up to a second for want of them.
	Inject  func(t *testing.T, p *ethdev.Port, q uint16, frame []byte)
	Observe func(t *testing.T, p *ethdev.Port, want int) [][]byte
	// Wait is how long a packet may take to come back (default 1 s).
	Wait time.Duration
	// Noisy: the port may receive packets nobody in the test sent (a
	// kernel interface sending IPv6 neighbour discovery...). The suite then
	// ignores received frames that are not its own (its frames carry
	// ethertype 0x88b5, the IEEE local experimental one) and does not
	// expect an idle port to be silent. Observe should filter the same way.
	Noisy bool
}

// EtherType is the ethertype of the suite's test frames.
const EtherType = 0x88b5

// lc is the lcore id the suite uses for mbuf allocation (the test
// goroutine is the only user).
const lc = 0

// Run runs the suite as subtests of t.
func Run(t *testing.T, cfg Config) {
	if cfg.Wait == 0 {
		cfg.Wait = time.Second
	}
	if cfg.Generates && cfg.GenLen == 0 {
		cfg.GenLen = 64
	}
	s := &suite{cfg: cfg}
	t.Run("Lifecycle", s.lifecycle)
	t.Run("OutOfOrder", s.outOfOrder)
	t.Run("QueueCounts", s.queueCounts)
	t.Run("StoppedBursts", s.stoppedBursts)
	t.Run("Bursts", s.bursts)
	t.Run("Stats", s.stats)
	t.Run("RoundTrip", s.roundTrip)
	t.Run("NoAllocs", s.noAllocs)
	t.Run("Reconfigure", s.reconfigure)
	t.Run("Reset", s.reset)
	t.Run("CloseWithPackets", s.closeWithPackets)
	t.Run("Control", s.control)
	t.Run("RxInterrupt", s.rxInterrupt)
	t.Run("SoftRSS", s.softRSS)
}

type suite struct{ cfg Config }

// open returns a fresh port that is closed when the test ends.
func (s *suite) open(t *testing.T) *ethdev.Port {
	t.Helper()
	var p *ethdev.Port
	if s.cfg.Open != nil {
		p = s.cfg.Open(t)
	} else {
		var err error
		if p, err = ethdev.Open(s.cfg.Devargs); err != nil {
			t.Fatalf("Open(%q): %v", s.cfg.Devargs, err)
		}
	}
	t.Cleanup(func() {
		switch p.State() {
		case ethdev.StateClosed:
			return
		case ethdev.StateStarted:
			if err := p.Stop(); err != nil {
				t.Errorf("cleanup Stop: %v", err)
			}
		}
		if err := p.Close(); err != nil {
			t.Errorf("cleanup Close: %v", err)
		}
	})
	return p
}

// pool makes a pool that must be full when the test ends. Make it before
// the port: cleanups run last-in first-out, so the port is closed (giving
// back what it holds) before the pool is checked and closed.
func pool(t *testing.T, n int) *mbuf.Pool {
	t.Helper()
	p, err := mbuf.NewPool(mbuf.PoolConfig{Name: fmt.Sprintf("porttest-%s", t.Name()), N: n, CacheSize: 32, Huge: eal.HugeNever})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	testutil.CheckPool(t, p.Mempool())
	return p
}

func (s *suite) queues(p *ethdev.Port) int {
	di := p.Info()
	n := s.cfg.Queues
	if n == 0 {
		n = min(4, di.MaxRxQueues, di.MaxTxQueues)
	}
	return n
}

// setup configures nq queue pairs on p and starts it.
func setup(t *testing.T, p *ethdev.Port, nq int, mp *mbuf.Pool) {
	t.Helper()
	if err := p.Configure(ethdev.Config{RxQueues: nq, TxQueues: nq}); err != nil {
		t.Fatalf("Configure(%d queues): %v", nq, err)
	}
	for q := range uint16(nq) {
		if err := p.RxQueueSetup(q, 0, mp, &ethdev.RxQueueConf{Lcore: lc}); err != nil {
			t.Fatalf("RxQueueSetup(%d): %v", q, err)
		}
		if err := p.TxQueueSetup(q, 0, &ethdev.TxQueueConf{Lcore: lc}); err != nil {
			t.Fatalf("TxQueueSetup(%d): %v", q, err)
		}
	}
	if err := p.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	waitLinkUp(p)
}

// waitLinkUp gives a port whose link comes up on its own (a peer that
// connects, a carrier) a moment after Start; the cases check the link.
func waitLinkUp(p *ethdev.Port) {
	if _, async := p.Device().(ethdev.LinkWatcher); !async {
		return
	}
	for end := time.Now().Add(2 * time.Second); !p.Link().Up && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
}

func wantState(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, ethdev.ErrState) {
		t.Errorf("%s: got %v, want ErrState", what, err)
	}
}

func (s *suite) lifecycle(t *testing.T) {
	mp := pool(t, 1023)
	p := s.open(t)
	if st := p.State(); st != ethdev.StateProbed {
		t.Fatalf("state after Open: %v", st)
	}
	if di := p.Info(); di.Driver == "" || di.MaxRxQueues < 1 || di.MaxTxQueues < 1 {
		t.Fatalf("DevInfo incomplete: %+v", di)
	}
	if ethdev.PortByID(p.ID()) != p || ethdev.PortByName(p.Name()) != p {
		t.Fatalf("port %d %q not found by id or name", p.ID(), p.Name())
	}
	setup(t, p, 1, mp)
	if st := p.State(); st != ethdev.StateStarted {
		t.Fatalf("state after Start: %v", st)
	}
	if l := p.Link(); !l.Up {
		t.Errorf("link down after Start: %v", l)
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatalf("Start after Stop: %v", err)
	}
	waitLinkUp(p)
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	id := p.ID()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if ethdev.PortByID(id) == p {
		t.Errorf("closed port still registered as %d", id)
	}
	if n := p.RxBurst(0, make([]*mbuf.Mbuf, 4)); n != 0 {
		t.Fatalf("RxBurst on a closed port gave %d", n)
	}
	wantState(t, p.Close(), "Close twice")
	wantState(t, p.Start(), "Start after Close")
	wantState(t, p.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1}), "Configure after Close")
}

func (s *suite) outOfOrder(t *testing.T) {
	mp := pool(t, 1023)
	p := s.open(t)
	wantState(t, p.Start(), "Start before Configure")
	wantState(t, p.RxQueueSetup(0, 0, mp, nil), "RxQueueSetup before Configure")
	wantState(t, p.TxQueueSetup(0, 0, nil), "TxQueueSetup before Configure")
	wantState(t, p.Stop(), "Stop before Start")
	if err := p.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1}); err != nil {
		t.Fatal(err)
	}
	wantState(t, p.Start(), "Start with no queue set up")
	if err := p.RxQueueSetup(0, 0, mp, nil); err != nil {
		t.Fatal(err)
	}
	wantState(t, p.Start(), "Start with the tx queue not set up")
	if err := p.TxQueueSetup(0, 0, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	wantState(t, p.Start(), "Start twice")
	wantState(t, p.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1}), "Configure while started")
	wantState(t, p.RxQueueSetup(0, 0, mp, nil), "RxQueueSetup while started")
	wantState(t, p.TxQueueSetup(0, 0, nil), "TxQueueSetup while started")
	wantState(t, p.Close(), "Close while started")
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	wantState(t, p.Stop(), "Stop twice")
}

func (s *suite) queueCounts(t *testing.T) {
	mp := pool(t, 1023)
	p := s.open(t)
	di := p.Info()
	for _, c := range []ethdev.Config{
		{RxQueues: 0, TxQueues: 1}, {RxQueues: 1, TxQueues: 0},
		{RxQueues: di.MaxRxQueues + 1, TxQueues: 1}, {RxQueues: 1, TxQueues: di.MaxTxQueues + 1},
	} {
		if err := p.Configure(c); !errors.Is(err, ethdev.ErrInvalid) {
			t.Errorf("Configure(%d rx, %d tx) with max %d/%d: got %v, want ErrInvalid", c.RxQueues, c.TxQueues, di.MaxRxQueues, di.MaxTxQueues, err)
		}
	}
	nq := s.queues(p)
	if err := p.Configure(ethdev.Config{RxQueues: nq, TxQueues: nq}); err != nil {
		t.Fatal(err)
	}
	if p.NbRxQueues() != nq || p.NbTxQueues() != nq {
		t.Errorf("queue counts %d/%d, want %d", p.NbRxQueues(), p.NbTxQueues(), nq)
	}
	if err := p.RxQueueSetup(uint16(nq), 0, mp, nil); !errors.Is(err, ethdev.ErrInvalid) {
		t.Errorf("RxQueueSetup(%d) of %d: got %v, want ErrInvalid", nq, nq, err)
	}
	if err := p.TxQueueSetup(uint16(nq), 0, nil); !errors.Is(err, ethdev.ErrInvalid) {
		t.Errorf("TxQueueSetup(%d) of %d: got %v, want ErrInvalid", nq, nq, err)
	}
	if err := p.RxQueueSetup(0, di.RxDesc.Max+1, mp, nil); !errors.Is(err, ethdev.ErrInvalid) {
		t.Errorf("RxQueueSetup with %d descriptors (max %d): got %v, want ErrInvalid", di.RxDesc.Max+1, di.RxDesc.Max, err)
	}
}

// frame builds a test frame of n bytes whose payload names seq.
func frame(n int, seq int) []byte {
	b := make([]byte, n)
	copy(b[0:6], []byte{0x02, 0, 0, 0, 0, 2})
	copy(b[6:12], []byte{0x02, 0, 0, 0, 0, 1})
	b[12], b[13] = 0x88, 0xb5 // local experimental ethertype
	for i := 14; i < n; i++ {
		b[i] = byte(seq + i)
	}
	if n >= 18 {
		b[14], b[15], b[16], b[17] = byte(seq>>24), byte(seq>>16), byte(seq>>8), byte(seq)
	}
	return b
}

func mkpkts(t *testing.T, mp *mbuf.Pool, n, size, seq0 int) []*mbuf.Mbuf {
	t.Helper()
	out := make([]*mbuf.Mbuf, n)
	for i := range out {
		m := mp.Alloc(lc)
		if m == nil {
			t.Fatalf("pool %s empty", mp.Name())
		}
		copy(m.Append(size), frame(size, seq0+i))
		out[i] = m
	}
	return out
}

func (s *suite) stoppedBursts(t *testing.T) {
	mp := pool(t, 1023)
	p := s.open(t)
	setup(t, p, 1, mp)
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	pkts := mkpkts(t, mp, 8, 64, 0)
	defer mbuf.FreeBulk(lc, pkts)
	if n := p.TxBurst(0, pkts); n != 0 {
		t.Fatalf("TxBurst on a stopped port took %d", n)
	}
	rx := make([]*mbuf.Mbuf, 8)
	if n := p.RxBurst(0, rx); n != 0 {
		mbuf.FreeBulk(lc, rx[:n])
		t.Fatalf("RxBurst on a stopped port gave %d", n)
	}
}

// drain receives from every queue until nothing comes for a while, and
// returns the frames by queue, checking each mbuf.
func (s *suite) drain(t *testing.T, p *ethdev.Port, nq int, want int) [][][]byte {
	t.Helper()
	out := make([][][]byte, nq)
	if s.cfg.Generates && want == 0 {
		return out
	}
	rx := make([]*mbuf.Mbuf, 32)
	got := 0
	deadline := time.Now().Add(s.cfg.Wait)
	for time.Now().Before(deadline) {
		idle := true
		for q := range uint16(nq) {
			n := p.RxBurst(q, rx)
			if n > len(rx) {
				t.Fatalf("RxBurst returned %d > %d", n, len(rx))
			}
			for _, m := range rx[:n] {
				if err := m.Check(true); err != nil {
					t.Errorf("received mbuf: %v", err)
				}
				if m.Port() != p.ID() {
					t.Errorf("received mbuf Port() %d, want %d", m.Port(), p.ID())
				}
				b := make([]byte, m.PktLen())
				m.CopyTo(b)
				if s.cfg.Noisy && !ours(b) {
					continue
				}
				out[q] = append(out[q], b)
				got++
			}
			mbuf.FreeBulk(lc, rx[:n])
			if n > 0 {
				idle = false
			}
		}
		if got >= want && (idle || s.cfg.Generates) {
			break
		}
		if idle {
			time.Sleep(100 * time.Microsecond)
		}
	}
	return out
}

// ours reports whether a frame is one of the suite's.
func ours(b []byte) bool { return len(b) >= 14 && b[12] == EtherType>>8 && b[13] == EtherType&0xff }

func (s *suite) bursts(t *testing.T) {
	mp := pool(t, 2047)
	p := s.open(t)
	setup(t, p, 1, mp)
	// TxBurst: n <= len, the caller frees the rest.
	for _, size := range []int{0, 1, 7, 32, 64} {
		pkts := mkpkts(t, mp, size, 60, 0)
		n := p.TxBurst(0, pkts)
		if n < 0 || n > size {
			t.Fatalf("TxBurst(%d) = %d", size, n)
		}
		mbuf.FreeBulk(lc, pkts[n:])
		s.drain(t, p, 1, 0)
	}
	// RxBurst never returns more than asked, and an empty slice gives 0.
	if n := p.RxBurst(0, nil); n != 0 {
		t.Fatalf("RxBurst(nil) = %d", n)
	}
	rx := make([]*mbuf.Mbuf, 5)
	for range 4 {
		n := p.RxBurst(0, rx)
		if n < 0 || n > len(rx) {
			t.Fatalf("RxBurst(5) = %d", n)
		}
		if s.cfg.Generates && n != len(rx) {
			t.Errorf("generating port gave %d of %d", n, len(rx))
		}
		for _, m := range rx[:n] {
			if s.cfg.Generates && m.PktLen() != s.cfg.GenLen {
				t.Errorf("generated packet of %d bytes, want %d", m.PktLen(), s.cfg.GenLen)
			}
		}
		mbuf.FreeBulk(lc, rx[:n])
	}
	if !s.cfg.Generates && !s.cfg.Noisy {
		if n := p.RxBurst(0, rx); n != 0 {
			mbuf.FreeBulk(lc, rx[:n])
			t.Errorf("RxBurst with no input gave %d packets", n)
		}
	}
}

func (s *suite) stats(t *testing.T) {
	mp := pool(t, 2047)
	p := s.open(t)
	nq := s.queues(p)
	setup(t, p, nq, mp)
	if st := p.Stats(); st.IPackets|st.OPackets|st.IBytes|st.OBytes != 0 {
		t.Fatalf("fresh port stats not zero: %+v", st)
	}
	sent := make([]uint64, nq)
	sentBytes := make([]uint64, nq)
	for q := range uint16(nq) {
		size := 60 + int(q)*10
		pkts := mkpkts(t, mp, 10+int(q), size, 0)
		n := p.TxBurst(q, pkts)
		mbuf.FreeBulk(lc, pkts[n:])
		sent[q] = uint64(n)
		sentBytes[q] = uint64(n * size)
	}
	var recv, recvBytes []uint64
	recv = make([]uint64, nq)
	recvBytes = make([]uint64, nq)
	rx := make([]*mbuf.Mbuf, 16)
	for q := range uint16(nq) {
		deadline := time.Now().Add(s.cfg.Wait)
		for {
			n := p.RxBurst(q, rx)
			for _, m := range rx[:n] {
				recvBytes[q] += uint64(m.PktLen())
			}
			recv[q] += uint64(n)
			mbuf.FreeBulk(lc, rx[:n])
			if s.cfg.Generates || (s.cfg.Loopback && recv[q] >= sent[q]) || (!s.cfg.Loopback && n == 0) || time.Now().After(deadline) {
				break
			}
		}
	}
	st := p.Stats()
	var tp, tb, rp, rb uint64
	for q := range nq {
		if st.QOPackets[q] != sent[q] || st.QOBytes[q] != sentBytes[q] {
			t.Errorf("tx queue %d: stats %d packets %d bytes, sent %d / %d", q, st.QOPackets[q], st.QOBytes[q], sent[q], sentBytes[q])
		}
		if st.QIPackets[q] != recv[q] || st.QIBytes[q] != recvBytes[q] {
			t.Errorf("rx queue %d: stats %d packets %d bytes, received %d / %d", q, st.QIPackets[q], st.QIBytes[q], recv[q], recvBytes[q])
		}
		if s.cfg.Loopback && (recv[q] < sent[q] || recv[q] != sent[q] && !s.cfg.Noisy) {
			t.Errorf("loopback queue %d: sent %d, received %d", q, sent[q], recv[q])
		}
		tp, tb, rp, rb = tp+sent[q], tb+sentBytes[q], rp+recv[q], rb+recvBytes[q]
	}
	if st.OPackets != tp || st.OBytes != tb || st.IPackets != rp || st.IBytes != rb {
		t.Errorf("totals: stats o %d/%d i %d/%d, counted o %d/%d i %d/%d", st.OPackets, st.OBytes, st.IPackets, st.IBytes, tp, tb, rp, rb)
	}
	if v, err := p.XStat("tx_good_packets"); err != nil || v != tp {
		t.Errorf("xstat tx_good_packets = %d, %v; want %d", v, err, tp)
	}
	if v, err := p.XStat("rx_q0_packets"); err != nil || v != recv[0] {
		t.Errorf("xstat rx_q0_packets = %d, %v; want %d", v, err, recv[0])
	}
	p.ResetStats()
	if st := p.Stats(); st.IPackets|st.OPackets|st.IBytes|st.OBytes|st.IMissed|st.IErrors|st.OErrors|st.RxNoMbuf != 0 {
		t.Errorf("stats after reset: %+v", st)
	}
	p.ResetXStats()
	for _, x := range p.XStats() {
		if x.Value != 0 {
			t.Errorf("xstat %s = %d after reset", x.Name, x.Value)
		}
	}
}

func (s *suite) roundTrip(t *testing.T) {
	if !s.cfg.Loopback && s.cfg.Inject == nil && s.cfg.Observe == nil {
		t.Skip("the driver offers no loopback, inject or observe")
	}
	mp := pool(t, 2047)
	p := s.open(t)
	nq := s.queues(p)
	setup(t, p, nq, mp)
	sizes := []int{60, 64, 128, 1000, 1514}
	if s.cfg.Loopback {
		for q := range uint16(nq) {
			var want [][]byte
			pkts := make([]*mbuf.Mbuf, len(sizes))
			for i, sz := range sizes {
				f := frame(sz, int(q)*100+i)
				want = append(want, f)
				pkts[i] = mp.Alloc(lc)
				copy(pkts[i].Append(sz), f)
			}
			n := p.TxBurst(q, pkts)
			mbuf.FreeBulk(lc, pkts[n:])
			got := s.drain(t, p, nq, n)
			if len(got[q]) != n {
				t.Fatalf("queue %d: sent %d, got back %d (per queue %d)", q, n, len(got[q]), lens(got))
			}
			for i := range got[q] {
				if !bytes.Equal(got[q][i], want[i]) {
					t.Errorf("queue %d packet %d: got %x, want %x", q, i, got[q][i], want[i])
				}
			}
		}
	}
	if s.cfg.Inject != nil {
		var want [][]byte
		for i, sz := range sizes {
			f := frame(sz, 500+i)
			want = append(want, f)
			s.cfg.Inject(t, p, 0, f)
		}
		got := s.drain(t, p, nq, len(want))
		if len(got[0]) != len(want) {
			t.Fatalf("injected %d, received %d (per queue %v)", len(want), len(got[0]), lens(got))
		}
		for i := range want {
			if !bytes.Equal(got[0][i], want[i]) {
				t.Errorf("injected packet %d: got %x, want %x", i, got[0][i], want[i])
			}
		}
	}
	if s.cfg.Observe != nil {
		var want [][]byte
		pkts := make([]*mbuf.Mbuf, len(sizes))
		for i, sz := range sizes {
			f := frame(sz, 900+i)
			want = append(want, f)
			pkts[i] = mp.Alloc(lc)
			copy(pkts[i].Append(sz), f)
		}
		n := p.TxBurst(0, pkts)
		mbuf.FreeBulk(lc, pkts[n:])
		got := s.cfg.Observe(t, p, n)
		if len(got) != n {
			t.Fatalf("sent %d, observed %d", n, len(got))
		}
		for i := range got {
			if !bytes.Equal(got[i], want[i]) {
				t.Errorf("observed packet %d: got %x, want %x", i, got[i], want[i])
			}
		}
	}
}

func lens(b [][][]byte) []int {
	out := make([]int, len(b))
	for i := range b {
		out[i] = len(b[i])
	}
	return out
}

// noAllocs holds the fast path to zero heap allocations: a receive burst
// and a transmit burst of 32, freeing what was not taken.
func (s *suite) noAllocs(t *testing.T) {
	mp := pool(t, 2047)
	p := s.open(t)
	setup(t, p, 1, mp)
	pkts := make([]*mbuf.Mbuf, 32)
	rx := make([]*mbuf.Mbuf, 32)
	allocs := testing.AllocsPerRun(200, func() {
		if !mp.AllocBulk(lc, pkts) {
			panic("pool empty")
		}
		for _, m := range pkts {
			m.Append(64)
		}
		n := p.TxBurst(0, pkts)
		mbuf.FreeBulk(lc, pkts[n:])
		n = p.RxBurst(0, rx)
		mbuf.FreeBulk(lc, rx[:n])
	})
	if allocs != 0 {
		t.Errorf("TxBurst+RxBurst of 32: %v allocations per run, want 0", allocs)
	}
	s.drain(t, p, 1, 0)
}

func (s *suite) reconfigure(t *testing.T) {
	mp := pool(t, 2047)
	p := s.open(t)
	nq := s.queues(p)
	setup(t, p, 1, mp)
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	setup(t, p, nq, mp) // reconfigure with more queues
	rx := make([]*mbuf.Mbuf, 4)
	for q := range uint16(nq) {
		pkts := mkpkts(t, mp, 4, 64, 0)
		n := p.TxBurst(q, pkts)
		mbuf.FreeBulk(lc, pkts[n:])
		n = p.RxBurst(q, rx)
		mbuf.FreeBulk(lc, rx[:n])
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	setup(t, p, 1, mp) // and fewer: the device frees what the old queues held
	s.drain(t, p, 1, 0)
}

func (s *suite) reset(t *testing.T) {
	mp := pool(t, 1023)
	p := s.open(t)
	setup(t, p, 1, mp)
	pkts := mkpkts(t, mp, 4, 64, 0)
	n := p.TxBurst(0, pkts)
	mbuf.FreeBulk(lc, pkts[n:])
	if err := p.Reset(); err != nil {
		t.Fatal(err)
	}
	if st := p.State(); st != ethdev.StateProbed {
		t.Fatalf("state after Reset: %v", st)
	}
	wantState(t, p.Start(), "Start after Reset")
	setup(t, p, 1, mp)
	s.drain(t, p, 1, 0)
}

// closeWithPackets leaves packets in the device and closes it: they must
// all go back to the pool (checked by the pool's cleanup).
func (s *suite) closeWithPackets(t *testing.T) {
	mp := pool(t, 1023)
	p := s.open(t)
	nq := s.queues(p)
	setup(t, p, nq, mp)
	for q := range uint16(nq) {
		pkts := mkpkts(t, mp, 16, 64, 0)
		n := p.TxBurst(q, pkts)
		mbuf.FreeBulk(lc, pkts[n:])
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	// With a peer (Observe), what the port sent is the peer's now: the
	// pool is checked when the test ends, after the peer is closed too.
	if n := mp.InUse(); n != 0 && s.cfg.Observe == nil {
		t.Errorf("%d mbufs still in use after Stop and Close", n)
	}
}

func (s *suite) control(t *testing.T) {
	mp := pool(t, 1023)
	p := s.open(t)
	m := ethdev.MAC{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}
	if err := p.SetMAC(m); err != nil {
		t.Fatal(err)
	}
	if got := p.MAC(); got != m {
		t.Errorf("MAC %v after SetMAC(%v)", got, m)
	}
	if err := p.SetMAC(ethdev.MAC{0x01, 0, 0x5e, 0, 0, 1}); !errors.Is(err, ethdev.ErrInvalid) {
		t.Errorf("SetMAC(multicast): got %v, want ErrInvalid", err)
	}
	for _, on := range []bool{true, false} {
		if err := p.SetPromisc(on); err != nil {
			t.Fatal(err)
		}
		if p.Promisc() != on {
			t.Errorf("Promisc() != %v", on)
		}
		if err := p.SetAllMulticast(on); err != nil {
			t.Fatal(err)
		}
		if p.AllMulticast() != on {
			t.Errorf("AllMulticast() != %v", on)
		}
	}
	setup(t, p, 1, mp)
	di := p.Info()
	if err := p.SetMTU(di.MaxMTU + 1); !errors.Is(err, ethdev.ErrInvalid) {
		t.Errorf("SetMTU(%d) past MaxMTU: got %v", di.MaxMTU+1, err)
	}
	if err := p.SetMTU(1400); err != nil {
		t.Fatal(err)
	}
	if p.MTU() != 1400 {
		t.Errorf("MTU %d after SetMTU(1400)", p.MTU())
	}
	var links []ethdev.Link
	remove := p.OnLinkChange(func(_ *ethdev.Port, l ethdev.Link) { links = append(links, l) })
	defer remove()
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	// A device that reports its own link (a kernel interface) may keep it
	// up across Stop; ethdev's default link follows the port state.
	if _, own := p.Device().(ethdev.LinkReporter); !own && (len(links) != 2 || links[0].Up || !links[1].Up) {
		t.Errorf("link callbacks on Stop, Start: %v, want [down up]", links)
	}
}

// rxInterrupt: with Config.RxIntr, a queue's RxIntrWait sleeps while the
// queue is empty and wakes when a packet arrives (by loopback or Inject).
func (s *suite) rxInterrupt(t *testing.T) {
	mp := pool(t, 1023)
	p := s.open(t)
	if !p.Info().RxIntr {
		t.Skip("the driver has no rx interrupts (ethdev.RxInterrupter)")
	}
	if !s.cfg.Loopback && s.cfg.Inject == nil {
		t.Skip("no way to make a packet arrive (Loopback or Inject)")
	}
	if err := p.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1, RxIntr: true}); err != nil {
		t.Fatal(err)
	}
	if err := p.RxQueueSetup(0, 0, mp, &ethdev.RxQueueConf{Lcore: lc}); err != nil {
		t.Fatal(err)
	}
	if err := p.TxQueueSetup(0, 0, &ethdev.TxQueueConf{Lcore: lc}); err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if !s.cfg.Noisy {
		if err := ethdev.RxIntrWait(p, 0, 20*time.Millisecond); !errors.Is(err, ethdev.ErrTimeout) {
			t.Fatalf("RxIntrWait on an empty queue: %v, want ErrTimeout", err)
		}
	}
	woke := make(chan error, 1)
	go func() { woke <- ethdev.RxIntrWait(p, 0, 10*time.Second) }()
	time.Sleep(30 * time.Millisecond)
	f := frame(64, 4242)
	if s.cfg.Loopback {
		m := mp.Alloc(lc)
		copy(m.Append(len(f)), f)
		if p.TxBurst(0, []*mbuf.Mbuf{m}) != 1 {
			m.Free(lc)
			t.Fatal("TxBurst took nothing")
		}
	} else {
		s.cfg.Inject(t, p, 0, f)
	}
	select {
	case err := <-woke:
		if err != nil {
			t.Fatalf("RxIntrWait: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("RxIntrWait did not wake when a packet arrived")
	}
	got := s.drain(t, p, 1, 1)
	found := false
	for _, b := range got[0] {
		found = found || bytes.Equal(b, f)
	}
	if !found {
		t.Errorf("the packet that woke the queue was not received (got %d frames)", len(got[0]))
	}
}

// rssFrame is an IPv4/UDP frame of flow f (source address and port vary)
// whose payload starts with the suite's marker and f.
func rssFrame(f int) []byte {
	b := []byte{0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00}
	b = append(b, 0x45, 0, 0, 36, 0, 0, 0x40, 0, 64, 17, 0, 0, 198, 18, byte(f>>8), byte(f), 198, 19, 0, 1)
	b = append(b, byte((2000+f)>>8), byte(2000+f), 0x17, 0xc1, 0, 16, 0, 0)
	return append(b, 'd', 'p', 'k', 't', byte(f>>24), byte(f>>16), byte(f>>8), byte(f))
}

// rssFlow returns the flow of a frame built by rssFrame, or -1.
func rssFlow(b []byte) int {
	if len(b) < 50 || b[12] != 0x08 || b[13] != 0 || string(b[42:46]) != "dpkt" {
		return -1
	}
	return int(b[46])<<24 | int(b[47])<<16 | int(b[48])<<8 | int(b[49])
}

// softRSS: a port whose RSS is ethdev's (DevInfo.SoftRSS) puts every
// packet on the queue its RETA gives for the Toeplitz hash of the 5-tuple
// under the default key, and stamps the hash in the mbuf.
func (s *suite) softRSS(t *testing.T) {
	mp := pool(t, 2047)
	p := s.open(t)
	di := p.Info()
	if !di.SoftRSS {
		t.Skip("RSS is not ethdev's software RSS")
	}
	if !s.cfg.Loopback && s.cfg.Inject == nil {
		t.Skip("no way to make a packet arrive (Loopback or Inject)")
	}
	nq := 4
	if !di.SoftRSSSpread {
		nq = min(nq, di.MaxRxQueues)
	}
	if err := p.Configure(ethdev.Config{RxQueues: nq, TxQueues: 1, RxMQMode: ethdev.MQRSS}); err != nil {
		t.Fatal(err)
	}
	for q := range uint16(nq) {
		if err := p.RxQueueSetup(q, 0, mp, &ethdev.RxQueueConf{Lcore: lc}); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.TxQueueSetup(0, 0, &ethdev.TxQueueConf{Lcore: lc}); err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	reta, err := p.RETA()
	if err != nil {
		t.Fatal(err)
	}
	const flows = 64
	for f := range flows {
		b := rssFrame(f)
		if s.cfg.Loopback {
			m := mp.Alloc(lc)
			copy(m.Append(len(b)), b)
			if p.TxBurst(0, []*mbuf.Mbuf{m}) != 1 {
				m.Free(lc)
				t.Fatal("TxBurst took nothing")
			}
		} else {
			s.cfg.Inject(t, p, 0, b)
		}
	}
	seen := make([]bool, flows)
	per := make([]int, nq)
	got := 0
	rx := make([]*mbuf.Mbuf, 32)
	deadline := time.Now().Add(s.cfg.Wait)
	for got < flows && time.Now().Before(deadline) {
		for q := range uint16(nq) {
			n := p.RxBurst(q, rx)
			for _, m := range rx[:n] {
				b := make([]byte, m.PktLen())
				m.CopyTo(b)
				f := rssFlow(b)
				if f < 0 || f >= flows {
					continue // not ours (a noisy port)
				}
				h := toeplitz.Hash(toeplitz.DefaultKey[:], append(append([]byte{}, b[26:34]...), b[34:38]...))
				if want := reta[h%uint32(len(reta))]; q != want || m.RSSHash() != h || m.OlFlags()&mbuf.RxRSSHash == 0 {
					t.Errorf("flow %d: queue %d hash %#x; want queue %d hash %#x", f, q, m.RSSHash(), want, h)
				}
				if seen[f] {
					t.Errorf("flow %d received twice", f)
				}
				seen[f] = true
				per[q]++
				got++
			}
			mbuf.FreeBulk(lc, rx[:n])
		}
	}
	if got != flows {
		t.Fatalf("received %d of %d flows (per queue %v)", got, flows, per)
	}
	for q, n := range per {
		if n == 0 {
			t.Errorf("queue %d received nothing of %d flows (%v)", q, flows, per)
		}
	}
}
