package pcap_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/mbuf"
)

// benchPort opens a net_pcap port on a file of n frames of size bytes with
// the given extra devargs, and a pool for it.
func benchPort(b *testing.B, size, n int, extra string) (*ethdev.Port, *mbuf.Pool) {
	dir := b.TempDir()
	path := filepath.Join(dir, "in.pcap")
	writePcap(b, path, frames(30, n, size))
	mp := newPool(b, 8191, 0)
	p := open(b, portName()+",rx_pcap="+path+extra)
	start(b, p, mp, ethdev.Config{})
	return p, mp
}

// BenchmarkForward is testpmd's io forwarding on one net_pcap port, per
// packet (b.N counts packets, so ns/op is ns per packet): RxBurst of 32
// then TxBurst of what came.
//
//	infinite_drop:  infinite_rx=1, no tx key (tx frees): the rx copy path
//	infinite_null:  infinite_rx=1, tx_pcap=/dev/null: plus the pcap writer
//	file_drop:      rx_pcap read once (rewound by Stop/Start at its end)
//
// The same cases run on DPDK's net_pcap in bench/vs-dpdk-pcap.sh.
func BenchmarkForward(b *testing.B) {
	for _, size := range []int{64, 1514} {
		for _, c := range []struct{ name, extra string }{
			{"infinite_drop", ",infinite_rx=1"},
			{"infinite_null", ",infinite_rx=1,tx_pcap=/dev/null"},
			{"file_drop", ""},
		} {
			b.Run(fmt.Sprintf("%s/%dB", c.name, size), func(b *testing.B) {
				n := 1024
				if c.name == "file_drop" {
					n = 65536
				}
				p, _ := benchPort(b, size, n, c.extra)
				pkts := make([]*mbuf.Mbuf, 32)
				b.ReportAllocs()
				b.SetBytes(int64(size))
				b.ResetTimer()
				for done := 0; done < b.N; {
					k := p.RxBurst(0, pkts[:min(32, b.N-done)])
					if k == 0 {
						b.StopTimer()
						p.Stop()
						p.Start()
						b.StartTimer()
						continue
					}
					s := p.TxBurst(0, pkts[:k])
					mbuf.FreeBulk(lc, pkts[s:k])
					done += k
				}
				b.StopTimer()
			})
		}
	}
}

// TestForwardNoAllocs holds the forwarding loop of every case to zero
// allocations.
func TestForwardNoAllocs(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "in.pcap")
	writePcap(t, path, frames(31, 100, 60, 3000))
	null := filepath.Join(dir, "out.pcap")
	for _, extra := range []string{",infinite_rx=1", ",infinite_rx=1,tx_pcap=" + null, ",tx_pcap=" + null} {
		mp := newPool(t, 1023, 0)
		p := open(t, portName()+",rx_pcap="+path+extra)
		start(t, p, mp, ethdev.Config{})
		pkts := make([]*mbuf.Mbuf, 32)
		fwd := func() {
			k := p.RxBurst(0, pkts)
			s := p.TxBurst(0, pkts[:k])
			mbuf.FreeBulk(lc, pkts[s:k])
		}
		fwd()
		if a := testing.AllocsPerRun(50, fwd); a != 0 {
			t.Errorf("%s: %v allocations per burst", extra, a)
		}
		os.Truncate(null, 0)
	}
}
