package afxdp_test

import (
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/ethdev/porttest"
	"github.com/dpkit/dpkit/mbuf"
)

// responder answers, on p's queue 0, ARP requests and ICMP echo requests
// for ip (a tiny host in front of the port), counts the UDP datagrams to
// port 9999 with the payload it expects, and drops the rest.
type responder struct {
	p       *ethdev.Port
	mac     ethdev.MAC
	ip      [4]byte
	udp     atomic.Int64
	bad     atomic.Int64
	replies atomic.Int64
	stop    chan struct{}
	wg      sync.WaitGroup
}

func (r *responder) run() {
	defer r.wg.Done()
	rx := make([]*mbuf.Mbuf, 32)
	tx := make([]*mbuf.Mbuf, 0, 32)
	for {
		select {
		case <-r.stop:
			return
		default:
		}
		n := r.p.RxBurst(0, rx)
		if n == 0 {
			time.Sleep(50 * time.Microsecond)
			continue
		}
		tx = tx[:0]
		for _, m := range rx[:n] {
			if r.answer(m) {
				tx = append(tx, m) // answered in place
			} else {
				m.Free(0)
			}
		}
		sent := r.p.TxBurst(0, tx)
		r.replies.Add(int64(sent))
		mbuf.FreeBulk(0, tx[sent:])
	}
}

// answer turns m into the reply (true) or counts it (false).
func (r *responder) answer(m *mbuf.Mbuf) bool {
	b := m.Data()
	if len(b) < 42 {
		return false
	}
	swapEth := func() {
		copy(b[0:6], b[6:12])
		copy(b[6:12], r.mac[:])
	}
	switch binary.BigEndian.Uint16(b[12:14]) {
	case 0x0806: // ARP request for our address: reply
		a := b[14:]
		if binary.BigEndian.Uint16(a[6:8]) != 1 || [4]byte(a[24:28]) != r.ip {
			return false
		}
		swapEth()
		binary.BigEndian.PutUint16(a[6:8], 2)
		copy(a[18:28], a[8:18]) // target = the asker
		copy(a[8:14], r.mac[:])
		copy(a[14:18], r.ip[:])
		return true
	case 0x0800:
		ip := b[14:]
		ihl := int(ip[0]&15) * 4
		if [4]byte(ip[16:20]) != r.ip || len(ip) < ihl+8 {
			return false
		}
		l4 := ip[ihl:]
		switch ip[9] {
		case 1: // ICMP echo request: echo reply
			if l4[0] != 8 {
				return false
			}
			swapEth()
			var src [4]byte
			copy(src[:], ip[12:16])
			copy(ip[12:16], ip[16:20])
			copy(ip[16:20], src[:]) // the IP checksum does not change
			l4[0] = 0
			// type 8 -> 0: checksum + 0x0800, end-around carry
			c := uint32(binary.BigEndian.Uint16(l4[2:4])) + 0x0800
			binary.BigEndian.PutUint16(l4[2:4], uint16(c+c>>16))
			return true
		case 17:
			if binary.BigEndian.Uint16(l4[2:4]) == 9999 && string(l4[8:]) == fmt.Sprintf("dpkit %06d", r.udp.Load()) {
				r.udp.Add(1)
			} else {
				r.bad.Add(1)
			}
		}
	}
	return false
}

// The kernel on the other end of the veth talks to the port as to a host:
// its ARP requests and pings are answered by the port (the replies go
// out through TxBurst), and a UDP stream arrives in order, counted
// exactly, nothing dropped.
func TestKernelPingAndUDP(t *testing.T) {
	e := newEnv(t)
	skipNoXDP(t, e)
	pool := porttest.NewPool(t, mbuf.PoolConfig{Name: "afxdp-" + t.Name(), N: 8192, CacheSize: 64})
	p := e.open(t, "")
	porttest.Start(t, p, ethdev.Config{RxQueues: 1, TxQueues: 1}, pool, 0)
	e.b.Run(t, "ip", "addr", "add", "10.78.0.2/24", "dev", e.vb)
	r := &responder{p: p, mac: p.MAC(), ip: [4]byte{10, 78, 0, 1}, stop: make(chan struct{})}
	r.wg.Add(1)
	go r.run()
	defer func() { close(r.stop); r.wg.Wait() }()

	for seq := range 5 {
		if err := ping(e, "10.78.0.1", seq); err != nil {
			t.Fatalf("ping %d of the port from the kernel: %v", seq, err)
		}
	}
	const n = 3000
	err := e.b.Do(func() error {
		c, err := net.Dial("udp4", "10.78.0.1:9999")
		if err != nil {
			return err
		}
		defer c.Close()
		for i := range n {
			if _, err := c.Write([]byte(fmt.Sprintf("dpkit %06d", i))); err != nil {
				return err
			}
			if i%64 == 63 {
				time.Sleep(200 * time.Microsecond)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(3 * time.Second); r.udp.Load()+r.bad.Load() < n && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if got, bad := r.udp.Load(), r.bad.Load(); got != n || bad != 0 {
		t.Fatalf("port got %d of %d UDP datagrams in order, %d out of order or wrong (imissed %d)", got, n, bad, p.Stats().IMissed)
	}
	if st := p.Stats(); st.IMissed != 0 {
		t.Errorf("imissed %d", st.IMissed)
	}
}
