package offload_test

import (
	"fmt"
	"testing"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/offload"
)

// discard is a device tx queue that takes everything and frees nothing
// (the benchmark sends the same packets again).
type discard struct{}

func (discard) TxBurst(pkts []*mbuf.Mbuf) int { return len(pkts) }

const benchBurst = 32

// benchPkts returns a burst of TCP/IPv4 frames of size bytes with good
// checksums, their tx lengths set.
func benchPkts(t testing.TB, mp *mbuf.Pool, size int) []*mbuf.Mbuf {
	s := spec{l4: "tcp", payload: size - 54}
	f := withCksums(build(s), s)
	pkts := make([]*mbuf.Mbuf, benchBurst)
	for i := range pkts {
		pkts[i] = mbuftest.Packet(t, mp, f, 0)
		pkts[i].SetTxLens(14, 20, 20, 0, 0, 0)
	}
	return pkts
}

const txCksumFlags = mbuf.TxIPv4 | mbuf.TxIPCksum | mbuf.TxTCPCksum

func softTx(t testing.TB, offl ethdev.TxOffload) ethdev.SoftTxQueue {
	q, err := offload.Soft{}.NewTxQueue(&ethdev.SoftTxConf{Offloads: offl, Lcore: lc})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func softRx(t testing.TB, offl ethdev.RxOffload, ptypes bool) ethdev.SoftRxQueue {
	q, err := offload.Soft{}.NewRxQueue(&ethdev.SoftRxConf{Offloads: offl, Ptypes: ptypes})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// BenchmarkTxCksum is the software tx stage computing the IPv4 and TCP
// checksums of a burst of 32 TCP/IPv4 frames (64 and 1514 bytes).
func BenchmarkTxCksum(b *testing.B) {
	for _, size := range []int{64, 1514} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			mp := newPool(b, 255)
			pkts := benchPkts(b, mp, size)
			defer mbuf.FreeBulk(lc, pkts)
			q := softTx(b, ethdev.TxOffloadIPv4Cksum|ethdev.TxOffloadTCPCksum)
			b.ReportAllocs()
			for b.Loop() {
				for _, m := range pkts {
					m.SetOlFlags(txCksumFlags)
				}
				q.TxBurst(discard{}, pkts)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchBurst), "ns/pkt")
		})
	}
}

// BenchmarkRxCksum is the software rx stage parsing the packet type and
// checking the IPv4 and TCP checksums of 32 frames.
func BenchmarkRxCksum(b *testing.B) {
	for _, size := range []int{64, 1514} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			mp := newPool(b, 255)
			pkts := benchPkts(b, mp, size)
			defer mbuf.FreeBulk(lc, pkts)
			q := softRx(b, ethdev.RxOffloadChecksum, true)
			b.ReportAllocs()
			for b.Loop() {
				q.RxBurst(pkts)
			}
			if pkts[0].OlFlags()&mbuf.RxL4CksumMask != mbuf.RxL4CksumGood {
				b.Fatalf("flags %s", mbuf.FlagsString(pkts[0].OlFlags()))
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchBurst), "ns/pkt")
		})
	}
}

// TestNoAllocs: the software stages, and the ports' bursts through them,
// allocate nothing (TSO aside, which allocates mbufs but no Go memory).
func TestNoAllocs(t *testing.T) {
	mp := newPool(t, 511)
	pkts := benchPkts(t, mp, 100)
	defer mbuf.FreeBulk(lc, pkts)
	tx := softTx(t, ethdev.TxOffloadIPv4Cksum|ethdev.TxOffloadTCPCksum)
	if n := testing.AllocsPerRun(100, func() {
		for _, m := range pkts {
			m.SetOlFlags(txCksumFlags)
		}
		tx.TxBurst(discard{}, pkts)
	}); n != 0 {
		t.Errorf("tx stage: %v allocs per burst", n)
	}
	rx := softRx(t, ethdev.RxOffloadChecksum|ethdev.RxOffloadSCTPCksum|ethdev.RxOffloadOuterIPv4Cksum, true)
	if n := testing.AllocsPerRun(100, func() { rx.RxBurst(pkts) }); n != 0 {
		t.Errorf("rx stage: %v allocs per burst", n)
	}
	// Through two net_ring ports: tag and checksums on tx, strip and
	// checks on rx.
	a, b := ringPair(t, mp, allTx, ethdev.RxOffloadVLANStrip|ethdev.RxOffloadChecksum, mbuf.PtypeAllMask)
	var buf [benchBurst]*mbuf.Mbuf
	if n := testing.AllocsPerRun(100, func() {
		for _, m := range pkts {
			m.SetOlFlags(txCksumFlags | mbuf.TxVLAN)
			m.SetVLANTCI(3)
			m.SetTxLens(14, 20, 20, 0, 0, 0) // insertion made L2Len 18
		}
		s := a.TxBurst(0, pkts)
		r := 0
		for r < s {
			r += b.RxBurst(0, buf[r:s])
		}
		if r != len(pkts) {
			panic("lost packets")
		}
	}); n != 0 {
		t.Errorf("ports: %v allocs per burst", n)
	}
	if pkts[0].OlFlags()&mbuf.RxVLANStripped == 0 || pkts[0].PktLen() != 100 {
		t.Errorf("round trip: %s, %d bytes", mbuf.FlagsString(pkts[0].OlFlags()), pkts[0].PktLen())
	}
}
