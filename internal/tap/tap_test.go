package tap

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dpkit/dpkit/internal/netns/netnstest"
	"golang.org/x/sys/unix"
)

var (
	tapIP  = [4]byte{10, 9, 0, 1} // the kernel's address on the TAP
	peerIP = [4]byte{10, 9, 0, 2} // the test's address behind the TAP
	// peerMAC is the test's MAC behind the TAP.
	peerMAC = [6]byte{0x02, 0xdd, 0, 0, 0, 2}
)

// setup opens a TAP in a new namespace and gives it tapIP/24, up.
func setup(t *testing.T, cfg Config) (*netnstest.NS, *Tap) {
	t.Helper()
	netnstest.Require(t)
	ns := netnstest.New(t)
	var tp *Tap
	err := ns.Do(func() (err error) {
		tp, err = Open(cfg)
		return err
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { tp.Close() })
	ns.Run(t, "ip", "addr", "add", "10.9.0.1/24", "dev", tp.Name())
	ns.Run(t, "ip", "link", "set", tp.Name(), "up")
	return ns, tp
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

// udpCsum is the UDP checksum of the IPv4 packet ip.
func udpCsum(ip []byte) uint16 {
	udp := ip[20:]
	var sum uint32
	for i := 12; i < 20; i += 2 {
		sum += uint32(ip[i])<<8 | uint32(ip[i+1])
	}
	sum += unix.IPPROTO_UDP + uint32(len(udp))
	return csum(udp, sum)
}

// responder answers ARP requests and ICMP echo requests for peerIP on
// every queue of a TAP: the other end of the wire, written in the test.
type responder struct {
	tap         *Tap
	arps, echos atomic.Int32
	stop        atomic.Bool
	wg          sync.WaitGroup
}

func startResponder(t *testing.T, tp *Tap) *responder {
	r := &responder{tap: tp}
	r.wg.Add(1)
	go r.run()
	t.Cleanup(func() { r.stop.Store(true); r.wg.Wait() })
	return r
}

func (r *responder) run() {
	defer r.wg.Done()
	buf := make([]byte, 65536)
	hdr := 0
	if r.tap.VnetHdr() {
		hdr = VnetHdrLen
	}
	pfds := make([]unix.PollFd, r.tap.Queues())
	for q := range pfds {
		pfds[q] = unix.PollFd{Fd: int32(r.tap.Fd(q)), Events: unix.POLLIN}
	}
	for !r.stop.Load() {
		unix.Poll(pfds, 10)
		for q := range pfds {
			for {
				n, err := r.tap.Read(q, buf)
				if n == 0 || err != nil {
					break
				}
				reply := r.answer(buf[hdr:n])
				if reply == nil {
					continue
				}
				out := append(make([]byte, hdr), reply...) // zero header: nothing to finish
				r.tap.Write(q, out)
			}
		}
	}
}

func (r *responder) answer(f []byte) []byte {
	if len(f) < 42 {
		return nil
	}
	switch binary.BigEndian.Uint16(f[12:]) {
	case 0x0806: // ARP request for peerIP
		a := f[14:]
		if binary.BigEndian.Uint16(a[6:]) != 1 || !bytes.Equal(a[24:28], peerIP[:]) {
			return nil
		}
		r.arps.Add(1)
		out := bytes.Clone(f[:42])
		copy(out[0:], f[6:12])
		copy(out[6:], peerMAC[:])
		o := out[14:]
		binary.BigEndian.PutUint16(o[6:], 2)
		copy(o[8:], peerMAC[:])
		copy(o[14:], peerIP[:])
		copy(o[18:], a[8:14]) // the asker's MAC and IP
		copy(o[24:], a[14:18])
		return out
	case 0x0800: // ICMP echo request to peerIP
		ip := f[14:]
		ihl := int(ip[0]&15) * 4
		if ip[9] != unix.IPPROTO_ICMP || !bytes.Equal(ip[16:20], peerIP[:]) || len(ip) < ihl+8 || ip[ihl] != 8 {
			return nil
		}
		r.echos.Add(1)
		tot := int(binary.BigEndian.Uint16(ip[2:]))
		out := bytes.Clone(f[:14+tot])
		copy(out[0:], f[6:12])
		copy(out[6:], peerMAC[:])
		o := out[14:]
		copy(o[12:], ip[16:20]) // swap the addresses: the IP checksum holds
		copy(o[16:], ip[12:16])
		icmp := o[ihl:tot]
		icmp[0] = 0
		icmp[2], icmp[3] = 0, 0
		binary.BigEndian.PutUint16(icmp[2:], csum(icmp, 0))
		return out
	}
	return nil
}

// ping sends ICMP echo requests from the kernel in ns to peerIP through a
// raw socket and waits for each reply.
func ping(t *testing.T, ns *netnstest.NS, count int) {
	t.Helper()
	fd := -1
	err := ns.Do(func() (err error) {
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMP)
		return err
	})
	if err != nil {
		t.Fatalf("raw ICMP socket: %v", err)
	}
	defer unix.Close(fd)
	tv := unix.Timeval{Usec: 100000}
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	const id = 0x4242
	buf := make([]byte, 2048)
	for seq := 1; seq <= count; seq++ {
		req := make([]byte, 8+56)
		req[0] = 8
		binary.BigEndian.PutUint16(req[4:], id)
		binary.BigEndian.PutUint16(req[6:], uint16(seq))
		for i := 8; i < len(req); i++ {
			req[i] = byte(seq * i)
		}
		binary.BigEndian.PutUint16(req[2:], csum(req, 0))
		if err := unix.Sendto(fd, req, 0, &unix.SockaddrInet4{Addr: peerIP}); err != nil {
			t.Fatalf("ping sendto: %v", err)
		}
		deadline := time.Now().Add(2 * time.Second)
		for {
			if time.Now().After(deadline) {
				t.Fatalf("no echo reply for seq %d", seq)
			}
			n, _, err := unix.Recvfrom(fd, buf, 0)
			if err != nil || n < 28 {
				continue
			}
			ihl := int(buf[0]&15) * 4
			icmp := buf[ihl:n]
			if icmp[0] != 0 || binary.BigEndian.Uint16(icmp[4:]) != id || binary.BigEndian.Uint16(icmp[6:]) != uint16(seq) {
				continue
			}
			if !bytes.Equal(icmp[8:], req[8:]) {
				t.Fatalf("echo reply %d: payload differs", seq)
			}
			if csum(icmp, 0) != 0 {
				t.Fatalf("echo reply %d: bad checksum", seq)
			}
			break
		}
	}
}

func TestPingThroughTap(t *testing.T) {
	for _, c := range []Config{
		{Queues: 1},
		{Queues: 2, VnetHdr: true, Offloads: OffloadCsum},
	} {
		t.Run(fmt.Sprintf("queues=%d,vnethdr=%v", c.Queues, c.VnetHdr), func(t *testing.T) {
			ns, tp := setup(t, c)
			r := startResponder(t, tp)
			ping(t, ns, 5)
			if r.arps.Load() == 0 || r.echos.Load() != 5 {
				t.Errorf("responder answered %d ARP and %d echo requests, want >0 and 5", r.arps.Load(), r.echos.Load())
			}
			if up, err := tp.LinkUp(); !up || err != nil {
				t.Errorf("LinkUp = %v, %v", up, err)
			}
		})
	}
}

// udpFrame is an Ethernet/IPv4/UDP frame from peer to the TAP's kernel
// with payload, its UDP checksum set to sum.
func udpFrame(dst [6]byte, port uint16, payload []byte, sum uint16) []byte {
	f := make([]byte, 14+28+len(payload))
	copy(f, dst[:])
	copy(f[6:], peerMAC[:])
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(len(ip)))
	ip[8] = 64
	ip[9] = unix.IPPROTO_UDP
	copy(ip[12:], peerIP[:])
	copy(ip[16:], tapIP[:])
	binary.BigEndian.PutUint16(ip[10:], csum(ip[:20], 0))
	udp := ip[20:]
	binary.BigEndian.PutUint16(udp[0:], 5555)
	binary.BigEndian.PutUint16(udp[2:], port)
	binary.BigEndian.PutUint16(udp[4:], uint16(len(udp)))
	copy(udp[8:], payload)
	binary.BigEndian.PutUint16(udp[6:], sum)
	return f
}

// udpSocket is a kernel UDP socket bound to tapIP:port in ns.
func udpSocket(t *testing.T, ns *netnstest.NS, port int) int {
	t.Helper()
	fd := -1
	err := ns.Do(func() (err error) {
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		return unix.Bind(fd, &unix.SockaddrInet4{Addr: tapIP, Port: port})
	})
	if fd >= 0 {
		t.Cleanup(func() { unix.Close(fd) })
	}
	if err != nil {
		t.Fatalf("UDP socket: %v", err)
	}
	tv := unix.Timeval{Usec: 200000}
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	return fd
}

// TestTxOffloadsToKernel writes frames whose checksum or segmentation is
// left to the kernel by the virtio-net header, and checks what a kernel
// UDP socket receives.
func TestTxOffloadsToKernel(t *testing.T) {
	ns, tp := setup(t, Config{VnetHdr: true})
	mac, err := tp.MAC()
	if err != nil {
		t.Fatal(err)
	}
	const port = 7777
	fd := udpSocket(t, ns, port)
	buf := make([]byte, 65536)
	recv := func() []int {
		var sizes []int
		for {
			n, _, err := unix.Recvfrom(fd, buf, 0)
			if err != nil {
				return sizes
			}
			sizes = append(sizes, n)
		}
	}
	write := func(h VnetHdr, f []byte) {
		t.Helper()
		b := make([]byte, VnetHdrLen)
		h.Encode(b)
		if _, err := tp.Writev(0, [][]byte{b, f[:20], f[20:]}); err != nil {
			t.Fatalf("Writev: %v", err)
		}
	}
	payload := bytes.Repeat([]byte("dpkit"), 200) // 1000 bytes

	good := udpFrame(mac, port, payload, 0)
	binary.BigEndian.PutUint16(good[14+26:], udpCsum(good[14:]))
	write(VnetHdr{}, good)
	if got := recv(); len(got) != 1 || got[0] != len(payload) {
		t.Fatalf("correct checksum: received %v", got)
	}
	bad := udpFrame(mac, port, payload, 0x1234)
	write(VnetHdr{}, bad)
	if got := recv(); len(got) != 0 {
		t.Fatalf("wrong checksum, no offload: received %v (the kernel should drop it)", got)
	}
	// NEEDS_CSUM: the kernel takes the checksum as to be filled in.
	partial := udpFrame(mac, port, payload, 0x1234)
	write(VnetHdr{Flags: VnetHdrFNeedsCsum, CsumStart: 34, CsumOffset: 6}, partial)
	if got := recv(); len(got) != 1 || got[0] != len(payload) {
		t.Fatalf("checksum offload: received %v", got)
	}
	// UDP segmentation: one 3000-byte write, three datagrams.
	big := udpFrame(mac, port, bytes.Repeat(payload, 3), 0)
	write(VnetHdr{Flags: VnetHdrFNeedsCsum, CsumStart: 34, CsumOffset: 6, GSOType: VnetHdrGSOUDPL4, GSOSize: 1000, HdrLen: 42}, big)
	if got := recv(); len(got) != 3 || got[0] != 1000 || got[1] != 1000 || got[2] != 1000 {
		t.Fatalf("UDP segmentation offload: received %v, want 3 x 1000", got)
	}
}

// TestRxOffloadsFromKernel sends a 3000-byte UDP GSO datagram from the
// kernel to the TAP: what arrives depends on the offloads we accept.
func TestRxOffloadsFromKernel(t *testing.T) {
	for _, c := range []struct {
		name     string
		offloads int
		frames   int
		flags    uint8
		gso      uint8
	}{
		{"none", 0, 3, 0, VnetHdrGSONone},
		{"csum", OffloadCsum, 3, VnetHdrFNeedsCsum, VnetHdrGSONone},
		{"csum+uso", OffloadCsum | OffloadUSO4 | OffloadUSO6, 1, VnetHdrFNeedsCsum, VnetHdrGSOUDPL4},
	} {
		t.Run(c.name, func(t *testing.T) {
			ns, tp := setup(t, Config{VnetHdr: true, Offloads: c.offloads})
			ns.Run(t, "ip", "neigh", "add", "10.9.0.2", "lladdr", "02:dd:00:00:00:02", "dev", tp.Name())
			fd := udpSocket(t, ns, 0)
			if err := unix.SetsockoptInt(fd, unix.SOL_UDP, unix.UDP_SEGMENT, 1000); err != nil {
				t.Skipf("SKIP: UDP_SEGMENT: %v", err)
			}
			payload := bytes.Repeat([]byte{0xab}, 3000)
			if err := unix.Sendto(fd, payload, 0, &unix.SockaddrInet4{Addr: peerIP, Port: 9999}); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 65536)
			var frames int
			var total int
			deadline := time.Now().Add(2 * time.Second)
			for frames < c.frames && time.Now().Before(deadline) {
				n, err := tp.Read(0, buf)
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					time.Sleep(time.Millisecond)
					continue
				}
				var h VnetHdr
				if err := h.Decode(buf[:n]); err != nil {
					t.Fatal(err)
				}
				f := buf[VnetHdrLen:n]
				if err := h.Check(len(f)); err != nil {
					t.Errorf("header from the kernel: %v", err)
				}
				if binary.BigEndian.Uint16(f[12:]) != 0x0800 || f[14+9] != unix.IPPROTO_UDP {
					continue
				}
				frames++
				total += len(f) - 42
				if h.Flags&VnetHdrFNeedsCsum != c.flags || h.GSOType != c.gso {
					t.Errorf("frame %d: header %+v, want flags %#x gso %d", frames, h, c.flags, c.gso)
				}
				if c.gso == VnetHdrGSOUDPL4 && (h.GSOSize != 1000 || h.CsumStart != 34 || h.CsumOffset != 6) {
					t.Errorf("GSO header %+v, want segment 1000, checksum at 34+6", h)
				}
				if c.flags == 0 && udpCsum(f[14:]) != 0 {
					t.Errorf("frame %d: UDP checksum does not verify", frames)
				}
			}
			if frames != c.frames || total != 3000 {
				t.Errorf("received %d UDP frames with %d payload bytes, want %d with 3000", frames, total, c.frames)
			}
		})
	}
}

func TestPersistAttachMAC(t *testing.T) {
	netnstest.Require(t)
	ns := netnstest.New(t)
	name := fmt.Sprintf("dktap%d", time.Now().UnixNano()%100000)
	mac := [6]byte{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}
	var tp *Tap
	open := func(cfg Config) {
		t.Helper()
		if err := ns.Do(func() (err error) { tp, err = Open(cfg); return err }); err != nil {
			t.Fatalf("Open(%+v): %v", cfg, err)
		}
	}
	open(Config{Name: name, Persist: true, MAC: mac, Up: true})
	if got, err := tp.MAC(); err != nil || got != mac {
		t.Errorf("MAC = %x, %v; want %x", got, err, mac)
	}
	tp.Close()
	out := ns.Run(t, "ip", "-o", "link", "show", name)
	if !strings.Contains(out, "02:11:22:33:44:55") {
		t.Fatalf("persistent TAP gone or lost its MAC after Close: %s", out)
	}
	open(Config{Name: name}) // attach to the existing one
	if tp.Name() != name {
		t.Errorf("attached to %q, want %q", tp.Name(), name)
	}
	if err := tp.Delete(); err != nil {
		t.Fatal(err)
	}
	if out, err := ns.Command("ip", "link", "show", name).CombinedOutput(); err == nil {
		t.Errorf("TAP still there after Delete: %s", out)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{
		{Queues: -1},
		{Name: "averyveryverylongname"},
		{Offloads: OffloadCsum},
	} {
		if _, err := Open(c); err == nil {
			t.Errorf("Open(%+v) succeeded", c)
		}
	}
}

func TestNoAllocs(t *testing.T) {
	_, tp := setup(t, Config{VnetHdr: true})
	f := udpFrame([6]byte{2}, 1, make([]byte, 64), 0)
	var h [VnetHdrLen]byte
	bufs := [][]byte{h[:], f}
	rb := make([]byte, 2048)
	allocs := testing.AllocsPerRun(1000, func() {
		tp.Writev(0, bufs)
		tp.Read(0, rb)
	})
	if allocs != 0 {
		t.Errorf("%v allocs per write+read, want 0", allocs)
	}
}

func TestSetQueues(t *testing.T) {
	netnstest.Require(t)
	ns := netnstest.New(t)
	var tp *Tap
	if err := ns.Do(func() (err error) { tp, err = Open(Config{MultiQueue: true}); return err }); err != nil {
		t.Fatal(err)
	}
	defer tp.Close()
	if err := ns.Do(func() error { return tp.SetQueues(3) }); err != nil || tp.Queues() != 3 {
		t.Fatalf("SetQueues(3): %v, %d queues", err, tp.Queues())
	}
	if err := tp.SetQueues(1); err != nil || tp.Queues() != 1 {
		t.Fatalf("SetQueues(1): %v, %d queues", err, tp.Queues())
	}
	if !strings.Contains(ns.Run(t, "ip", "-o", "link", "show", tp.Name()), tp.Name()) {
		t.Error("TAP gone after detaching queues")
	}
	var single *Tap
	if err := ns.Do(func() (err error) { single, err = Open(Config{}); return err }); err != nil {
		t.Fatal(err)
	}
	defer single.Close()
	if err := single.SetQueues(2); err == nil {
		t.Error("SetQueues(2) on a single-queue TAP succeeded")
	}
}
