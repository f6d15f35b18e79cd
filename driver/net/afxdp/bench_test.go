package afxdp_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/internal/netns/netnstest"
	"github.com/dpkit/dpkit/mbuf"
)

// pair opens started net_af_xdp ports on both ends of a veth.
func pair(tb testing.TB, mp *mbuf.Pool) [2]*ethdev.Port {
	if os.Geteuid() != 0 {
		tb.Skip("SKIPPING: net_af_xdp needs root (AF_XDP sockets, XDP programs, namespaces)")
	}
	netnstest.Require(tb)
	na, nb := netnstest.New(tb), netnstest.New(tb)
	va, vb := netnstest.NewVeth(tb, na, nb)
	var ports [2]*ethdev.Port
	for i, e := range []struct {
		ns    *netnstest.NS
		iface string
	}{{na, va}, {nb, vb}} {
		args := fmt.Sprintf("net_af_xdp_b%d_%s,iface=%s", i, va, e.iface)
		if err := e.ns.Do(func() (err error) { ports[i], err = ethdev.Open(args); return err }); err != nil {
			tb.Fatal(err)
		}
		p := ports[i]
		tb.Cleanup(func() { p.Stop(); p.Close() })
		if err := p.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1}); err != nil {
			tb.Fatal(err)
		}
		if err := p.RxQueueSetup(0, 0, mp, &ethdev.RxQueueConf{Lcore: 0}); err != nil {
			tb.Fatal(err)
		}
		if err := p.TxQueueSetup(0, 0, &ethdev.TxQueueConf{Lcore: 0}); err != nil {
			tb.Fatal(err)
		}
		if err := p.Start(); err != nil {
			tb.Fatal(err)
		}
	}
	return ports
}

func benchPool(tb testing.TB) *mbuf.Pool {
	mp, err := mbuf.NewPool(mbuf.PoolConfig{Name: "afxdp-bench-" + tb.Name(), N: 4095, CacheSize: 256, Huge: eal.HugeNever})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { mp.Close() })
	return mp
}

// burst sends 32 64-byte frames from ports[0] and receives what ports[1]
// has.
func burst(tb testing.TB, mp *mbuf.Pool, ports [2]*ethdev.Port, f []byte, tx, rx []*mbuf.Mbuf) int {
	if !mp.AllocBulk(0, tx) {
		tb.Fatal("pool empty")
	}
	for _, m := range tx {
		copy(m.Append(len(f)), f)
	}
	n := ports[0].TxBurst(0, tx)
	mbuf.FreeBulk(0, tx[n:])
	n = ports[1].RxBurst(0, rx)
	mbuf.FreeBulk(0, rx[:n])
	return n
}

func drain(p *ethdev.Port, rx []*mbuf.Mbuf) {
	for n := p.RxBurst(0, rx); n > 0; n = p.RxBurst(0, rx) {
		mbuf.FreeBulk(0, rx[:n])
	}
}

// BenchmarkPortTxRx sends bursts of 32 64-byte packets from a port on one
// end of a veth and receives them on a port on the other end: both
// copies plus the kernel's veth and XDP redirect, per burst.
func BenchmarkPortTxRx(b *testing.B) {
	mp := benchPool(b)
	ports := pair(b, mp)
	f := frame(64, 1)
	tx := make([]*mbuf.Mbuf, 32)
	rx := make([]*mbuf.Mbuf, 32)
	recv := 0
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		recv += burst(b, mp, ports, f, tx, rx)
	}
	b.StopTimer()
	b.ReportMetric(float64(recv)/b.Elapsed().Seconds()/1e6, "Mpps_rx")
	drain(ports[1], rx)
}

// The tx and rx bursts allocate nothing from the Go heap: with mbufs as
// the UMEM frames, and copying (a pool of 1024-byte data rooms cannot be
// a UMEM).
func TestNoAllocsTxRx(t *testing.T) {
	t.Run("umem", func(t *testing.T) { noAllocsTxRx(t, benchPool(t)) })
	t.Run("copy", func(t *testing.T) {
		mp, err := mbuf.NewPool(mbuf.PoolConfig{Name: "afxdp-bench-" + t.Name(), N: 4095, CacheSize: 256, DataRoomSize: 1024 + 128, Huge: eal.HugeNever})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { mp.Close() })
		noAllocsTxRx(t, mp)
	})
}

func noAllocsTxRx(t *testing.T, mp *mbuf.Pool) {
	ports := pair(t, mp)
	f := frame(64, 1)
	tx := make([]*mbuf.Mbuf, 32)
	rx := make([]*mbuf.Mbuf, 32)
	recv := 0
	if a := testing.AllocsPerRun(200, func() { recv += burst(t, mp, ports, f, tx, rx) }); a != 0 {
		t.Errorf("%v allocs per tx+rx burst", a)
	}
	drain(ports[1], rx)
	if recv == 0 {
		t.Error("nothing received across the veth")
	}
}

// BenchmarkPortTx is testpmd's txonly on a net_af_xdp port: per frame,
// allocate an mbuf, write a 64-byte frame, send it in bursts of 32 (the
// other veth end is a plain interface). ns/op is per frame.
func BenchmarkPortTx(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("SKIPPING: net_af_xdp needs root (AF_XDP sockets, XDP programs, namespaces)")
	}
	netnstest.Require(b)
	mp := benchPool(b)
	na, nb := netnstest.New(b), netnstest.New(b)
	va, _ := netnstest.NewVeth(b, na, nb)
	var p *ethdev.Port
	args := "net_af_xdp_tx_" + va + ",iface=" + va
	if err := na.Do(func() (err error) { p, err = ethdev.Open(args); return err }); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Stop(); p.Close() })
	if err := p.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1}); err != nil {
		b.Fatal(err)
	}
	if err := p.RxQueueSetup(0, 0, mp, &ethdev.RxQueueConf{Lcore: 0}); err != nil {
		b.Fatal(err)
	}
	if err := p.TxQueueSetup(0, 0, &ethdev.TxQueueConf{Lcore: 0}); err != nil {
		b.Fatal(err)
	}
	if err := p.Start(); err != nil {
		b.Fatal(err)
	}
	f := frame(64, 1)
	tx := make([]*mbuf.Mbuf, 32)
	sent := 0
	b.ReportAllocs()
	b.ResetTimer()
	for sent < b.N {
		if !mp.AllocBulk(0, tx) {
			b.Fatal("pool empty")
		}
		for _, m := range tx {
			copy(m.Append(len(f)), f)
		}
		n := p.TxBurst(0, tx)
		mbuf.FreeBulk(0, tx[n:])
		sent += n
	}
	b.StopTimer()
	b.ReportMetric(float64(sent)/b.Elapsed().Seconds()/1e6, "Mpps_tx")
}
