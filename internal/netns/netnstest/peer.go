package netnstest

import (
	"bytes"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// PacketPeer is a plain AF_PACKET socket on an interface inside a
// namespace: the kernel's ordinary packet path, as the other end of a
// driver under test. It ignores its own outgoing frames and is closed when
// the test ends.
type PacketPeer struct {
	fd, ifindex int
}

// NewPacketPeer opens a PacketPeer on ifname in ns.
func NewPacketPeer(t testing.TB, ns *NS, ifname string) *PacketPeer {
	t.Helper()
	p := &PacketPeer{fd: -1}
	err := ns.Do(func() error {
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		p.fd = fd
		ifr, _ := unix.NewIfreq(ifname)
		if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
			return err
		}
		p.ifindex = int(ifr.Uint32())
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 16<<20)
		unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1)
		tv := unix.Timeval{Usec: 100000}
		unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: 0x0300, Ifindex: p.ifindex}) // htons(ETH_P_ALL)
	})
	if p.fd >= 0 {
		t.Cleanup(func() { unix.Close(p.fd) })
	}
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Send transmits frame f, failing the test on an error.
func (p *PacketPeer) Send(t testing.TB, f []byte) {
	t.Helper()
	if err := p.Write(f); err != nil {
		t.Fatalf("peer send: %v", err)
	}
}

// Write transmits frame f (for goroutines other than the test's).
func (p *PacketPeer) Write(f []byte) error {
	return unix.Sendto(p.fd, f, 0, &unix.SockaddrLinklayer{Ifindex: p.ifindex})
}

// Drain discards what the peer has received.
func (p *PacketPeer) Drain() {
	buf := make([]byte, 65536)
	for {
		if _, _, err := unix.Recvfrom(p.fd, buf, unix.MSG_DONTWAIT); err != nil {
			return
		}
	}
}

// Recv returns up to want frames, waiting up to a second.
func (p *PacketPeer) Recv(want int) [][]byte {
	var out [][]byte
	buf := make([]byte, 65536)
	deadline := time.Now().Add(time.Second)
	for len(out) < want && time.Now().Before(deadline) {
		n, _, err := unix.Recvfrom(p.fd, buf, 0)
		if err == nil {
			out = append(out, bytes.Clone(buf[:n]))
		}
	}
	return out
}
