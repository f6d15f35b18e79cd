package xsk

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/dpkit/dpkit/internal/netns/netnstest"
)

// txBench is a socket on one end of a fresh veth pair with every frame
// holding a 64-byte frame, and a free list of frame addresses.
type txBench struct {
	s    *Socket
	free []uint64
}

func newTxBench(tb testing.TB) *txBench {
	netnstest.Require(tb)
	a, b := netnstest.New(tb), netnstest.New(tb)
	va, _ := netnstest.NewVeth(tb, a, b)
	var s *Socket
	err := a.Do(func() error {
		var err error
		s, err = Open(Config{Iface: va, FrameSize: 2048, FrameCount: 1024, TxSize: 512, CompSize: 512, RxSize: 64, FillSize: 64})
		return err
	})
	if errors.Is(err, ErrNotSupported) {
		tb.Skipf("SKIP: %v", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	x := &txBench{s: s}
	for i := range s.FrameCount() {
		addr := uint64(i * s.FrameSize())
		copy(s.UMEM()[addr:], frame([]byte{2, 0, 0, 0, 0, 1}, []byte{2, 0, 0, 0, 0, 2}, i, 64))
		x.free = append(x.free, addr)
	}
	return x
}

// burst queues up to 32 frames, kicks the kernel when it asks, and takes
// back completed frames; it returns how many frames completed.
func (x *txBench) burst() int {
	s := x.s
	idx, n := s.Tx.Reserve(min(32, len(x.free)))
	for i := range n {
		addr := x.free[len(x.free)-1]
		x.free = x.free[:len(x.free)-1]
		s.Tx.Set(idx+uint32(i), unix.XDPDesc{Addr: addr, Len: 64})
	}
	s.Tx.Submit()
	_ = s.Kick(false)
	idx, n = s.Comp.Peek(64)
	for i := range n {
		x.free = append(x.free, s.Comp.Addr(idx+uint32(i)))
	}
	s.Comp.Release(n)
	return n
}

// TestTxNoAllocs checks that a tx burst on a real socket (ring work,
// kick, completions) allocates nothing.
func TestTxNoAllocs(t *testing.T) {
	x := newTxBench(t)
	for range 100 {
		x.burst()
	}
	if allocs := testing.AllocsPerRun(200, func() { x.burst() }); allocs != 0 {
		t.Errorf("%v allocs per tx burst, want 0", allocs)
	}
}

// BenchmarkVethTx sends 64-byte frames from the socket's tx ring out of a
// veth end in copy mode (the peer's stack drops them): time per frame
// completed, kernel transmit included.
func BenchmarkVethTx(b *testing.B) {
	x := newTxBench(b)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		done += x.burst()
	}
}
