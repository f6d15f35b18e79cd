package gro

import (
	"bytes"
	"net"
	"os/exec"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/internal/netns/netnstest"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// The Linux kernel's own TCP segments (TSO, GSO, checksum offload and GRO
// off on the veth), captured on the receiving side with an AF_PACKET
// socket, merge in GRO into fewer packets whose checksums are right and
// whose payload is the stream at their sequence number.
func TestKernelSegmentsMerge(t *testing.T) {
	netnstest.Require(t)
	if _, err := exec.LookPath("ethtool"); err != nil {
		t.Skip("SKIP: needs ethtool (Debian package ethtool) to turn the veth's offloads off")
	}
	a, b := netnstest.New(t), netnstest.New(t)
	va, vb := netnstest.NewVeth(t, a, b)
	a.Run(t, "ip", "addr", "add", "10.97.0.1/24", "dev", va)
	b.Run(t, "ip", "addr", "add", "10.97.0.2/24", "dev", vb)
	b.Run(t, "ethtool", "-K", vb, "tso", "off", "gso", "off", "tx", "off") // tx off: full checksums on the wire
	a.Run(t, "ethtool", "-K", va, "gro", "off")

	var lfd, raw int
	if err := a.Do(func() error {
		var err error
		if lfd, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0); err != nil {
			return err
		}
		if err = unix.Bind(lfd, &unix.SockaddrInet4{Port: 6000, Addr: [4]byte{10, 97, 0, 1}}); err != nil {
			return err
		}
		if err = unix.Listen(lfd, 1); err != nil {
			return err
		}
		ifi, err := net.InterfaceByName(va)
		if err != nil {
			return err
		}
		if raw, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_IP))); err != nil {
			return err
		}
		unix.SetsockoptInt(raw, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 16<<20)
		return unix.Bind(raw, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: ifi.Index})
	}); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(lfd)
	defer unix.Close(raw)
	unix.SetsockoptTimeval(raw, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 300000})
	unix.SetsockoptTimeval(lfd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 3})

	stream := data(3, 300000)
	sent := make(chan error, 1)
	go func() {
		sent <- b.Do(func() error {
			fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				return err
			}
			defer unix.Close(fd)
			if err := unix.Connect(fd, &unix.SockaddrInet4{Port: 6000, Addr: [4]byte{10, 97, 0, 1}}); err != nil {
				return err
			}
			for rest := stream; len(rest) > 0; {
				n, err := unix.Write(fd, rest)
				if err != nil {
					return err
				}
				rest = rest[n:]
			}
			return nil
		})
	}()
	cfd, _, err := unix.Accept(lfd)
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	defer unix.Close(cfd)
	unix.SetsockoptTimeval(cfd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 3})
	got := 0
	buf := make([]byte, 1<<16)
	for got < len(stream) {
		n, err := unix.Read(cfd, buf)
		if err != nil || n == 0 {
			t.Fatalf("the kernel's socket read %d of %d bytes: %v", got, len(stream), err)
		}
		got += n
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}

	// The frames the kernel sent us, data segments only.
	p := newPools(t)
	var isn uint32
	var frames [][]byte
	fb := make([]byte, 2048)
	for {
		n, _, err := unix.Recvfrom(raw, fb, 0)
		if err != nil {
			break
		}
		f := fb[:n]
		ip := proto.IPv4(f[proto.EthernetLen:])
		if !ip.IsValid() || ip.Protocol() != proto.IPProtoTCP || ip.Src().As4() != [4]byte{10, 97, 0, 2} {
			continue
		}
		tcp := proto.TCP(ip.Payload())
		if tcp.Flags()&proto.TCPFlagSYN != 0 {
			isn = tcp.Seq() + 1
		}
		if len(tcp.Payload()) > 0 {
			frames = append(frames, append([]byte(nil), f...))
		}
	}
	if len(frames) < len(stream)/1448 {
		t.Fatalf("captured %d data segments for %d bytes", len(frames), len(stream))
	}
	g, err := NewBurst(Param{Types: TCP4}, 32)
	if err != nil {
		t.Fatal(err)
	}
	in, out, carried := 0, 0, 0
	for i := 0; i < len(frames); i += 32 {
		burst := make([]*mbuf.Mbuf, 0, 32)
		for _, f := range frames[i:min(i+32, len(frames))] {
			burst = append(burst, mbuftest.Packet(t, p.direct, f, 0))
		}
		in += len(burst)
		n := g.Reassemble(burst)
		out += n
		for _, m := range burst[:n] {
			f := mbuftest.Bytes(m)
			m.Free(lc)
			ip := proto.IPv4(f[proto.EthernetLen:])
			if !ip.IsValid() || ip.TotalLen() != len(f)-proto.EthernetLen || !ip.IsChecksumValid() {
				t.Fatal("bad IPv4 header on a merged packet")
			}
			tcp := proto.TCP(ip.Payload())
			if !tcp.IsChecksumValid(ip.PseudoHeaderSum(proto.IPProtoTCP, len(tcp))) {
				t.Fatal("bad TCP checksum on a merged packet")
			}
			off := int(tcp.Seq() - isn)
			pl := tcp.Payload()
			if off < 0 || off+len(pl) > len(stream) || !bytes.Equal(pl, stream[off:off+len(pl)]) {
				t.Fatalf("merged payload at stream offset %d (%d bytes) is not the stream's", off, len(pl))
			}
			carried += len(pl)
		}
	}
	if carried < len(stream) {
		t.Fatalf("merged packets carry %d bytes of %d", carried, len(stream))
	}
	if out*2 > in {
		t.Fatalf("%d segments merged into %d packets only", in, out)
	}
	t.Logf("%d kernel segments merged into %d packets", in, out)
}
