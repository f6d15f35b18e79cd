package afxdp_test

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/ethdev/porttest"
	"github.com/dpkit/dpkit/internal/dpdktest"
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
