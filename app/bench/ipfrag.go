package bench

import (
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/gro"
	"github.com/dpkit/dpkit/gso"
	"github.com/dpkit/dpkit/ipfrag"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

func init() {
	Register(Benchmark{
		Name:    "ipfrag",
		Summary: "IP fragmentation and reassembly, GSO and GRO (ns per operation, as bench/ipfrag/dpdkref.c)",
		Run:     IPFrag,
	})
}

// IPFrag prints the figures of bench/ipfrag/dpdkref.c (DPDK's side), the
// same operations on the same packets on dpkit's packages, nanoseconds per
// operation:
//
//	ipfrag_fragment4_9000_ns      ipfrag.FragmentIPv4 of a 9028-byte UDP/IPv4 datagram to MTU 1500
//	ipfrag_fragment6_9000_ns      ipfrag.FragmentIPv6, the same in IPv6
//	ipfrag_fragreasm4_9000_ns     fragment, Ethernet header on each, Table.ReassembleIPv4
//	ipfrag_fragreasm6_9000_ns     the same in IPv6
//	gso_tcp4_64000_ns             gso Segment of 64000 bytes of TCP/IPv4 into 1514-byte
//	                              frames, checksums left to the port as DPDK does
//	gso_tcp4_64000_swcsum_ns      the same with the checksums computed (dpkit's default)
//	gro_burst32_tcp4x4_ns_per_pkt 32 segments of 4 TCP flows copied into fresh mbufs
//	                              and merged by gro.Burst (which parses them); per packet
func IPFrag(w io.Writer, opt Options) error {
	opt.Lcores = firstLcore(opt)
	stop, err := startLcores(opt)
	if err != nil {
		return err
	}
	defer stop()
	lc := eal.MainLcore()
	Notice(w, "ipfrag: main lcore %d", lc)
	iters := 200000
	if opt.Quick {
		iters = 2000
	}
	newPool := func(name string, n, room int) (*mbuf.Pool, error) {
		return mbuf.NewPool(mbuf.PoolConfig{Name: "bench-ipfrag-" + name, N: n, CacheSize: min(64, n*2/3), DataRoomSize: room})
	}
	big, err := newPool("big", 63, 65535)
	if err != nil {
		return err
	}
	defer big.Close()
	direct, err := newPool("direct", 2047, 0)
	if err != nil {
		return err
	}
	defer direct.Close()
	indirect, err := newPool("indirect", 2047, 128)
	if err != nil {
		return err
	}
	defer indirect.Close()

	var out [64]*mbuf.Mbuf
	eth := func(v6 bool) []byte {
		e := make([]byte, proto.EthernetLen)
		t := proto.EtherTypeIPv4
		if v6 {
			t = proto.EtherTypeIPv6
		}
		proto.Ethernet(e).Encode(&proto.EthernetFields{Type: t})
		return e
	}
	for _, v6 := range []bool{false, true} {
		fam := 4
		if v6 {
			fam = 6
		}
		m := big.Alloc(lc)
		b := benchUDP(v6, 9000)
		copy(m.Append(len(b)), b)
		frag := func() int {
			var n int
			var err error
			if v6 {
				n, err = ipfrag.FragmentIPv6(m, out[:], 1500, 1, direct, indirect, lc)
			} else {
				n, err = ipfrag.FragmentIPv4(m, out[:], 1500, direct, indirect, lc)
			}
			if err != nil {
				panic(err)
			}
			return n
		}
		if name := fmt.Sprintf("ipfrag_fragment%d_9000_ns", fam); opt.Want(name) {
			Report(w, name, timeLoop(iters, func() { mbuf.FreeBulk(lc, out[:frag()]) }), "ns")
		}
		if name := fmt.Sprintf("ipfrag_fragreasm%d_9000_ns", fam); opt.Want(name) {
			tb, err := ipfrag.NewTable(ipfrag.Config{Buckets: 64, BucketEntries: 4, MaxEntries: 256, Timeout: eal.TSCHz()})
			if err != nil {
				return err
			}
			dr := ipfrag.NewDeathRow(64, lc)
			e := eth(v6)
			var rerr error
			ns := timeLoop(iters, func() {
				var d *mbuf.Mbuf
				for _, f := range out[:frag()] {
					copy(f.Prepend(proto.EthernetLen), e)
					if v6 {
						d = tb.ReassembleIPv6(dr, f, eal.Rdtsc(), proto.EthernetLen)
					} else {
						d = tb.ReassembleIPv4(dr, f, eal.Rdtsc(), proto.EthernetLen)
					}
				}
				if d == nil {
					rerr = fmt.Errorf("ipfrag: not reassembled: %+v", tb.Stats())
					return
				}
				d.Free(lc)
				dr.FreeAll()
			})
			if rerr != nil {
				return rerr
			}
			Report(w, name, ns, "ns")
		}
		m.Free(lc)
	}

	for _, sw := range []bool{false, true} {
		name := "gso_tcp4_64000_ns"
		if sw {
			name = "gso_tcp4_64000_swcsum_ns"
		}
		if !opt.Want(name) {
			continue
		}
		m := big.Alloc(lc)
		b := benchTCP4(1, 1, 9, 64000)
		copy(m.Append(len(b)), b)
		m.SetTxLens(14, 20, 32, 0, 0, 0)
		m.SetOlFlags(mbuf.TxTCPSeg | mbuf.TxIPv4)
		ctx := gso.Context{Direct: direct, Indirect: indirect, Size: 1514, OffloadChecksums: !sw}
		var serr error
		ns := timeLoop(iters/20, func() {
			k, err := ctx.Segment(m, out[:], lc)
			if err != nil {
				serr = err
			}
			mbuf.FreeBulk(lc, out[:k])
		})
		if serr != nil {
			return serr
		}
		Report(w, name, ns, "ns")
		m.Free(lc)
	}

	if name := "gro_burst32_tcp4x4_ns_per_pkt"; opt.Want(name) {
		var frames [32][]byte
		for i := range frames {
			frames[i] = benchTCP4(uint16(1000+i%4), uint32(i/4*1448), uint16(i/4), 1448)
		}
		g, err := gro.NewBurst(gro.Param{Types: gro.TCP4, MaxFlows: 4, MaxItemsPerFlow: 32}, 32)
		if err != nil {
			return err
		}
		ms := make([]*mbuf.Mbuf, 32)
		var gerr error
		ns := timeLoop(iters/4, func() {
			if !direct.AllocBulk(lc, ms) {
				gerr = fmt.Errorf("gro: pool empty")
				return
			}
			for i, m := range ms {
				copy(m.Append(len(frames[i])), frames[i])
			}
			k := g.Reassemble(ms)
			if k != 4 {
				gerr = fmt.Errorf("gro: %d packets out of 32, want 4", k)
			}
			mbuf.FreeBulk(lc, ms[:k])
		})
		if gerr != nil {
			return gerr
		}
		Report(w, name, ns/32, "ns")
	}
	return nil
}

// timeLoop runs f n/10 times to warm up, then n times, and returns the
// nanoseconds per call of the timed part.
func timeLoop(n int, f func()) float64 {
	for range max(n/10, 1) {
		f()
	}
	start := time.Now()
	for range n {
		f()
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

// benchUDP is dpdkref.c's udp(): IPv4 or IPv6 UDP with n payload bytes,
// from the IP header on.
func benchUDP(v6 bool, n int) []byte {
	l3 := proto.IPv4MinLen
	if v6 {
		l3 = proto.IPv6Len
	}
	b := make([]byte, l3+proto.UDPLen+n)
	if v6 {
		proto.IPv6(b).Encode(&proto.IPv6Fields{PayloadLen: uint16(8 + n), NextHeader: proto.IPProtoUDP, HopLimit: 64,
			Src: netip.MustParseAddr("2000::1"), Dst: netip.MustParseAddr("2000::2")})
	} else {
		proto.IPv4(b).Encode(&proto.IPv4Fields{TotalLen: uint16(len(b)), ID: 1, TTL: 64, Protocol: proto.IPProtoUDP,
			Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2")})
	}
	proto.UDP(b[l3:]).Encode(&proto.UDPFields{SrcPort: 1000, DstPort: 2000, Length: uint16(8 + n)})
	benchFill(b[l3+8:])
	return b
}

// benchTCP4 is dpdkref.c's tcp4(): Ethernet/IPv4/TCP with 12 bytes of
// options and n payload bytes, checksums right.
func benchTCP4(sport uint16, seq uint32, id uint16, n int) []byte {
	b := make([]byte, 14+20+32+n)
	proto.Ethernet(b).Encode(&proto.EthernetFields{Type: proto.EtherTypeIPv4})
	ip := proto.IPv4(b[14:])
	ip.Encode(&proto.IPv4Fields{TotalLen: uint16(20 + 32 + n), ID: id, TTL: 64, Protocol: proto.IPProtoTCP,
		Src: netip.MustParseAddr("10.1.0.1"), Dst: netip.MustParseAddr("10.1.0.2")})
	t := proto.TCP(b[34:])
	t.Encode(&proto.TCPFields{SrcPort: sport, DstPort: 5001, Seq: seq, Ack: 77, Flags: proto.TCPFlagACK, Window: 512,
		Options: []byte{1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0}})
	benchFill(b[66:])
	t.SetChecksum(t.CalculateChecksum(ip.PseudoHeaderSum(proto.IPProtoTCP, len(t))))
	return b
}

func benchFill(b []byte) {
	for i := range b {
		b[i] = byte(i*13 + i>>8)
	}
}
