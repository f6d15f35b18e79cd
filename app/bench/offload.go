package bench

import (
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/mempool"
	"github.com/dpkit/dpkit/offload"
	"github.com/dpkit/dpkit/proto"
)

func init() {
	Register(Benchmark{
		Name:    "offload",
		Summary: "software tx checksums and rx checksum validation (ns per packet)",
		Run:     Offload,
	})
}

// offloadBurst is the burst the software stages get.
const offloadBurst = 32

// offloadDiscard is a device tx queue that takes everything and frees
// nothing: the same packets go round again.
type offloadDiscard struct{}

func (offloadDiscard) TxBurst(pkts []*mbuf.Mbuf) int { return len(pkts) }

// Offload prints, for TCP/IPv4 frames of 64 and 1514 bytes (a 1500-byte
// IP packet), the time per packet of the software offload stages that
// ethdev runs for a device without checksum offloads (package offload),
// bursts of 32:
//
//	offload_tx_cksum_tcp4_<size>_ns_per_pkt  IPv4 header and TCP checksums
//	                                         computed (TxIPCksum|TxTCPCksum)
//	offload_rx_cksum_tcp4_<size>_ns_per_pkt  packet type parsed, IPv4 and
//	                                         TCP checksums verified, flags set
//
// bench/offload/offload_perf.c prints the same figures for DPDK 22.11's
// software equivalents (rte_ipv4_cksum, rte_ipv4_udptcp_cksum_mbuf;
// rte_net_get_ptype and the _verify functions), and
// bench/vs-dpdk-offload.sh pairs them.
func Offload(w io.Writer, opt Options) error {
	opt.Lcores = firstLcore(opt)
	stop, err := startLcores(opt)
	if err != nil {
		return err
	}
	defer stop()
	Notice(w, "offload: main lcore %d", eal.MainLcore())
	pool, err := mbuf.NewPool(mbuf.PoolConfig{Name: "bench-offload", N: 255, CacheSize: 32})
	if err != nil {
		return err
	}
	defer pool.Close()
	bursts := 200_000
	if opt.Quick {
		bursts = 5_000
	}
	lc := mempool.LcoreAny
	tx, _ := offload.Soft{}.NewTxQueue(&ethdev.SoftTxConf{Offloads: ethdev.TxOffloadIPv4Cksum | ethdev.TxOffloadTCPCksum, Lcore: lc})
	rx, _ := offload.Soft{}.NewRxQueue(&ethdev.SoftRxConf{Offloads: ethdev.RxOffloadChecksum, Ptypes: true})
	for _, size := range []int{64, 1514} {
		frame := offloadFrame(size)
		var pkts [offloadBurst]*mbuf.Mbuf
		if !pool.AllocBulk(lc, pkts[:]) {
			return fmt.Errorf("offload: pool empty")
		}
		for _, m := range pkts {
			copy(m.Append(len(frame)), frame)
			m.SetTxLens(proto.EthernetLen, proto.IPv4MinLen, proto.TCPMinLen, 0, 0, 0)
		}
		name := fmt.Sprintf("offload_tx_cksum_tcp4_%d_ns_per_pkt", size)
		if opt.Want(name) {
			start := time.Now()
			for range bursts {
				for _, m := range pkts {
					m.SetOlFlags(mbuf.TxIPv4 | mbuf.TxIPCksum | mbuf.TxTCPCksum)
				}
				tx.TxBurst(offloadDiscard{}, pkts[:])
			}
			Report(w, name, float64(time.Since(start).Nanoseconds())/float64(bursts*offloadBurst), "ns")
		}
		name = fmt.Sprintf("offload_rx_cksum_tcp4_%d_ns_per_pkt", size)
		if opt.Want(name) {
			start := time.Now()
			for range bursts {
				rx.RxBurst(pkts[:])
			}
			Report(w, name, float64(time.Since(start).Nanoseconds())/float64(bursts*offloadBurst), "ns")
			if f := pkts[0].OlFlags(); f&mbuf.RxL4CksumMask != mbuf.RxL4CksumGood || f&mbuf.RxIPCksumMask != mbuf.RxIPCksumGood {
				mbuf.FreeBulk(lc, pkts[:])
				return fmt.Errorf("offload: rx verdict %s, want good checksums", mbuf.FlagsString(f))
			}
		}
		mbuf.FreeBulk(lc, pkts[:])
	}
	return nil
}

// offloadFrame is a TCP/IPv4 frame of size bytes with good checksums.
func offloadFrame(size int) []byte {
	f := make([]byte, size)
	proto.Ethernet(f).Encode(&proto.EthernetFields{Dst: proto.MAC{2, 0, 0, 0, 0, 2}, Src: proto.MAC{2, 0, 0, 0, 0, 1}, Type: proto.EtherTypeIPv4})
	ip := proto.IPv4(f[proto.EthernetLen:])
	ip.Encode(&proto.IPv4Fields{TotalLen: uint16(size - proto.EthernetLen), TTL: 64, Protocol: proto.IPProtoTCP,
		Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("198.51.100.7")})
	ip.SetChecksum(ip.CalculateChecksum())
	tcp := proto.TCP(ip.Payload())
	tcp.Encode(&proto.TCPFields{SrcPort: 1234, DstPort: 80, Seq: 1, Flags: proto.TCPFlagACK, Window: 512})
	for i := range tcp[proto.TCPMinLen:] {
		tcp[proto.TCPMinLen+i] = byte(i)
	}
	tcp.SetChecksum(tcp.CalculateChecksum(ip.PseudoHeaderSum(proto.IPProtoTCP, len(tcp))))
	return f
}
