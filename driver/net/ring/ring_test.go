package ring_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	netring "github.com/dpkit/dpkit/driver/net/ring"
	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/ethdev/porttest"
	"github.com/dpkit/dpkit/internal/testutil"
	"github.com/dpkit/dpkit/internal/toeplitz"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/ring"
)

func TestMain(m *testing.M) { testutil.Main(m) }

const lc = 0

func newPool(t testing.TB, n int) *mbuf.Pool {
	return porttest.NewPool(t, mbuf.PoolConfig{Name: "ring-" + t.Name(), N: n, CacheSize: 32})
}

func closePort(t testing.TB, p *ethdev.Port) { porttest.CloseAtEnd(t, p) }

func start(t testing.TB, p *ethdev.Port, cfg ethdev.Config, mp *mbuf.Pool, lcore uint) {
	t.Helper()
	porttest.Start(t, p, cfg, mp, lcore)
}

func TestConformanceLoopback(t *testing.T) {
	porttest.Run(t, porttest.Config{Devargs: "net_ring0", Loopback: true})
}

func TestConformanceNodeaction(t *testing.T) {
	porttest.Run(t, porttest.Config{Devargs: "net_ring1,nodeaction=rx1:0:CREATE", Loopback: true})
}

// TestConformancePair runs the suite on port a of a pair; port b, started
// with 4 queues, injects packets into a and observes what a sends.
func TestConformancePair(t *testing.T) {
	var peer *ethdev.Port
	n := 0
	porttest.Run(t, porttest.Config{
		Open: func(t *testing.T) *ethdev.Port {
			n++
			mp := newPool(t, 1023)
			a, b, err := netring.NewPair(fmt.Sprintf("pair_a%d", n), fmt.Sprintf("pair_b%d", n))
			if err != nil {
				t.Fatal(err)
			}
			closePort(t, b)
			start(t, b, ethdev.Config{RxQueues: 4, TxQueues: 4}, mp, lc)
			peer = b
			return a
		},
		Inject: func(t *testing.T, p *ethdev.Port, q uint16, frame []byte) {
			conf, err := peer.RxQueueConf(0)
			if err != nil {
				t.Fatal(err)
			}
			pkt := conf.Pool.Alloc(lc)
			copy(pkt.Append(len(frame)), frame)
			if peer.TxBurst(q, []*mbuf.Mbuf{pkt}) != 1 {
				pkt.Free(lc)
				t.Fatal("peer TxBurst took nothing")
			}
		},
		Observe: func(t *testing.T, p *ethdev.Port, want int) [][]byte {
			var out [][]byte
			pkts := make([]*mbuf.Mbuf, 32)
			deadline := time.Now().Add(time.Second)
			for len(out) < want && time.Now().Before(deadline) {
				n := peer.RxBurst(0, pkts)
				for _, m := range pkts[:n] {
					b := make([]byte, m.PktLen())
					m.CopyTo(b)
					out = append(out, b)
				}
				mbuf.FreeBulk(lc, pkts[:n])
			}
			return out
		},
	})
}

func TestNodeaction(t *testing.T) {
	mp := newPool(t, 255)
	p0, err := ethdev.Open("net_ring_c,nodeaction=shared:0:CREATE")
	if err != nil {
		t.Fatal(err)
	}
	closePort(t, p0)
	if _, err := ethdev.Open("net_ring_d,nodeaction=shared:0:CREATE"); !errors.Is(err, ethdev.ErrExists) {
		t.Errorf("second CREATE of rings shared: %v, want ErrExists", err)
	}
	if _, err := ethdev.Open("net_ring_e,nodeaction=nothere:0:ATTACH"); !errors.Is(err, ethdev.ErrNoPort) {
		t.Errorf("ATTACH to missing rings: %v, want ErrNoPort", err)
	}
	for _, bad := range []string{"shared", "shared:x:ATTACH", "shared:0:MOVE", ":0:CREATE"} {
		if _, err := ethdev.Open("net_ring_f,nodeaction=" + bad); !errors.Is(err, ethdev.ErrDevargs) || !strings.Contains(err.Error(), "nodeaction") {
			t.Errorf("nodeaction=%s: %v, want ErrDevargs naming nodeaction", bad, err)
		}
	}
	if _, err := ethdev.Open("net_ring_g,nodeaktion=a:0:CREATE"); err == nil || !strings.Contains(err.Error(), "valid keys: nodeaction") {
		t.Errorf("misspelt key: %v", err)
	}
	p1, err := ethdev.Open("net_ring_d,nodeaction=shared:0:ATTACH")
	if err != nil {
		t.Fatal(err)
	}
	closePort(t, p1)
	start(t, p0, ethdev.Config{RxQueues: 1, TxQueues: 1}, mp, lc)
	start(t, p1, ethdev.Config{RxQueues: 1, TxQueues: 1}, mp, lc)
	// What p1 sends on the shared rings, p0 receives.
	m := mp.Alloc(lc)
	copy(m.Append(60), strings.Repeat("x", 60))
	if p1.TxBurst(0, []*mbuf.Mbuf{m}) != 1 {
		t.Fatal("TxBurst took nothing")
	}
	rx := make([]*mbuf.Mbuf, 4)
	if n := p0.RxBurst(0, rx); n != 1 || rx[0] != m || rx[0].Port() != p0.ID() {
		t.Fatalf("p0 received %d (%v), want the mbuf p1 sent", n, rx[:n])
	}
	rx[0].Free(lc)
}

func TestAttachDetach(t *testing.T) {
	mp := newPool(t, 255)
	p, err := ethdev.Attach("net_ring_hot")
	if err != nil {
		t.Fatal(err)
	}
	id := p.ID()
	if ethdev.PortByID(id) != p || ethdev.PortByName("net_ring_hot") != p {
		t.Fatal("attached port not found")
	}
	if _, err := ethdev.Attach("net_ring_hot"); !errors.Is(err, ethdev.ErrExists) {
		t.Errorf("second attach: %v, want ErrExists", err)
	}
	start(t, p, ethdev.Config{RxQueues: 2, TxQueues: 2}, mp, lc)
	pkts := make([]*mbuf.Mbuf, 8)
	if !mp.AllocBulk(lc, pkts) {
		t.Fatal("pool empty")
	}
	if n := p.TxBurst(1, pkts); n != 8 {
		t.Fatalf("TxBurst took %d", n)
	}
	if err := ethdev.Detach(id); err != nil { // stops, closes, frees the 8 in flight
		t.Fatal(err)
	}
	if ethdev.PortByID(id) != nil || p.State() != ethdev.StateClosed {
		t.Fatalf("detached port still there (state %v)", p.State())
	}
	if mp.InUse() != 0 {
		t.Fatalf("%d mbufs in use after detach", mp.InUse())
	}
	if err := ethdev.Detach(id); !errors.Is(err, ethdev.ErrNoPort) {
		t.Errorf("detach twice: %v, want ErrNoPort", err)
	}
	// The id and name are free again.
	p2, err := ethdev.Attach("net_ring_hot")
	if err != nil {
		t.Fatal(err)
	}
	if p2.ID() != id {
		t.Logf("re-attached as port %d (was %d)", p2.ID(), id)
	}
	if err := ethdev.Detach(p2.ID()); err != nil {
		t.Fatal(err)
	}
}

func TestFromRings(t *testing.T) {
	mp := newPool(t, 255)
	r, err := ring.New[*mbuf.Mbuf]("fromrings", 64, ring.OffHeap)
	if err != nil {
		t.Fatal(err)
	}
	p, err := netring.FromRings("net_ring_fr", []*ring.Ring[*mbuf.Mbuf]{r}, []*ring.Ring[*mbuf.Mbuf]{r})
	if err != nil {
		t.Fatal(err)
	}
	closePort(t, p)
	start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1}, mp, lc)
	m := mp.Alloc(lc)
	m.Append(100)
	if !r.Enqueue(m) {
		t.Fatal("enqueue")
	}
	rx := make([]*mbuf.Mbuf, 2)
	if n := p.RxBurst(0, rx); n != 1 || rx[0] != m {
		t.Fatalf("RxBurst from the caller's ring: %d", n)
	}
	if n := p.TxBurst(0, rx[:1]); n != 1 || r.Count() != 1 {
		t.Fatalf("TxBurst to the caller's ring: %d, ring holds %d", n, r.Count())
	}
	// Close drains the caller's ring.
}

// udpFrame builds an Ethernet/IPv4/UDP frame (optionally VLAN-tagged) or
// Ethernet/IPv6/TCP frame for flow i.
func flowFrame(i int) []byte {
	src := [4]byte{10, 0, byte(i >> 8), byte(i)}
	dst := [4]byte{192, 168, 1, byte(i * 7)}
	switch i % 3 {
	case 0, 1: // IPv4 UDP, every third tagged
		var b []byte
		b = append(b, 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1)
		if i%3 == 1 {
			b = append(b, 0x81, 0x00, 0, 100)
		}
		b = append(b, 0x08, 0x00)
		ip := []byte{0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 17, 0, 0}
		ip = append(ip, src[:]...)
		ip = append(ip, dst[:]...)
		b = append(b, ip...)
		b = binary.BigEndian.AppendUint16(b, uint16(1000+i))
		b = binary.BigEndian.AppendUint16(b, 53)
		b = append(b, 0, 8, 0, 0)
		return b
	default: // IPv6 TCP
		b := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd}
		ip := []byte{0x60, 0, 0, 0, 0, 20, 6, 64}
		ip = append(ip, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(i>>8), byte(i))
		ip = append(ip, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)
		b = append(b, ip...)
		b = binary.BigEndian.AppendUint16(b, uint16(2000+i))
		b = binary.BigEndian.AppendUint16(b, 443)
		b = append(b, make([]byte, 16)...)
		return b
	}
}

// refTuple is the test's own reading of the hash input of flowFrame(i).
func refTuple(i int) []byte {
	f := flowFrame(i)
	switch i % 3 {
	case 0:
		return append(append([]byte{}, f[26:34]...), f[34:38]...)
	case 1:
		return append(append([]byte{}, f[30:38]...), f[38:42]...)
	default:
		return append(append([]byte{}, f[22:54]...), f[54:58]...)
	}
}

func TestRSSSpread(t *testing.T) {
	mp := newPool(t, 4095)
	a, b, err := netring.NewPair("rss_a", "rss_b")
	if err != nil {
		t.Fatal(err)
	}
	closePort(t, a)
	closePort(t, b)
	if di := b.Info(); !di.SoftRSS || di.RETASize != ethdev.SoftRETASize || di.HashKeySize != 40 {
		t.Fatalf("net_ring DevInfo RSS: %+v", di)
	}
	const nq = 4
	start(t, a, ethdev.Config{RxQueues: 1, TxQueues: 1}, mp, lc)
	start(t, b, ethdev.Config{RxQueues: nq, TxQueues: nq, RxMQMode: ethdev.MQRSS}, mp, lc)

	send := func(flows int) (perQueue [nq]int) {
		t.Helper()
		for i := range flows {
			m := mp.Alloc(lc)
			f := flowFrame(i)
			copy(m.Append(len(f)), f)
			m.SetUserData(uint64(i))
			if a.TxBurst(0, []*mbuf.Mbuf{m}) != 1 {
				t.Fatal("TxBurst with RSS took nothing")
			}
		}
		return
	}
	recv := func(check func(q uint16, m *mbuf.Mbuf)) (perQueue [nq]int) {
		t.Helper()
		rx := make([]*mbuf.Mbuf, 32)
		for q := range uint16(nq) {
			for {
				n := b.RxBurst(q, rx)
				if n == 0 {
					break
				}
				for _, m := range rx[:n] {
					check(q, m)
				}
				perQueue[q] += n
				mbuf.FreeBulk(lc, rx[:n])
			}
		}
		return
	}
	reta, err := b.RETA()
	if err != nil {
		t.Fatal(err)
	}
	for i, q := range reta {
		if int(q) != i%nq {
			t.Fatalf("default RETA[%d] = %d, want %d", i, q, i%nq)
		}
	}
	key := toeplitz.DefaultKey[:]
	const flows = 600
	send(flows)
	got := recv(func(q uint16, m *mbuf.Mbuf) {
		i := int(m.UserData())
		h := toeplitz.Hash(key, refTuple(i))
		if m.OlFlags()&mbuf.RxRSSHash == 0 || m.RSSHash() != h {
			t.Errorf("flow %d: RSS hash %#x (flag %v), want %#x", i, m.RSSHash(), m.OlFlags()&mbuf.RxRSSHash != 0, h)
		}
		if want := reta[h%ethdev.SoftRETASize]; q != want {
			t.Errorf("flow %d on queue %d, RETA says %d", i, q, want)
		}
	})
	total := 0
	for q, n := range got {
		if n < flows/nq/3 {
			t.Errorf("queue %d got %d of %d flows: not spread (%v)", q, n, flows, got)
		}
		total += n
	}
	if total != flows {
		t.Fatalf("received %d of %d", total, flows)
	}
	if st := b.Stats(); st.IPackets != flows || st.QIPackets[0] != uint64(got[0]) {
		t.Errorf("stats %d / q0 %d, want %d / %d", st.IPackets, st.QIPackets[0], flows, got[0])
	}

	// RETA update: everything to queue 3.
	var entries []ethdev.RETAEntry
	for i := range ethdev.SoftRETASize {
		entries = append(entries, ethdev.RETAEntry{Index: i, Queue: 3})
	}
	if err := b.RETAUpdate(entries); err != nil {
		t.Fatal(err)
	}
	if err := b.RETAUpdate([]ethdev.RETAEntry{{Index: 0, Queue: nq}}); !errors.Is(err, ethdev.ErrInvalid) {
		t.Errorf("RETA entry to queue %d of %d: %v, want ErrInvalid", nq, nq, err)
	}
	send(100)
	if got := recv(func(uint16, *mbuf.Mbuf) {}); got[3] != 100 {
		t.Errorf("after RETA update to queue 3: %v", got)
	}

	// New key: the hashes follow it.
	key2 := make([]byte, 40)
	for i := range key2 {
		key2[i] = byte(i*37 + 1)
	}
	if err := b.RSSHashUpdate(ethdev.RSSConf{Key: key2, Types: ethdev.RSSIP | ethdev.RSSUDP | ethdev.RSSTCP}); err != nil {
		t.Fatal(err)
	}
	if err := b.RSSHashUpdate(ethdev.RSSConf{Key: key2[:39]}); !errors.Is(err, ethdev.ErrInvalid) {
		t.Errorf("39-byte key: %v", err)
	}
	conf, err := b.RSSHashConf()
	if err != nil || string(conf.Key) != string(key2) {
		t.Fatalf("RSSHashConf: %v %x", err, conf.Key)
	}
	send(30)
	recv(func(q uint16, m *mbuf.Mbuf) {
		if h := toeplitz.Hash(key2, refTuple(int(m.UserData()))); m.RSSHash() != h {
			t.Errorf("flow %d: hash %#x under the new key, want %#x", m.UserData(), m.RSSHash(), h)
		}
	})
	// IP-only hashing: the ports no longer count.
	if err := b.RSSHashUpdate(ethdev.RSSConf{Key: key2, Types: ethdev.RSSIP}); err != nil {
		t.Fatal(err)
	}
	send(30)
	recv(func(q uint16, m *mbuf.Mbuf) {
		tu := refTuple(int(m.UserData()))
		if h := toeplitz.Hash(key2, tu[:len(tu)-4]); m.RSSHash() != h {
			t.Errorf("flow %d: IP-only hash %#x, want %#x", m.UserData(), m.RSSHash(), h)
		}
	})
}

func TestRSSNotConfigured(t *testing.T) {
	p, err := ethdev.Open("net_ring_norss")
	if err != nil {
		t.Fatal(err)
	}
	closePort(t, p)
	if _, err := p.RETA(); !errors.Is(err, ethdev.ErrState) {
		t.Errorf("RETA without RSS: %v", err)
	}
	if err := p.Configure(ethdev.Config{RxQueues: 2, TxQueues: 2, RxMQMode: ethdev.MQRSS, RSS: ethdev.RSSConf{Types: 1 << 40}}); !errors.Is(err, ethdev.ErrNotSupported) {
		t.Errorf("unsupported hash type: %v", err)
	}
}

func TestRxInterrupt(t *testing.T) {
	mp := newPool(t, 255)
	a, b, err := netring.NewPair("intr_a", "intr_b")
	if err != nil {
		t.Fatal(err)
	}
	closePort(t, a)
	closePort(t, b)
	start(t, a, ethdev.Config{RxQueues: 1, TxQueues: 2}, mp, lc)
	if err := ethdev.RxIntrWait(b, 0, time.Millisecond); !errors.Is(err, ethdev.ErrState) {
		t.Errorf("RxIntrWait on an unconfigured port: %v, want ErrState", err)
	}
	start(t, b, ethdev.Config{RxQueues: 2, TxQueues: 1, RxIntr: true}, mp, 1)

	// Nothing comes: a timeout.
	t0 := time.Now()
	if err := ethdev.RxIntrWait(b, 0, 30*time.Millisecond); !errors.Is(err, ethdev.ErrTimeout) {
		t.Fatalf("RxIntrWait on an empty queue: %v, want ErrTimeout", err)
	}
	if d := time.Since(t0); d < 25*time.Millisecond {
		t.Errorf("timed out after %v, want ~30ms", d)
	}

	// A sleeper on queue 1 wakes when a packet is sent to it.
	woke := make(chan error, 1)
	var sentAt time.Time
	go func() { woke <- ethdev.RxIntrWait(b, 1, 10*time.Second) }()
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-woke:
		t.Fatalf("woke before any packet: %v", err)
	default:
	}
	m := mp.Alloc(lc)
	m.Append(64)
	sentAt = time.Now()
	if a.TxBurst(1, []*mbuf.Mbuf{m}) != 1 {
		t.Fatal("TxBurst")
	}
	select {
	case err := <-woke:
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("woke %v after the send", time.Since(sentAt))
	case <-time.After(5 * time.Second):
		t.Fatal("sleeper did not wake")
	}
	rx := make([]*mbuf.Mbuf, 4)
	if n := b.RxBurst(1, rx); n != 1 {
		t.Fatalf("after wake, RxBurst gave %d", n)
	}
	rx[0].Free(lc)

	// Packets already there: no sleep at all.
	m = mp.Alloc(lc)
	m.Append(64)
	a.TxBurst(0, []*mbuf.Mbuf{m})
	t0 = time.Now()
	if err := ethdev.RxIntrWait(b, 0, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("wait with a packet pending took %v", d)
	}
	if n := b.RxBurst(0, rx); n != 1 {
		t.Fatalf("RxBurst gave %d", n)
	}
	rx[0].Free(lc)

	// An epoll set over both queues says which one is ready.
	ep, err := ethdev.NewEpoll()
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	for q := range uint16(2) {
		if err := ep.Add(b, q); err != nil {
			t.Fatal(err)
		}
	}
	ready, err := ep.Wait(nil, 20*time.Millisecond)
	if err != nil || len(ready) != 0 {
		t.Fatalf("epoll on empty queues: %v %v", ready, err)
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		m := mp.Alloc(2)
		m.Append(64)
		a.TxBurst(1, []*mbuf.Mbuf{m})
	}()
	ready, err = ep.Wait(nil, 5*time.Second)
	if err != nil || len(ready) != 1 || ready[0].Port != b || ready[0].Queue != 1 {
		t.Fatalf("epoll: %v %v, want queue 1 of %s", ready, err, b.Name())
	}
	time.Sleep(10 * time.Millisecond)
	if n := b.RxBurst(1, rx); n != 1 {
		t.Fatalf("RxBurst gave %d", n)
	}
	rx[0].Free(lc)
}

// TestForwardTwoLcores runs a generator/receiver on the test goroutine and
// an io forwarder on an eal worker lcore (a goroutine if the process has a
// single CPU) over a pair (run it with -race): a sends, b forwards back to
// a, a receives and checks the order.
func TestForwardTwoLcores(t *testing.T) {
	mp := newPool(t, 2047)
	a, b, err := netring.NewPair("fwd_a", "fwd_b")
	if err != nil {
		t.Fatal(err)
	}
	closePort(t, a)
	closePort(t, b)
	cpus := eal.AllowedCPUs()
	if err := eal.Init(eal.Config{Lcores: cpus[:min(2, len(cpus))], MainLcore: -1}); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := eal.Cleanup(); err != nil {
			t.Error(err)
		}
	}()
	genLcore := eal.MainLcore()
	fwdLcore := genLcore + 1
	workers := eal.WorkerLcores()
	if len(workers) > 0 {
		fwdLcore = workers[0]
	}
	start(t, a, ethdev.Config{RxQueues: 1, TxQueues: 1}, mp, genLcore)
	start(t, b, ethdev.Config{RxQueues: 1, TxQueues: 1}, mp, fwdLcore)
	const total = 20000
	done := make(chan struct{})
	stopFwd := sync.OnceFunc(func() { close(done) })
	var fwdErr error
	var wg sync.WaitGroup
	forward := func(uint) error {
		pkts := make([]*mbuf.Mbuf, 32)
		for {
			select {
			case <-done:
				return nil
			default:
			}
			n := b.RxBurst(0, pkts)
			sent := 0
			for sent < n {
				sent += b.TxBurst(0, pkts[sent:n])
			}
		}
	}
	if len(workers) > 0 {
		if err := eal.RemoteLaunch(fwdLcore, forward); err != nil {
			t.Fatal(err)
		}
		defer func() { stopFwd(); eal.Wait(fwdLcore) }() // on a failure below
	} else {
		t.Logf("one CPU: the forwarder is a plain goroutine")
		wg.Add(1)
		go func() { defer wg.Done(); forward(fwdLcore) }()
	}
	// A control goroutine reads and resets statistics and adds and removes
	// a callback while the lcores run.
	wg.Add(1)
	var cbSeen atomic.Uint64
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			_ = b.Stats()
			_ = a.XStats()
			if i%10 == 0 {
				a.ResetStats()
			}
			h, err := b.AddRxCallback(0, func(_, _ uint16, _ []*mbuf.Mbuf, n int) int { cbSeen.Add(uint64(n)); return n })
			if err != nil {
				t.Error(err)
				return
			}
			time.Sleep(100 * time.Microsecond)
			if err := b.RemoveRxCallback(0, h); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	pkts := make([]*mbuf.Mbuf, 32)
	rx := make([]*mbuf.Mbuf, 32)
	next, got := 0, 0
	deadline := time.Now().Add(20 * time.Second)
	for got < total && time.Now().Before(deadline) {
		if next < total {
			k := min(32, total-next)
			if mp.AllocBulk(genLcore, pkts[:k]) {
				for i, m := range pkts[:k] {
					binary.BigEndian.PutUint32(m.Append(64), uint32(next+i))
				}
				n := a.TxBurst(0, pkts[:k])
				mbuf.FreeBulk(genLcore, pkts[n:k])
				next += n
			}
		}
		n := a.RxBurst(0, rx)
		for _, m := range rx[:n] {
			if v := binary.BigEndian.Uint32(m.Data()); int(v) != got {
				fwdErr = fmt.Errorf("packet %d arrived as number %d", v, got)
			}
			got++
		}
		mbuf.FreeBulk(genLcore, rx[:n])
	}
	stopFwd()
	wg.Wait()
	if len(workers) > 0 {
		if err := eal.Wait(fwdLcore); err != nil {
			t.Error(err)
		}
	}
	if fwdErr != nil {
		t.Error(fwdErr)
	}
	if got != total {
		t.Fatalf("received %d of %d", got, total)
	}
	t.Logf("the rx callback saw %d packets while it was installed", cbSeen.Load())
	if st := b.Stats(); st.IPackets != total || st.OPackets != total {
		t.Errorf("forwarder stats: %d in, %d out, want %d", st.IPackets, st.OPackets, total)
	}
}
