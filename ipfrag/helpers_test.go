package ipfrag

import (
	"net/netip"
	"testing"

	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/internal/testutil"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

func TestMain(m *testing.M) { testutil.Main(m) }

const lc = 0

// pools is the set of pools a test uses: big for whole packets, direct
// for fragment headers and received frames, indirect for attached mbufs.
type pools struct {
	big, direct, indirect *mbuf.Pool
}

func newPool(t testing.TB, name string, n, room int) *mbuf.Pool {
	return mbuftest.NewPool(t, mbuf.PoolConfig{Name: t.Name() + "/" + name, N: n, DataRoomSize: room})
}

func newPools(t testing.TB) pools {
	return pools{
		big:      newPool(t, "big", 63, 65535),
		direct:   newPool(t, "direct", 1023, 0),
		indirect: newPool(t, "indirect", 2047, 128),
	}
}

var (
	src4 = netip.MustParseAddr("192.0.2.1")
	dst4 = netip.MustParseAddr("192.0.2.2")
	src6 = netip.MustParseAddr("2001:db8::1")
	dst6 = netip.MustParseAddr("2001:db8::2")
)

// payload returns n bytes of a pattern that depends on seed and position.
func payload(seed byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed ^ byte(i) ^ byte(i>>8)*7
	}
	return b
}

// udp4 returns an IPv4/UDP datagram with n bytes of UDP payload.
func udp4(id uint16, opts []byte, n int) []byte {
	hl := proto.IPv4MinLen + (len(opts)+3)&^3
	b := make([]byte, hl+proto.UDPLen+n)
	proto.IPv4(b).Encode(&proto.IPv4Fields{TotalLen: uint16(len(b)), ID: id, TTL: 64,
		Protocol: proto.IPProtoUDP, Src: src4, Dst: dst4, Options: opts})
	u := proto.UDP(b[hl:])
	copy(u[proto.UDPLen:], payload(byte(id), n))
	u.Encode(&proto.UDPFields{SrcPort: 1000, DstPort: 2000, Length: uint16(proto.UDPLen + n)})
	u.SetChecksum(u.CalculateChecksum(proto.IPv4(b).PseudoHeaderSum(proto.IPProtoUDP, len(u))))
	return b
}

// udp6 returns an IPv6/UDP datagram with n bytes of UDP payload after the
// extension headers ext (raw, each with its next header byte to fix).
func udp6(exts []uint8, n int) []byte {
	var ext []byte
	for range exts {
		ext = append(ext, make([]byte, 8)...)
	}
	b := make([]byte, proto.IPv6Len+len(ext)+proto.UDPLen+n)
	nh := proto.IPProtoUDP
	if len(exts) > 0 {
		nh = exts[0]
	}
	proto.IPv6(b).Encode(&proto.IPv6Fields{PayloadLen: uint16(len(b) - proto.IPv6Len), NextHeader: nh,
		HopLimit: 64, Src: src6, Dst: dst6})
	off := proto.IPv6Len
	for i := range exts {
		next := proto.IPProtoUDP
		if i+1 < len(exts) {
			next = exts[i+1]
		}
		b[off] = next
		b[off+1] = 0
		switch exts[i] {
		case proto.IPProtoFragment: // atomic
		case proto.IPProtoRouting:
			b[off+2] = 4 // a routing type nobody processes, 0 segments left
		default:
			b[off+2], b[off+3] = proto.IPv6OptPadN, 4
		}
		off += 8
	}
	u := proto.UDP(b[off:])
	copy(u[proto.UDPLen:], payload(0x5a, n))
	u.Encode(&proto.UDPFields{SrcPort: 1000, DstPort: 2000, Length: uint16(proto.UDPLen + n)})
	var s, d [16]byte = src6.As16(), dst6.As16()
	u.SetChecksum(u.CalculateChecksum(proto.PseudoHeaderSum6(&s, &d, proto.IPProtoUDP, len(u))))
	return b
}

// checkChain fails t unless the packet's header fields are consistent.
func checkChain(t testing.TB, m *mbuf.Mbuf) {
	t.Helper()
	if err := m.Check(true); err != nil {
		t.Fatal(err)
	}
}
