package ethdev_test

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	_ "github.com/dpkit/dpkit/driver/net/null"
	netring "github.com/dpkit/dpkit/driver/net/ring"
	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/ethdev/porttest"
	"github.com/dpkit/dpkit/internal/testutil"
	"github.com/dpkit/dpkit/mbuf"
)

func TestMain(m *testing.M) { testutil.Main(m) }

const lc = 0

func newPool(t testing.TB, n int) *mbuf.Pool {
	return porttest.NewPool(t, mbuf.PoolConfig{Name: "ethdev-" + t.Name(), N: n, CacheSize: 64})
}

func open(t testing.TB, devargs string) *ethdev.Port { return porttest.Open(t, devargs) }

func cleanup(t testing.TB, p *ethdev.Port) { porttest.CloseAtEnd(t, p) }

func start(t testing.TB, p *ethdev.Port, cfg ethdev.Config, mp *mbuf.Pool, lcore uint) {
	t.Helper()
	porttest.Start(t, p, cfg, mp, lcore)
}

// fake is a driver whose every optional interface is visible to the test.
type fake struct {
	calls    []string
	link     atomic.Pointer[ethdev.Link]
	notify   func()
	missed   uint64
	xreset   int
	failConf bool
}

func (f *fake) Info(di *ethdev.DevInfo) {
	di.MaxRxQueues, di.MaxTxQueues = 2, 2
	di.RxOffloadCapa = ethdev.RxOffloadVLANStrip
	di.TxOffloadCapa = ethdev.TxOffloadIPv4Cksum | ethdev.TxOffloadTCPCksum
	di.MinMTU, di.MaxMTU = 100, 2000
}
func (f *fake) Configure(cfg *ethdev.Config) error {
	f.calls = append(f.calls, fmt.Sprintf("configure %d/%d", cfg.RxQueues, cfg.TxQueues))
	if f.failConf {
		return errors.New("device says no")
	}
	return nil
}
func (f *fake) RxQueueSetup(q uint16, c *ethdev.RxQueueConf) (ethdev.RxQueue, error) {
	f.calls = append(f.calls, fmt.Sprintf("rxq %d desc %d", q, c.NbDesc))
	return emptyQ{}, nil
}
func (f *fake) TxQueueSetup(q uint16, c *ethdev.TxQueueConf) (ethdev.TxQueue, error) {
	f.calls = append(f.calls, fmt.Sprintf("txq %d desc %d", q, c.NbDesc))
	return emptyQ{}, nil
}
func (f *fake) Start() error                    { f.calls = append(f.calls, "start"); return nil }
func (f *fake) Stop() error                     { f.calls = append(f.calls, "stop"); return nil }
func (f *fake) Close() error                    { f.calls = append(f.calls, "close"); return nil }
func (f *fake) Link() ethdev.Link               { return *f.link.Load() }
func (f *fake) WatchLink(notify func())         { f.notify = notify }
func (f *fake) Stats(s *ethdev.Stats)           { s.IMissed += f.missed }
func (f *fake) ResetStats()                     { f.missed = 0 }
func (f *fake) XStats(add func(string, uint64)) { add("fake_widgets", 7-uint64(f.xreset)*7) }
func (f *fake) ResetXStats()                    { f.xreset = 1 }
func (f *fake) SetMTU(mtu int) error {
	f.calls = append(f.calls, fmt.Sprintf("mtu %d", mtu))
	return nil
}

type emptyQ struct{}

func (emptyQ) RxBurst([]*mbuf.Mbuf) int { return 0 }
func (emptyQ) TxBurst([]*mbuf.Mbuf) int { return 0 }

var fakes = map[string]*fake{}

func init() {
	ethdev.Register(ethdev.Driver{
		Name:   "net_fake",
		Params: []ethdev.Param{{Key: "n", Type: ethdev.Int}},
		Probe: func(a *ethdev.Devargs) (ethdev.Device, error) {
			f := &fake{}
			f.link.Store(&ethdev.Link{Up: true, Speed: 25000})
			fakes[a.Name] = f
			return f, nil
		},
	})
}

func TestDriverCallOrder(t *testing.T) {
	p := open(t, "net_fake0,n=3")
	f := fakes["net_fake0"]
	if err := p.Configure(ethdev.Config{RxQueues: 1, TxQueues: 2, RxOffloads: ethdev.RxOffloadTCPLRO}); !errors.Is(err, ethdev.ErrNotSupported) || !strings.Contains(err.Error(), "tcp_lro") {
		t.Errorf("unsupported offload: %v", err)
	}
	if err := p.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1, MTU: 50}); !errors.Is(err, ethdev.ErrInvalid) {
		t.Errorf("MTU 50 below 100: %v", err)
	}
	if err := p.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1, RxIntr: true}); !errors.Is(err, ethdev.ErrNotSupported) {
		t.Errorf("rx interrupts on a device without them: %v", err)
	}
	mp := newPool(t, 255)
	start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 2, RxOffloads: ethdev.RxOffloadVLANStrip}, mp, lc)
	if err := p.SetMTU(1800); err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	want := "configure 1/2,rxq 0 desc 1024,txq 0 desc 1024,txq 1 desc 1024,start,mtu 1800,stop,close"
	if got := strings.Join(f.calls, ","); got != want {
		t.Errorf("driver calls:\n got %s\nwant %s", got, want)
	}
	q := open(t, "net_fake1")
	fakes["net_fake1"].failConf = true
	if err := q.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1}); err == nil || !strings.Contains(err.Error(), "device says no") {
		t.Errorf("driver Configure error not passed on: %v", err)
	}
	if q.State() != ethdev.StateProbed {
		t.Errorf("state after a failed Configure: %v", q.State())
	}
	// A failed reconfiguration leaves the port unconfigured, not with
	// queues the device may have dropped.
	f1 := fakes["net_fake1"]
	f1.failConf = false
	mp2 := newPool(t, 255)
	start(t, q, ethdev.Config{RxQueues: 1, TxQueues: 1}, mp2, lc)
	if err := q.Stop(); err != nil {
		t.Fatal(err)
	}
	f1.failConf = true
	if err := q.Configure(ethdev.Config{RxQueues: 2, TxQueues: 2}); err == nil {
		t.Fatal("Configure succeeded")
	}
	if q.State() != ethdev.StateProbed || q.NbRxQueues() != 0 {
		t.Errorf("after a failed reconfiguration: %v, %d rx queues", q.State(), q.NbRxQueues())
	}
	wantState := func(err error, what string) {
		if !errors.Is(err, ethdev.ErrState) {
			t.Errorf("%s: %v, want ErrState", what, err)
		}
	}
	wantState(q.Start(), "Start after a failed reconfiguration")
}

func TestLinkWatcher(t *testing.T) {
	p := open(t, "net_fake_link")
	f := fakes["net_fake_link"]
	if di := p.Info(); !di.LinkIntr {
		t.Error("DevInfo.LinkIntr not set for a LinkWatcher")
	}
	var got []ethdev.Link
	remove := p.OnLinkChange(func(pp *ethdev.Port, l ethdev.Link) {
		if pp != p {
			t.Error("callback for another port")
		}
		got = append(got, l)
	})
	f.link.Store(&ethdev.Link{Up: false})
	f.notify()
	f.notify() // no change: no callback
	f.link.Store(&ethdev.Link{Up: true, Speed: 100000})
	f.notify()
	remove()
	f.link.Store(&ethdev.Link{})
	f.notify()
	want := []ethdev.Link{{}, {Up: true, Speed: 100000}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("link callbacks %v, want %v", got, want)
	}
	if s := p.Link().String(); s != "down" {
		t.Errorf("Link().String() = %q", s)
	}
}

func TestStatsFromDriver(t *testing.T) {
	p := open(t, "net_fake_stats")
	f := fakes["net_fake_stats"]
	mp := newPool(t, 255)
	start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1}, mp, lc)
	f.missed = 5
	if s := p.Stats(); s.IMissed != 5 {
		t.Errorf("IMissed %d, want the driver's 5", s.IMissed)
	}
	if v, err := p.XStat("rx_missed_errors"); err != nil || v != 5 {
		t.Errorf("xstat rx_missed_errors %d %v", v, err)
	}
	if v, err := p.XStat("fake_widgets"); err != nil || v != 7 {
		t.Errorf("driver xstat %d %v", v, err)
	}
	if _, err := p.XStat("nope"); !errors.Is(err, ethdev.ErrInvalid) {
		t.Errorf("unknown xstat: %v", err)
	}
	p.ResetXStats()
	if v, _ := p.XStat("fake_widgets"); v != 0 || p.Stats().IMissed != 0 {
		t.Errorf("after reset: widgets %d, imissed %d", v, p.Stats().IMissed)
	}
}

func TestCallbacks(t *testing.T) {
	mp := newPool(t, 1023)
	p := open(t, "net_null_cb,size=80")
	start(t, p, ethdev.Config{RxQueues: 2, TxQueues: 2}, mp, lc)
	if _, err := p.AddRxCallback(2, nil); !errors.Is(err, ethdev.ErrInvalid) {
		t.Errorf("callback on queue 2 of 2: %v", err)
	}
	// Rx: count, then drop every other packet.
	var seen int
	count, err := p.AddRxCallback(0, func(port, queue uint16, pkts []*mbuf.Mbuf, n int) int {
		if port != p.ID() || queue != 0 || len(pkts) != 8 {
			t.Errorf("rx callback args %d %d len %d", port, queue, len(pkts))
		}
		seen += n
		return n
	})
	if err != nil {
		t.Fatal(err)
	}
	drop, err := p.AddRxCallback(0, func(_, _ uint16, pkts []*mbuf.Mbuf, n int) int {
		k := 0
		for i, m := range pkts[:n] {
			if i%2 == 0 {
				pkts[k] = m
				k++
			} else {
				m.Free(lc)
			}
		}
		return k
	})
	if err != nil {
		t.Fatal(err)
	}
	rx := make([]*mbuf.Mbuf, 8)
	n := p.RxBurst(0, rx)
	if n != 4 || seen != 8 {
		t.Errorf("with callbacks: RxBurst %d (want 4), first callback saw %d (want 8)", n, seen)
	}
	mbuf.FreeBulk(lc, rx[:n])
	if st := p.Stats(); st.IPackets != 8 {
		t.Errorf("IPackets %d: the driver's count (8), before callbacks", st.IPackets)
	}
	if n := p.RxBurst(1, rx); n != 8 {
		t.Errorf("queue 1 has no callbacks: %d", n)
	} else {
		mbuf.FreeBulk(lc, rx[:n])
	}
	if err := p.RemoveRxCallback(0, drop); err != nil {
		t.Fatal(err)
	}
	if err := p.RemoveRxCallback(0, drop); !errors.Is(err, ethdev.ErrInvalid) {
		t.Errorf("remove twice: %v", err)
	}
	if err := p.RemoveRxCallback(1, count); !errors.Is(err, ethdev.ErrInvalid) {
		t.Errorf("remove from the wrong queue: %v", err)
	}
	if n := p.RxBurst(0, rx); n != 8 || seen != 16 {
		t.Errorf("after removing the dropper: %d, seen %d", n, seen)
	} else {
		mbuf.FreeBulk(lc, rx[:n])
	}
	if err := p.RemoveRxCallback(0, count); err != nil {
		t.Fatal(err)
	}
	// Tx: a callback that keeps only packets longer than 100 bytes.
	txcb, err := p.AddTxCallback(1, func(port, queue uint16, pkts []*mbuf.Mbuf) int {
		k := 0
		for _, m := range pkts {
			if m.PktLen() > 100 {
				pkts[k] = m
				k++
			} else {
				m.Free(lc)
			}
		}
		return k
	})
	if err != nil {
		t.Fatal(err)
	}
	pkts := make([]*mbuf.Mbuf, 6)
	if !mp.AllocBulk(lc, pkts) {
		t.Fatal("pool empty")
	}
	for i, m := range pkts {
		m.Append(50 + 20*i) // 50 70 90 110 130 150
	}
	if n := p.TxBurst(1, pkts); n != 3 {
		t.Errorf("TxBurst through the filter sent %d, want 3", n)
	}
	if st := p.Stats(); st.QOPackets[1] != 3 || st.QOBytes[1] != 110+130+150 {
		t.Errorf("tx stats %d packets %d bytes", st.QOPackets[1], st.QOBytes[1])
	}
	if err := p.RemoveTxCallback(1, txcb); err != nil {
		t.Fatal(err)
	}
}

// TestNoAllocsWithCallbacks: the bursts stay allocation-free with an rx
// and a tx callback installed.
func TestNoAllocsWithCallbacks(t *testing.T) {
	mp := newPool(t, 1023)
	p := open(t, "net_null_alloc")
	start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1}, mp, lc)
	var n1, n2 int
	if _, err := p.AddRxCallback(0, func(_, _ uint16, _ []*mbuf.Mbuf, n int) int { n1 += n; return n }); err != nil {
		t.Fatal(err)
	}
	if _, err := p.AddTxCallback(0, func(_, _ uint16, pkts []*mbuf.Mbuf) int { n2 += len(pkts); return len(pkts) }); err != nil {
		t.Fatal(err)
	}
	pkts := make([]*mbuf.Mbuf, 32)
	allocs := testing.AllocsPerRun(1000, func() {
		n := p.RxBurst(0, pkts)
		s := p.TxBurst(0, pkts[:n])
		mbuf.FreeBulk(lc, pkts[s:n])
	})
	if allocs != 0 {
		t.Errorf("%v allocations per burst pair", allocs)
	}
	if n1 == 0 || n1 != n2 {
		t.Errorf("callbacks saw %d rx, %d tx", n1, n2)
	}
}

// TestNoAllocsRing: a burst pair over a net_ring pair.
func TestNoAllocsRing(t *testing.T) {
	mp := newPool(t, 1023)
	a, b, err := netring.NewPair("alloc_a", "alloc_b")
	if err != nil {
		t.Fatal(err)
	}
	cleanup(t, a)
	cleanup(t, b)
	start(t, a, ethdev.Config{RxQueues: 1, TxQueues: 1}, mp, lc)
	start(t, b, ethdev.Config{RxQueues: 1, TxQueues: 1}, mp, lc)
	pkts := make([]*mbuf.Mbuf, 32)
	if !mp.AllocBulk(lc, pkts) {
		t.Fatal("pool empty")
	}
	if n := a.TxBurst(0, pkts); n != 32 {
		t.Fatal(n)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		n := b.RxBurst(0, pkts)
		s := b.TxBurst(0, pkts[:n])
		mbuf.FreeBulk(lc, pkts[s:n])
		n = a.RxBurst(0, pkts)
		s = a.TxBurst(0, pkts[:n])
		mbuf.FreeBulk(lc, pkts[s:n])
	})
	if allocs != 0 {
		t.Errorf("%v allocations per round trip", allocs)
	}
}

func TestPortsRegistry(t *testing.T) {
	p := open(t, "net_null_reg")
	found := false
	for _, q := range ethdev.Ports() {
		found = found || q == p
	}
	if !found || ethdev.PortByID(p.ID()) != p || p.Devargs() != "net_null_reg" || p.Name() != "net_null_reg" {
		t.Errorf("registry: found %v, by id %v", found, ethdev.PortByID(p.ID()))
	}
	if ethdev.PortByID(ethdev.MaxPorts) != nil || ethdev.PortByName("nope") != nil {
		t.Error("lookups of absent ports")
	}
	names := ""
	for _, d := range ethdev.Drivers() {
		names += d.Name + " "
	}
	if !strings.Contains(names, "net_null ") || !strings.Contains(names, "net_ring ") {
		t.Errorf("Drivers() = %s", names)
	}
	if _, err := ethdev.OpenDevice("net_null", "x,y=1", nil); !errors.Is(err, ethdev.ErrInvalid) {
		t.Errorf("OpenDevice with devargs for a name: %v", err)
	}
	if _, err := ethdev.OpenDevice("net_nope", "x", nil); !errors.Is(err, ethdev.ErrNoDriver) {
		t.Errorf("OpenDevice of an unregistered driver: %v", err)
	}
	if m := p.MAC(); m.IsZero() || m.IsMulticast() || m[0]&2 == 0 {
		t.Errorf("random MAC %v is not locally administered unicast", m)
	}
}

func TestTxPrepare(t *testing.T) {
	mp := newPool(t, 255)
	p := open(t, "net_fake_prep")
	if err := p.Configure(ethdev.Config{RxQueues: 1, TxQueues: 2, TxOffloads: ethdev.TxOffloadIPv4Cksum}); err != nil {
		t.Fatal(err)
	}
	if err := p.TxQueueSetup(0, 0, &ethdev.TxQueueConf{Offloads: ethdev.TxOffloadVLANInsert}); !errors.Is(err, ethdev.ErrNotSupported) {
		t.Errorf("tx queue offload the port lacks: %v", err)
	}
	if err := p.RxQueueSetup(0, 0, mp, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.TxQueueSetup(0, 0, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.TxQueueSetup(1, 0, &ethdev.TxQueueConf{Offloads: ethdev.TxOffloadTCPCksum}); err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	mk := func(flags uint64, l2, l3 int) *mbuf.Mbuf {
		m := mp.Alloc(lc)
		m.Append(64)
		m.SetOlFlags(flags)
		m.SetL2Len(l2)
		m.SetL3Len(l3)
		return m
	}
	ipck := mbuf.TxIPv4 | mbuf.TxIPCksum
	for _, c := range []struct {
		q    uint16
		pkts []*mbuf.Mbuf
		want int
	}{
		{0, []*mbuf.Mbuf{mk(0, 0, 0), mk(ipck, 14, 20)}, 2},
		{0, []*mbuf.Mbuf{mk(ipck, 14, 20), mk(ipck, 0, 20), mk(0, 0, 0)}, 1},                           // no L2 length
		{0, []*mbuf.Mbuf{mk(ipck, 14, 20), mk(ipck|mbuf.TxTCPCksum, 14, 20)}, 1},                       // TCP checksum not on queue 0
		{1, []*mbuf.Mbuf{mk(ipck|mbuf.TxTCPCksum, 14, 20), mk(mbuf.TxIPv6|mbuf.TxIPCksum, 14, 40)}, 1}, // IPv4 checksum of IPv6
		{1, []*mbuf.Mbuf{mk(mbuf.TxVLAN, 0, 0)}, 0},                                                    // VLAN insert not offered
	} {
		if got := p.TxPrepare(c.q, c.pkts); got != c.want {
			t.Errorf("TxPrepare(queue %d, %d packets) = %d, want %d", c.q, len(c.pkts), got, c.want)
		}
		mbuf.FreeBulk(lc, c.pkts)
	}
}
