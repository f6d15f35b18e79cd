package afxdp_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	_ "github.com/dpkit/dpkit/driver/net/afxdp"
	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/ethdev/porttest"
	"github.com/dpkit/dpkit/internal/netns/netnstest"
	"github.com/dpkit/dpkit/internal/testutil"
	"github.com/dpkit/dpkit/internal/xsk"
	"github.com/dpkit/dpkit/mbuf"
)

func TestMain(m *testing.M) { testutil.Main(m) }

// env is a veth pair across two namespaces: ports on va in a, the kernel
// peer on vb in b.
type env struct {
	a, b   *netnstest.NS
	va, vb string
}

func newEnv(t *testing.T) *env {
	if os.Geteuid() != 0 {
		t.Skip("SKIPPING: net_af_xdp tests need root (AF_XDP sockets, XDP programs, namespaces)")
	}
	netnstest.Require(t)
	a, b := netnstest.New(t), netnstest.New(t)
	va, vb := netnstest.NewVeth(t, a, b)
	return &env{a, b, va, vb}
}

// open opens a port on va (in namespace a) with extra devargs; it is
// closed when the test ends. A kernel without AF_XDP skips the test.
func (e *env) open(t *testing.T, extra string) *ethdev.Port {
	t.Helper()
	var p *ethdev.Port
	args := fmt.Sprintf("net_af_xdp_%s,iface=%s%s", strings.ReplaceAll(e.va, "x", "_"), e.va, extra)
	err := e.a.Do(func() (err error) {
		p, err = ethdev.Open(args)
		return err
	})
	if err != nil {
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
	return p
}

// peer is a plain packet socket on vb: the kernel's ordinary packet path.
type peer = netnstest.PacketPeer

func (e *env) peer(t *testing.T) *peer { return netnstest.NewPacketPeer(t, e.b, e.vb) }

// skipNoXDP skips when the kernel refuses AF_XDP here.
func skipNoXDP(t *testing.T, e *env) {
	t.Helper()
	err := e.a.Do(func() error {
		s, err := xsk.Open(xsk.Config{Iface: e.va, Bind: xsk.BindCopy, FrameCount: 64, RxSize: 64, TxSize: 64, FillSize: 64, CompSize: 64})
		if err == nil {
			s.Close()
		}
		return err
	})
	if errors.Is(err, xsk.ErrNotSupported) {
		t.Skipf("SKIPPING: AF_XDP not available: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestConformance(t *testing.T) { conformance(t, "") }

// With busy polling the kernel runs the veth's NAPI in our syscalls.
func TestConformanceBusyPoll(t *testing.T) { conformance(t, ",busy_budget=64") }

func conformance(t *testing.T, extra string) {
	e := newEnv(t)
	skipNoXDP(t, e)
	kp := e.peer(t)
	porttest.Run(t, porttest.Config{
		Open: func(t *testing.T) *ethdev.Port {
			kp.Drain() // what earlier cases sent is not this case's
			return e.open(t, extra)
		},
		Inject:  func(t *testing.T, _ *ethdev.Port, _ uint16, f []byte) { kp.Send(t, f) },
		Observe: func(t *testing.T, _ *ethdev.Port, want int) [][]byte { return kp.Recv(want) },
	})
}

// xdpAttached says whether the interface has an XDP program, as ip(8)
// shows it.
func xdpAttached(t *testing.T, ns *netnstest.NS, iface string) bool {
	t.Helper()
	out := ns.Run(t, "ip", "-d", "link", "show", "dev", iface)
	return strings.Contains(out, "prog/xdp")
}

func TestNoProgramAfterClose(t *testing.T) {
	e := newEnv(t)
	skipNoXDP(t, e)
	if xdpAttached(t, e.a, e.va) {
		t.Fatal("XDP program on a fresh veth")
	}
	pool := porttest.NewPool(t, mbuf.PoolConfig{Name: "afxdp-" + t.Name(), N: 512, CacheSize: 32, DataRoomSize: 2176})
	p := e.open(t, "")
	porttest.Start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1}, pool, 0)
	if !xdpAttached(t, e.a, e.va) {
		t.Fatal("no XDP program on the interface of a started port")
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if xdpAttached(t, e.a, e.va) {
		t.Fatal("XDP program left on the interface after Close")
	}
}

func TestDevargs(t *testing.T) {
	for _, c := range []struct{ args, want string }{
		{"net_af_xdp0", "iface= is required"},
		{"net_af_xdp0,iface=dpkit-none0", `interface "dpkit-none0"`},
		{"net_af_xdp0,iface=lo,queue_count=0", `key "queue_count"`},
		{"net_af_xdp0,iface=lo,busy_budget=65536", `key "busy_budget"`},
		{"net_af_xdp0,iface=lo,xdp_prog=/x.o", "xdp_prog=/x.o"},
		{"net_af_xdp0,iface=lo,ifname=x", `unknown key "ifname"`},
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
