package offload_test

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net/netip"
	"testing"

	netring "github.com/dpkit/dpkit/driver/net/ring"
	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/ethdev/porttest"
	"github.com/dpkit/dpkit/internal/testutil"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/mempool"
	"github.com/dpkit/dpkit/proto"
)

func TestMain(m *testing.M) { testutil.Main(m) }

const lc = mempool.LcoreAny

var (
	macA = proto.MAC{2, 0, 0, 0, 0, 1}
	macB = proto.MAC{2, 0, 0, 0, 0, 2}
	v4A  = netip.MustParseAddr("192.0.2.1")
	v4B  = netip.MustParseAddr("198.51.100.7")
	v6A  = netip.MustParseAddr("2001:db8::1")
	v6B  = netip.MustParseAddr("2001:db8:ffff::2")
)

func newPool(t testing.TB, n int) *mbuf.Pool {
	return porttest.NewPool(t, mbuf.PoolConfig{Name: "offload-" + t.Name(), N: n, CacheSize: 32})
}

// spec is a test packet: Ethernet, IPv4 or IPv6 (with options), TCP, UDP or
// SCTP, a payload; or that inside VXLAN over IPv4.
type spec struct {
	v6      bool
	ipOpts  int // bytes of IPv4 options (a multiple of 4)
	l4      string
	payload int
	vxlan   bool // inside Ethernet/IPv4/UDP/VXLAN
}

// built is a packet with its header offsets.
type built struct {
	b                 []byte
	outerIP, outerUDP int // -1 without a tunnel
	ip, l4            int
	l2, l3, l4len     int
}

func payload(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7 + 3)
	}
	return p
}

// ipPacket returns the IP packet (checksums zero) and its header length.
func ipPacket(s spec) ([]byte, int, int) {
	var l4 []byte
	var p uint8
	pl := payload(s.payload)
	switch s.l4 {
	case "tcp":
		l4 = make([]byte, 20+len(pl))
		proto.TCP(l4).Encode(&proto.TCPFields{SrcPort: 1234, DstPort: 5678, Seq: 1000, Ack: 7, Flags: proto.TCPFlagACK | proto.TCPFlagPSH, Window: 512})
		p = proto.IPProtoTCP
	case "udp":
		l4 = make([]byte, 8+len(pl))
		proto.UDP(l4).Encode(&proto.UDPFields{SrcPort: 1234, DstPort: 5678, Length: uint16(len(l4))})
		p = proto.IPProtoUDP
	case "sctp":
		l4 = make([]byte, 12+len(pl))
		proto.SCTP(l4).Encode(&proto.SCTPFields{SrcPort: 1234, DstPort: 5678, VerificationTag: 0xdeadbeef})
		p = proto.IPProtoSCTP
	}
	l4hl := len(l4) - len(pl)
	copy(l4[l4hl:], pl)
	if s.v6 {
		ip := make([]byte, proto.IPv6Len+len(l4))
		proto.IPv6(ip).Encode(&proto.IPv6Fields{PayloadLen: uint16(len(l4)), NextHeader: p, HopLimit: 64, Src: v6A, Dst: v6B})
		copy(ip[proto.IPv6Len:], l4)
		return ip, proto.IPv6Len, l4hl
	}
	hl := proto.IPv4MinLen + s.ipOpts
	ip := make([]byte, hl+len(l4))
	opts := make([]byte, s.ipOpts)
	for i := range opts {
		opts[i] = 1 // NOP
	}
	proto.IPv4(ip).Encode(&proto.IPv4Fields{TotalLen: uint16(len(ip)), ID: 0x4242, TTL: 64, Protocol: p, Src: v4A, Dst: v4B, Options: opts})
	proto.IPv4(ip).SetChecksum(0)
	copy(ip[hl:], l4)
	return ip, hl, l4hl
}

func eth(t proto.EtherType) []byte {
	e := make([]byte, proto.EthernetLen)
	proto.Ethernet(e).Encode(&proto.EthernetFields{Dst: macB, Src: macA, Type: t})
	return e
}

func build(s spec) built {
	ip, hl, l4hl := ipPacket(s)
	et := proto.EtherTypeIPv4
	if s.v6 {
		et = proto.EtherTypeIPv6
	}
	inner := append(eth(et), ip...)
	if !s.vxlan {
		return built{b: inner, outerIP: -1, outerUDP: -1, ip: 14, l4: 14 + hl, l2: 14, l3: hl, l4len: l4hl}
	}
	vx := make([]byte, proto.VXLANLen)
	proto.VXLAN(vx).Encode(77)
	udp := make([]byte, proto.UDPLen)
	proto.UDP(udp).Encode(&proto.UDPFields{SrcPort: 4321, DstPort: 4789, Length: uint16(proto.UDPLen + len(vx) + len(inner))})
	oip := make([]byte, proto.IPv4MinLen)
	proto.IPv4(oip).Encode(&proto.IPv4Fields{TotalLen: uint16(20 + 8 + 8 + len(inner)), ID: 9, TTL: 64, Protocol: proto.IPProtoUDP, Src: v4B, Dst: v4A})
	proto.IPv4(oip).SetChecksum(0)
	b := append(append(append(append(eth(proto.EtherTypeIPv4), oip...), udp...), vx...), inner...)
	return built{b: b, outerIP: 14, outerUDP: 34, ip: 14 + 20 + 8 + 8 + 14, l4: 14 + 20 + 8 + 8 + 14 + hl,
		l2: 8 + 8 + 14, l3: hl, l4len: l4hl}
}

// refSum is RFC 1071's sum written the plain way (the reference).
func refSum(b []byte, init uint32) uint32 {
	s := init
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s&0xffff + s>>16
	}
	return s
}

// refL4 is the reference checksum of the L4 packet at b[l4:] under the IP
// header at b[ip:], with the checksum field taken as zero.
func refL4(b []byte, ip, l4 int, p uint8) uint32 {
	var end int
	var ps uint32
	if b[ip]>>4 == 4 {
		end = ip + int(binary.BigEndian.Uint16(b[ip+2:]))
		ps = refSum(b[ip+12:ip+20], 0)
	} else {
		end = ip + 40 + int(binary.BigEndian.Uint16(b[ip+4:]))
		ps = refSum(b[ip+8:ip+40], 0)
	}
	seg := append([]byte(nil), b[l4:end]...)
	switch p {
	case proto.IPProtoSCTP:
		clear(seg[8:12])
		return crc32.Checksum(seg, crc32.MakeTable(crc32.Castagnoli))
	case proto.IPProtoTCP:
		clear(seg[16:18])
	case proto.IPProtoUDP:
		clear(seg[6:8])
	}
	ps = refSum([]byte{0, p, byte(len(seg) >> 8), byte(len(seg))}, ps)
	c := ^refSum(seg, ps) & 0xffff
	if c == 0 && p == proto.IPProtoUDP {
		c = 0xffff
	}
	return c
}

func refIP(b []byte, off, n int) uint16 {
	h := append([]byte(nil), b[off:off+n]...)
	clear(h[10:12])
	return uint16(^refSum(h, 0))
}

var pairs int

// ringPair returns the two ports of a started net_ring pair, tx
// offloads on a, rx offloads on b.
func ringPair(t testing.TB, mp *mbuf.Pool, tx ethdev.TxOffload, rx ethdev.RxOffload, ptypes uint32) (a, b *ethdev.Port) {
	t.Helper()
	pairs++
	a, b, err := netring.NewPair(fmt.Sprintf("offload_a%d", pairs), fmt.Sprintf("offload_b%d", pairs))
	if err != nil {
		t.Fatal(err)
	}
	porttest.CloseAtEnd(t, a)
	porttest.CloseAtEnd(t, b)
	porttest.Start(t, a, ethdev.Config{RxQueues: 1, TxQueues: 1, TxOffloads: tx}, mp, lc)
	porttest.Start(t, b, ethdev.Config{RxQueues: 1, TxQueues: 1, RxOffloads: rx, RxPtypes: ptypes}, mp, lc)
	return a, b
}

// recvAll reads what b received, waiting for want packets.
func recvAll(t testing.TB, p *ethdev.Port, want int) []*mbuf.Mbuf {
	t.Helper()
	var out []*mbuf.Mbuf
	var buf [64]*mbuf.Mbuf
	for range 1000 {
		n := p.RxBurst(0, buf[:])
		out = append(out, buf[:n]...)
		if len(out) >= want {
			break
		}
	}
	if len(out) != want {
		mbuf.FreeBulk(lc, out)
		t.Fatalf("received %d packets, want %d", len(out), want)
	}
	return out
}
