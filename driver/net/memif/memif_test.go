package memif_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	_ "github.com/dpkit/dpkit/driver/net/memif"
	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/ethdev/porttest"
	"github.com/dpkit/dpkit/internal/testutil"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/mempool"
)

func TestMain(m *testing.M) {
	if s := os.Getenv("DPKIT_MEMIF_ECHO"); s != "" {
		if err := echoServer(s); err != nil {
			fmt.Fprintln(os.Stderr, "echo server:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	testutil.Main(m)
}

// lc is the lcore every alloc and free here uses: none, so that goroutines
// sending and receiving at once do not share a mempool cache.
const lc = mempool.LcoreAny

func newPool(t testing.TB, name string, n int) *mbuf.Pool {
	return porttest.NewPool(t, mbuf.PoolConfig{Name: name, N: n, CacheSize: 32})
}

func open(t testing.TB, devargs string) *ethdev.Port { return porttest.Open(t, devargs) }

func setup(t testing.TB, p *ethdev.Port, queues int, mp *mbuf.Pool) {
	t.Helper()
	porttest.Start(t, p, ethdev.Config{RxQueues: queues, TxQueues: queues}, mp, lc)
}

func waitLink(t testing.TB, up bool, ports ...*ethdev.Port) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
		ok := true
		for _, p := range ports {
			ok = ok && p.Link().Up == up
		}
		if ok {
			return
		}
	}
	t.Fatalf("link not %v", map[bool]string{true: "up", false: "down"}[up])
}

var sockN int

func sock() string {
	sockN++
	return fmt.Sprintf("dpkit-memif-drv-%d-%d", time.Now().UnixNano(), sockN)
}

// packet makes a frame of size bytes numbered i.
func packet(size, i int) []byte {
	f := make([]byte, size)
	for j := range f {
		f[j] = byte(i + j)
	}
	binary.BigEndian.PutUint32(f[0:], uint32(i))
	return f
}

// send transmits frames on queue q, retrying until all are taken.
func send(t *testing.T, p *ethdev.Port, q uint16, mp *mbuf.Pool, frames [][]byte) {
	t.Helper()
	for i := 0; i < len(frames); {
		pkts := make([]*mbuf.Mbuf, 0, 32)
		for j := i; j < len(frames) && len(pkts) < 32; j++ {
			m := mp.Alloc(lc)
			if m == nil {
				t.Fatal("pool empty")
			}
			if err := appendFrame(mp, m, frames[j]); err != nil {
				t.Fatal(err)
			}
			pkts = append(pkts, m)
		}
		n := p.TxBurst(q, pkts)
		mbuf.FreeBulk(lc, pkts[n:])
		i += n
		if n == 0 {
			time.Sleep(10 * time.Microsecond)
		}
	}
}

// appendFrame writes f into m, chaining segments past one data room.
func appendFrame(mp *mbuf.Pool, m *mbuf.Mbuf, f []byte) error {
	for len(f) > 0 {
		last := m.LastSeg()
		if last.Tailroom() == 0 {
			seg := mp.Alloc(lc)
			if seg == nil {
				return fmt.Errorf("pool empty")
			}
			if err := mbuf.Chain(m, seg); err != nil {
				return err
			}
		}
		k := min(m.LastSeg().Tailroom(), len(f))
		copy(m.Append(k), f[:k])
		f = f[k:]
	}
	return nil
}

// recv collects n frames from queue q (or fails after a timeout).
func recv(t *testing.T, p *ethdev.Port, q uint16, n int) [][]byte {
	t.Helper()
	var out [][]byte
	pkts := make([]*mbuf.Mbuf, 32)
	for end := time.Now().Add(5 * time.Second); len(out) < n; {
		k := p.RxBurst(q, pkts)
		for _, m := range pkts[:k] {
			b := make([]byte, m.PktLen())
			m.CopyTo(b)
			out = append(out, b)
		}
		mbuf.FreeBulk(lc, pkts[:k])
		if k == 0 {
			if time.Now().After(end) {
				t.Fatalf("queue %d: received %d of %d", q, len(out), n)
			}
			time.Sleep(10 * time.Microsecond)
		}
	}
	return out
}

func exchange(t *testing.T, a, b *ethdev.Port, queues int, mpA *mbuf.Pool, sizes []int) {
	t.Helper()
	for q := range uint16(queues) {
		for dir, pp := range [][2]*ethdev.Port{{a, b}, {b, a}} {
			var frames [][]byte
			for i, sz := range sizes {
				frames = append(frames, packet(sz, i+int(q)*1000+dir*100000))
			}
			done := make(chan [][]byte)
			go func() { done <- recv(t, pp[1], q, len(frames)) }()
			send(t, pp[0], q, mpA, frames)
			got := <-done
			for i := range frames {
				if !bytes.Equal(got[i], frames[i]) {
					t.Fatalf("queue %d dir %d frame %d: %d bytes, want %d", q, dir, i, len(got[i]), len(frames[i]))
				}
			}
		}
	}
}

// TestPair: a dpkit server and a dpkit client, 2 queue pairs, frames of
// every size up to jumbo (chained over buffers and mbufs), both ways.
func TestPair(t *testing.T) {
	mp := newPool(t, "memif-pair", 8191)
	s := sock()
	srv := open(t, "net_memif0,role=server,id=7,secret=xyz,socket="+s)
	cli := open(t, "net_memif1,role=client,id=7,secret=xyz,rsize=8,socket="+s)
	setup(t, srv, 2, mp)
	setup(t, cli, 2, mp)
	waitLink(t, true, srv, cli)
	var sizes []int
	for i := range 300 {
		sizes = append(sizes, 60+i*31) // 60 .. 9329 bytes
	}
	exchange(t, srv, cli, 2, mp, sizes)
	st := srv.Stats()
	if st.IPackets != 600 || st.OPackets != 600 {
		t.Errorf("server stats: %+v", st)
	}
}

// TestReconnect: the client goes away and comes back (Stop/Start), the
// server goes away and comes back (Close and a new port on the socket):
// the link follows, traffic resumes, nothing leaks — 100 cycles.
func TestReconnect(t *testing.T) {
	mp := newPool(t, "memif-reconnect", 4095)
	s := sock()
	srv := open(t, "net_memif0,role=server,id=1,socket="+s)
	cli := open(t, "net_memif1,role=client,id=1,socket="+s)
	setup(t, srv, 1, mp)
	setup(t, cli, 1, mp)
	cycles := 100
	if testing.Short() {
		cycles = 10
	}
	for i := range cycles {
		waitLink(t, true, srv, cli)
		exchange(t, srv, cli, 1, mp, []int{64, 1500, 3000})
		// Leave packets in flight both ways, then disconnect.
		send(t, cli, 0, mp, [][]byte{packet(100, i)})
		send(t, srv, 0, mp, [][]byte{packet(100, i)})
		if i%2 == 0 {
			if err := cli.Stop(); err != nil {
				t.Fatal(err)
			}
			waitLink(t, false, srv)
			if err := cli.Start(); err != nil {
				t.Fatal(err)
			}
		} else {
			if err := srv.Stop(); err != nil {
				t.Fatal(err)
			}
			if err := srv.Close(); err != nil {
				t.Fatal(err)
			}
			waitLink(t, false, cli)
			srv = open(t, "net_memif0,role=server,id=1,socket="+s)
			setup(t, srv, 1, mp)
		}
		// What was in flight died with the shared memory: the pool is
		// full but for nothing.
		if n := mp.InUse(); n != 0 {
			t.Fatalf("cycle %d: %d mbufs in use between connections", i, n)
		}
	}
}

func TestDevargsErrors(t *testing.T) {
	for _, c := range []struct{ args, want string }{
		{"net_memif0,role=boss", "role"},
		{"net_memif0,secret=" + strings.Repeat("s", 25), "secret"},
		{"net_memif0,bsize=1001", "multiple of 8"},
		{"net_memif0,rsize=15", "rsize"},
		{"net_memif0,role=server,zero-copy=yes", "role=client"},
		{"net_memif0,mac=zz", "mac"},
		{"net_memif0,bogus=1", "bogus"},
	} {
		_, err := ethdev.Open(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error naming %q", c.args, err, c.want)
		}
	}
	s := sock()
	open(t, "net_memif0,role=server,id=3,socket="+s)
	if _, err := ethdev.Open("net_memif1,role=server,id=3,socket=" + s); err == nil || !strings.Contains(err.Error(), "already used") {
		t.Errorf("duplicate id: %v", err)
	}
	open(t, "net_memif2,role=server,id=4,socket="+s) // another id on the same socket is fine
}

// TestRefusedClient: a client with the wrong secret never gets a link.
func TestRefusedClient(t *testing.T) {
	mp := newPool(t, "memif-refused", 1023)
	s := sock()
	srv := open(t, "net_memif0,role=server,id=1,secret=right,socket="+s)
	cli := open(t, "net_memif1,role=client,id=1,secret=wrong,socket="+s)
	setup(t, srv, 1, mp)
	setup(t, cli, 1, mp)
	time.Sleep(300 * time.Millisecond)
	if srv.Link().Up || cli.Link().Up {
		t.Error("link up with a wrong secret")
	}
}

// TestTwoProcesses: the server is another process (this test binary run
// again as a helper) that echoes what it receives; the client here sends
// and checks every frame comes back, then kills the helper and checks the
// link goes down.
func TestTwoProcesses(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	s := sock()
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), "DPKIT_MEMIF_ECHO="+s)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("helper output:\n%s", out.String())
		}
	}()
	mp := newPool(t, "memif-2proc", 4095)
	cli := open(t, "net_memif0,role=client,id=2,socket="+s)
	setup(t, cli, 2, mp)
	waitLink(t, true, cli)
	for q := range uint16(2) {
		var frames [][]byte
		for i := range 1000 {
			frames = append(frames, packet(60+i%1454, i+int(q)*5000))
		}
		done := make(chan [][]byte)
		go func() { done <- recv(t, cli, q, len(frames)) }()
		for i := 0; i < len(frames); i += 16 {
			send(t, cli, q, mp, frames[i:min(i+16, len(frames))])
		}
		got := <-done
		for i := range frames {
			if !bytes.Equal(got[i], frames[i]) {
				t.Fatalf("queue %d frame %d: %d bytes back, want %d", q, i, len(got[i]), len(frames[i]))
			}
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	waitLink(t, false, cli)
}

// echoServer is TestTwoProcesses' other process (see TestMain): a memif
// server echoing every frame back on the queue it came from, until killed
// (or 30 s).
func echoServer(sock string) error {
	mp, err := mbuf.NewPool(mbuf.PoolConfig{Name: "memif-echo", N: 4095, CacheSize: 32, Huge: eal.HugeNever})
	if err != nil {
		return err
	}
	srv, err := ethdev.Open("net_memif0,role=server,id=2,socket=" + sock)
	if err != nil {
		return err
	}
	if err := srv.Configure(ethdev.Config{RxQueues: 2, TxQueues: 2}); err != nil {
		return err
	}
	for q := range uint16(2) {
		if err := srv.RxQueueSetup(q, 0, mp, &ethdev.RxQueueConf{Lcore: lc}); err != nil {
			return err
		}
		if err := srv.TxQueueSetup(q, 0, &ethdev.TxQueueConf{Lcore: lc}); err != nil {
			return err
		}
	}
	if err := srv.Start(); err != nil {
		return err
	}
	pkts := make([]*mbuf.Mbuf, 32)
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); {
		idle := true
		for q := range uint16(2) {
			n := srv.RxBurst(q, pkts)
			for sent := 0; sent < n; {
				sent += srv.TxBurst(q, pkts[sent:n])
			}
			idle = idle && n == 0
		}
		if idle {
			time.Sleep(20 * time.Microsecond)
		}
	}
	return nil
}

// TestRxInterrupt: an idle queue's RxIntrWait times out; a packet the
// peer sends while the queue sleeps wakes it; an armed queue with packets
// waiting is readable at once. Both roles' rx queues.
func TestRxInterrupt(t *testing.T) {
	mp := newPool(t, "memif-intr", 2047)
	s := sock()
	srv := open(t, "net_memif0,role=server,id=1,socket="+s)
	cli := open(t, "net_memif1,role=client,id=1,socket="+s)
	for _, p := range []*ethdev.Port{srv, cli} {
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
	}
	waitLink(t, true, srv, cli)
	for _, dir := range [][2]*ethdev.Port{{srv, cli}, {cli, srv}} {
		tx, rx := dir[0], dir[1]
		if err := ethdev.RxIntrWait(rx, 0, 30*time.Millisecond); err != ethdev.ErrTimeout {
			t.Fatalf("idle queue: %v, want ErrTimeout", err)
		}
		go func() {
			time.Sleep(50 * time.Millisecond)
			send(t, tx, 0, mp, [][]byte{packet(100, 1)})
		}()
		start := time.Now()
		if err := ethdev.RxIntrWait(rx, 0, 5*time.Second); err != nil {
			t.Fatalf("woken by a packet: %v", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("woke after %v", d)
		}
		// Not consumed yet: arming again is readable at once.
		if err := ethdev.RxIntrWait(rx, 0, 0); err != nil {
			t.Fatalf("armed with a packet waiting: %v", err)
		}
		if got := recv(t, rx, 0, 1); len(got) != 1 || !bytes.Equal(got[0], packet(100, 1)) {
			t.Fatal("packet lost")
		}
		if err := ethdev.RxIntrWait(rx, 0, 20*time.Millisecond); err != ethdev.ErrTimeout {
			t.Fatalf("drained queue: %v, want ErrTimeout", err)
		}
	}
}

func newSharedPool(t testing.TB, name string, n int) *mbuf.Pool {
	return porttest.NewPool(t, mbuf.PoolConfig{Name: name, N: n, CacheSize: 32, Shared: true})
}

// TestZeroCopy: a zero-copy client (its mbuf pool shared with the server)
// and a copying server, 2 queues, frames up to 9000 bytes (chains of
// mbufs become chains of descriptors pointing into them), both ways;
// reconnecting returns every mbuf the rings held.
func TestZeroCopy(t *testing.T) {
	mp := newSharedPool(t, "memif-zc", 8191)
	s := sock()
	srv := open(t, "net_memif0,role=server,id=5,socket="+s)
	cli := open(t, "net_memif1,role=client,id=5,zero-copy=yes,rsize=8,socket="+s)
	setup(t, srv, 2, mp)
	setup(t, cli, 2, mp)
	waitLink(t, true, srv, cli)
	var sizes []int
	for i := range 300 {
		sizes = append(sizes, 60+i*31)
	}
	exchange(t, srv, cli, 2, mp, sizes)
	if st := cli.Stats(); st.OErrors != 0 || st.IErrors != 0 {
		t.Errorf("client stats %+v", st)
	}
	// A packet from memory the server cannot see is dropped and counted.
	priv := newPool(t, "memif-zc-private", 63)
	m := priv.Alloc(lc)
	copy(m.Append(64), packet(64, 1))
	if n := cli.TxBurst(0, []*mbuf.Mbuf{m}); n != 1 {
		t.Fatalf("TxBurst took %d", n)
	}
	if st := cli.Stats(); st.OErrors != 1 {
		t.Errorf("oerrors %d, want 1", st.OErrors)
	}
	// The client holds offered rx mbufs and unreclaimed tx ones; a
	// disconnect gives them all back.
	if err := cli.Stop(); err != nil {
		t.Fatal(err)
	}
	waitLink(t, false, srv)
	if n := mp.InUse(); n != 0 {
		t.Errorf("%d mbufs in use after the zero-copy client stopped", n)
	}
}

func TestZeroCopyNeedsSharedPool(t *testing.T) {
	mp := newPool(t, "memif-zc-private-rx", 1023)
	p := open(t, "net_memif1,role=client,id=5,zero-copy=yes,socket="+sock())
	if err := p.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1}); err != nil {
		t.Fatal(err)
	}
	if err := p.RxQueueSetup(0, 0, mp, nil); err == nil || !strings.Contains(err.Error(), "Shared") {
		t.Errorf("rx pool not shared: %v", err)
	}
	if _, err := ethdev.Open("net_memif2,role=server,zero-copy=yes,socket=" + sock()); err == nil {
		t.Error("zero-copy server accepted")
	}
}
