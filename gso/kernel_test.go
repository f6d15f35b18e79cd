package gso

import (
	"bytes"
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

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func macOf(t *testing.T, ns *netnstest.NS, dev string) proto.MAC {
	hw, err := net.ParseMAC(strings.TrimSpace(ns.Run(t, "cat", "/sys/class/net/"+dev+"/address")))
	if err != nil {
		t.Fatal(err)
	}
	return proto.MAC(hw)
}

// rawTCP builds Ethernet/IPv4/TCP frames from us (a) to the kernel (b),
// and for a tunnel puts them in VXLAN over the veth's addresses.
type rawTCP struct {
	macA, macB   proto.MAC // of the inner frames
	addrA, addrB netip.Addr
	sport, dport uint16
	linkA, linkB proto.MAC // the veth ends
	mode         string    // "tcp4", "tcp6", "vxlan" (inner Ethernet) or "gre" (inner IPv4)
	outA, outB   netip.Addr
}

const (
	vxlanHdr = proto.EthernetLen + proto.IPv4MinLen + proto.UDPLen + proto.VXLANLen
	greHdr   = proto.EthernetLen + proto.IPv4MinLen + 4
)

// tcpAt is where the inner TCP header starts in our frames.
func (r *rawTCP) tcpAt() int {
	switch r.mode {
	case "vxlan":
		return vxlanHdr + 14 + 20
	case "gre":
		return greHdr + 20
	case "tcp6":
		return 14 + proto.IPv6Len
	}
	return 14 + 20
}

func (r *rawTCP) frame(seq, ack uint32, flags uint8, opts, pl []byte) []byte {
	t := make([]byte, proto.TCPMinLen+(len(opts)+3)&^3+len(pl))
	proto.TCP(t).Encode(&proto.TCPFields{SrcPort: r.sport, DstPort: r.dport, Seq: seq, Ack: ack, Flags: flags, Window: 65535, Options: opts})
	copy(t[proto.TCP(t).HeaderLen():], pl)
	var ip []byte
	et := proto.EtherTypeIPv4
	if r.addrA.Is6() {
		et = proto.EtherTypeIPv6
		ip = make([]byte, proto.IPv6Len, proto.IPv6Len+len(t))
		proto.IPv6(ip).Encode(&proto.IPv6Fields{PayloadLen: uint16(len(t)), NextHeader: proto.IPProtoTCP, HopLimit: 64,
			Src: r.addrA, Dst: r.addrB})
		ip = append(ip, t...)
		tcp := proto.TCP(ip[proto.IPv6Len:])
		tcp.SetChecksum(tcp.CalculateChecksum(proto.IPv6(ip).PseudoHeaderSum(proto.IPProtoTCP, len(t))))
	} else {
		ip = make([]byte, proto.IPv4MinLen, proto.IPv4MinLen+len(t))
		proto.IPv4(ip).Encode(&proto.IPv4Fields{TotalLen: uint16(20 + len(t)), ID: 1, Flags: proto.IPv4FlagDF, TTL: 64,
			Protocol: proto.IPProtoTCP, Src: r.addrA, Dst: r.addrB})
		ip = append(ip, t...)
		tcp := proto.TCP(ip[20:])
		tcp.SetChecksum(tcp.CalculateChecksum(proto.IPv4(ip).PseudoHeaderSum(proto.IPProtoTCP, len(t))))
	}
	e := make([]byte, proto.EthernetLen)
	proto.Ethernet(e).Encode(&proto.EthernetFields{Dst: r.macB, Src: r.macA, Type: et})
	f := append(e, ip...)
	switch r.mode {
	case "tcp4", "tcp6":
		return f
	case "gre":
		o := make([]byte, greHdr, greHdr+len(ip))
		proto.Ethernet(o).Encode(&proto.EthernetFields{Dst: r.linkB, Src: r.linkA, Type: proto.EtherTypeIPv4})
		proto.IPv4(o[14:]).Encode(&proto.IPv4Fields{TotalLen: uint16(greHdr - 14 + len(ip)), ID: 7, TTL: 64,
			Protocol: proto.IPProtoGRE, Src: r.outA, Dst: r.outB})
		proto.GRE(o[34:]).Encode(&proto.GREFields{Protocol: proto.EtherTypeIPv4})
		return append(o, ip...)
	}
	o := make([]byte, vxlanHdr, vxlanHdr+len(f))
	proto.Ethernet(o).Encode(&proto.EthernetFields{Dst: r.linkB, Src: r.linkA, Type: proto.EtherTypeIPv4})
	proto.IPv4(o[14:]).Encode(&proto.IPv4Fields{TotalLen: uint16(vxlanHdr - 14 + len(f)), ID: 7, TTL: 64,
		Protocol: proto.IPProtoUDP, Src: r.outA, Dst: r.outB})
	proto.UDP(o[34:]).Encode(&proto.UDPFields{SrcPort: 40000, DstPort: proto.PortVXLAN, Length: uint16(16 + len(f))})
	proto.VXLAN(o[42:]).Encode(42)
	return append(o, f...)
}

// inner returns the Ethernet frame inside f, nil if f is not from the
// kernel's side.
func (r *rawTCP) inner(f []byte) []byte {
	if len(f) < 14 || !bytes.Equal(f[6:12], r.linkB[:]) {
		return nil
	}
	switch r.mode {
	case "tcp4", "tcp6":
		return f
	case "gre": // the inner IPv4 packet, 14 bytes in as if after Ethernet
		if len(f) < greHdr+20 || f[14+9] != proto.IPProtoGRE {
			return nil
		}
		return f[greHdr-14:]
	}
	if len(f) < vxlanHdr+14 || f[14+9] != proto.IPProtoUDP || proto.UDP(f[34:]).DstPort() != proto.PortVXLAN {
		return nil
	}
	return f[vxlanHdr:]
}

// GSO output received by the Linux kernel's TCP: we play the client over
// an AF_PACKET socket (handshake by hand), send one 65000-byte segment
// cut by Segment into 1514-byte frames, and the kernel's socket reads
// exactly that byte stream. TCP/IPv4, TCP/IPv6, TCP/IPv4 in VXLAN to a kernel
// vxlan device, and TCP/IPv4 in GRE to a kernel gre tunnel.
func TestKernelTCPReceivesSegments(t *testing.T) {
	for _, mode := range []string{"tcp4", "tcp6", "vxlan", "gre"} {
		t.Run(mode, func(t *testing.T) { kernelTCP(t, mode) })
	}
}

func kernelTCP(t *testing.T, mode string) {
	netnstest.Require(t)
	a, b := netnstest.New(t), netnstest.New(t)
	va, vb := netnstest.NewVeth(t, a, b)
	r := &rawTCP{linkA: macOf(t, a, va), linkB: macOf(t, b, vb), sport: 40001, dport: 5001, mode: mode,
		outA: netip.MustParseAddr("10.98.0.1"), outB: netip.MustParseAddr("10.98.0.2")}
	b.Run(t, "ip", "addr", "add", "10.98.0.2/24", "dev", vb)
	b.Run(t, "ip", "neigh", "replace", "10.98.0.1", "lladdr", net.HardwareAddr(r.linkA[:]).String(), "dev", vb)
	b.Run(t, "sysctl", "-qw", "net.ipv4.tcp_rmem=4096 1048576 4194304")
	switch mode {
	case "gre":
		if out, err := b.Command("ip", "link", "add", "gre1", "type", "gre", "local", "10.98.0.2", "remote", "10.98.0.1").CombinedOutput(); err != nil {
			t.Skipf("SKIP: this kernel has no GRE tunnels (ip_gre): %v: %s", err, out)
		}
		b.Run(t, "ip", "addr", "add", "192.168.43.2/24", "dev", "gre1")
		b.Run(t, "ip", "link", "set", "gre1", "up")
		r.addrA, r.addrB = netip.MustParseAddr("192.168.43.1"), netip.MustParseAddr("192.168.43.2")
		b.Run(t, "ip", "route", "change", "192.168.43.0/24", "dev", "gre1", "initrwnd", "100")
	case "vxlan":
		b.Run(t, "ip", "link", "add", "vx0", "type", "vxlan", "id", "42", "dstport", "4789",
			"local", "10.98.0.2", "remote", "10.98.0.1", "dev", vb)
		b.Run(t, "ip", "addr", "add", "192.168.42.2/24", "dev", "vx0")
		b.Run(t, "ip", "link", "set", "vx0", "up")
		r.macA, r.macB = proto.MAC{2, 0, 0, 0, 0, 0xaa}, macOf(t, b, "vx0")
		r.addrA, r.addrB = netip.MustParseAddr("192.168.42.1"), netip.MustParseAddr("192.168.42.2")
		b.Run(t, "ip", "neigh", "replace", "192.168.42.1", "lladdr", net.HardwareAddr(r.macA[:]).String(), "dev", "vx0")
		b.Run(t, "ip", "route", "change", "192.168.42.0/24", "dev", "vx0", "initrwnd", "100")
	case "tcp6":
		r.macA, r.macB = r.linkA, r.linkB
		r.addrA, r.addrB = netip.MustParseAddr("fd98::1"), netip.MustParseAddr("fd98::2")
		b.Run(t, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf."+vb+".disable_ipv6=0")
		b.Run(t, "ip", "-6", "addr", "add", "fd98::2/64", "dev", vb, "nodad")
		b.Run(t, "ip", "-6", "neigh", "replace", "fd98::1", "lladdr", net.HardwareAddr(r.macA[:]).String(), "dev", vb)
		b.Run(t, "ip", "-6", "route", "replace", "fd98::/64", "dev", vb, "metric", "256", "initrwnd", "100")
	default:
		r.macA, r.macB, r.addrA, r.addrB = r.linkA, r.linkB, r.outA, r.outB
		b.Run(t, "ip", "route", "change", "10.98.0.0/24", "dev", vb, "initrwnd", "100")
	}

	var lfd, raw, ifindex int
	if err := b.Do(func() error {
		var err error
		if r.addrB.Is6() {
			if lfd, err = unix.Socket(unix.AF_INET6, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0); err != nil {
				return err
			}
			err = unix.Bind(lfd, &unix.SockaddrInet6{Port: 5001, Addr: r.addrB.As16()})
		} else {
			if lfd, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0); err != nil {
				return err
			}
			err = unix.Bind(lfd, &unix.SockaddrInet4{Port: 5001, Addr: r.addrB.As4()})
		}
		if err != nil {
			return err
		}
		return unix.Listen(lfd, 1)
	}); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(lfd)
	if err := a.Do(func() error {
		ifi, err := net.InterfaceByName(va)
		if err != nil {
			return err
		}
		ifindex = ifi.Index
		if raw, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL))); err != nil {
			return err
		}
		return unix.Bind(raw, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index})
	}); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(raw)
	unix.SetsockoptTimeval(raw, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 100000})
	unix.SetsockoptTimeval(lfd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 3})
	send := func(f []byte) {
		sa := &unix.SockaddrLinklayer{Ifindex: ifindex, Halen: 6}
		copy(sa.Addr[:], r.linkB[:])
		if err := unix.Sendto(raw, f, 0, sa); err != nil {
			t.Fatal(err)
		}
	}
	// recvTCP returns the next TCP header the kernel sent us, nil on timeout.
	rbuf := make([]byte, 2048)
	recvTCP := func() proto.TCP {
		for end := time.Now().Add(time.Second); time.Now().Before(end); {
			n, _, err := unix.Recvfrom(raw, rbuf, 0)
			if err != nil {
				continue
			}
			f := r.inner(rbuf[:n])
			if len(f) < 14+20+20 {
				continue
			}
			var tcp proto.TCP
			if ip6 := proto.IPv6(f[14:]); r.mode == "tcp6" {
				if !ip6.IsValid() || ip6.NextHeader() != proto.IPProtoTCP {
					continue
				}
				tcp = proto.TCP(ip6.Payload())
			} else {
				ip := proto.IPv4(f[14:])
				if !ip.IsValid() || ip.Protocol() != proto.IPProtoTCP {
					continue
				}
				tcp = proto.TCP(ip[ip.HeaderLen():ip.TotalLen()])
			}
			if tcp.IsValid() && tcp.DstPort() == r.sport {
				return tcp
			}
		}
		return nil
	}

	const isn = 0xfffff000                      // the sequence numbers wrap during the train
	mss := []byte{2, 4, 0x05, 0xb4, 1, 3, 3, 7} // MSS 1460, NOP, window scale 7
	send(r.frame(isn, 0, proto.TCPFlagSYN, mss, nil))
	synack := recvTCP()
	if synack == nil || synack.Flags() != proto.TCPFlagSYN|proto.TCPFlagACK || synack.Ack() != isn+1 {
		t.Fatalf("no SYN-ACK from the kernel: %v", synack)
	}
	peer := synack.Seq() + 1
	send(r.frame(isn+1, peer, proto.TCPFlagACK, nil, nil))
	cfd, _, err := unix.Accept(lfd)
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	defer unix.Close(cfd)

	// One big segment, cut by GSO.
	p := newPools(t)
	stream := data(65000)
	big := r.frame(isn+1, peer, proto.TCPFlagACK|proto.TCPFlagPSH, nil, stream)
	m := mbuftest.Packet(t, p.big, big, 0)
	proto.SetPtype(m)
	fl := mbuf.TxTCPSeg | mbuf.TxIPv4
	switch mode {
	case "tcp6":
		fl = mbuf.TxTCPSeg | mbuf.TxIPv6
	case "vxlan":
		fl |= mbuf.TxOuterIPv4 | mbuf.TxTunnelVXLAN
	case "gre":
		fl |= mbuf.TxOuterIPv4 | mbuf.TxTunnelGRE
	}
	m.SetOlFlags(fl)
	ctx := Context{Direct: p.direct, Indirect: p.indirect, Size: 1514}
	var out [64]*mbuf.Mbuf
	n, err := ctx.Segment(m, out[:], lc)
	m.Free(lc)
	if err != nil {
		t.Fatal(err)
	}
	frames := make([][]byte, n)
	for i, s := range out[:n] {
		frames[i] = mbuftest.Bytes(s)
		s.Free(lc)
	}
	for _, f := range frames {
		send(f)
	}
	// The kernel acknowledges the whole stream (resend what a full
	// window dropped, if anything, like a sender would).
	end := uint32(isn + 1 + len(stream))
	acked := uint32(isn + 1)
	resent := 0
	tcpAt := r.tcpAt()
	for deadline := time.Now().Add(5 * time.Second); acked != end; {
		if time.Now().After(deadline) {
			t.Fatalf("the kernel acknowledged up to %d of %d bytes", acked-isn-1, len(stream))
		}
		a := recvTCP()
		if a == nil {
			for _, f := range frames { // retransmit what is not acked
				if seq := proto.TCP(f[tcpAt:]).Seq(); int32(seq-acked) >= 0 {
					send(f)
					resent++
				}
			}
			continue
		}
		if int32(a.Ack()-acked) > 0 {
			acked = a.Ack()
		}
	}
	got := make([]byte, 0, len(stream))
	buf := make([]byte, 65536)
	unix.SetsockoptTimeval(cfd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 2})
	for len(got) < len(stream) {
		k, err := unix.Read(cfd, buf)
		if err != nil || k == 0 {
			t.Fatalf("read after %d bytes: %v", len(got), err)
		}
		got = append(got, buf[:k]...)
	}
	if !bytes.Equal(got, stream) {
		t.Fatalf("the kernel's socket read a different byte stream (%d bytes)", len(got))
	}
	if n < 44 {
		t.Fatalf("only %d segments", n)
	}
	t.Logf("%d segments, %d retransmitted", n, resent)
}
