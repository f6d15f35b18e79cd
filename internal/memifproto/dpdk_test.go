package memifproto

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dpkit/dpkit/internal/dpdktest"
)

func dialRetry(t *testing.T, addr SocketAddr) *Conn {
	t.Helper()
	end := time.Now().Add(20 * time.Second)
	for {
		c, err := Dial(addr)
		if err == nil {
			return c
		}
		if time.Now().After(end) {
			t.Fatalf("dial %v: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDPDKServer: DPDK's memif PMD as the server, this package as the
// client; packets both ways, counted exactly and checked byte for byte.
func TestDPDKServer(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "memif.sock")
	p := dpdktest.Start(t, "dpkit-memifproto", "net_memif0,role=server,id=3,secret=abc,socket="+sock+",socket-abstract=no,rsize=9,bsize=2048")
	c := dialRetry(t, SocketAddr{Path: sock})
	s, err := ClientHandshake(c, ClientConfig{ID: 3, Secret: "abc", Name: "dpkit", IfName: "dpkit0", NumC2S: 1, NumS2C: 1, Log2RingSize: 9, BufSize: 2048})
	if err != nil {
		t.Fatalf("handshake with DPDK: %v", err)
	}
	defer s.Close()
	if !strings.HasPrefix(s.PeerName, "DPDK") {
		t.Errorf("peer name %q", s.PeerName)
	}
	p.LinkUp(0)

	// DPDK txonly -> us: after stop, what DPDK counts as sent is what we got.
	rx := s.ClientRxQueue(0)
	rx.SetInterrupt(false)
	rx.Refill()
	stop := make(chan struct{})
	type result struct {
		pkts, bytes uint64
		err         error
	}
	res := make(chan result, 1)
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		<-res // the reader must be done before the region is unmapped
	}()
	go func() {
		var r result
		idle := 0
		for {
			n, err := rx.Ready()
			if err != nil {
				r.err = err
				break
			}
			for i := range n {
				b, next, ok := rx.Buf(i)
				if !ok || next {
					r.err = fmt.Errorf("descriptor %d: ok %v next %v", i, ok, next)
				}
				r.pkts++
				r.bytes += uint64(len(b))
			}
			rx.Done(n)
			if n == 0 {
				select {
				case <-stop:
					// Drain what was in flight when told to stop.
					if idle++; idle > 100 {
						res <- r
						return
					}
				default:
				}
				time.Sleep(100 * time.Microsecond)
			}
		}
		res <- r
	}()
	p.Send("set fwd txonly")
	p.Send("start")
	time.Sleep(500 * time.Millisecond)
	p.Stop()
	close(stop)
	r := <-res
	res <- r
	if r.err != nil {
		t.Fatal(r.err)
	}
	st := p.PortStats(0)
	if r.pkts == 0 || r.pkts != st["TX-packets"] || r.bytes != st["TX-bytes"] {
		t.Errorf("DPDK sent %d packets / %d bytes, we received %d / %d", st["TX-packets"], st["TX-bytes"], r.pkts, r.bytes)
	}
	t.Logf("DPDK txonly -> dpkit: %d packets, %d bytes", r.pkts, r.bytes)

	// Us -> DPDK rxonly: 5000 packets of 100..1099 bytes through a ring of 512.
	p.Send("clear port stats 0")
	p.Send("set fwd rxonly")
	p.Send("start")
	tx := s.ClientTxQueue(0)
	var want uint64
	sent := 0
	for deadline := time.Now().Add(10 * time.Second); sent < 5000; {
		n, err := tx.Ready()
		if err != nil {
			t.Fatal(err)
		}
		n = min(n, 5000-sent, 32)
		for i := range n {
			b, _, _ := tx.Buf(i)
			size := 100 + (sent+i)%1000
			copy(b, bytes.Repeat([]byte{0xaa}, size))
			tx.Set(i, uint32(size), false)
			want += uint64(size)
		}
		tx.Done(n)
		sent += n
		if n == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("DPDK stopped taking packets after %d", sent)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	// Wait until DPDK has taken them all back (tail catches up).
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if n, _ := tx.Ready(); n == tx.Size() {
			break
		}
	}
	p.Stop()
	st = p.PortStats(0)
	if st["RX-packets"] != 5000 || st["RX-bytes"] != want {
		t.Errorf("DPDK received %d packets / %d bytes, we sent 5000 / %d", st["RX-packets"], st["RX-bytes"], want)
	}
}

// TestDPDKClient: this package as the server, DPDK's memif PMD as the
// client (it lays out the memory; we validate and map it).
func TestDPDKClient(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "memif.sock")
	addr := SocketAddr{Path: sock}
	l, err := Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p := dpdktest.Start(t, "dpkit-memifproto", "net_memif0,role=client,id=5,socket="+sock+",socket-abstract=no,rsize=10,bsize=2048")
	type hs struct {
		s   *Session
		err error
	}
	ch := make(chan hs, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			ch <- hs{nil, err}
			return
		}
		s, err := ServerHandshake(c, ServerConfig{Name: "dpkit", MaxRegion: 255, MaxC2SRing: 255, MaxS2CRing: 255, MaxLog2RingSize: 14,
			Accept: func(in Init) (string, error) {
				if in.ID != 5 {
					return "", fmt.Errorf("no interface %d", in.ID)
				}
				return "dpkit0", nil
			}})
		ch <- hs{s, err}
	}()
	var s *Session
	select {
	case h := <-ch:
		if h.err != nil {
			t.Fatalf("handshake with DPDK: %v", h.err)
		}
		s = h.s
	case <-time.After(20 * time.Second):
		t.Fatal("DPDK's client did not connect")
	}
	defer s.Close()
	p.LinkUp(0)

	// Us -> DPDK (server tx on S2C): DPDK's rxonly counts them.
	p.Send("set fwd rxonly")
	p.Send("start")
	tx := s.ServerTxQueue(0)
	var want uint64
	sent := 0
	for deadline := time.Now().Add(10 * time.Second); sent < 3000; {
		n, err := tx.Ready()
		if err != nil {
			t.Fatal(err)
		}
		n = min(n, 3000-sent, 32)
		for i := range n {
			b, _, ok := tx.Buf(i)
			if !ok || len(b) < 1500 {
				t.Fatalf("DPDK offered a bad buffer: %d bytes, ok %v", len(b), ok)
			}
			size := 60 + (sent+i)%1400
			tx.Set(i, uint32(size), false)
			want += uint64(size)
		}
		tx.Done(n)
		sent += n
		if n == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("DPDK offered no buffers after %d packets", sent)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	time.Sleep(200 * time.Millisecond)
	p.Stop()
	st := p.PortStats(0)
	if st["RX-packets"] != 3000 || st["RX-bytes"] != want {
		t.Errorf("DPDK received %d packets / %d bytes, we sent 3000 / %d", st["RX-packets"], st["RX-bytes"], want)
	}

	// DPDK txonly -> us (server rx on C2S).
	rx := s.ServerRxQueue(0)
	p.Send("clear port stats 0")
	p.Send("set fwd txonly")
	p.Send("start")
	var got, gotBytes uint64
	drain := func() {
		n, err := rx.Ready()
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			b, next, ok := rx.Buf(i)
			if !ok || next {
				t.Fatalf("descriptor from DPDK: ok %v next %v", ok, next)
			}
			got++
			gotBytes += uint64(len(b))
		}
		rx.Done(n)
	}
	for end := time.Now().Add(500 * time.Millisecond); time.Now().Before(end); {
		drain()
	}
	p.Stop()
	for range 50 {
		drain()
		time.Sleep(2 * time.Millisecond)
	}
	st = p.PortStats(0)
	if got == 0 || got != st["TX-packets"] || gotBytes != st["TX-bytes"] {
		t.Errorf("DPDK sent %d / %d bytes, we received %d / %d", st["TX-packets"], st["TX-bytes"], got, gotBytes)
	}
	t.Logf("DPDK txonly -> dpkit server: %d packets", got)
}
