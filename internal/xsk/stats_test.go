package xsk

import (
	"errors"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dpkit/dpkit/internal/netns/netnstest"
)

// TestStats provokes the kernel's drop counters: frames arriving with an
// empty fill ring, and a tx descriptor longer than its frame.
func TestStats(t *testing.T) {
	netnstest.Require(t)
	a, b := netnstest.New(t), netnstest.New(t)
	va, vb := netnstest.NewVeth(t, a, b)
	var s *Socket
	var mac net.HardwareAddr
	err := a.Do(func() error {
		var err error
		if s, err = Open(Config{Iface: va, FrameSize: 2048, FrameCount: 64, RxSize: 64, TxSize: 64, FillSize: 64, CompSize: 64}); err != nil {
			return err
		}
		ifi, err := net.InterfaceByName(va)
		if err == nil {
			mac = ifi.HardwareAddr
		}
		return err
	})
	if errors.Is(err, ErrNotSupported) {
		t.Skipf("SKIP: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var peer *rawSock
	if err := b.Do(func() error { var err error; peer, err = openRaw(vb); return err }); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(peer.fd)

	const n = 5
	for i := range n {
		if err := unix.Sendto(peer.fd, frame(mac, peer.mac, i, 60), 0, &unix.SockaddrLinklayer{Ifindex: peer.ifindex, Halen: 6}); err != nil {
			t.Fatal(err)
		}
	}
	var st Stats
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if st, err = s.Stats(); err != nil {
			t.Fatal(err)
		}
		if st.RxDropped >= n {
			break
		}
	}
	if st.RxDropped < n || st.RxFillRingEmpty == 0 {
		t.Fatalf("%d frames sent with an empty fill ring: stats %+v", n, st)
	}
	if _, got := s.Rx.Peek(64); got != 0 {
		t.Fatalf("%d packets received with an empty fill ring", got)
	}

	idx, got := s.Tx.Reserve(1)
	if got != 1 {
		t.Fatal("tx reserve")
	}
	s.Tx.Set(idx, unix.XDPDesc{Addr: 0, Len: 3000}) // longer than the 2048-byte frame
	s.Tx.Submit()
	if err := s.Kick(true); err != nil {
		t.Fatal(err)
	}
	if st, err = s.Stats(); err != nil {
		t.Fatal(err)
	}
	if st.TxInvalidDescs != 1 {
		t.Fatalf("one over-long tx descriptor: stats %+v", st)
	}
	t.Logf("stats: %+v", st)
}
