package afxdp_test

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/ethdev/porttest"
	"github.com/dpkit/dpkit/internal/netns/netnstest"
	"github.com/dpkit/dpkit/mbuf"
	"golang.org/x/sys/unix"
)

// newEnv2 is newEnv with two queues on each veth end.
func newEnv2(t *testing.T) *env {
	if os.Geteuid() != 0 {
		t.Skip("SKIPPING: net_af_xdp tests need root (AF_XDP sockets, XDP programs, namespaces)")
	}
	netnstest.Require(t)
	a, b := netnstest.New(t), netnstest.New(t)
	va, vb := netnstest.NewVethQueues(t, a, b, 2)
	return &env{a, b, va, vb}
}

func TestConformanceTwoQueues(t *testing.T) {
	e := newEnv2(t)
	skipNoXDP(t, e)
	porttest.Run(t, porttest.Config{
		Open:   func(t *testing.T) *ethdev.Port { return e.open(t, ",queue_count=2") },
		Queues: 2,
	})
}

// A port on the second queue only (start_queue=1) opens and sends; a
// port asking for more queues than the interface has fails to configure.
func TestStartQueue(t *testing.T) {
	e := newEnv2(t)
	skipNoXDP(t, e)
	kp := e.peer(t)
	pool := porttest.NewPool(t, mbuf.PoolConfig{Name: "afxdp-" + t.Name(), N: 512, CacheSize: 32, DataRoomSize: 2176})
	p := e.open(t, ",start_queue=1")
	porttest.Start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1}, pool, 0)
	f := frame(200, 7)
	m := pool.Alloc(0)
	copy(m.Append(len(f)), f)
	if n := p.TxBurst(0, []*mbuf.Mbuf{m}); n != 1 {
		t.Fatalf("TxBurst took %d", n)
	}
	got := kp.Recv(1)
	if len(got) != 1 || !bytes.Equal(got[0], f) {
		t.Fatalf("peer got %d frames, want the one sent", len(got))
	}
	// Too many queues for the interface: an error at Configure.
	p.Stop()
	p.Close()
	q := e.open(t, ",start_queue=1,queue_count=2")
	if err := q.Configure(ethdev.Config{RxQueues: 2, TxQueues: 2}); err == nil {
		t.Error("Configure on queues 1..2 of a 2-queue interface succeeded")
	}
}

// frame is an Ethernet frame of n bytes (broadcast, a local experimental
// EtherType) with a payload made of seed.
func frame(n int, seed byte) []byte {
	f := make([]byte, n)
	copy(f, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x88, 0xb5})
	for i := 14; i < n; i++ {
		f[i] = seed + byte(i)
	}
	return f
}

// recvPort polls p's queue 0 until want packets or a second passes.
func recvPort(p *ethdev.Port, want int) []*mbuf.Mbuf {
	var out []*mbuf.Mbuf
	pkts := make([]*mbuf.Mbuf, 32)
	deadline := time.Now().Add(time.Second)
	for len(out) < want && time.Now().Before(deadline) {
		n := p.RxBurst(0, pkts)
		out = append(out, pkts[:n]...)
		if n == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	return out
}

// Frames longer than an mbuf arrive as chains with the bytes sent.
func TestRxScatter(t *testing.T) {
	e := newEnv(t)
	skipNoXDP(t, e)
	kp := e.peer(t)
	pool := porttest.NewPool(t, mbuf.PoolConfig{Name: "afxdp-" + t.Name(), N: 512, CacheSize: 32, DataRoomSize: 128 + 512})
	p := e.open(t, "")
	porttest.Start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1, RxOffloads: ethdev.RxOffloadScatter}, pool, 0)
	want := [][]byte{frame(60, 1), frame(1400, 2), frame(513, 3)}
	for _, f := range want {
		kp.Send(t, f)
	}
	got := recvPort(p, len(want))
	defer func() { mbuf.FreeBulk(0, got) }()
	if len(got) != len(want) {
		t.Fatalf("received %d packets, want %d", len(got), len(want))
	}
	for i, m := range got {
		b := make([]byte, m.PktLen())
		m.CopyTo(b)
		if !bytes.Equal(b, want[i]) {
			t.Errorf("packet %d: %d bytes in %d segments, not the %d sent", i, len(b), m.NbSegs(), len(want[i]))
		}
		if len(want[i]) > 512 && m.NbSegs() < 2 {
			t.Errorf("packet %d of %d bytes in %d segment of a 512-byte pool", i, len(want[i]), m.NbSegs())
		}
	}
	// Tx copies chains too: send them back to the peer.
	kp.Drain()
	if n := p.TxBurst(0, got); n != len(got) {
		t.Fatalf("TxBurst took %d of %d", n, len(got))
	}
	got = nil
	back := kp.Recv(len(want))
	if len(back) != len(want) {
		t.Fatalf("peer got %d frames back, want %d", len(back), len(want))
	}
	for i := range want {
		if !bytes.Equal(back[i], want[i]) {
			t.Errorf("frame %d back: %d bytes, not the %d sent", i, len(back[i]), len(want[i]))
		}
	}
}

// Frames sent while nobody polls overrun the fill ring: the kernel's
// rx_dropped is imissed and the xstat of that name; every xstat the
// driver documents is there.
func TestImissedAndXStats(t *testing.T) {
	e := newEnv(t)
	skipNoXDP(t, e)
	kp := e.peer(t)
	pool := porttest.NewPool(t, mbuf.PoolConfig{Name: "afxdp-" + t.Name(), N: 4096, CacheSize: 32, DataRoomSize: 2176})
	p := e.open(t, "")
	porttest.Start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1}, pool, 0)
	f := frame(64, 9)
	for i := range 3000 {
		kp.Send(t, f)
		if i%64 == 63 {
			time.Sleep(time.Millisecond) // keep veth's own ring from overflowing
		}
	}
	time.Sleep(50 * time.Millisecond)
	got := recvPort(p, 4096)
	n := len(got)
	mbuf.FreeBulk(0, got)
	st := p.Stats()
	xs := map[string]uint64{}
	for _, x := range p.XStats() {
		xs[x.Name] = x.Value
	}
	for _, name := range []string{"rx_dropped", "rx_invalid_descs", "rx_ring_full", "tx_invalid_descs", "rx_fill_ring_empty_descs", "tx_ring_empty_descs"} {
		if _, ok := xs[name]; !ok {
			t.Errorf("no xstat %q", name)
		}
	}
	t.Logf("received %d, imissed %d, xstats %v", n, st.IMissed, xs)
	if n > 2048 || uint64(n)+st.IMissed > 3000 {
		t.Errorf("received %d with 2048 fill frames and nobody polling", n)
	}
	if st.IMissed == 0 || st.IMissed != xs["rx_dropped"] {
		t.Errorf("imissed %d, rx_dropped %d: want equal and > 0", st.IMissed, xs["rx_dropped"])
	}
	p.ResetStats()
	if st := p.Stats(); st.IMissed != 0 {
		t.Errorf("imissed %d after reset", st.IMissed)
	}
}

// busy_budget sets preferred busy polling on the queues' sockets.
func TestBusyBudgetOptions(t *testing.T) {
	e := newEnv(t)
	skipNoXDP(t, e)
	for _, c := range []struct {
		extra string
		want  int
	}{{"", 0}, {",busy_budget=64", 1}} {
		pool := porttest.NewPool(t, mbuf.PoolConfig{Name: "afxdp-" + t.Name() + c.extra, N: 256, CacheSize: 32, DataRoomSize: 2176})
		p := e.open(t, c.extra)
		porttest.Start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1, RxIntr: true}, pool, 0)
		fd, err := p.RxIntrFd(0)
		if err != nil {
			t.Fatal(err)
		}
		v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PREFER_BUSY_POLL)
		if err != nil {
			t.Fatal(err)
		}
		if v != c.want {
			t.Errorf("%q: SO_PREFER_BUSY_POLL %d, want %d", c.extra, v, c.want)
		}
		p.Stop()
		p.Close()
	}
}

// Each rx queue receives its own interface queue's packets: the peer
// sends from CPU i, XPS puts those on its tx queue i, which veth delivers
// on our rx queue i.
func TestTwoQueuesRx(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("SKIPPING: needs 2 CPUs to steer frames to two queues with XPS")
	}
	e := newEnv2(t)
	skipNoXDP(t, e)
	e.b.Run(t, "sh", "-c", fmt.Sprintf("echo 1 > /sys/class/net/%s/queues/tx-0/xps_cpus && echo 2 > /sys/class/net/%s/queues/tx-1/xps_cpus", e.vb, e.vb))
	kp := e.peer(t)
	pool := porttest.NewPool(t, mbuf.PoolConfig{Name: "afxdp-" + t.Name(), N: 512, CacheSize: 32, DataRoomSize: 2176})
	p := e.open(t, ",queue_count=2")
	porttest.Start(t, p, ethdev.Config{RxQueues: 2, TxQueues: 2}, pool, 0)
	const per = 10
	for cpu := range 2 {
		done := make(chan error)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
			var set unix.CPUSet
			set.Set(cpu)
			if err := unix.SchedSetaffinity(0, &set); err != nil {
				done <- err
				return
			}
			for i := range per {
				f := frame(100, byte(cpu*100+i))
				f[14] = byte(cpu)
				if err := kp.Write(f); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	var got [2][]byte // the CPU mark of what each queue received
	pkts := make([]*mbuf.Mbuf, 32)
	deadline := time.Now().Add(2 * time.Second)
	for len(got[0])+len(got[1]) < 2*per && time.Now().Before(deadline) {
		for q := range uint16(2) {
			n := p.RxBurst(q, pkts)
			for _, m := range pkts[:n] {
				b := make([]byte, m.PktLen())
				m.CopyTo(b)
				got[q] = append(got[q], b[14])
			}
			mbuf.FreeBulk(0, pkts[:n])
		}
		time.Sleep(time.Millisecond)
	}
	for q := range 2 {
		if len(got[q]) != per {
			t.Errorf("queue %d received %d packets, want %d", q, len(got[q]), per)
		}
		for _, c := range got[q] {
			if int(c) != q {
				t.Errorf("queue %d received a packet sent from CPU %d", q, c)
				break
			}
		}
	}
}

// Queues set up twice (without a new Configure) still move every packet
// intact: the frames the kernel holds are not handed out again.
func TestQueueSetupTwice(t *testing.T) {
	e := newEnv(t)
	skipNoXDP(t, e)
	kp := e.peer(t)
	pool := porttest.NewPool(t, mbuf.PoolConfig{Name: "afxdp-" + t.Name(), N: 4096, CacheSize: 32, DataRoomSize: 2176})
	p := e.open(t, "")
	if err := p.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := p.RxQueueSetup(0, 0, pool, &ethdev.RxQueueConf{Lcore: 0}); err != nil {
			t.Fatal(err)
		}
		if err := p.TxQueueSetup(0, 0, &ethdev.TxQueueConf{Lcore: 0}); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	// More than a socket's receive frames, in rounds: frames are reused.
	const rounds, per = 10, 300
	for r := range rounds {
		for i := range per {
			kp.Send(t, frame(60+i, byte(r)))
		}
		got := recvPort(p, per)
		for i, m := range got {
			b := make([]byte, m.PktLen())
			m.CopyTo(b)
			if !bytes.Equal(b, frame(60+i, byte(r))) {
				t.Fatalf("round %d packet %d: not the frame sent", r, i)
			}
		}
		kp.Drain()
		if n := p.TxBurst(0, got); n != len(got) {
			mbuf.FreeBulk(0, got[n:])
			t.Fatalf("TxBurst took %d of %d", n, len(got))
		}
		if len(got) != per {
			t.Fatalf("round %d: received %d of %d", r, len(got), per)
		}
		back := kp.Recv(per)
		for i, b := range back {
			if !bytes.Equal(b, frame(60+i, byte(r))) {
				t.Fatalf("round %d frame %d back: not the one sent", r, i)
			}
		}
		if len(back) != per {
			t.Fatalf("round %d: peer got %d of %d back", r, len(back), per)
		}
	}
}
