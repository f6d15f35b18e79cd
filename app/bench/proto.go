package bench

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/proto"
)

func init() {
	Register(Benchmark{
		Name:    "proto",
		Summary: "Internet checksum (cycles per block, as cksum_perf_autotest) and packet type parse (ns per packet)",
		Run:     Proto,
	})
}

// Proto prints the raw one's complement sum figures of DPDK 22.11's
// cksum_perf_autotest, run the same way on proto.Checksum (10 random
// blocks used in turn, 1,000,000 calls, TSC cycles per call; "unaligned"
// blocks start one byte past an aligned address):
//
//	cksum_<aligned|unaligned>_<20|21|100|101|1500|1501>_cycles_per_block
//
// and the packet type parse figures, which DPDK has no autotest for:
//
//	ptype_<tcp4|vxlan>_ns_per_pkt   proto.ParsePtype of a TCP/IPv4 packet,
//	                                of a VXLAN-tunnelled TCP/IPv4 one
func Proto(w io.Writer, opt Options) error {
	opt.Lcores = firstLcore(opt)
	stop, err := startLcores(opt)
	if err != nil {
		return err
	}
	defer stop()
	Notice(w, "proto: main lcore %d, TSC %.3f GHz", eal.MainLcore(), float64(eal.TSCHz())/1e9)
	iters := 1_000_000
	if opt.Quick {
		iters = 20_000
	}
	const numBlocks = 10
	r := rand.New(rand.NewPCG(1, 2))
	var sink uint16
	for _, size := range []int{20, 21, 100, 101, 1500, 1501} {
		for _, aligned := range []bool{true, false} {
			kind := "unaligned"
			if aligned {
				kind = "aligned"
			}
			name := fmt.Sprintf("cksum_%s_%d_cycles_per_block", kind, size)
			if !opt.Want(name) {
				continue
			}
			var blocks [numBlocks][]byte
			for i := range blocks {
				b := make([]byte, size+64) // Go's allocator aligns this to 64 bytes or more
				for j := range b {
					b[j] = byte(r.Uint32())
				}
				if aligned {
					blocks[i] = b[:size]
				} else {
					blocks[i] = b[1 : 1+size]
				}
			}
			start := eal.Rdtsc()
			for i := range iters {
				sink += proto.Checksum(blocks[i%numBlocks], 0)
			}
			Report(w, name, float64(eal.Rdtsc()-start)/float64(iters), "cycles")
		}
	}
	tcp4, vxlan := protoBenchPackets()
	for _, c := range []struct {
		name string
		pkt  []byte
	}{{"ptype_tcp4_ns_per_pkt", tcp4}, {"ptype_vxlan_ns_per_pkt", vxlan}} {
		if !opt.Want(c.name) {
			continue
		}
		n := 20 * iters
		var pt uint32
		var h proto.HdrLens
		start := time.Now()
		for range n {
			t := proto.ParsePtype(c.pkt, &h)
			pt += t + uint32(h.L2+h.L3+h.L4+h.InnerL3+h.InnerL4)
		}
		Report(w, c.name, float64(time.Since(start).Nanoseconds())/float64(n), "ns")
		sink += uint16(pt)
	}
	Notice(w, "sink %d", sink)
	return nil
}

// firstLcore keeps only the first core of opt's list: these figures are
// single-core.
func firstLcore(opt Options) string {
	cpus, err := opt.CPUs()
	if err != nil || len(cpus) == 0 {
		return opt.Lcores // Validate reports it
	}
	return fmt.Sprint(cpus[0])
}

// protoBenchPackets builds the two packets of the parse figures: TCP
// (with 12 bytes of options) over IPv4 with 64 bytes of data, and the
// same inside VXLAN over UDP/IPv4.
func protoBenchPackets() (tcp4, vxlan []byte) {
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.7")
	inner := make([]byte, proto.EthernetLen+proto.IPv4MinLen+32+64)
	proto.Ethernet(inner).Encode(&proto.EthernetFields{Type: proto.EtherTypeIPv4})
	ip := proto.IPv4(inner[proto.EthernetLen:])
	ip.Encode(&proto.IPv4Fields{TotalLen: uint16(len(ip)), TTL: 64, Protocol: proto.IPProtoTCP, Src: a, Dst: b})
	tcp := proto.TCP(ip.Payload())
	tcp.Encode(&proto.TCPFields{SrcPort: 1, DstPort: 2, Flags: proto.TCPFlagACK, Options: make([]byte, 12)})
	tcp.SetChecksum(tcp.CalculateChecksum(ip.PseudoHeaderSum(proto.IPProtoTCP, len(tcp))))

	hdr := proto.EthernetLen + proto.IPv4MinLen + proto.UDPLen + proto.VXLANLen
	vxlan = make([]byte, hdr+len(inner))
	copy(vxlan[hdr:], inner)
	proto.Ethernet(vxlan).Encode(&proto.EthernetFields{Type: proto.EtherTypeIPv4})
	oip := proto.IPv4(vxlan[proto.EthernetLen:])
	oip.Encode(&proto.IPv4Fields{TotalLen: uint16(len(oip)), TTL: 64, Protocol: proto.IPProtoUDP, Src: a, Dst: b})
	udp := proto.UDP(oip.Payload())
	udp.Encode(&proto.UDPFields{SrcPort: 49152, DstPort: proto.PortVXLAN, Length: uint16(len(udp))})
	proto.VXLAN(udp.Payload()).Encode(42)
	udp.SetChecksum(udp.CalculateChecksum(oip.PseudoHeaderSum(proto.IPProtoUDP, len(udp))))
	return inner, vxlan
}
