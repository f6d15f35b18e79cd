package afpacket_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	_ "github.com/dpkit/dpkit/driver/net/afpacket"
	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/ethdev/porttest"
	afp "github.com/dpkit/dpkit/internal/afpacket"
	"github.com/dpkit/dpkit/internal/netns/netnstest"
	"github.com/dpkit/dpkit/internal/testutil"
	"github.com/dpkit/dpkit/mbuf"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) { testutil.Main(m) }

const lc = 0

// env is a veth pair across two namespaces: ports on va in a, the kernel
// peer on vb in b.
type env struct {
	a, b   *netnstest.NS
	va, vb string
}

func newEnv(t *testing.T) *env {
	netnstest.Require(t)
	a, b := netnstest.New(t), netnstest.New(t)
	va, vb := netnstest.NewVeth(t, a, b)
	return &env{a, b, va, vb}
}

// open opens a port on va (in namespace a) with extra devargs; it is
// closed when the test ends.
func (e *env) open(t *testing.T, extra string) *ethdev.Port {
	t.Helper()
	var p *ethdev.Port
	args := fmt.Sprintf("net_af_packet_%s,iface=%s%s", strings.ReplaceAll(e.va, "x", "_"), e.va, extra)
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

func TestConformance(t *testing.T) {
	e := newEnv(t)
	kp := e.peer(t)
	porttest.Run(t, porttest.Config{
		Open: func(t *testing.T) *ethdev.Port {
			kp.Drain() // what earlier cases sent is not this case's
			return e.open(t, "")
		},
		Inject:  func(t *testing.T, _ *ethdev.Port, _ uint16, f []byte) { kp.Send(t, f) },
		Observe: func(t *testing.T, _ *ethdev.Port, want int) [][]byte { return kp.Recv(want) },
	})
}

func TestConformanceV3(t *testing.T) {
	e := newEnv(t)
	kp := e.peer(t)
	porttest.Run(t, porttest.Config{
		Open: func(t *testing.T) *ethdev.Port {
			kp.Drain()
			return e.open(t, ",tpacket=3")
		},
		Inject:  func(t *testing.T, _ *ethdev.Port, _ uint16, f []byte) { kp.Send(t, f) },
		Observe: func(t *testing.T, _ *ethdev.Port, want int) [][]byte { return kp.Recv(want) },
	})
}

func TestConformanceQpairs(t *testing.T) {
	e := newEnv(t)
	porttest.Run(t, porttest.Config{
		Open:   func(t *testing.T) *ethdev.Port { return e.open(t, ",qpairs=4,qdisc_bypass=1,framecnt=256") },
		Queues: 4,
	})
}

func TestDevargs(t *testing.T) {
	for _, c := range []struct{ args, want string }{
		{"net_af_packet0", "iface= is required"},
		{"net_af_packet0,iface=dpkit-none0", `interface "dpkit-none0"`},
		{"net_af_packet0,iface=lo,framesz=200", "framesz 200"},
		{"net_af_packet0,iface=lo,blocksz=5000", "blocksz 5000"},
		{"net_af_packet0,iface=lo,framecnt=3", "framecnt 3"},
		{"net_af_packet0,iface=lo,qpairs=0", `key "qpairs"`},
		{"net_af_packet0,iface=lo,ifname=x", `unknown key "ifname"`},
		{"net_af_packet0,iface=lo,tpacket=1", `key "tpacket"`},
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

func newPool(t *testing.T, n, room int) *mbuf.Pool {
	return porttest.NewPool(t, mbuf.PoolConfig{Name: "afp-" + t.Name(), N: n, CacheSize: 32, DataRoomSize: room})
}

func start(t *testing.T, p *ethdev.Port, cfg ethdev.Config, mp *mbuf.Pool) {
	t.Helper()
	porttest.Start(t, p, cfg, mp, lc)
}

// rxAll receives from every rx queue of p until want packets came or a
// second passed; it returns the packets' bytes and flags per queue and
// frees the mbufs.
type rxPkt struct {
	data  []byte
	flags uint64
	tci   uint16
	segs  int
}

func rxAll(t *testing.T, p *ethdev.Port, nq, want int) [][]rxPkt {
	out := make([][]rxPkt, nq)
	got := 0
	rx := make([]*mbuf.Mbuf, 32)
	deadline := time.Now().Add(time.Second)
	for got < want && time.Now().Before(deadline) {
		for q := range uint16(nq) {
			n := p.RxBurst(q, rx)
			for _, m := range rx[:n] {
				if err := m.Check(true); err != nil {
					t.Errorf("mbuf: %v", err)
				}
				b := make([]byte, m.PktLen())
				m.CopyTo(b)
				out[q] = append(out[q], rxPkt{b, m.OlFlags(), m.VLANTCI(), m.NbSegs()})
			}
			mbuf.FreeBulk(lc, rx[:n])
			got += n
		}
		time.Sleep(50 * time.Microsecond)
	}
	return out
}

func ethFrame(size int, typ uint16, seq int) []byte {
	f := make([]byte, size)
	copy(f, []byte{0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1})
	binary.BigEndian.PutUint16(f[12:], typ)
	for i := 14; i < size; i++ {
		f[i] = byte(seq*7 + i)
	}
	return f
}

// TestRxScatter receives frames longer than one mbuf: chains, same bytes.
func TestRxScatter(t *testing.T) {
	e := newEnv(t)
	kp := e.peer(t)
	e.a.Run(t, "ip", "link", "set", e.va, "mtu", "1986")
	e.b.Run(t, "ip", "link", "set", e.vb, "mtu", "1986")
	mp := newPool(t, 511, 512+mbuf.Headroom)
	p := e.open(t, "")
	start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1}, mp)
	var want [][]byte
	for i, sz := range []int{60, 500, 512, 513, 1514, 1980} { // 1982 fits a 2048-byte V2 frame
		f := ethFrame(sz, 0x88b5, i)
		want = append(want, f)
		kp.Send(t, f)
	}
	got := rxAll(t, p, 1, len(want))[0]
	if len(got) != len(want) {
		t.Fatalf("received %d of %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i].data, want[i]) {
			t.Errorf("frame %d (%d bytes, %d segs) differs", i, len(want[i]), got[i].segs)
		}
	}
	if got[5].segs < 3 {
		t.Errorf("1980-byte frame in %d segments of 512 bytes", got[5].segs)
	}
}

// TestVLAN: the kernel takes the tag off on receive; the driver puts it
// back without vlan_strip and moves it to the mbuf with it; on transmit,
// TxVLAN inserts it.
func TestVLAN(t *testing.T) {
	e := newEnv(t)
	kp := e.peer(t)
	mp := newPool(t, 511, 0)
	tagged := ethFrame(100, 0x8100, 1)
	binary.BigEndian.PutUint16(tagged[14:], 0x2064) // PCP 1, VID 100
	binary.BigEndian.PutUint16(tagged[16:], 0x88b5)
	for _, strip := range []bool{false, true} {
		t.Run(fmt.Sprintf("strip=%v", strip), func(t *testing.T) {
			p := e.open(t, "")
			cfg := ethdev.Config{RxQueues: 1, TxQueues: 1}
			if strip {
				cfg.RxOffloads = ethdev.RxOffloadVLANStrip
			}
			start(t, p, cfg, mp)
			kp.Send(t, tagged)
			got := rxAll(t, p, 1, 1)[0]
			if len(got) != 1 {
				t.Fatalf("received %d frames", len(got))
			}
			g := got[0]
			if !strip {
				if !bytes.Equal(g.data, tagged) || g.flags&mbuf.RxVLANStripped != 0 {
					t.Errorf("got % x flags %s, want the tagged frame", g.data[:20], mbuf.FlagsString(g.flags))
				}
				return
			}
			untagged := append(bytes.Clone(tagged[:12]), tagged[16:]...)
			if !bytes.Equal(g.data, untagged) || g.tci != 0x2064 || g.flags&(mbuf.RxVLAN|mbuf.RxVLANStripped) != mbuf.RxVLAN|mbuf.RxVLANStripped {
				t.Errorf("got % x tci %#x flags %s, want untagged, tci 0x2064, stripped", g.data[:16], g.tci, mbuf.FlagsString(g.flags))
			}
		})
	}
	// Transmit with TxVLAN; a ring socket on the peer sees the tag (the
	// kernel moves it to the metadata there too).
	var ps *afp.Socket
	if err := e.b.Do(func() (err error) { ps, err = afp.Open(afp.Config{Iface: e.vb}); return err }); err != nil {
		t.Fatal(err)
	}
	defer ps.Close()
	p := e.open(t, "")
	start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1, TxOffloads: ethdev.TxOffloadVLANInsert}, mp)
	m := mp.Alloc(lc)
	copy(m.Append(80), ethFrame(80, 0x88b5, 2))
	m.SetVLANTCI(0x0123)
	m.AddOlFlags(mbuf.TxVLAN)
	if n := p.TxBurst(0, []*mbuf.Mbuf{m}); n != 1 {
		m.Free(lc)
		t.Fatal("TxBurst took nothing")
	}
	var pk afp.Packet
	deadline := time.Now().Add(time.Second)
	for !ps.Next(&pk) {
		if time.Now().After(deadline) {
			t.Fatal("peer received nothing")
		}
		time.Sleep(time.Millisecond)
	}
	if pk.Status&unix.TP_STATUS_VLAN_VALID == 0 || pk.VLANTCI != 0x0123 || !bytes.Equal(pk.Data, ethFrame(80, 0x88b5, 2)) {
		t.Errorf("peer got status %#x tci %#x % x", pk.Status, pk.VLANTCI, pk.Data[:16])
	}
}

// TestFanoutQueues spreads flows over two rx queues.
func TestFanoutQueues(t *testing.T) {
	e := newEnv(t)
	kp := e.peer(t)
	mp := newPool(t, 2047, 0)
	p := e.open(t, ",qpairs=2,tpacket=3") // V3: the kernel's flow hash too
	start(t, p, ethdev.Config{RxQueues: 2, TxQueues: 2}, mp)
	const flows, per = 32, 4
	for s := range per {
		for f := range flows {
			fr := ethFrame(60, 0x0800, s)
			ip := fr[14:]
			ip[0], ip[9] = 0x45, 17
			ip[6], ip[7] = 0, 0 // not a fragment: the hash covers the ports
			binary.BigEndian.PutUint16(ip[2:], 46)
			copy(ip[12:], []byte{10, 0, 0, 1, 10, 0, 0, 2})
			binary.BigEndian.PutUint16(ip[20:], uint16(1000+f))
			binary.BigEndian.PutUint16(ip[22:], 53)
			kp.Send(t, fr)
		}
	}
	got := rxAll(t, p, 2, flows*per)
	if len(got[0])+len(got[1]) != flows*per || len(got[0]) == 0 || len(got[1]) == 0 {
		t.Fatalf("per queue %d + %d, want %d over both", len(got[0]), len(got[1]), flows*per)
	}
	for _, g := range got[0] {
		if g.flags&mbuf.RxRSSHash == 0 {
			t.Fatal("no RSS hash on a received packet")
		}
	}
	st := p.Stats()
	if st.QIPackets[0] != uint64(len(got[0])) || st.QIPackets[1] != uint64(len(got[1])) {
		t.Errorf("per-queue stats %v, received %d, %d", st.QIPackets, len(got[0]), len(got[1]))
	}
}

// TestImissedAndLink: a ring nobody polls overflows (imissed); the link
// follows the peer.
func TestImissedAndLink(t *testing.T) {
	e := newEnv(t)
	kp := e.peer(t)
	mp := newPool(t, 1023, 0)
	p := e.open(t, ",framecnt=16")
	start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1}, mp)
	if l := p.Link(); !l.Up || l.Speed != 10000 {
		t.Errorf("link %v, want up at 10000", l)
	}
	const n = 300
	for i := range n {
		kp.Send(t, ethFrame(1000, 0x88b5, i))
	}
	time.Sleep(10 * time.Millisecond)
	got := rxAll(t, p, 1, n)[0]
	st := p.Stats()
	if st.IMissed == 0 || uint64(len(got))+st.IMissed != n || st.IPackets != uint64(len(got)) {
		t.Errorf("received %d, stats ipackets %d imissed %d: want imissed > 0 and the sum %d", len(got), st.IPackets, st.IMissed, n)
	}
	p.ResetStats()
	if st := p.Stats(); st.IMissed != 0 {
		t.Errorf("imissed %d after ResetStats", st.IMissed)
	}
	// The link follows the peer, and the port's callbacks hear of it
	// (rtnetlink events).
	links := make(chan ethdev.Link, 16)
	remove := p.OnLinkChange(func(_ *ethdev.Port, l ethdev.Link) { links <- l })
	defer remove()
	for _, state := range []string{"down", "up"} {
		e.b.Run(t, "ip", "link", "set", e.vb, state)
		select {
		case l := <-links:
			if l.Up != (state == "up") || p.Link().Up != l.Up {
				t.Errorf("peer %s: callback says %v, Link says %v", state, l, p.Link())
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("peer %s: no link callback in 3 s (Link says %v)", state, p.Link())
		}
	}
}

func TestRxInterrupt(t *testing.T) {
	e := newEnv(t)
	kp := e.peer(t)
	mp := newPool(t, 511, 0)
	p := e.open(t, "")
	start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1, RxIntr: true}, mp)
	if err := ethdev.RxIntrWait(p, 0, 20*time.Millisecond); !errors.Is(err, ethdev.ErrTimeout) {
		t.Fatalf("RxIntrWait on an idle queue: %v, want ErrTimeout", err)
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		kp.Write(ethFrame(60, 0x88b5, 1))
	}()
	t0 := time.Now()
	if err := ethdev.RxIntrWait(p, 0, 2*time.Second); err != nil {
		t.Fatalf("RxIntrWait with a packet coming: %v", err)
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("woke after %v", d)
	}
	if got := rxAll(t, p, 1, 1)[0]; len(got) != 1 {
		t.Errorf("received %d after the wake-up", len(got))
	}
}
