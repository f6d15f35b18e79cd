package afxdp_test

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/ethdev/porttest"
	"github.com/dpkit/dpkit/internal/dpdktest"
	"github.com/dpkit/dpkit/internal/netns/netnstest"
	"github.com/dpkit/dpkit/mbuf"
)

// TestDPDKPeer puts DPDK's own net_af_xdp (testpmd) on the other end of
// the veth: what we send, its rxonly counts exactly; what its txonly sends
// (10 bursts of 32 with "start tx_first 10"), we receive exactly.
func TestDPDKPeer(t *testing.T) {
	e := newEnv(t)
	skipNoXDP(t, e)
	mp := porttest.NewPool(t, mbuf.PoolConfig{Name: "afxdp-" + t.Name(), N: 2047, CacheSize: 32, DataRoomSize: 2176})
	p := e.open(t, "")
	porttest.Start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1}, mp, 0)
	tp := dpdktest.StartIn(t, e.b.Name(), "afxdp-test", []string{"net_af_xdp0,iface=" + e.vb + ",start_queue=0,queue_count=1"},
		[]string{"--total-num-mbufs=16384"})

	tp.Do("set fwd rxonly")
	tp.Do("start")
	const n = 1000
	var sentBytes uint64
	pkts := make([]*mbuf.Mbuf, 32)
	for i := 0; i < n; {
		k := min(32, n-i)
		for j := range k {
			sz := 60 + (i+j)*37%1340
			pkts[j] = mp.Alloc(0)
			copy(pkts[j].Append(sz), frame(sz, byte(i+j)))
		}
		sent := p.TxBurst(0, pkts[:k])
		for j := range sent {
			sentBytes += uint64(60 + (i+j)*37%1340)
		}
		mbuf.FreeBulk(0, pkts[sent:k])
		i += sent
		time.Sleep(200 * time.Microsecond)
	}
	time.Sleep(300 * time.Millisecond)
	tp.Stop()
	st := tp.PortStats(0)
	if st["RX-packets"] != n || st["RX-bytes"] != sentBytes {
		t.Errorf("testpmd received %d packets, %d bytes; we sent %d, %d", st["RX-packets"], st["RX-bytes"], n, sentBytes)
	}

	tp.Do("clear port stats 0")
	tp.Do("start tx_first 10")
	time.Sleep(300 * time.Millisecond)
	tp.Stop()
	st = tp.PortStats(0)
	if st["TX-packets"] != 320 {
		t.Fatalf("testpmd txonly sent %d packets, want 320", st["TX-packets"])
	}
	got := recvPort(p, 320)
	defer mbuf.FreeBulk(0, got)
	if len(got) != 320 {
		t.Fatalf("received %d of testpmd's 320 packets (imissed %d)", len(got), p.Stats().IMissed)
	}
	for i, m := range got {
		b := make([]byte, m.PktLen())
		m.CopyTo(b)
		// testpmd's txonly: IPv4/UDP 198.18.0.1 -> 198.18.0.2, 64 bytes.
		if len(b) != 64 || binary.BigEndian.Uint16(b[12:]) != 0x0800 || b[14+9] != 17 ||
			!bytes.Equal(b[14+12:14+20], []byte{198, 18, 0, 1, 198, 18, 0, 2}) {
			t.Fatalf("packet %d from testpmd: % x", i, b)
		}
	}
	t.Logf("dpkit -> testpmd: %d packets, %d bytes; testpmd -> dpkit: 320 x 64 bytes", n, sentBytes)
}

// TestDPDKMacswap: DPDK txonly -> dpkit macswap -> DPDK rxonly, exact
// counts, and the reverse. Two veths between the namespaces: testpmd 1 on
// the first's b end, testpmd 2 on the second's, dpkit's ports A and B on
// their a ends, forwarding A <-> B with the MAC addresses swapped.
func TestDPDKMacswap(t *testing.T) {
	e := newEnv(t)
	skipNoXDP(t, e)
	va2, vb2 := netnstest.NewVeth(t, e.a, e.b)
	mp := porttest.NewPool(t, mbuf.PoolConfig{Name: "afxdp-" + t.Name(), N: 4095, CacheSize: 32})
	pa := e.open(t, "")
	var pb *ethdev.Port
	if err := e.a.Do(func() (err error) { pb, err = ethdev.Open("net_af_xdp_ms2,iface=" + va2); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pb.Stop(); pb.Close() })
	porttest.Start(t, pa, ethdev.Config{RxQueues: 1, TxQueues: 1}, mp, 0)
	porttest.Start(t, pb, ethdev.Config{RxQueues: 1, TxQueues: 1}, mp, 0)
	tp1 := dpdktest.StartIn(t, e.b.Name(), "afxdp-ms1", []string{"net_af_xdp0,iface=" + e.vb}, []string{"--total-num-mbufs=16384"})
	tp2 := dpdktest.StartIn(t, e.b.Name(), "afxdp-ms2", []string{"net_af_xdp0,iface=" + vb2}, []string{"--total-num-mbufs=16384"})

	// forward moves want packets from src to dst with their MACs swapped
	// and returns how many it moved.
	forward := func(src, dst *ethdev.Port, want int) int {
		pkts := make([]*mbuf.Mbuf, 32)
		moved := 0
		for deadline := time.Now().Add(3 * time.Second); moved < want && time.Now().Before(deadline); {
			n := src.RxBurst(0, pkts)
			for _, m := range pkts[:n] {
				b := m.Data()
				var tmp [6]byte
				copy(tmp[:], b[0:6])
				copy(b[0:6], b[6:12])
				copy(b[6:12], tmp[:])
			}
			sent := 0
			for sent < n && time.Now().Before(deadline) {
				sent += dst.TxBurst(0, pkts[sent:n])
			}
			mbuf.FreeBulk(0, pkts[sent:n])
			moved += sent
			if n == 0 {
				time.Sleep(100 * time.Microsecond)
			}
		}
		return moved
	}
	for _, c := range []struct {
		name     string
		tx, rx   *dpdktest.Testpmd
		src, dst *ethdev.Port
	}{{"testpmd 1 -> A -> B -> testpmd 2", tp1, tp2, pa, pb}, {"testpmd 2 -> B -> A -> testpmd 1", tp2, tp1, pb, pa}} {
		c.rx.Do("clear port stats 0")
		c.tx.Do("clear port stats 0")
		c.rx.Do("set fwd rxonly")
		c.rx.Do("start")
		c.tx.Do("set fwd rxonly")
		c.tx.Do("start tx_first 10")
		moved := forward(c.src, c.dst, 320)
		time.Sleep(300 * time.Millisecond)
		c.tx.Stop()
		c.rx.Stop()
		sent, got := c.tx.PortStats(0), c.rx.PortStats(0)
		if sent["TX-packets"] != 320 || moved != 320 || got["RX-packets"] != 320 || got["RX-bytes"] != sent["TX-bytes"] {
			t.Errorf("%s: testpmd sent %d packets (%d bytes), dpkit forwarded %d, testpmd received %d (%d bytes)",
				c.name, sent["TX-packets"], sent["TX-bytes"], moved, got["RX-packets"], got["RX-bytes"])
		}
	}
}
