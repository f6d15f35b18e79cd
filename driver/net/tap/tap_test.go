package tap_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/dpkit/dpkit/driver/net/tap"
	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/ethdev/porttest"
	"github.com/dpkit/dpkit/internal/netns/netnstest"
	"github.com/dpkit/dpkit/internal/testutil"
	"github.com/dpkit/dpkit/mbuf"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) { testutil.Main(m) }

const lc = 0

var (
	tapIP  = [4]byte{10, 8, 0, 1} // the kernel's address on the TAP
	portIP = [4]byte{10, 8, 0, 2} // the port's (answered by the test)
)

var seq atomic.Uint32

// open opens a net_tap port in ns with extra devargs; closed at the end.
func open(t *testing.T, ns *netnstest.NS, extra string) (*ethdev.Port, string) {
	t.Helper()
	name := fmt.Sprintf("dkt%d", seq.Add(1))
	args := fmt.Sprintf("net_tap_%s,iface=%s%s", name, name, extra)
	var p *ethdev.Port
	if err := ns.Do(func() (err error) { p, err = ethdev.Open(args); return err }); err != nil {
		t.Fatalf("Open(%q): %v", args, err)
	}
	t.Cleanup(func() {
		if p.State() == ethdev.StateStarted {
			p.Stop()
		}
		if p.State() != ethdev.StateClosed {
			p.Close()
		}
	})
	return p, name
}

// sniffer is a packet socket on the TAP interface, in the kernel: what it
// sends reaches the port's rx queues, and it sees what the port sends.
type sniffer struct{ fd, ifindex int }

func newSniffer(t *testing.T, ns *netnstest.NS, iface string) *sniffer {
	t.Helper()
	s := &sniffer{fd: -1}
	err := ns.Do(func() error {
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		s.fd = fd
		ifr, _ := unix.NewIfreq(iface)
		if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
			return err
		}
		s.ifindex = int(ifr.Uint32())
		unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1)
		tv := unix.Timeval{Usec: 100000}
		unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: 0x0300, Ifindex: s.ifindex})
	})
	if s.fd >= 0 {
		t.Cleanup(func() { unix.Close(s.fd) })
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *sniffer) recv(want int) [][]byte {
	var out [][]byte
	buf := make([]byte, 65536)
	deadline := time.Now().Add(time.Second)
	for len(out) < want && time.Now().Before(deadline) {
		if n, _, err := unix.Recvfrom(s.fd, buf, 0); err == nil {
			out = append(out, bytes.Clone(buf[:n]))
		}
	}
	return out
}

func TestConformance(t *testing.T) {
	netnstest.Require(t)
	ns := netnstest.New(t)
	var sn *sniffer
	porttest.Run(t, porttest.Config{
		Open: func(t *testing.T) *ethdev.Port {
			p, name := open(t, ns, "")
			sn = newSniffer(t, ns, name)
			return p
		},
		Queues: 1,
		Inject: func(t *testing.T, p *ethdev.Port, _ uint16, f []byte) {
			err := unix.Sendto(sn.fd, f, 0, &unix.SockaddrLinklayer{Ifindex: sn.ifindex})
			if err == unix.ENETDOWN {
				// The socket was bound while the TAP was down (before
				// Start): it reports that once, then works.
				err = unix.Sendto(sn.fd, f, 0, &unix.SockaddrLinklayer{Ifindex: sn.ifindex})
			}
			if err != nil {
				t.Fatalf("inject: %v (state %v): %s", err, p.State(), ns.Run(t, "ip", "link"))
			}
		},
		Observe: func(t *testing.T, _ *ethdev.Port, want int) [][]byte { return sn.recv(want) },
	})
}

func TestConformanceMultiQueue(t *testing.T) {
	netnstest.Require(t)
	ns := netnstest.New(t)
	porttest.Run(t, porttest.Config{
		Open:   func(t *testing.T) *ethdev.Port { p, _ := open(t, ns, ""); return p },
		Queues: 4,
	})
}

func newPool(t *testing.T, n int, room ...int) *mbuf.Pool {
	cfg := mbuf.PoolConfig{Name: "tap-" + t.Name(), N: n, CacheSize: 32}
	if len(room) > 0 {
		cfg.DataRoomSize = room[0]
	}
	return porttest.NewPool(t, cfg)
}

func start(t *testing.T, p *ethdev.Port, cfg ethdev.Config, mp *mbuf.Pool) {
	t.Helper()
	porttest.Start(t, p, cfg, mp, lc)
}

func csum(b []byte, sum uint32) uint16 {
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// answer is the port's side of a ping: ARP replies and ICMP echo replies
// for portIP, built in place of the request.
func answer(f []byte, mac ethdev.MAC) bool {
	if len(f) < 42 {
		return false
	}
	switch binary.BigEndian.Uint16(f[12:]) {
	case 0x0806:
		a := f[14:]
		if binary.BigEndian.Uint16(a[6:]) != 1 || !bytes.Equal(a[24:28], portIP[:]) {
			return false
		}
		copy(f[0:], f[6:12])
		copy(f[6:], mac[:])
		binary.BigEndian.PutUint16(a[6:], 2)
		var sha [6]byte
		var spa [4]byte
		copy(sha[:], a[8:14])
		copy(spa[:], a[14:18])
		copy(a[8:], mac[:])
		copy(a[14:], portIP[:])
		copy(a[18:], sha[:])
		copy(a[24:], spa[:])
		return true
	case 0x0800:
		ip := f[14:]
		ihl := int(ip[0]&15) * 4
		if ip[9] != unix.IPPROTO_ICMP || !bytes.Equal(ip[16:20], portIP[:]) || ip[ihl] != 8 {
			return false
		}
		copy(f[0:], f[6:12])
		copy(f[6:], mac[:])
		var src [4]byte
		copy(src[:], ip[12:16])
		copy(ip[12:], ip[16:20])
		copy(ip[16:], src[:])
		icmp := ip[ihl:binary.BigEndian.Uint16(ip[2:])]
		icmp[0], icmp[2], icmp[3] = 0, 0, 0
		binary.BigEndian.PutUint16(icmp[2:], csum(icmp, 0))
		return true
	}
	return false
}

// TestPingThroughPort: the kernel pings portIP through the TAP; the test
// answers ARP and ICMP over the port's bursts, on every queue.
func TestPingThroughPort(t *testing.T) {
	netnstest.Require(t)
	ns := netnstest.New(t)
	mp := newPool(t, 1023)
	p, name := open(t, ns, ",mac=02:aa:bb:cc:dd:01")
	start(t, p, ethdev.Config{RxQueues: 2, TxQueues: 2}, mp)
	ns.Run(t, "ip", "addr", "add", "10.8.0.1/24", "dev", name)
	if mac := p.MAC(); mac != (ethdev.MAC{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x01}) {
		t.Errorf("MAC %v, want 02:aa:bb:cc:dd:01 from mac=", mac)
	}
	if !p.Link().Up {
		t.Error("link down after Start")
	}
	// Someone takes the interface down and up: the callbacks hear of it.
	links := make(chan ethdev.Link, 16)
	remove := p.OnLinkChange(func(_ *ethdev.Port, l ethdev.Link) { links <- l })
	for _, state := range []string{"down", "up"} {
		ns.Run(t, "ip", "link", "set", name, state)
		select {
		case l := <-links:
			if l.Up != (state == "up") {
				t.Errorf("interface %s: callback says %v", state, l)
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("interface %s: no link callback in 3 s", state)
		}
	}
	remove()
	stop := make(chan struct{})
	done := make(chan int)
	go func() { // the port's responder
		answered := 0
		rx := make([]*mbuf.Mbuf, 32)
		mac := p.MAC()
		for {
			select {
			case <-stop:
				done <- answered
				return
			default:
			}
			for q := range uint16(2) {
				n := p.RxBurst(q, rx)
				k := 0
				for _, m := range rx[:n] {
					if m.IsContiguous() && answer(m.Data(), mac) {
						rx[k] = m
						k++
						answered++
					} else {
						m.Free(lc)
					}
				}
				sent := p.TxBurst(q, rx[:k])
				mbuf.FreeBulk(lc, rx[sent:k])
			}
			time.Sleep(100 * time.Microsecond)
		}
	}()
	fd := -1
	if err := ns.Do(func() (err error) {
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMP)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	tv := unix.Timeval{Usec: 100000}
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	buf := make([]byte, 2048)
	replies := 0
	for s := 1; s <= 5; s++ {
		req := make([]byte, 64)
		req[0] = 8
		binary.BigEndian.PutUint16(req[4:], 0x77)
		binary.BigEndian.PutUint16(req[6:], uint16(s))
		binary.BigEndian.PutUint16(req[2:], csum(req, 0))
		if err := unix.Sendto(fd, req, 0, &unix.SockaddrInet4{Addr: portIP}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(2 * time.Second)
		for time.Now().Before(deadline) {
			n, _, err := unix.Recvfrom(fd, buf, 0)
			if err != nil || n < 28 {
				continue
			}
			icmp := buf[int(buf[0]&15)*4 : n]
			if icmp[0] == 0 && binary.BigEndian.Uint16(icmp[6:]) == uint16(s) && csum(icmp, 0) == 0 {
				replies++
				break
			}
		}
	}
	close(stop)
	answered := <-done
	if replies != 5 {
		t.Errorf("%d of 5 echo replies reached the kernel (the port answered %d requests)", replies, answered)
	}
	st := p.Stats()
	if st.IPackets < 6 || st.OPackets < 6 {
		t.Errorf("stats %d in, %d out; want at least an ARP and 5 echoes each way", st.IPackets, st.OPackets)
	}
}

// udpPacket is an Ethernet/IPv4/UDP frame from portIP to tapIP:port whose
// UDP checksum field holds the pseudo-header sum (what DPDK's tx checksum
// offload expects).
func udpPacket(dst ethdev.MAC, port uint16, payload []byte) []byte {
	f := make([]byte, 42+len(payload))
	copy(f, dst[:])
	copy(f[6:], []byte{0x02, 0xaa, 0, 0, 0, 9})
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, unix.IPPROTO_UDP
	binary.BigEndian.PutUint16(ip[2:], uint16(len(ip)))
	copy(ip[12:], portIP[:])
	copy(ip[16:], tapIP[:])
	binary.BigEndian.PutUint16(ip[10:], csum(ip[:20], 0))
	udp := ip[20:]
	binary.BigEndian.PutUint16(udp[0:], 4444)
	binary.BigEndian.PutUint16(udp[2:], port)
	binary.BigEndian.PutUint16(udp[4:], uint16(len(udp)))
	copy(udp[8:], payload)
	var ph uint32
	for i := 12; i < 20; i += 2 {
		ph += uint32(ip[i])<<8 | uint32(ip[i+1])
	}
	ph += unix.IPPROTO_UDP + uint32(len(udp))
	binary.BigEndian.PutUint16(udp[6:], ^csum(nil, ph)) // folded, not complemented
	return f
}

// TestTxOffloads sends UDP through the port with the checksum (and the
// segmentation) left to the kernel by the mbuf flags; a kernel UDP socket
// counts what it accepts.
func TestTxOffloads(t *testing.T) {
	netnstest.Require(t)
	ns := netnstest.New(t)
	mp := newPool(t, 1023, 4096+mbuf.Headroom)
	p, name := open(t, ns, "")
	start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1, TxOffloads: ethdev.TxOffloadUDPCksum | ethdev.TxOffloadUDPTSO}, mp)
	ns.Run(t, "ip", "addr", "add", "10.8.0.1/24", "dev", name)
	const port = 6000
	fd := -1
	if err := ns.Do(func() (err error) {
		if fd, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0); err != nil {
			return err
		}
		return unix.Bind(fd, &unix.SockaddrInet4{Addr: tapIP, Port: port})
	}); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	tv := unix.Timeval{Usec: 200000}
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	recv := func() []int {
		var sizes []int
		buf := make([]byte, 65536)
		for {
			n, _, err := unix.Recvfrom(fd, buf, 0)
			if err != nil {
				return sizes
			}
			sizes = append(sizes, n)
		}
	}
	send := func(f []byte, flags uint64, segsz int) {
		t.Helper()
		m := mp.Alloc(lc)
		if copy(m.Append(len(f)), f) != len(f) {
			t.Fatalf("%d bytes do not fit an mbuf", len(f))
		}
		m.SetTxLens(14, 20, 8, segsz, 0, 0)
		m.SetOlFlags(flags)
		if p.TxBurst(0, []*mbuf.Mbuf{m}) != 1 {
			m.Free(lc)
			t.Fatal("TxBurst took nothing")
		}
	}
	payload := bytes.Repeat([]byte("0123456789"), 100)
	f := udpPacket(p.MAC(), port, payload)
	send(f, 0, 0)
	if got := recv(); len(got) != 0 {
		t.Fatalf("pseudo-header checksum without the offload flag: kernel accepted %v", got)
	}
	send(f, mbuf.TxIPv4|mbuf.TxUDPCksum, 0)
	if got := recv(); len(got) != 1 || got[0] != len(payload) {
		t.Fatalf("TxUDPCksum: kernel received %v, want one %d-byte datagram", got, len(payload))
	}
	big := udpPacket(p.MAC(), port, bytes.Repeat(payload, 3))
	send(big, mbuf.TxIPv4|mbuf.TxUDPSeg|mbuf.TxUDPCksum, 1000)
	if got := recv(); len(got) != 3 || got[0] != 1000 || got[2] != 1000 {
		t.Fatalf("TxUDPSeg: kernel received %v, want 3 x 1000", got)
	}
}

// TestRxLRO: with tcp_lro the kernel hands over one unsegmented UDP GSO
// packet (where it has UDP segmentation offload for TAPs, Linux 6.2).
func TestRxLRO(t *testing.T) {
	netnstest.Require(t)
	ns := netnstest.New(t)
	mp := newPool(t, 1023)
	p, name := open(t, ns, ",mac=02:aa:bb:cc:dd:02")
	start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1, RxOffloads: ethdev.RxOffloadTCPLRO | ethdev.RxOffloadUDPCksum}, mp)
	ns.Run(t, "ip", "addr", "add", "10.8.0.1/24", "dev", name)
	ns.Run(t, "ip", "neigh", "add", "10.8.0.2", "lladdr", "02:aa:bb:cc:dd:02", "dev", name)
	fd := -1
	if err := ns.Do(func() (err error) {
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.SetsockoptInt(fd, unix.SOL_UDP, unix.UDP_SEGMENT, 1000); err != nil {
		t.Skipf("SKIP: UDP_SEGMENT: %v", err)
	}
	if err := unix.Sendto(fd, bytes.Repeat([]byte{7}, 3000), 0, &unix.SockaddrInet4{Addr: portIP, Port: 9}); err != nil {
		t.Fatal(err)
	}
	rx := make([]*mbuf.Mbuf, 8)
	var got []*mbuf.Mbuf
	deadline := time.Now().Add(time.Second)
	for len(got) == 0 && time.Now().Before(deadline) {
		n := p.RxBurst(0, rx)
		got = append(got, rx[:n]...)
		time.Sleep(time.Millisecond)
	}
	defer mbuf.FreeBulk(lc, got)
	if len(got) != 1 {
		t.Fatalf("received %d packets", len(got))
	}
	m := got[0]
	if err := m.Check(true); err != nil {
		t.Fatal(err)
	}
	if m.PktLen() != 42+3000 || m.OlFlags()&mbuf.RxLRO == 0 || m.TSOSegsz() != 1000 || m.OlFlags()&mbuf.RxL4CksumMask != mbuf.RxL4CksumNone {
		t.Errorf("got %d bytes in %d segs, flags %s, segsz %d; want 3042, LRO, segment 1000, L4 checksum none",
			m.PktLen(), m.NbSegs(), mbuf.FlagsString(m.OlFlags()), m.TSOSegsz())
	}
	b := make([]byte, m.PktLen())
	m.CopyTo(b)
	if !bytes.Equal(b[42:], bytes.Repeat([]byte{7}, 3000)) {
		t.Error("payload differs")
	}
}

// TestPersistFixedMAC: persist keeps the TAP after Close with its fixed
// MAC, and a new port attaches to it.
func TestPersistFixedMAC(t *testing.T) {
	netnstest.Require(t)
	ns := netnstest.New(t)
	p, name := open(t, ns, ",persist,mac=fixed")
	mac := p.MAC()
	if mac[0] != 0 || mac[1] != 0x64 || mac[2] != 0x74 || mac[3] != 0x61 || mac[4] != 0x70 {
		t.Errorf("mac=fixed gave %v, want 00:64:74:61:70:xx", mac)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	out := ns.Run(t, "ip", "-o", "link", "show", name)
	if !strings.Contains(out, mac.String()) {
		t.Fatalf("persistent TAP gone after Close: %s", out)
	}
	var q *ethdev.Port
	if err := ns.Do(func() (err error) { q, err = ethdev.Open("net_tap_again,iface=" + name); return err }); err != nil {
		t.Fatalf("attach: %v", err)
	}
	if q.MAC() != mac {
		t.Errorf("attached port MAC %v, want %v", q.MAC(), mac)
	}
	q.Close()
	ns.Run(t, "ip", "link", "del", name)
}

func TestDevargs(t *testing.T) {
	for _, c := range []struct{ args, want string }{
		{"net_tap0,mac=zz", `bad mac="zz"`},
		{"net_tap0,mac=01:00:5e:00:00:01", "multicast"},
		{"net_tap0,iface=averyveryverylongname", "too long"},
		{"net_tap0,remote=eth0", `unknown key "remote"`},
	} {
		p, err := ethdev.Open(c.args)
		if err == nil {
			p.Close()
			t.Errorf("Open(%q) succeeded", c.args)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%q): %v, want it to say %q", c.args, err, c.want)
		}
	}
}

func TestRxInterrupt(t *testing.T) {
	netnstest.Require(t)
	ns := netnstest.New(t)
	mp := newPool(t, 511)
	p, name := open(t, ns, "")
	start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1, RxIntr: true}, mp)
	sn := newSniffer(t, ns, name)
	if err := ethdev.RxIntrWait(p, 0, 20*time.Millisecond); !errors.Is(err, ethdev.ErrTimeout) {
		t.Fatalf("idle queue: %v, want ErrTimeout", err)
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		f := make([]byte, 60)
		copy(f, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x88, 0xb5})
		unix.Sendto(sn.fd, f, 0, &unix.SockaddrLinklayer{Ifindex: sn.ifindex})
	}()
	if err := ethdev.RxIntrWait(p, 0, 2*time.Second); err != nil {
		t.Fatalf("RxIntrWait: %v", err)
	}
	rx := make([]*mbuf.Mbuf, 4)
	n := p.RxBurst(0, rx)
	mbuf.FreeBulk(lc, rx[:n])
	if n != 1 {
		t.Errorf("received %d after the wake-up", n)
	}
}

// TestMultiQueueSpread: the kernel spreads what it sends to the TAP over
// the port's rx queues by flow; every datagram arrives once.
func TestMultiQueueSpread(t *testing.T) {
	netnstest.Require(t)
	ns := netnstest.New(t)
	mp := newPool(t, 2047)
	p, name := open(t, ns, ",mac=02:aa:bb:cc:dd:04")
	const nq = 4
	start(t, p, ethdev.Config{RxQueues: nq, TxQueues: nq}, mp)
	ns.Run(t, "ip", "addr", "add", "10.8.0.1/24", "dev", name)
	ns.Run(t, "ip", "neigh", "add", "10.8.0.2", "lladdr", "02:aa:bb:cc:dd:04", "dev", name)
	fd := -1
	if err := ns.Do(func() (err error) {
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	const flows, per = 64, 4
	for k := range per {
		for f := range flows {
			// One flow per destination port.
			if err := unix.Sendto(fd, []byte{byte(k)}, 0, &unix.SockaddrInet4{Addr: portIP, Port: 2000 + f}); err != nil {
				t.Fatal(err)
			}
		}
	}
	perQueue := make([]int, nq)
	queueOf := map[uint16]int{}
	rx := make([]*mbuf.Mbuf, 32)
	total := 0
	for deadline := time.Now().Add(2 * time.Second); total < flows*per && time.Now().Before(deadline); {
		for q := range uint16(nq) {
			n := p.RxBurst(q, rx)
			for _, m := range rx[:n] {
				d := m.Data()
				if len(d) < 43 || binary.BigEndian.Uint16(d[12:]) != 0x0800 || d[23] != unix.IPPROTO_UDP {
					continue
				}
				port := binary.BigEndian.Uint16(d[36:])
				if w, ok := queueOf[port]; ok && w != int(q) {
					t.Errorf("flow to port %d on queues %d and %d", port, w, q)
				}
				queueOf[port] = int(q)
				perQueue[q]++
				total++
			}
			mbuf.FreeBulk(lc, rx[:n])
		}
		time.Sleep(100 * time.Microsecond)
	}
	if total != flows*per {
		t.Fatalf("received %d of %d datagrams (per queue %v)", total, flows*per, perQueue)
	}
	used := 0
	for _, n := range perQueue {
		if n > 0 {
			used++
		}
	}
	if used < 2 {
		t.Errorf("the kernel used %d of %d queues: %v", used, nq, perQueue)
	}
	t.Logf("per queue: %v", perQueue)
}
