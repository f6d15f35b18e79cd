package mbuftest

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/dpkit/dpkit/internal/testutil"
	"github.com/dpkit/dpkit/mbuf"
)

func TestMain(m *testing.M) { testutil.Main(m) }

func TestPacketSegments(t *testing.T) {
	p := NewPool(t, mbuf.PoolConfig{N: 63, DataRoomSize: 1024 + mbuf.Headroom})
	data := make([]byte, 2500)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for _, c := range []struct{ seg, segs int }{{0, 3}, {1000, 3}, {100, 25}, {5000, 3}, {2500, 3}} {
		m := Packet(t, p, data, c.seg)
		if m.NbSegs() != c.segs || m.PktLen() != len(data) || !bytes.Equal(Bytes(m), data) {
			t.Errorf("seg %d: %d segments of %d bytes, want %d of %d, or other bytes", c.seg, m.NbSegs(), m.PktLen(), c.segs, len(data))
		}
		m.Free(Lcore)
	}
	m := Packet(t, p, nil, 0)
	if m.NbSegs() != 1 || m.PktLen() != 0 {
		t.Errorf("empty packet: %d segments, %d bytes", m.NbSegs(), m.PktLen())
	}
	m.Free(Lcore)
}

func TestChain(t *testing.T) {
	p := NewPool(t, mbuf.PoolConfig{N: 15})
	m := Chain(t, p, []byte("ab"), nil, []byte("cde"))
	defer m.Free(Lcore)
	if m.NbSegs() != 3 || string(Bytes(m)) != "abcde" {
		t.Errorf("Chain: %d segments %q", m.NbSegs(), Bytes(m))
	}
}

// A packet the pool cannot hold fails the test and leaves the pool whole.
func TestPacketPoolEmpty(t *testing.T) {
	p := NewPool(t, mbuf.PoolConfig{N: 7})
	var failed bool
	ft := &fakeT{TB: t, failed: &failed}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Packet(ft, p, make([]byte, 100), 10) // 10 segments from 7 mbufs
	}()
	<-done
	if !failed {
		t.Fatal("Packet did not fail on an empty pool")
	}
	if n := p.InUse(); n != 0 {
		t.Errorf("%d mbufs still in use after the failure", n)
	}
}

// fakeT records a Fatalf and ends its goroutine, as testing.T does.
type fakeT struct {
	testing.TB
	failed *bool
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(string, ...any) {
	*f.failed = true
	runtime.Goexit()
}
