package afxdp_test

//go:generate sh testdata/gen.sh

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/ethdev/porttest"
	"github.com/dpkit/dpkit/internal/xsk"
	"github.com/dpkit/dpkit/mbuf"
	"golang.org/x/sys/unix"
)

// addrs gives va and vb IPv4 addresses: the kernel stacks of both
// namespaces can talk across the veth.
func (e *env) addrs(t *testing.T) (a, b string) {
	e.a.Run(t, "ip", "addr", "add", "10.77.0.1/24", "dev", e.va)
	e.b.Run(t, "ip", "addr", "add", "10.77.0.2/24", "dev", e.vb)
	return "10.77.0.1", "10.77.0.2"
}

// udpThroughKernelAndPort checks, with p started on va, that ping from
// b's stack to a's still works (ICMP and ARP go to a's stack) while n UDP
// datagrams from b arrive on p, and nothing else does.
func udpThroughKernelAndPort(t *testing.T, e *env, p *ethdev.Port, ipA string) {
	t.Helper()
	for seq := range 3 {
		if err := ping(e, ipA, seq); err != nil {
			t.Fatalf("ping through the kernel while the port runs: %v", err)
		}
	}
	const n = 20
	err := e.b.Do(func() error {
		c, err := net.Dial("udp4", ipA+":9999")
		if err != nil {
			return err
		}
		defer c.Close()
		for i := range n {
			if _, err := c.Write([]byte(fmt.Sprintf("dpkit udp %02d", i))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got := recvPort(p, n)
	defer func() { mbuf.FreeBulk(0, got) }()
	time.Sleep(50 * time.Millisecond)
	more := recvPort(p, 1)
	got = append(got, more...)
	if len(got) != n {
		t.Fatalf("port received %d packets, want the %d UDP datagrams only", len(got), n)
	}
	for i, m := range got {
		b := m.Data()
		if len(b) < 42 || b[12] != 8 || b[13] != 0 || b[23] != unix.IPPROTO_UDP {
			t.Fatalf("packet %d is not IPv4 UDP: % x", i, b[:min(len(b), 34)])
		}
		if want := fmt.Sprintf("dpkit udp %02d", i); !bytes.Equal(b[42:], []byte(want)) {
			t.Errorf("packet %d payload %q, want %q", i, b[42:], want)
		}
	}
}

// ping sends an ICMP echo request from b's stack to ip and waits a
// second for the reply (there is no ping(8) here).
func ping(e *env, ip string, seq int) error {
	var c net.PacketConn
	if err := e.b.Do(func() (err error) { c, err = net.ListenPacket("ip4:icmp", "0.0.0.0"); return err }); err != nil {
		return err
	}
	defer c.Close()
	req := []byte{8, 0, 0, 0, 0x12, 0x34, 0, byte(seq), 'd', 'p', 'k', 'i', 't', 0, 0, 0}
	var sum uint32
	for i := 0; i < len(req); i += 2 {
		sum += uint32(req[i])<<8 | uint32(req[i+1])
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	req[2], req[3] = byte(^sum>>8), byte(^sum)
	if _, err := c.WriteTo(req, &net.IPAddr{IP: net.ParseIP(ip)}); err != nil {
		return err
	}
	c.SetReadDeadline(time.Now().Add(time.Second))
	buf := make([]byte, 1500)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			return fmt.Errorf("no echo reply from %s: %w", ip, err)
		}
		if from.String() == ip && n >= 8 && buf[0] == 0 && buf[7] == byte(seq) {
			return nil
		}
	}
}

// xdp_prog= attaches the object's program (only UDP to the sockets, the
// rest to the stack) instead of dpkit's, with our socket in its xsks_map.
func TestXDPProg(t *testing.T) {
	e := newEnv(t)
	skipNoXDP(t, e)
	ipA, _ := e.addrs(t)
	pool := porttest.NewPool(t, mbuf.PoolConfig{Name: "afxdp-" + t.Name(), N: 1024, CacheSize: 32})
	obj, err := filepath.Abs("testdata/xdp_udp.o")
	if err != nil {
		t.Fatal(err)
	}
	p := e.open(t, ",xdp_prog="+obj)
	porttest.Start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1}, pool, 0)
	if out := e.a.Run(t, "ip", "-d", "link", "show", e.va); !strings.Contains(out, "xdp_udp") {
		t.Fatalf("the object's program xdp_udp is not on %s:\n%s", e.va, out)
	}
	udpThroughKernelAndPort(t, e, p, ipA)
	p.Stop()
	p.Close()
	if xdpAttached(t, e.a, e.va) {
		t.Error("the xdp_prog= program is still attached after Close")
	}
}

// xsks_map= attaches nothing: the program someone else attached (here the
// test, with cilium/ebpf) gets our socket in its pinned XSKMAP, and stays
// after Close.
func TestPinnedXSKMap(t *testing.T) {
	e := newEnv(t)
	skipNoXDP(t, e)
	ipA, _ := e.addrs(t)
	bpffs := t.TempDir()
	if err := unix.Mount("bpf", bpffs, "bpf", 0, ""); err != nil {
		t.Skipf("SKIPPING: cannot mount a BPF file system: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(bpffs, unix.MNT_DETACH) })
	spec, err := ebpf.LoadCollectionSpec("testdata/xdp_udp.o")
	if err != nil {
		t.Fatal(err)
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer coll.Close()
	pin := filepath.Join(bpffs, "xsks_map")
	if err := coll.Maps["xsks_map"].Pin(pin); err != nil {
		t.Fatal(err)
	}
	var l link.Link
	if err := e.a.Do(func() error {
		ifi, err := net.InterfaceByName(e.va)
		if err != nil {
			return err
		}
		l, err = link.AttachXDP(link.XDPOptions{Program: coll.Programs["xdp_udp"], Interface: ifi.Index})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	pool := porttest.NewPool(t, mbuf.PoolConfig{Name: "afxdp-" + t.Name(), N: 1024, CacheSize: 32})
	p := e.open(t, ",xsks_map="+pin)
	porttest.Start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1}, pool, 0)
	udpThroughKernelAndPort(t, e, p, ipA)
	p.Stop()
	p.Close()
	if !xdpAttached(t, e.a, e.va) {
		t.Error("the user's program was detached by a port that only used its map")
	}
}

// Bad xdp_prog= objects and xsks_map= paths fail Open with xsk.ErrConfig
// naming what is wrong.
func TestXDPProgErrors(t *testing.T) {
	notELF := filepath.Join(t.TempDir(), "x.o")
	if err := os.WriteFile(notELF, []byte("not an ELF object"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ args, want string }{
		{"xdp_prog=/nonexistent/x.o", "no such file"},
		{"xdp_prog=" + notELF, notELF},
		{"xdp_prog=testdata/xdp_nomap.o", "no map named xsks_map"},
		{"xdp_prog=testdata/xdp_udp.ll", "xdp_udp.ll"},
		{"xdp_prog=testdata/xdp_udp.o,xsks_map=/sys/fs/bpf/x", "together"},
	} {
		p, err := ethdev.Open("net_af_xdp_err,iface=lo," + c.args)
		if err == nil {
			p.Close()
			t.Errorf("%s: Open succeeded", c.args)
			continue
		}
		if !errors.Is(err, xsk.ErrConfig) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want xsk.ErrConfig saying %q", c.args, err, c.want)
		}
	}
	if os.Geteuid() != 0 {
		return
	}
	p, err := ethdev.Open("net_af_xdp_err,iface=lo,xsks_map=/nonexistent/map")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1}); !errors.Is(err, xsk.ErrConfig) || !strings.Contains(err.Error(), "/nonexistent/map") {
		t.Errorf("xsks_map= a missing pin: Configure: %v, want xsk.ErrConfig naming it", err)
	}
}
