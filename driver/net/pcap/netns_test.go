//go:build linux

package pcap_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/ethdev/porttest"
	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/mbuf"
)

// vethNS is a network namespace the test creates holding a veth pair a-b
// with IPv6 off (so that nothing but the test's frames crosses it) and
// an MTU for 9000-byte frames.
type vethNS struct {
	name string
	a, b string
	fd   int
}

func newVethNS(t *testing.T) *vethNS {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("SKIPPED: needs root to create a network namespace and a veth pair")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("SKIPPED: needs the ip command (Debian package iproute2)")
	}
	id := os.Getpid() % 100000
	n := &vethNS{name: fmt.Sprintf("dpk-pcap-%d", id), a: fmt.Sprintf("dpkpa%d", id), b: fmt.Sprintf("dpkpb%d", id)}
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v: %s", args, err, out)
		}
	}
	exec.Command("ip", "netns", "del", n.name).Run() // a leftover of a killed run
	run("netns", "add", n.name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", n.name).Run() })
	if out, err := exec.Command("ip", "netns", "exec", n.name, "sysctl", "-qw",
		"net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1").CombinedOutput(); err != nil {
		t.Fatalf("sysctl: %v: %s", err, out)
	}
	run("-n", n.name, "link", "add", n.a, "type", "veth", "peer", "name", n.b)
	run("-n", n.name, "link", "set", n.a, "mtu", "9100", "up")
	run("-n", n.name, "link", "set", n.b, "mtu", "9100", "up")
	// Frames sent before the kernel's link watcher has given the devices
	// their qdisc ("qdisc noop" until then) are dropped: wait for it.
	for _, ifname := range []string{n.a, n.b} {
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			out, _ := exec.Command("ip", "-n", n.name, "-o", "link", "show", "dev", ifname).Output()
			if bytes.Contains(out, []byte("state UP")) && !bytes.Contains(out, []byte("qdisc noop")) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s not up after 5 s: %s", ifname, out)
			}
		}
	}
	fd, err := unix.Open("/run/netns/"+n.name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	n.fd = fd
	t.Cleanup(func() { unix.Close(fd) })
	return n
}

// do runs fn on a thread inside the namespace: sockets made there stay in
// it.
func (n *vethNS) do(t testing.TB, fn func()) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	self, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(self)
	if err := unix.Setns(n.fd, unix.CLONE_NEWNET); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := unix.Setns(self, unix.CLONE_NEWNET); err != nil {
			panic(err) // the thread is in the wrong namespace
		}
	}()
	fn()
}

// peer is a raw socket on one end of the veth: what it sends arrives on
// the other end, what the other end sends it receives.
type peer struct{ fd int }

func (n *vethNS) peer(t testing.TB, ifname string) *peer {
	t.Helper()
	var p peer
	n.do(t, func() {
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
		if err != nil {
			t.Fatal(err)
		}
		ifc, err := net.InterfaceByName(ifname)
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifc.Index}); err != nil {
			t.Fatal(err)
		}
		tv := unix.Timeval{Usec: 20000}
		unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
		p.fd = fd
	})
	t.Cleanup(func() { unix.Close(p.fd) })
	return &p
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func (p *peer) send(t testing.TB, frame []byte) {
	t.Helper()
	if _, err := unix.Write(p.fd, frame); err != nil {
		t.Fatalf("peer send: %v", err)
	}
}

// recv returns the test frames (EtherType 0x88b5) that arrive within d,
// up to want of them, skipping the kernel's own traffic.
func (p *peer) recv(want int, d time.Duration) [][]byte {
	var out [][]byte
	buf := make([]byte, 70000)
	deadline := time.Now().Add(d)
	for len(out) < want && time.Now().Before(deadline) {
		n, _, err := unix.Recvfrom(p.fd, buf, 0)
		if err != nil || n < 14 || buf[12] != 0x88 || buf[13] != 0xb5 {
			continue
		}
		out = append(out, bytes.Clone(buf[:n]))
	}
	return out
}

// drain drops whatever is queued.
func (p *peer) drain() { p.recv(1<<30, 50*time.Millisecond) }

// openIn opens a port inside the namespace (its sockets live there).
func (n *vethNS) openIn(t *testing.T, devargs string) *ethdev.Port {
	t.Helper()
	var p *ethdev.Port
	var err error
	n.do(t, func() { p, err = ethdev.Open(devargs) })
	if err != nil {
		t.Fatalf("Open(%q): %v", devargs, err)
	}
	return p
}

// TestConformanceIface runs ethdev/porttest on iface= over a veth: frames
// are injected from the other end and observed there.
func TestConformanceIface(t *testing.T) {
	ns := newVethNS(t)
	pb := ns.peer(t, ns.b)
	porttest.Run(t, porttest.Config{
		Open: func(t *testing.T) *ethdev.Port {
			pb.drain() // what earlier ports sent
			return ns.openIn(t, portName()+",iface="+ns.a)
		},
		Inject: func(t *testing.T, p *ethdev.Port, q uint16, frame []byte) { pb.send(t, frame) },
		Observe: func(t *testing.T, p *ethdev.Port, want int) [][]byte {
			return pb.recv(want, time.Second)
		},
	})
}

// TestIfaceDirections: rx_iface receives both what arrives on the
// interface and what leaves it; rx_iface_in only what arrives; iface=
// does not receive what it sent itself; phy_mac takes the interface's
// address.
func TestIfaceDirections(t *testing.T) {
	ns := newVethNS(t)
	pb := ns.peer(t, ns.b)
	mp := newPool(t, 1023, 0)
	p := ns.openIn(t, portName()+",rx_iface="+ns.a+",rx_iface_in="+ns.a+",tx_iface="+ns.a)
	t.Cleanup(func() { p.Close() })
	if di := p.Info(); di.MaxRxQueues != 2 || di.MaxTxQueues != 1 {
		t.Fatalf("queues %d/%d, want 2/1", di.MaxRxQueues, di.MaxTxQueues)
	}
	start(t, p, mp, ethdev.Config{RxQueues: 2, TxQueues: 1})
	in := frames(20, 5, 60, 1514, 200)
	before := time.Now().UnixNano()
	for _, f := range in {
		pb.send(t, f.data)
	}
	out := frames(21, 4, 100, 9000)
	var pkts []*mbuf.Mbuf
	for _, f := range out {
		pkts = append(pkts, mbuftest.Packet(t, mp, f.data, 0))
	}
	if n := p.TxBurst(0, pkts); n != len(pkts) {
		t.Fatalf("TxBurst took %d of %d", n, len(pkts))
	}
	if got := pb.recv(len(out), time.Second); len(got) != len(out) {
		t.Fatalf("peer received %d of %d", len(got), len(out))
	} else {
		for i := range got {
			if !bytes.Equal(got[i], out[i].data) {
				t.Fatalf("peer frame %d differs", i)
			}
		}
	}
	both := rxTestFrames(t, p, 0, len(in)+len(out))
	inOnly := rxTestFrames(t, p, 1, len(in))
	if len(both) != len(in)+len(out) {
		t.Errorf("rx_iface received %d frames, want %d in + %d out", len(both), len(in), len(out))
	}
	samePkts(t, inOnly, in, false)
	for i, f := range inOnly { // the kernel's receive time
		if now := time.Now().UnixNano(); f.ts < before || f.ts > now {
			t.Errorf("frame %d: timestamp %d outside [%d, %d]", i, f.ts, before, now)
		}
	}

	// iface=: one socket both ways, its own frames not received.
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	p.Close()
	q := ns.openIn(t, portName()+",iface="+ns.a+",phy_mac=1")
	t.Cleanup(func() { q.Close() })
	var mac net.HardwareAddr
	ns.do(t, func() {
		ifc, err := net.InterfaceByName(ns.a)
		if err != nil {
			t.Fatal(err)
		}
		mac = ifc.HardwareAddr
	})
	if m := q.MAC(); !bytes.Equal(m[:], mac) {
		t.Errorf("phy_mac: MAC %v, interface has %v", m, mac)
	}
	start(t, q, mp, ethdev.Config{})
	pkts = pkts[:0]
	for _, f := range out {
		pkts = append(pkts, mbuftest.Packet(t, mp, f.data, 0))
	}
	q.TxBurst(0, pkts)
	pb.send(t, in[0].data)
	samePkts(t, rxTestFrames(t, q, 0, 1), in[:1], false)

	// A frame over the MTU is dropped and counted, not kept.
	big := mbuftest.Packet(t, mp, frames(22, 1, 9500)[0].data, 0)
	if n := q.TxBurst(0, []*mbuf.Mbuf{big}); n != 1 {
		t.Fatalf("TxBurst of an oversize frame took %d", n)
	}
	if st := q.Stats(); st.OErrors != 1 {
		t.Fatalf("oerrors %d after an oversize frame, want 1", st.OErrors)
	}
}

// rxTestFrames receives the test frames on q: it waits up to two seconds
// for want of them, then 20 ms more for any extra.
func rxTestFrames(t *testing.T, p *ethdev.Port, q uint16, want int) []pkt {
	t.Helper()
	var out []pkt
	deadline := time.Now().Add(2 * time.Second)
	for len(out) < want && time.Now().Before(deadline) {
		out = append(out, testFrames(rxAllNoTS(t, p, q))...)
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	return append(out, testFrames(rxAllNoTS(t, p, q))...)
}

func testFrames(all []pkt) []pkt {
	var out []pkt
	for _, f := range all {
		if len(f.data) >= 14 && f.data[12] == 0x88 && f.data[13] == 0xb5 {
			out = append(out, f)
		}
	}
	return out
}

func rxAllNoTS(t *testing.T, p *ethdev.Port, q uint16) []pkt {
	rx := make([]*mbuf.Mbuf, 32)
	var out []pkt
	for idle := 0; idle < 3; {
		n := p.RxBurst(q, rx)
		if n == 0 {
			idle++
			continue
		}
		for _, m := range rx[:n] {
			b := make([]byte, m.PktLen())
			m.CopyTo(b)
			var ts int64
			if m.OlFlags()&mbuf.RxTimestamp != 0 {
				ts = int64(m.Timestamp())
			}
			out = append(out, pkt{ts: ts, data: b})
		}
		mbuf.FreeBulk(lc, rx[:n])
	}
	return out
}
