package testpmd

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"

	"github.com/dpkit/dpkit/internal/testutil"
	"github.com/dpkit/dpkit/mbuf"
)

func TestMain(m *testing.M) { testutil.Main(m) }

const testLcore = 0

// newTestPool makes a pool that the test checks is full at its end.
func newTestPool(t testing.TB, n int) *mbuf.Pool {
	t.Helper()
	p, err := mbuf.NewPool(mbuf.PoolConfig{Name: fmt.Sprintf("t%d", poolSeq()), N: n, CacheSize: 32})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("closing pool: %v", err)
		}
	})
	testutil.CheckPool(t, p.Mempool())
	return p
}

var poolN int

func poolSeq() int { poolN++; return poolN }

// readPcap reads the frames of a classic pcap file (the test's own small
// reader: the files are DPDK testpmd's output, see testdata/README).
func readPcap(t testing.TB, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 24 {
		t.Fatalf("%s: short pcap header", path)
	}
	var bo binary.ByteOrder
	switch binary.LittleEndian.Uint32(b) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		bo = binary.LittleEndian
	case 0xd4c3b2a1, 0x4d3cb2a1:
		bo = binary.BigEndian
	default:
		t.Fatalf("%s: not a pcap file", path)
	}
	var out [][]byte
	for off := 24; off < len(b); {
		if off+16 > len(b) {
			t.Fatalf("%s: truncated record header at %d", path, off)
		}
		n := int(bo.Uint32(b[off+8:]))
		off += 16
		if off+n > len(b) {
			t.Fatalf("%s: truncated record at %d", path, off)
		}
		out = append(out, b[off:off+n])
		off += n
	}
	return out
}

// writePcap writes frames as a pcap file (for scapy).
func writePcap(t testing.TB, path string, frames [][]byte) {
	t.Helper()
	b := make([]byte, 24)
	binary.LittleEndian.PutUint32(b[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(b[4:], 2)
	binary.LittleEndian.PutUint16(b[6:], 4)
	binary.LittleEndian.PutUint32(b[16:], 65535)
	binary.LittleEndian.PutUint32(b[20:], 1)
	for _, f := range frames {
		var h [16]byte
		binary.LittleEndian.PutUint32(h[8:], uint32(len(f)))
		binary.LittleEndian.PutUint32(h[12:], uint32(len(f)))
		b = append(b, h[:]...)
		b = append(b, f...)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// sliceRx is an rx queue that hands out copies of its frames, in order,
// cycling when Loop is set; it allocates mbufs from Pool only.
type sliceRx struct {
	Pool   *mbuf.Pool
	Frames [][]byte
	Loop   bool
	next   int
}

func (r *sliceRx) RxBurst(pkts []*mbuf.Mbuf) int {
	n := 0
	for n < len(pkts) {
		if r.next == len(r.Frames) {
			if !r.Loop || len(r.Frames) == 0 {
				break
			}
			r.next = 0
		}
		m := r.Pool.Alloc(testLcore)
		if m == nil {
			break
		}
		f := r.Frames[r.next]
		copy(m.Append(len(f)), f)
		pkts[n] = m
		n++
		r.next++
	}
	return n
}

// captureTx is a tx queue that keeps a copy of every frame it takes (when
// Keep is set) and frees it; it takes at most Room packets per burst when
// Room > 0.
type captureTx struct {
	Keep   bool
	Room   int
	Frames [][]byte
	Mbufs  int
	Sent   int
}

func (c *captureTx) TxBurst(pkts []*mbuf.Mbuf) int {
	n := len(pkts)
	if c.Room > 0 && n > c.Room {
		n = c.Room
	}
	for _, m := range pkts[:n] {
		if c.Keep {
			b := make([]byte, m.PktLen())
			m.CopyTo(b)
			c.Frames = append(c.Frames, b)
		}
		m.Free(testLcore)
	}
	c.Sent += n
	return n
}

// testStream is a stream over a sliceRx and a captureTx, with the port
// addresses DPDK's net_pcap port had when the reference files were made.
func testStream(t testing.TB, e *Engine, pool *mbuf.Pool, frames [][]byte) (*Stream, *sliceRx, *captureTx) {
	t.Helper()
	rx := &sliceRx{Pool: pool, Frames: frames}
	tx := &captureTx{Keep: true}
	pcapMAC := MAC{0x02, 0x70, 0x63, 0x61, 0x70, 0x00}
	params := DefaultFwdParams()
	s := &Stream{Rx: rx, Tx: tx, Lcore: testLcore, Pool: pool, RxMAC: pcapMAC, TxMAC: pcapMAC,
		PeerMAC: MAC{2, 0, 0, 0, 0, 9}, Burst: 32, Params: &params}
	if e.Begin != nil {
		if err := e.Begin(s); err != nil {
			t.Fatal(err)
		}
	}
	return s, rx, tx
}

var ioEOF = io.EOF

// syncBuf is a bytes.Buffer safe for the writer goroutine and the test.
type syncBuf struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
