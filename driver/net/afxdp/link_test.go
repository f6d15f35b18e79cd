package afxdp_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/ethdev/porttest"
	"github.com/dpkit/dpkit/mbuf"
)

// The port's link follows the interface (the peer end going down takes
// the carrier away; the interface itself going down too), and the port's
// link-change callbacks hear of each change (rtnetlink events).
func TestLinkFollowsInterface(t *testing.T) {
	e := newEnv(t)
	skipNoXDP(t, e)
	pool := porttest.NewPool(t, mbuf.PoolConfig{Name: "afxdp-" + t.Name(), N: 1024, CacheSize: 32})
	p := e.open(t, "")
	if !p.Info().LinkIntr {
		t.Error("DevInfo.LinkIntr is false: the port does not say it reports link changes")
	}
	porttest.Start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1, LinkIntr: true}, pool, 0)
	if !p.Link().Up {
		t.Fatalf("link %v after Start on an up veth", p.Link())
	}
	links := make(chan ethdev.Link, 16)
	remove := p.OnLinkChange(func(_ *ethdev.Port, l ethdev.Link) { links <- l })
	defer remove()
	for _, c := range []struct {
		ns    func(*testing.T, ...string) string
		iface string
		state string
	}{
		{func(t *testing.T, a ...string) string { return e.b.Run(t, "ip", a...) }, e.vb, "down"},
		{func(t *testing.T, a ...string) string { return e.b.Run(t, "ip", a...) }, e.vb, "up"},
		{func(t *testing.T, a ...string) string { return e.a.Run(t, "ip", a...) }, e.va, "down"},
		{func(t *testing.T, a ...string) string { return e.a.Run(t, "ip", a...) }, e.va, "up"},
	} {
		c.ns(t, "link", "set", c.iface, c.state)
		up := c.state == "up"
		deadline := time.After(3 * time.Second)
	wait:
		for {
			select {
			case l := <-links:
				if l.Up == up {
					break wait
				}
			case <-deadline:
				t.Fatalf("%s %s: no link callback saying up=%v in 3 s (Link says %v)", c.iface, c.state, up, p.Link())
			}
		}
		if p.Link().Up != up {
			t.Errorf("%s %s: Link says %v", c.iface, c.state, p.Link())
		}
	}
	// Traffic still flows after the interface came back.
	kp := e.peer(t)
	for range 5 {
		kp.Send(t, frame(60, 9))
	}
	got := recvPort(p, 5)
	mbuf.FreeBulk(0, got)
	if len(got) != 5 {
		t.Errorf("received %d of 5 after the link came back", len(got))
	}
}

// The MTU goes up to DevInfo.MaxMTU (the interface's is set), and a frame
// of MaxRxPktLen bytes, the most an mbuf of the default data room holds
// after the kernel's XDP headroom, arrives whole.
func TestMaxMTU(t *testing.T) {
	e := newEnv(t)
	skipNoXDP(t, e)
	kp := e.peer(t)
	pool := porttest.NewPool(t, mbuf.PoolConfig{Name: "afxdp-" + t.Name(), N: 1024, CacheSize: 32})
	p := e.open(t, "")
	di := p.Info()
	if err := p.SetMTU(di.MaxMTU + 1); err == nil {
		t.Errorf("SetMTU(%d) past MaxMTU succeeded", di.MaxMTU+1)
	}
	if err := p.SetMTU(di.MaxMTU); err != nil {
		t.Fatalf("SetMTU(MaxMTU %d): %v", di.MaxMTU, err)
	}
	if out := e.a.Run(t, "ip", "link", "show", e.va); !strings.Contains(out, fmt.Sprintf("mtu %d ", di.MaxMTU)) {
		t.Fatalf("interface MTU not %d:\n%s", di.MaxMTU, out)
	}
	e.b.Run(t, "ip", "link", "set", e.vb, "mtu", fmt.Sprint(di.MaxMTU))
	porttest.Start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1}, pool, 0)
	f := frame(di.MaxRxPktLen, 3)
	kp.Send(t, f)
	got := recvPort(p, 1)
	defer func() { mbuf.FreeBulk(0, got) }()
	if len(got) != 1 || got[0].NbSegs() != 1 || !bytes.Equal(got[0].Data(), f) {
		t.Fatalf("a %d-byte frame: received %d packets, not the frame whole in one mbuf", len(f), len(got))
	}
	if got[0].Tailroom() != 0 {
		t.Logf("tailroom %d after a MaxRxPktLen frame", got[0].Tailroom())
	}
}
