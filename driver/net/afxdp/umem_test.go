package afxdp_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/dpkit/dpkit/driver/net/afxdp"
	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/ethdev/porttest"
	"github.com/dpkit/dpkit/mbuf"
	"golang.org/x/sys/unix"
)

// Received mbufs are the UMEM frames the kernel wrote the packets into:
// their data starts XDP_PACKET_HEADROOM into the data room (where the
// kernel put it; a copy would start at mbuf.Headroom), they were in the
// fill ring (the pool lends the kernel mbufs as soon as the port starts),
// and sent back they go on the tx ring by address, not copied. Mbufs of
// another pool and chains are copied.
func TestMbufsAreFrames(t *testing.T) {
	e := newEnv(t)
	skipNoXDP(t, e)
	kp := e.peer(t)
	pool := porttest.NewPool(t, mbuf.PoolConfig{Name: "afxdp-" + t.Name(), N: 1024, CacheSize: 32})
	other := porttest.NewPool(t, mbuf.PoolConfig{Name: "afxdp-other-" + t.Name(), N: 64, CacheSize: 0})
	p := e.open(t, "")
	porttest.Start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1}, pool, 0)
	if umem, _, zc, _ := afxdp.QueueMode(p, 0); !umem || zc {
		t.Fatalf("queue 0: UMEM of mbufs %v, zero-copy %v; want mbufs as frames in copy mode (veth, 4 KiB pages)", umem, zc)
	}
	lent := pool.InUse()
	if lent == 0 {
		t.Fatal("no mbuf with the kernel after Start: the fill ring holds no mbufs")
	}
	want := [][]byte{frame(60, 1), frame(1500, 2), frame(333, 3), frame(64, 4)}
	for _, f := range want {
		kp.Send(t, f)
	}
	got := recvPort(p, len(want))
	if len(got) != len(want) {
		mbuf.FreeBulk(0, got)
		t.Fatalf("received %d of %d", len(got), len(want))
	}
	for i, m := range got {
		if m.PoolID() != pool.ID() || m.NbSegs() != 1 || !bytes.Equal(m.Data(), want[i]) {
			t.Errorf("packet %d: pool %d segs %d, %d bytes; want the frame sent in one mbuf of pool %d", i, m.PoolID(), m.NbSegs(), m.Len(), pool.ID())
		}
		if m.Headroom() != unix.XDP_PACKET_HEADROOM {
			t.Errorf("packet %d at data offset %d, want %d: where the kernel wrote it, not a copy", i, m.Headroom(), unix.XDP_PACKET_HEADROOM)
		}
	}
	kp.Drain()
	if n := p.TxBurst(0, got); n != len(got) {
		mbuf.FreeBulk(0, got[n:])
		t.Fatalf("TxBurst took %d of %d", n, len(got))
	}
	if back := kp.Recv(len(want)); len(back) != len(want) {
		t.Fatalf("peer got %d of %d back", len(back), len(want))
	} else {
		for i := range want {
			if !bytes.Equal(back[i], want[i]) {
				t.Errorf("frame %d back differs", i)
			}
		}
	}
	if _, _, _, c := afxdp.QueueMode(p, 0); c != 0 {
		t.Errorf("%d of the pool's own mbufs copied on tx, want 0", c)
	}
	// Another pool's mbuf and a chain: copied.
	m := other.Alloc(0)
	copy(m.Append(100), frame(100, 5))
	h, tl := pool.Alloc(0), pool.Alloc(0)
	f := frame(200, 6)
	copy(h.Append(80), f[:80])
	copy(tl.Append(120), f[80:])
	if err := mbuf.Chain(h, tl); err != nil {
		t.Fatal(err)
	}
	if n := p.TxBurst(0, []*mbuf.Mbuf{m, h}); n != 2 {
		t.Fatalf("TxBurst took %d of 2", n)
	}
	back := kp.Recv(2)
	if len(back) != 2 || !bytes.Equal(back[0], frame(100, 5)) || !bytes.Equal(back[1], f) {
		t.Fatalf("peer got %d frames, want the two sent", len(back))
	}
	if _, _, _, c := afxdp.QueueMode(p, 0); c != 2 {
		t.Errorf("%d copies for a foreign mbuf and a chain, want 2", c)
	}
	// The kernel gives the sent mbufs back through the completion ring.
	deadline := time.Now().Add(time.Second)
	for other.InUse() != 0 && time.Now().Before(deadline) {
		p.TxBurst(0, nil)
		time.Sleep(time.Millisecond)
	}
	if other.InUse() != 0 {
		t.Errorf("the other pool's mbuf not freed after its copy was sent")
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if pool.InUse() != 0 {
		t.Errorf("%d mbufs still out after Stop (had lent %d)", pool.InUse(), lent)
	}
}

// Start/stop cycles with packets left in every ring (received and not
// polled, sent and not completed) give every mbuf back at each Stop and
// at Close; the port receives after each Start.
func TestStartStopCycles(t *testing.T) {
	e := newEnv(t)
	skipNoXDP(t, e)
	kp := e.peer(t)
	pool := porttest.NewPool(t, mbuf.PoolConfig{Name: "afxdp-" + t.Name(), N: 2048, CacheSize: 32})
	p := e.open(t, "")
	if err := p.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1}); err != nil {
		t.Fatal(err)
	}
	if err := p.RxQueueSetup(0, 512, pool, &ethdev.RxQueueConf{Lcore: 0}); err != nil {
		t.Fatal(err)
	}
	if err := p.TxQueueSetup(0, 512, &ethdev.TxQueueConf{Lcore: 0}); err != nil {
		t.Fatal(err)
	}
	for c := range 5 {
		if err := p.Start(); err != nil {
			t.Fatalf("cycle %d: Start: %v", c, err)
		}
		for i := range 40 {
			kp.Send(t, frame(60+i, byte(c)))
		}
		got := recvPort(p, 20)
		if len(got) < 20 {
			t.Fatalf("cycle %d: received %d", c, len(got))
		}
		for i, m := range got[:20] {
			if !bytes.Equal(m.Data(), frame(60+i, byte(c))) {
				t.Fatalf("cycle %d packet %d: not the frame sent", c, i)
			}
		}
		// Some go back out (maybe not completed before Stop), the rest
		// (and the 20 not polled) stay with the port.
		n := p.TxBurst(0, got)
		mbuf.FreeBulk(0, got[n:])
		time.Sleep(5 * time.Millisecond)
		for i := range 10 {
			kp.Send(t, frame(100+i, byte(c)))
		}
		time.Sleep(5 * time.Millisecond)
		if err := p.Stop(); err != nil {
			t.Fatal(err)
		}
		if pool.InUse() != 0 {
			t.Fatalf("cycle %d: %d mbufs out after Stop", c, pool.InUse())
		}
		kp.Drain()
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if pool.InUse() != 0 {
		t.Fatalf("%d mbufs out after Close", pool.InUse())
	}
}

// The two queues of a port on one pool share one UMEM (the second
// socket is bound with XDP_SHARED_UMEM over the first), and with
// shared_umem=1 two ports on one pool do too: traffic between them is
// counted exactly.
func TestSharedUmem(t *testing.T) {
	e := newEnv2(t)
	skipNoXDP(t, e)
	pool := porttest.NewPool(t, mbuf.PoolConfig{Name: "afxdp-" + t.Name(), N: 4096, CacheSize: 32})
	pa := e.open(t, ",queue_count=2,shared_umem=1")
	var pb *ethdev.Port
	args := fmt.Sprintf("net_af_xdp_sh%s,iface=%s,queue_count=2,shared_umem=1", e.vb, e.vb)
	if err := e.b.Do(func() (err error) { pb, err = ethdev.Open(args); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pb.Stop(); pb.Close() })
	porttest.Start(t, pa, ethdev.Config{RxQueues: 2, TxQueues: 2}, pool, 0)
	porttest.Start(t, pb, ethdev.Config{RxQueues: 2, TxQueues: 2}, pool, 0)
	for _, c := range []struct {
		p            *ethdev.Port
		q            int
		shared, umem bool
	}{{pa, 0, false, true}, {pa, 1, true, true}, {pb, 0, true, true}, {pb, 1, true, true}} {
		umem, shared, _, _ := afxdp.QueueMode(c.p, c.q)
		if umem != c.umem || shared != c.shared {
			t.Errorf("%s queue %d: UMEM of mbufs %v shared %v, want %v %v", c.p.Name(), c.q, umem, shared, c.umem, c.shared)
		}
	}
	const n = 500
	sent := 0
	for sent < n {
		k := min(32, n-sent)
		tx := make([]*mbuf.Mbuf, k)
		if !pool.AllocBulk(0, tx) {
			t.Fatal("pool empty")
		}
		for i, m := range tx {
			copy(m.Append(64), frame(64, byte(sent+i)))
		}
		done := pa.TxBurst(0, tx)
		mbuf.FreeBulk(0, tx[done:])
		sent += done
		if done < k {
			time.Sleep(time.Millisecond)
		}
	}
	// veth steers by the sender's queue: a's tx queue 0 arrives on b's
	// rx queue 0.
	recv := 0
	rx := make([]*mbuf.Mbuf, 32)
	for deadline := time.Now().Add(2 * time.Second); recv < n && time.Now().Before(deadline); {
		for q := range uint16(2) {
			k := pb.RxBurst(q, rx)
			for _, m := range rx[:k] {
				if !bytes.Equal(m.Data(), frame(64, byte(recv))) {
					t.Fatalf("packet %d differs", recv)
				}
				recv++
			}
			mbuf.FreeBulk(0, rx[:k])
		}
	}
	if recv != n {
		t.Fatalf("received %d of %d", recv, n)
	}
	pa.Stop()
	pb.Stop()
	if pool.InUse() != 0 {
		t.Fatalf("%d mbufs out after both ports stopped", pool.InUse())
	}
}

// A pool whose objects are not a multiple of 64 bytes (data room 2000:
// 2128-byte objects 2176 apart) is a UMEM of 2128-byte chunks: the kernel
// never writes past an mbuf's data room, and drops a frame that would not
// fit rather than overrunning it.
func TestOddDataRoom(t *testing.T) {
	e := newEnv(t)
	skipNoXDP(t, e)
	kp := e.peer(t)
	pool := porttest.NewPool(t, mbuf.PoolConfig{Name: "afxdp-" + t.Name(), N: 1024, CacheSize: 32, DataRoomSize: 2000})
	p := e.open(t, "")
	e.a.Run(t, "ip", "link", "set", e.va, "mtu", "1800")
	e.b.Run(t, "ip", "link", "set", e.vb, "mtu", "1800")
	porttest.Start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1}, pool, 0)
	if umem, _, _, _ := afxdp.QueueMode(p, 0); !umem {
		t.Fatal("a pool of 2128-byte objects is not the UMEM")
	}
	fit := 2000 - unix.XDP_PACKET_HEADROOM // what the data room holds after the XDP headroom
	for _, n := range []int{60, fit, fit + 1, 64} {
		kp.Send(t, frame(n, byte(n)))
	}
	got := recvPort(p, 3)
	defer func() { mbuf.FreeBulk(0, got) }()
	time.Sleep(20 * time.Millisecond)
	got = append(got, recvPort(p, 1)...)
	want := []int{60, fit, 64}
	if len(got) != len(want) {
		t.Fatalf("received %d frames, want %d (the one longer than the data room dropped)", len(got), len(want))
	}
	for i, m := range got {
		if !bytes.Equal(m.Data(), frame(want[i], byte(want[i]))) || m.Headroom()+m.Len() > m.BufLen() {
			t.Errorf("frame %d: %d bytes at %d in a %d-byte buffer, want the %d sent", i, m.Len(), m.Headroom(), m.BufLen(), want[i])
		}
	}
}

// A pool on hugepages asks for zero-copy; veth refuses it and the socket
// falls back to copy mode over the same UMEM of mbufs (force_copy=1 asks
// for copy mode at once): both move packets, and every mbuf comes back.
func TestHugepagePool(t *testing.T) {
	for _, extra := range []string{"", ",force_copy=1"} {
		t.Run("args="+extra, func(t *testing.T) {
			e := newEnv(t)
			skipNoXDP(t, e)
			kp := e.peer(t)
			pool, err := mbuf.NewPool(mbuf.PoolConfig{Name: "afxdp-huge" + extra, N: 2048, CacheSize: 32, Huge: eal.HugeRequire})
			if err != nil {
				t.Skipf("SKIPPING: no hugepage pool: %v", err)
			}
			t.Cleanup(func() { pool.Close() })
			if !pool.Mempool().Arena().Huge() {
				t.Fatal("HugeRequire pool not on hugepages")
			}
			p := e.open(t, extra)
			porttest.Start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1}, pool, 0)
			if umem, _, zc, _ := afxdp.QueueMode(p, 0); !umem || zc {
				t.Fatalf("UMEM of mbufs %v, zero-copy %v on a veth; want mbufs, copy mode", umem, zc)
			}
			for i := range 50 {
				kp.Send(t, frame(60+i, 7))
			}
			got := recvPort(p, 50)
			if len(got) != 50 {
				mbuf.FreeBulk(0, got)
				t.Fatalf("received %d of 50", len(got))
			}
			kp.Drain()
			if n := p.TxBurst(0, got); n != 50 {
				mbuf.FreeBulk(0, got[n:])
				t.Fatalf("TxBurst took %d", n)
			}
			if back := kp.Recv(50); len(back) != 50 {
				t.Fatalf("peer got %d of 50 back", len(back))
			}
			p.Stop()
			if pool.InUse() != 0 {
				t.Fatalf("%d mbufs out after Stop", pool.InUse())
			}
		})
	}
}

// More tx queues than rx queues: the socket of a tx-only queue shares rx
// queue 0's UMEM (its pool's mbufs go out by address there too).
func TestTxOnlyQueue(t *testing.T) {
	e := newEnv2(t)
	skipNoXDP(t, e)
	kp := e.peer(t)
	pool := porttest.NewPool(t, mbuf.PoolConfig{Name: "afxdp-" + t.Name(), N: 1024, CacheSize: 32})
	p := e.open(t, ",queue_count=2")
	porttest.Start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 2}, pool, 0)
	if umem, shared, _, _ := afxdp.QueueMode(p, 1); !umem || !shared {
		t.Fatalf("tx-only queue 1: UMEM of mbufs %v, shared %v; want both", umem, shared)
	}
	tx := make([]*mbuf.Mbuf, 20)
	if !pool.AllocBulk(0, tx) {
		t.Fatal("pool empty")
	}
	for i, m := range tx {
		copy(m.Append(100), frame(100, byte(i)))
	}
	if n := p.TxBurst(1, tx); n != len(tx) {
		mbuf.FreeBulk(0, tx[n:])
		t.Fatalf("TxBurst(1) took %d of %d", n, len(tx))
	}
	got := kp.Recv(len(tx))
	if len(got) != len(tx) {
		t.Fatalf("peer got %d of %d", len(got), len(tx))
	}
	for i, b := range got {
		if !bytes.Equal(b, frame(100, byte(i))) {
			t.Errorf("frame %d differs", i)
		}
	}
	if _, _, _, c := afxdp.QueueMode(p, 1); c != 0 {
		t.Errorf("%d copies on the tx-only queue, want 0", c)
	}
	p.Stop()
	if pool.InUse() != 0 {
		t.Errorf("%d mbufs out after Stop", pool.InUse())
	}
}
