package ipfrag

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/internal/netns/netnstest"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

// kernelPeer is a veth pair between namespace a, where the test sends and
// receives raw frames on an AF_PACKET socket, and namespace b, where the
// Linux kernel has addresses and UDP sockets.
type kernelPeer struct {
	a, b         *netnstest.NS
	va, vb       string
	macA, macB   [6]byte
	raw          int // AF_PACKET socket on va
	ifindex      int
	addrA, addrB netip.Addr
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func mac(t *testing.T, ns *netnstest.NS, dev string) [6]byte {
	s := strings.TrimSpace(ns.Run(t, "cat", "/sys/class/net/"+dev+"/address"))
	hw, err := net.ParseMAC(s)
	if err != nil {
		t.Fatal(err)
	}
	return [6]byte(hw)
}

func newKernelPeer(t *testing.T, v6 bool) *kernelPeer {
	netnstest.Require(t)
	k := &kernelPeer{a: netnstest.New(t), b: netnstest.New(t)}
	k.va, k.vb = netnstest.NewVeth(t, k.a, k.b)
	k.macA, k.macB = mac(t, k.a, k.va), mac(t, k.b, k.vb)
	if v6 {
		k.addrA, k.addrB = netip.MustParseAddr("2001:db8:99::1"), netip.MustParseAddr("2001:db8:99::2")
		k.b.Run(t, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf."+k.vb+".disable_ipv6=0")
		k.b.Run(t, "ip", "-6", "addr", "add", k.addrB.String()+"/64", "dev", k.vb, "nodad")
	} else {
		k.addrA, k.addrB = netip.MustParseAddr("10.99.0.1"), netip.MustParseAddr("10.99.0.2")
		k.b.Run(t, "ip", "addr", "add", k.addrB.String()+"/24", "dev", k.vb)
	}
	k.b.Run(t, "ip", "neigh", "replace", k.addrA.String(), "lladdr", net.HardwareAddr(k.macA[:]).String(), "dev", k.vb)
	err := k.a.Do(func() error {
		ifi, err := net.InterfaceByName(k.va)
		if err != nil {
			return err
		}
		k.ifindex = ifi.Index
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
		if err != nil {
			return err
		}
		k.raw = fd
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index})
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(k.raw) })
	tv := unix.Timeval{Sec: 0, Usec: 200000}
	if err := unix.SetsockoptTimeval(k.raw, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	return k
}

// udpSocket opens a UDP socket in b bound to port.
func (k *kernelPeer) udpSocket(t *testing.T, port int) int {
	var fd int
	err := k.b.Do(func() error {
		var err error
		if k.addrB.Is6() {
			if fd, err = unix.Socket(unix.AF_INET6, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0); err != nil {
				return err
			}
			return unix.Bind(fd, &unix.SockaddrInet6{Port: port, Addr: k.addrB.As16()})
		}
		if fd, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0); err != nil {
			return err
		}
		return unix.Bind(fd, &unix.SockaddrInet4{Port: port, Addr: k.addrB.As4()})
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	tv := unix.Timeval{Sec: 3}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	return fd
}

// datagram builds an IP/UDP datagram from a to b carrying data.
func (k *kernelPeer) datagram(sport, dport uint16, data []byte) []byte {
	var b []byte
	var ul int
	if k.addrA.Is6() {
		b = make([]byte, proto.IPv6Len+proto.UDPLen+len(data))
		proto.IPv6(b).Encode(&proto.IPv6Fields{PayloadLen: uint16(len(b) - proto.IPv6Len), NextHeader: proto.IPProtoUDP,
			HopLimit: 64, Src: k.addrA, Dst: k.addrB})
		ul = proto.IPv6Len
	} else {
		b = make([]byte, proto.IPv4MinLen+proto.UDPLen+len(data))
		proto.IPv4(b).Encode(&proto.IPv4Fields{TotalLen: uint16(len(b)), ID: 0x4321, TTL: 64,
			Protocol: proto.IPProtoUDP, Src: k.addrA, Dst: k.addrB})
		ul = proto.IPv4MinLen
	}
	u := proto.UDP(b[ul:])
	copy(u[proto.UDPLen:], data)
	u.Encode(&proto.UDPFields{SrcPort: sport, DstPort: dport, Length: uint16(len(u))})
	var ps uint16
	if k.addrA.Is6() {
		s, d := k.addrA.As16(), k.addrB.As16()
		ps = proto.PseudoHeaderSum6(&s, &d, proto.IPProtoUDP, len(u))
	} else {
		ps = proto.IPv4(b).PseudoHeaderSum(proto.IPProtoUDP, len(u))
	}
	u.SetChecksum(u.CalculateChecksum(ps))
	return b
}

func (k *kernelPeer) send(t *testing.T, frame []byte) {
	sa := &unix.SockaddrLinklayer{Ifindex: k.ifindex, Halen: 6}
	copy(sa.Addr[:], k.macB[:])
	if err := unix.Sendto(k.raw, frame, 0, sa); err != nil {
		t.Fatal(err)
	}
}

func (k *kernelPeer) ethType() uint16 {
	if k.addrA.Is6() {
		return 0x86dd
	}
	return 0x0800
}

// Fragments cut by dpkit, sent in any order through a veth, are
// reassembled by the Linux kernel, which delivers the exact datagram to
// a UDP socket.
func TestKernelReassemblesOurs(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		t.Run(fmt.Sprintf("v6=%v", v6), func(t *testing.T) {
			k := newKernelPeer(t, v6)
			sock := k.udpSocket(t, 7777)
			p := newPools(t)
			for i, c := range []struct{ size, mtu int }{{3000, 1500}, {40000, 1500}, {9000, 1280}} {
				data := payload(byte(i), c.size)
				m := mbuftest.Packet(t, p.big, k.datagram(1234, 7777, data), 0)
				var out [64]*mbuf.Mbuf
				var n int
				var err error
				if v6 {
					n, err = FragmentIPv6(m, out[:], c.mtu, uint32(0xabc0+i), p.direct, p.indirect, lc)
				} else {
					n, err = FragmentIPv4(m, out[:], c.mtu, p.direct, p.indirect, lc)
				}
				m.Free(lc)
				if err != nil {
					t.Fatal(err)
				}
				frames := make([][]byte, n)
				for j, f := range out[:n] {
					eh := proto.Ethernet(f.Prepend(ethLen))
					eh.Encode(&proto.EthernetFields{Dst: proto.MAC(k.macB), Src: proto.MAC(k.macA), Type: proto.EtherType(k.ethType())})
					frames[j] = mbuftest.Bytes(f)
					f.Free(lc)
				}
				for j := range frames { // last first, then the others in order
					k.send(t, frames[(j+n-1)%n])
				}
				buf := make([]byte, 70000)
				got, _, err := unix.Recvfrom(sock, buf, 0)
				if err != nil {
					t.Fatalf("size %d in %d fragments: the kernel delivered nothing: %v", c.size, n, err)
				}
				if !bytes.Equal(buf[:got], data) {
					t.Fatalf("size %d: the kernel delivered %d bytes, not the datagram", c.size, got)
				}
			}
		})
	}
}

// A big datagram the Linux kernel fragments (small MTU on its veth)
// reassembles in dpkit: fragments received on an AF_PACKET socket.
func TestKernelFragmentsReassemble(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		t.Run(fmt.Sprintf("v6=%v", v6), func(t *testing.T) {
			k := newKernelPeer(t, v6)
			k.b.Run(t, "ip", "link", "set", k.vb, "mtu", "1280")
			sock := k.udpSocket(t, 5555)
			p := newPools(t)
			tb := newTable(t, Config{MaxFragments: 64})
			dr := NewDeathRow(16, lc)
			defer dr.FreeAll()
			for i, size := range []int{2000, 20000, 65507 - 40} {
				if v6 && size > 65000 {
					size = 65527 - 40
				}
				data := payload(byte(i+50), size)
				var sa unix.Sockaddr
				if v6 {
					sa = &unix.SockaddrInet6{Port: 6666, Addr: k.addrA.As16()}
				} else {
					sa = &unix.SockaddrInet4{Port: 6666, Addr: k.addrA.As4()}
				}
				if err := unix.Sendto(sock, data, 0, sa); err != nil {
					t.Fatalf("kernel send of %d bytes: %v", size, err)
				}
				var d *mbuf.Mbuf
				nfrag := 0
				buf := make([]byte, 2048)
				deadline := time.Now().Add(3 * time.Second)
				for d == nil && time.Now().Before(deadline) {
					n, _, err := unix.Recvfrom(k.raw, buf, 0)
					if err != nil {
						continue
					}
					f := buf[:n]
					if n < ethLen+40 || binary.BigEndian.Uint16(f[12:14]) != k.ethType() || !bytes.Equal(f[6:12], k.macB[:]) {
						continue // not from the kernel's side, or not IP
					}
					nfrag++
					m := mbuftest.Packet(t, p.direct, f, 0)
					if v6 {
						d = tb.ReassembleIPv6(dr, m, 0, ethLen)
					} else {
						d = tb.ReassembleIPv4(dr, m, 0, ethLen)
					}
					if d == m {
						d.Free(lc) // not a fragment (neighbour discovery...)
						d = nil
						nfrag--
					}
				}
				if d == nil {
					t.Fatalf("size %d: not reassembled after %d frames: %+v", size, nfrag, tb.Stats())
				}
				b := mbuftest.Bytes(d)[ethLen:]
				d.Free(lc)
				ul := proto.IPv4(b).HeaderLen()
				if v6 {
					ul = proto.IPv6Len
					if proto.IPv6(b).NextHeader() != proto.IPProtoUDP {
						t.Fatalf("next header %d", proto.IPv6(b).NextHeader())
					}
				} else if !proto.IPv4(b).IsChecksumValid() {
					t.Fatal("bad IPv4 checksum")
				}
				u := proto.UDP(b[ul:])
				if !u.IsValid() || !bytes.Equal(u.Payload(), data) {
					t.Fatalf("size %d from %d fragments: the UDP payload differs", size, nfrag)
				}
				var ps uint16
				if v6 {
					s, d := k.addrB.As16(), k.addrA.As16()
					ps = proto.PseudoHeaderSum6(&s, &d, proto.IPProtoUDP, len(u))
				} else {
					ps = proto.IPv4(b).PseudoHeaderSum(proto.IPProtoUDP, len(u))
				}
				if !u.IsChecksumValid(ps) {
					t.Fatal("bad UDP checksum on the reassembled datagram")
				}
				if nfrag < 2 {
					t.Fatalf("size %d came in %d frame(s): the kernel did not fragment", size, nfrag)
				}
			}
		})
	}
}
