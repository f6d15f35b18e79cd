package afpacket_test

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/internal/dpdktest"
	"github.com/dpkit/dpkit/mbuf"
)

// startTestpmd starts DPDK's testpmd with its net_af_packet on e.vb in
// e.b (framecnt=2048: room for all we send, however late its lcore gets
// the CPU on a busy machine).
func startTestpmd(t *testing.T, e *env, vdevExtra string, appArgs ...string) *dpdktest.Testpmd {
	t.Helper()
	return dpdktest.StartIn(t, e.b.Name(), "afpacket-test", []string{"net_af_packet0,iface=" + e.vb + ",framecnt=2048" + vdevExtra},
		append([]string{"--total-num-mbufs=8192"}, appArgs...))
}

// TestDPDKTestpmd runs DPDK's own af_packet PMD in testpmd on one end of a
// veth and this driver on the other: what we send, testpmd's rxonly
// counts exactly (packets and bytes); what testpmd's txonly sends (10
// bursts of 32 by "start tx_first 10"), we receive exactly.
func TestDPDKTestpmd(t *testing.T) {
	e := newEnv(t)
	mp := newPool(t, 2047, 0)
	p := e.open(t, "")
	start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1}, mp)
	tp := startTestpmd(t, e, "")

	// dpkit -> DPDK.
	tp.Do("set fwd rxonly")
	tp.Do("start")
	const n = 1000
	var bytesSent uint64
	pkts := make([]*mbuf.Mbuf, 32)
	for i := 0; i < n; {
		k := min(32, n-i)
		for j := range k {
			sz := 60 + (i+j)*37%1455
			pkts[j] = mp.Alloc(lc)
			copy(pkts[j].Append(sz), ethFrame(sz, 0x88b5, i+j))
		}
		sent := p.TxBurst(0, pkts[:k])
		for j := range sent {
			bytesSent += uint64(60 + (i+j)*37%1455)
		}
		mbuf.FreeBulk(lc, pkts[sent:k])
		i += sent
		time.Sleep(200 * time.Microsecond)
	}
	time.Sleep(300 * time.Millisecond)
	tp.Stop()
	st := tp.PortStats(0)
	if st["RX-packets"] != n || st["RX-bytes"] != bytesSent {
		t.Errorf("testpmd received %d packets, %d bytes; we sent %d, %d", st["RX-packets"], st["RX-bytes"], n, bytesSent)
	}
	if ps := p.Stats(); ps.OPackets != n || ps.OBytes != bytesSent || ps.OErrors != 0 {
		t.Errorf("our tx stats %d packets %d bytes %d errors; want %d, %d, 0", ps.OPackets, ps.OBytes, ps.OErrors, n, bytesSent)
	}

	// DPDK -> dpkit.
	tp.Do("clear port stats 0")
	tp.Do("start tx_first 10")
	time.Sleep(300 * time.Millisecond)
	tp.Stop()
	st = tp.PortStats(0)
	if st["TX-packets"] != 320 || st["TX-bytes"] != 320*64 {
		t.Fatalf("testpmd txonly sent %d packets, %d bytes; want 320 of 64", st["TX-packets"], st["TX-bytes"])
	}
	got := rxAll(t, p, 1, 320)[0]
	if len(got) != 320 {
		t.Fatalf("received %d of testpmd's 320 packets (imissed %d)", len(got), p.Stats().IMissed)
	}
	for i, g := range got {
		// testpmd's txonly packet: IPv4/UDP, 198.18.0.1 -> 198.18.0.2, 64 bytes.
		ip := g.data[14:]
		if len(g.data) != 64 || binary.BigEndian.Uint16(g.data[12:]) != 0x0800 || ip[9] != 17 ||
			!bytes.Equal(ip[12:20], []byte{198, 18, 0, 1, 198, 18, 0, 2}) {
			t.Fatalf("packet %d from testpmd: % x", i, g.data)
		}
	}
	t.Logf("dpkit -> testpmd: %d packets, %d bytes; testpmd -> dpkit: 320 x 64 bytes", n, bytesSent)
}

// TestDPDKTestpmdQpairs: both sides with two queue pairs. Our 1000
// packets of 64 flows, sent over both tx queues, all reach testpmd (its
// fanout spreads them over its queues); testpmd's multi-flow txonly bursts
// from both its queues all reach us, spread over our two rx queues.
func TestDPDKTestpmdQpairs(t *testing.T) {
	e := newEnv(t)
	mp := newPool(t, 4095, 0)
	p := e.open(t, ",qpairs=2")
	start(t, p, ethdev.Config{RxQueues: 2, TxQueues: 2}, mp)
	tp := startTestpmd(t, e, ",qpairs=2", "--rxq=2", "--txq=2", "--txonly-multi-flow")

	tp.Do("set fwd rxonly")
	tp.Do("start")
	const n = 1000
	pkts := make([]*mbuf.Mbuf, 32)
	for i, burst := 0, 0; i < n; burst++ {
		k := min(32, n-i)
		for j := range k {
			f := ethFrame(60, 0x0800, i+j)
			ip := f[14:]
			ip[0], ip[6], ip[7], ip[9] = 0x45, 0, 0, 17
			binary.BigEndian.PutUint16(ip[2:], 46)
			copy(ip[12:], []byte{10, 0, 0, 1, 10, 0, 0, 2})
			binary.BigEndian.PutUint16(ip[20:], uint16(1000+(i+j)%64))
			pkts[j] = mp.Alloc(lc)
			copy(pkts[j].Append(60), f)
		}
		sent := p.TxBurst(uint16(burst%2), pkts[:k])
		mbuf.FreeBulk(lc, pkts[sent:k])
		i += sent
		time.Sleep(200 * time.Microsecond)
	}
	time.Sleep(300 * time.Millisecond)
	tp.Stop()
	if st := tp.PortStats(0); st["RX-packets"] != n || st["RX-bytes"] != n*60 {
		t.Errorf("testpmd received %d packets, %d bytes; we sent %d of 60 bytes", st["RX-packets"], st["RX-bytes"], n)
	}
	ps := p.Stats()
	if ps.QOPackets[0] == 0 || ps.QOPackets[1] == 0 || ps.OPackets != n {
		t.Errorf("our tx queues sent %v, want %d over both", ps.QOPackets, n)
	}

	tp.Do("clear port stats 0")
	tp.Do("start tx_first 5")
	time.Sleep(300 * time.Millisecond)
	tp.Stop()
	st := tp.PortStats(0)
	want := int(st["TX-packets"])
	if want == 0 || want%32 != 0 || st["TX-bytes"] != uint64(want)*64 {
		t.Fatalf("testpmd txonly sent %d packets, %d bytes", want, st["TX-bytes"])
	}
	got := rxAll(t, p, 2, want)
	if len(got[0])+len(got[1]) != want || len(got[0]) == 0 || len(got[1]) == 0 {
		t.Fatalf("received %d + %d of testpmd's %d packets (imissed %d), want all, over both queues",
			len(got[0]), len(got[1]), want, p.Stats().IMissed)
	}
	t.Logf("testpmd -> dpkit: %d packets over our queues as %d + %d", want, len(got[0]), len(got[1]))
}
