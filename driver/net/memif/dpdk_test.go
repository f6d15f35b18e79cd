package memif_test

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/internal/dpdktest"
	"github.com/dpkit/dpkit/mbuf"
)

// echo sends frames on every queue of p and collects what comes back (DPDK
// testpmd io-forwards them on the same port), comparing the multisets per
// queue: DPDK forwards rx queue q to tx queue q.
func echo(t *testing.T, p *ethdev.Port, queues int, mp *mbuf.Pool, sizes []int) (pkts, bytesN uint64) {
	t.Helper()
	for q := range uint16(queues) {
		var frames [][]byte
		for i, sz := range sizes {
			f := packet(sz, i+int(q)*10000)
			frames = append(frames, f)
			bytesN += uint64(sz)
		}
		done := make(chan [][]byte)
		go func() { done <- recv(t, p, q, len(frames)) }()
		// Small bursts: testpmd's rx ring and pool are not endless.
		for i := 0; i < len(frames); i += 8 {
			send(t, p, q, mp, frames[i:min(i+8, len(frames))])
			time.Sleep(200 * time.Microsecond)
		}
		got := <-done
		key := func(b [][]byte) func(i, j int) bool {
			return func(i, j int) bool { return bytes.Compare(b[i], b[j]) < 0 }
		}
		sort.Slice(got, key(got))
		sort.Slice(frames, key(frames))
		for i := range frames {
			if !bytes.Equal(got[i], frames[i]) {
				t.Fatalf("queue %d: frame %d came back as %d bytes, want %d", q, i, len(got[i]), len(frames[i]))
			}
		}
		pkts += uint64(len(frames))
	}
	return pkts, bytesN
}

func sizesUpTo(n, max int) []int {
	var s []int
	for i := range n {
		s = append(s, 60+(i*97)%(max-60))
	}
	return s
}

// TestDPDKServerPeer: a dpkit client port, DPDK 22.11 testpmd as the
// server io-forwarding its traffic back: 2 queue pairs, frames up to
// 9000 bytes (chained over memif buffers and mbufs on both sides), exact
// counts on both sides. Then DPDK is killed and started again: the link
// goes down and comes back, traffic resumes, no mbuf is lost.
func TestDPDKServerPeer(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "memif.sock")
	vdev := "net_memif0,role=server,id=9,socket=" + sock + ",socket-abstract=no"
	args := []string{"--rxq=2", "--txq=2", "--mbuf-size=2176", "--forward-mode=io", "--auto-start"}
	tp := dpdktest.StartArgs(t, "dpkit-memif-drv", []string{vdev}, args)
	mp := newPool(t, "memif-dpdk-server", 16383)
	p := open(t, "net_memif0,role=client,id=9,socket-abstract=no,socket="+sock)
	setup(t, p, 2, mp)
	waitLink(t, true, p)
	tp.LinkUp(0)
	sizes := append(sizesUpTo(500, 1514), 9000, 4097, 2049, 2048, 2047)
	pkts, n := echo(t, p, 2, mp, sizes)
	tp.Stop()
	st := tp.PortStats(0)
	if st["RX-packets"] != pkts || st["TX-packets"] != pkts || st["RX-bytes"] != n || st["TX-bytes"] != n {
		t.Errorf("DPDK counted %v; we sent and got back %d packets, %d bytes", st, pkts, n)
	}
	if ps := p.Stats(); ps.IPackets != pkts || ps.OPackets != pkts || ps.IBytes != n || ps.OBytes != n {
		t.Errorf("our stats %+v; want %d packets, %d bytes each way", ps, pkts, n)
	}

	// Kill DPDK: the link goes down; a new DPDK server: it comes back.
	tp.Kill()
	waitLink(t, false, p)
	os.Remove(sock) // a killed DPDK server leaves its socket file behind
	tp = dpdktest.StartArgs(t, "dpkit-memif-drv", []string{vdev}, args)
	waitLink(t, true, p)
	tp.LinkUp(0)
	pkts, _ = echo(t, p, 2, mp, sizesUpTo(200, 1514))
	tp.Stop()
	if st := tp.PortStats(0); st["RX-packets"] != pkts {
		t.Errorf("after reconnecting, DPDK got %d packets, we sent %d", st["RX-packets"], pkts)
	}
}

// TestDPDKClientPeer: a dpkit server port, DPDK testpmd as the client
// (DPDK lays out the shared memory; we validate and map it).
func TestDPDKClientPeer(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "memif.sock")
	mp := newPool(t, "memif-dpdk-client", 16383)
	p := open(t, "net_memif0,role=server,id=4,socket-abstract=no,socket="+sock)
	setup(t, p, 2, mp)
	tp := dpdktest.StartArgs(t, "dpkit-memif-drv", []string{"net_memif0,role=client,id=4,socket-abstract=no,socket=" + sock},
		[]string{"--rxq=2", "--txq=2", "--mbuf-size=2176", "--forward-mode=io", "--auto-start"})
	waitLink(t, true, p)
	tp.LinkUp(0)
	sizes := append(sizesUpTo(500, 1514), 9000, 4097, 2049, 2048, 2047)
	pkts, n := echo(t, p, 2, mp, sizes)
	tp.Stop()
	st := tp.PortStats(0)
	if st["RX-packets"] != pkts || st["TX-packets"] != pkts || st["RX-bytes"] != n || st["TX-bytes"] != n {
		t.Errorf("DPDK counted %v; we sent and got back %d packets, %d bytes", st, pkts, n)
	}
	tp.Kill()
	waitLink(t, false, p)
}

// TestDPDKServerPeerZeroCopy: a zero-copy dpkit client against DPDK's
// server (which maps our mbuf arena as region 1 and copies in and out of
// our mbufs): frames up to 9000 bytes both ways, exact counts.
func TestDPDKServerPeerZeroCopy(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "memif.sock")
	tp := dpdktest.StartArgs(t, "dpkit-memif-drv", []string{"net_memif0,role=server,id=9,socket=" + sock + ",socket-abstract=no"},
		[]string{"--rxq=2", "--txq=2", "--mbuf-size=2176", "--forward-mode=io", "--auto-start"})
	mp := newSharedPool(t, "memif-dpdk-zc", 16383)
	p := open(t, "net_memif0,role=client,id=9,zero-copy=yes,socket-abstract=no,socket="+sock)
	setup(t, p, 2, mp)
	waitLink(t, true, p)
	tp.LinkUp(0)
	pkts, n := echo(t, p, 2, mp, append(sizesUpTo(500, 1514), 9000, 4097, 2049, 2048, 2047))
	tp.Stop()
	st := tp.PortStats(0)
	if st["RX-packets"] != pkts || st["TX-packets"] != pkts || st["RX-bytes"] != n || st["TX-bytes"] != n {
		t.Errorf("DPDK counted %v; we sent and got back %d packets, %d bytes", st, pkts, n)
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if n := mp.InUse(); n != 0 {
		t.Errorf("%d mbufs in use after stop", n)
	}
}
