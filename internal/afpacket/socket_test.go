package afpacket

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dpkit/dpkit/internal/netns/netnstest"
	"golang.org/x/sys/unix"
)

// pair is a veth pair across two namespaces: our sockets go on va in a,
// the kernel peer (a plain packet socket, or tools) on vb in b.
type pair struct {
	a, b   *netnstest.NS
	va, vb string
}

func newPair(t *testing.T) pair {
	netnstest.Require(t)
	a, b := netnstest.New(t), netnstest.New(t)
	va, vb := netnstest.NewVeth(t, a, b)
	return pair{a, b, va, vb}
}

// open opens a Socket on the interface in ns.
func open(t testing.TB, ns *netnstest.NS, cfg Config) *Socket {
	t.Helper()
	var s *Socket
	err := ns.Do(func() (err error) {
		s, err = Open(cfg)
		return err
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// peer is a plain (unmapped) packet socket on the kernel side: sendto and
// recvfrom through the kernel's ordinary packet path.
type peer struct {
	fd      int
	ifindex int
}

func newPeer(t testing.TB, ns *netnstest.NS, iface string) *peer {
	t.Helper()
	p := &peer{fd: -1}
	err := ns.Do(func() error {
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		p.fd = fd
		ifr, err := unix.NewIfreq(iface)
		if err != nil {
			return err
		}
		if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
			return err
		}
		p.ifindex = int(ifr.Uint32())
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 64<<20); err != nil {
			return err
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1); err != nil {
			return err
		}
		tv := unix.Timeval{Usec: 200000}
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
			return err
		}
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: p.ifindex})
	})
	if p.fd >= 0 {
		t.Cleanup(func() { unix.Close(p.fd) })
	}
	if err != nil {
		t.Fatalf("peer socket on %s: %v", iface, err)
	}
	return p
}

func (p *peer) send(t testing.TB, frame []byte) {
	t.Helper()
	for {
		err := unix.Sendto(p.fd, frame, 0, &unix.SockaddrLinklayer{Ifindex: p.ifindex})
		if err == unix.ENOBUFS || err == unix.EAGAIN {
			time.Sleep(time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatalf("peer sendto: %v", err)
		}
		return
	}
}

// recv returns the next frame the peer received, or nil after 200 ms.
func (p *peer) recv(buf []byte) []byte {
	n, _, err := unix.Recvfrom(p.fd, buf, 0)
	if err != nil {
		return nil
	}
	return buf[:n]
}

// etherType of the test frames (IEEE local experimental).
const etherType = 0x88b5

// frame builds test frame seq of the given size: broadcast, a fixed
// source, etherType, then the sequence number and a pattern.
func frame(seq, size int) []byte {
	f := make([]byte, size)
	copy(f, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1})
	binary.BigEndian.PutUint16(f[12:], etherType)
	binary.BigEndian.PutUint32(f[14:], uint32(seq))
	for i := 18; i < size; i++ {
		f[i] = byte(seq + i)
	}
	return f
}

// frameSize spreads sizes over [60, 1514].
func frameSize(seq int) int { return 60 + seq*97%1455 }

// udpFrame builds an IPv4/UDP frame of flow (source port 1000+flow).
func udpFrame(flow, seq int) []byte {
	f := make([]byte, 14+20+8+16)
	copy(f, []byte{0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00})
	ip := f[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(len(ip)))
	ip[8] = 64
	ip[9] = unix.IPPROTO_UDP
	copy(ip[12:], []byte{10, 0, 0, 1, 10, 0, 0, 2})
	udp := ip[20:]
	binary.BigEndian.PutUint16(udp[0:], uint16(1000+flow))
	binary.BigEndian.PutUint16(udp[2:], 4789)
	binary.BigEndian.PutUint16(udp[4:], uint16(len(udp)))
	binary.BigEndian.PutUint32(udp[8:], uint32(seq))
	return f
}

// receive collects n frames from s (or what came in 2 s).
func receive(s *Socket, n int) [][]byte {
	var got [][]byte
	var p Packet
	deadline := time.Now().Add(2 * time.Second)
	for len(got) < n && time.Now().Before(deadline) {
		if !s.Next(&p) {
			time.Sleep(100 * time.Microsecond)
			continue
		}
		got = append(got, bytes.Clone(p.Data))
	}
	return got
}

// checkFrames checks that got holds exactly frames 0..n-1 (any order).
func checkFrames(t *testing.T, got [][]byte, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("got %d frames, want %d", len(got), n)
	}
	seen := make([]bool, n)
	for _, f := range got {
		if len(f) < 18 || binary.BigEndian.Uint16(f[12:]) != etherType {
			t.Fatalf("unexpected frame % x", f[:min(len(f), 32)])
		}
		seq := int(binary.BigEndian.Uint32(f[14:]))
		if seq >= n || seen[seq] {
			t.Fatalf("frame seq %d out of range or duplicated", seq)
		}
		seen[seq] = true
		if want := frame(seq, frameSize(seq)); !bytes.Equal(f, want) {
			t.Fatalf("frame %d: got %d bytes % x..., want %d bytes % x...", seq, len(f), f[:min(32, len(f))], len(want), want[:32])
		}
	}
}

func TestRxFromKernel(t *testing.T) {
	for _, v := range []int{TPacketV3, TPacketV2} {
		t.Run(fmt.Sprintf("tpacket_v%d", v+1), func(t *testing.T) { testRxFromKernel(t, v) })
	}
}

func testRxFromKernel(t *testing.T, version int) {
	p := newPair(t)
	s := open(t, p.a, Config{Iface: p.va, Version: version})
	kp := newPeer(t, p.b, p.vb)
	const n, chunk = 2000, 100 // several times the ring, paced so that it never overflows
	var got [][]byte
	for i := 0; i < n; i += chunk {
		for k := i; k < i+chunk; k++ {
			kp.send(t, frame(k, frameSize(k)))
		}
		got = append(got, receive(s, chunk)...)
	}
	checkFrames(t, got, n)
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Packets != n || st.Drops != 0 {
		t.Errorf("stats %+v, want %d packets and no drops", st, n)
	}
	if s.RxErrors() != 0 {
		t.Errorf("RxErrors %d", s.RxErrors())
	}
}

func TestTxToKernel(t *testing.T) {
	for _, c := range []struct {
		bypass  bool
		version int
	}{{false, TPacketV3}, {true, TPacketV3}, {true, TPacketV2}} {
		bypass := c.bypass
		t.Run(fmt.Sprintf("qdisc_bypass=%v,tpacket_v%d", bypass, c.version+1), func(t *testing.T) {
			p := newPair(t)
			s := open(t, p.a, Config{Iface: p.va, QdiscBypass: bypass, Version: c.version})
			kp := newPeer(t, p.b, p.vb)
			const n = 1500 // about three times the ring
			deadline := time.Now().Add(2 * time.Second)
			for i := 0; i < n; {
				buf := s.TxFrame()
				if buf == nil {
					if err := s.Flush(); err != nil {
						t.Fatal(err)
					}
					if time.Now().After(deadline) {
						t.Fatalf("tx ring stuck after %d frames", i)
					}
					time.Sleep(50 * time.Microsecond)
					continue
				}
				f := frame(i, frameSize(i))
				s.TxCommit(copy(buf, f))
				i++
				if i%32 == 0 {
					if err := s.Flush(); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
			var got [][]byte
			buf := make([]byte, 2048)
			for len(got) < n {
				f := kp.recv(buf)
				if f == nil {
					break
				}
				got = append(got, bytes.Clone(f))
			}
			checkFrames(t, got, n)
			for s.TxInFlight() != 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			if k := s.TxInFlight(); k != 0 {
				t.Errorf("%d frames still owned by the kernel after sending", k)
			}
		})
	}
}

func TestFanoutSpreads(t *testing.T) {
	p := newPair(t)
	s0 := open(t, p.a, Config{Iface: p.va, Fanout: &Fanout{UniqueID: true, Mode: FanoutHash}})
	g, err := s0.FanoutGroup()
	if err != nil {
		t.Fatal(err)
	}
	s1 := open(t, p.a, Config{Iface: p.va, Fanout: &Fanout{Group: g, Mode: FanoutHash}})
	if g1, _ := s1.FanoutGroup(); g1 != g {
		t.Fatalf("second socket in group %d, want %d", g1, g)
	}
	kp := newPeer(t, p.b, p.vb)
	const flows, perFlow = 64, 8
	for seq := range perFlow {
		for f := range flows {
			kp.send(t, udpFrame(f, seq))
		}
	}
	where := map[int]int{} // flow -> socket
	counts := [2]int{}
	deadline := time.Now().Add(2 * time.Second)
	var pk Packet
	for counts[0]+counts[1] < flows*perFlow && time.Now().Before(deadline) {
		idle := true
		for i, s := range []*Socket{s0, s1} {
			for s.Next(&pk) {
				idle = false
				if len(pk.Data) != 58 || pk.Data[23] != unix.IPPROTO_UDP {
					t.Fatalf("socket %d: unexpected frame % x", i, pk.Data)
				}
				flow := int(binary.BigEndian.Uint16(pk.Data[34:])) - 1000
				if w, ok := where[flow]; ok && w != i {
					t.Errorf("flow %d on both sockets", flow)
				}
				where[flow] = i
				counts[i]++
			}
		}
		if idle {
			time.Sleep(100 * time.Microsecond)
		}
	}
	if counts[0]+counts[1] != flows*perFlow {
		t.Fatalf("received %v = %d frames, want %d", counts, counts[0]+counts[1], flows*perFlow)
	}
	if counts[0] == 0 || counts[1] == 0 {
		t.Errorf("fanout did not spread: %v", counts)
	}
	t.Logf("fanout over 2 sockets: %v", counts)
}

func TestRxRingFullDrops(t *testing.T) {
	p := newPair(t)
	s := open(t, p.a, Config{Iface: p.va, FrameCount: 16}) // 8 blocks of 4 KiB
	kp := newPeer(t, p.b, p.vb)
	const n = 500
	for i := range n {
		kp.send(t, frame(i, 1000))
	}
	time.Sleep(20 * time.Millisecond) // let the last block retire
	got := 0
	var pk Packet
	for s.Next(&pk) {
		got++
	}
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Drops == 0 || st.Packets != n || uint64(got)+st.Drops != n {
		t.Errorf("received %d, stats %+v: want %d packets = received + drops, drops > 0", got, st, n)
	}
	// Stats sum across reads (the kernel resets its counters).
	st2, _ := s.Stats()
	if st2 != st {
		t.Errorf("stats changed without traffic: %+v then %+v", st, st2)
	}
}

func TestPromiscAndLink(t *testing.T) {
	p := newPair(t)
	promisc := func() bool {
		// Memberships count in promiscuity, not in the PROMISC flag.
		return !strings.Contains(p.a.Run(t, "ip", "-d", "-o", "link", "show", p.va), "promiscuity 0")
	}
	if promisc() {
		t.Fatal("interface promiscuous before the test")
	}
	s := open(t, p.a, Config{Iface: p.va, Promisc: true})
	if !promisc() || !s.Promisc() {
		t.Error("Promisc: interface not promiscuous")
	}
	if err := s.SetPromisc(false); err != nil {
		t.Fatal(err)
	}
	if promisc() {
		t.Error("SetPromisc(false): still promiscuous")
	}
	up, err := s.LinkUp()
	if err != nil || !up {
		t.Errorf("LinkUp = %v, %v; want up", up, err)
	}
	p.b.Run(t, "ip", "link", "set", p.vb, "down") // the peer down: no carrier here
	deadline := time.Now().Add(3 * time.Second)   // operstate follows the carrier via linkwatch
	for up, _ := s.LinkUp(); up; up, _ = s.LinkUp() {
		if time.Now().After(deadline) {
			t.Error("LinkUp with the peer down")
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mac, err := s.MAC()
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("link/ether %02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5])
	if out := p.a.Run(t, "ip", "-o", "link", "show", p.va); !strings.Contains(out, want) {
		t.Errorf("MAC %x not in %s", mac, out)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{
		{},
		{Iface: "averyveryverylongname"},
		{Iface: "x", BlockSize: 1000},
		{Iface: "x", FrameSize: 100},
		{Iface: "x", FrameSize: 2050},
		{Iface: "x", FrameCount: 3},
		{Iface: "x", RetireTimeout: -1},
		{Iface: "x", Version: 1},
	} {
		if _, err := Open(c); err == nil {
			t.Errorf("Open(%+v) succeeded", c)
		}
	}
	if _, err := Open(Config{Iface: "dpkit-none0"}); err == nil || !strings.Contains(err.Error(), "dpkit-none0") {
		t.Errorf("Open on a missing interface: %v", err)
	}
}

func TestNoAllocs(t *testing.T) {
	p := newPair(t)
	s := open(t, p.a, Config{Iface: p.va})
	r := open(t, p.b, Config{Iface: p.vb})
	f := frame(1, 64)
	var pk Packet
	allocs := testing.AllocsPerRun(1000, func() {
		for range 8 {
			if buf := s.TxFrame(); buf != nil {
				s.TxCommit(copy(buf, f))
			}
		}
		s.Flush()
		for r.Next(&pk) {
		}
	})
	if allocs != 0 {
		t.Errorf("tx+rx: %v allocs per run, want 0", allocs)
	}
}

// BenchmarkVethTxRx sends bursts of 32 64-byte frames through one socket's
// tx ring over a veth and drains them from the peer's rx ring.
func BenchmarkVethTxRx(b *testing.B) {
	netnstest.Require(b)
	na, nb := netnstest.New(b), netnstest.New(b)
	va, vb := netnstest.NewVeth(b, na, nb)
	s := open(b, na, Config{Iface: va, QdiscBypass: true})
	r := open(b, nb, Config{Iface: vb})
	f := frame(1, 64)
	var pk Packet
	b.ReportAllocs()
	b.ResetTimer()
	sent, recv := 0, 0
	for range b.N {
		for range 32 {
			buf := s.TxFrame()
			if buf == nil {
				break
			}
			s.TxCommit(copy(buf, f))
			sent++
		}
		s.Flush()
		for r.Next(&pk) {
			recv++
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(recv)/b.Elapsed().Seconds()/1e6, "Mpps_rx")
	b.ReportMetric(float64(sent)/b.Elapsed().Seconds()/1e6, "Mpps_tx")
}

// TestMaxFrameLen sends frames of MaxFrameLen bytes and one byte more
// through a socket of each version: the first arrive whole, the second
// are cut (or not sent).
func TestMaxFrameLen(t *testing.T) {
	for _, v := range []int{TPacketV2, TPacketV3} {
		t.Run(fmt.Sprintf("tpacket_v%d", v+1), func(t *testing.T) {
			p := newPair(t)
			cfg := Config{Iface: p.va, Version: v}
			max := MaxFrameLen(cfg)
			p.a.Run(t, "ip", "link", "set", p.va, "mtu", fmt.Sprint(max))
			p.b.Run(t, "ip", "link", "set", p.vb, "mtu", fmt.Sprint(max))
			s := open(t, p.a, cfg)
			r := open(t, p.b, Config{Iface: p.vb, Version: v})
			buf := s.TxFrame()
			if len(buf) < max {
				t.Fatalf("tx frame holds %d bytes, MaxFrameLen says %d", len(buf), max)
			}
			f := frame(1, max)
			s.TxCommit(copy(buf, f))
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
			var pk Packet
			deadline := time.Now().Add(2 * time.Second)
			for !r.Next(&pk) {
				if time.Now().After(deadline) {
					t.Fatal("nothing received")
				}
				time.Sleep(time.Millisecond)
			}
			if pk.Len != max || !bytes.Equal(pk.Data, f) {
				t.Errorf("received %d of %d bytes (wire length %d)", len(pk.Data), max, pk.Len)
			}
			if v != TPacketV2 {
				return // V3's limit here is the tx frame: one byte more cannot be sent
			}
			// One byte more: the V2 rx frame cuts it (so 66 is exact).
			p.a.Run(t, "ip", "link", "set", p.va, "mtu", fmt.Sprint(max+1))
			p.b.Run(t, "ip", "link", "set", p.vb, "mtu", fmt.Sprint(max+1))
			s.TxCommit(copy(s.TxFrame(), frame(2, max+1)))
			s.Flush()
			for !r.Next(&pk) {
				if time.Now().After(deadline) {
					t.Fatal("nothing received")
				}
				time.Sleep(time.Millisecond)
			}
			if pk.Len != max+1 || len(pk.Data) != max {
				t.Errorf("%d-byte frame: received %d bytes of wire length %d, want cut to %d", max+1, len(pk.Data), pk.Len, max)
			}
		})
	}
}
