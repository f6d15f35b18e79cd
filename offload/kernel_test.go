package offload_test

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	_ "github.com/dpkit/dpkit/driver/net/afpacket"
	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/ethdev/porttest"
	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/internal/netns/netnstest"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

// kernelFrame is an Ethernet/IPv4/UDP or TCP frame from 10.99.0.1 to
// 10.99.0.2 with every checksum zero.
func kernelFrame(dst proto.MAC, p uint8, sport, dport uint16, pl []byte, seq uint32, flags uint8) []byte {
	a, b := netip.MustParseAddr("10.99.0.1"), netip.MustParseAddr("10.99.0.2")
	l4 := make([]byte, 20+len(pl))
	if p == proto.IPProtoUDP {
		l4 = l4[:8+len(pl)]
		proto.UDP(l4).Encode(&proto.UDPFields{SrcPort: sport, DstPort: dport, Length: uint16(len(l4))})
		copy(l4[8:], pl)
	} else {
		proto.TCP(l4).Encode(&proto.TCPFields{SrcPort: sport, DstPort: dport, Seq: seq, Flags: flags, Window: 4096})
		copy(l4[20:], pl)
	}
	f := make([]byte, 14+20+len(l4))
	proto.Ethernet(f).Encode(&proto.EthernetFields{Dst: dst, Src: macA, Type: proto.EtherTypeIPv4})
	proto.IPv4(f[14:]).Encode(&proto.IPv4Fields{TotalLen: uint16(20 + len(l4)), ID: 1, TTL: 64, Protocol: p, Src: a, Dst: b})
	proto.IPv4(f[14:]).SetChecksum(0)
	copy(f[34:], l4)
	return f
}

// TestKernelAcceptsSoftChecksums sends frames through net_af_packet (which
// has no checksum offloads: the software stage computes them) on a veth
// to a network namespace, whose kernel delivers a UDP datagram to a socket
// and answers a TCP SYN only if the checksums are right. A frame with a
// bad checksum and no offload request is the control: the kernel drops it.
func TestKernelAcceptsSoftChecksums(t *testing.T) {
	netnstest.Require(t)
	na, nb := netnstest.New(t), netnstest.New(t)
	va, vb := netnstest.NewVeth(t, na, nb)
	nb.Run(t, "ip", "addr", "add", "10.99.0.2/24", "dev", vb)
	nb.Run(t, "ip", "neigh", "replace", "10.99.0.1", "lladdr", net.HardwareAddr(macA[:]).String(), "dev", vb)
	var dst proto.MAC
	var udp, lfd int
	if err := nb.Do(func() error {
		ifi, err := net.InterfaceByName(vb)
		if err != nil {
			return err
		}
		copy(dst[:], ifi.HardwareAddr)
		if udp, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0); err != nil {
			return err
		}
		if err := unix.Bind(udp, &unix.SockaddrInet4{Port: 5001, Addr: [4]byte{10, 99, 0, 2}}); err != nil {
			return err
		}
		if lfd, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0); err != nil {
			return err
		}
		if err := unix.Bind(lfd, &unix.SockaddrInet4{Port: 5002, Addr: [4]byte{10, 99, 0, 2}}); err != nil {
			return err
		}
		return unix.Listen(lfd, 4)
	}); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(udp)
	defer unix.Close(lfd)
	_ = unix.SetsockoptTimeval(udp, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 500000})

	mp := newPool(t, 1023)
	var p *ethdev.Port
	if err := na.Do(func() (err error) { p, err = ethdev.Open("net_af_packet7,iface=" + va); return err }); err != nil {
		t.Fatal(err)
	}
	porttest.CloseAtEnd(t, p)
	if di := p.Info(); di.SoftTxOffloads&ethdev.TxOffloadUDPCksum == 0 {
		t.Fatalf("net_af_packet: udp_cksum not in software (%v); the test expects a device without it", di.SoftTxOffloads)
	}
	// rx: the IPv4 checksum verdict and the packet type in software too.
	porttest.Start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1,
		TxOffloads: ethdev.TxOffloadIPv4Cksum | ethdev.TxOffloadUDPCksum | ethdev.TxOffloadTCPCksum,
		RxOffloads: ethdev.RxOffloadIPv4Cksum, RxPtypes: mbuf.PtypeAllMask}, mp, lc)
	send := func(f []byte, fl uint64) {
		t.Helper()
		m := mbuftest.Packet(t, mp, f, 0)
		m.SetTxLens(14, 20, 8, 0, 0, 0)
		m.SetOlFlags(fl)
		if p.TxBurst(0, []*mbuf.Mbuf{m}) != 1 {
			m.Free(lc)
			t.Fatal("TxBurst took nothing")
		}
	}
	// Control: good IPv4 header, wrong UDP checksum, nothing asked.
	bad := kernelFrame(dst, proto.IPProtoUDP, 4000, 5001, []byte("bad"), 0, 0)
	binary.BigEndian.PutUint16(bad[24:], refIP(bad, 14, 20))
	binary.BigEndian.PutUint16(bad[34+6:], 0x1234)
	send(bad, 0)
	// Both checksums zero, both asked for.
	send(kernelFrame(dst, proto.IPProtoUDP, 4000, 5001, []byte("good"), 0, 0), mbuf.TxIPv4|mbuf.TxIPCksum|mbuf.TxUDPCksum)
	buf := make([]byte, 64)
	n, _, err := unix.Recvfrom(udp, buf, 0)
	if err != nil {
		t.Fatalf("the kernel delivered no datagram: %v", err)
	}
	if string(buf[:n]) != "good" {
		t.Fatalf("the kernel delivered %q first, want \"good\" (the control frame with a bad checksum should be dropped)", buf[:n])
	}
	if n, _, err := unix.Recvfrom(udp, buf, 0); err == nil {
		t.Errorf("a second datagram %q", buf[:n])
	}

	// TCP: a SYN with the checksums done in software gets a SYN-ACK.
	const isn = 0x01020304
	syn := kernelFrame(dst, proto.IPProtoTCP, 4001, 5002, nil, isn, proto.TCPFlagSYN)
	m := mbuftest.Packet(t, mp, syn, 0)
	m.SetTxLens(14, 20, 20, 0, 0, 0)
	m.SetOlFlags(mbuf.TxIPv4 | mbuf.TxIPCksum | mbuf.TxTCPCksum)
	if p.TxBurst(0, []*mbuf.Mbuf{m}) != 1 {
		m.Free(lc)
		t.Fatal("TxBurst took nothing")
	}
	var rx [32]*mbuf.Mbuf
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
		n := p.RxBurst(0, rx[:])
		found := false
		for _, r := range rx[:n] {
			f := mbuftest.Bytes(r)
			if len(f) >= 54 && f[23] == proto.IPProtoTCP {
				tcp := proto.TCP(f[34:])
				if tcp.DstPort() == 4001 && tcp.Flags() == proto.TCPFlagSYN|proto.TCPFlagACK && tcp.Ack() == isn+1 {
					found = true
					// The kernel's SYN-ACK, checked by the rx stage.
					if r.OlFlags()&mbuf.RxIPCksumMask != mbuf.RxIPCksumGood {
						t.Errorf("SYN-ACK: IP checksum flags %s, want good", mbuf.FlagsString(r.OlFlags()))
					}
					if pt := r.PacketType(); pt != mbuf.PtypeL2Ether|mbuf.PtypeL3IPv4|mbuf.PtypeL4TCP {
						t.Errorf("SYN-ACK: packet type %s", mbuf.PtypeString(pt))
					}
				}
			}
		}
		mbuf.FreeBulk(lc, rx[:n])
		if found {
			return
		}
	}
	t.Fatal("no SYN-ACK from the kernel for the SYN whose checksums were done in software")
}
