package proto

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/dpkit/dpkit/internal/mbuftest"
)

// TestChecksumMatchesReference: the 64-bit add-with-carry loop agrees with
// the plain RFC 1071 loop for every length to 300, every alignment, random
// data, all-ones data (the carry edge) and random initial values.
func TestChecksumMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 4096+8)
	for _, fill := range []string{"random", "ones", "zeros"} {
		for i := range buf {
			switch fill {
			case "random":
				buf[i] = byte(r.Uint32())
			case "ones":
				buf[i] = 0xff
			default:
				buf[i] = 0
			}
		}
		for n := 0; n <= 300; n++ {
			for align := range 8 {
				b := buf[align : align+n]
				init := uint16(r.Uint32())
				if got, want := Checksum(b, init), checksumRef(b, init); got != want {
					t.Fatalf("%s n=%d align=%d init=%#x: Checksum=%#04x, reference %#04x", fill, n, align, init, got, want)
				}
			}
		}
		for _, n := range []int{1500, 1501, 4095, 4096} {
			if got, want := Checksum(buf[1:1+n], 0), checksumRef(buf[1:1+n], 0); got != want {
				t.Fatalf("%s n=%d: %#04x, reference %#04x", fill, n, got, want)
			}
		}
	}
}

// TestChecksumKnown: RFC 1071's worked example and an IPv4 header from
// the wild (Wikipedia's, checksum 0xb861).
func TestChecksumKnown(t *testing.T) {
	if got := Checksum([]byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}, 0); got != 0xddf2 {
		t.Errorf("RFC 1071 example: sum %#04x, want 0xddf2", got)
	}
	h := []byte{0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7}
	if got := IPv4(h).CalculateChecksum(); got != 0xb861 {
		t.Errorf("IPv4 header checksum %#04x, want 0xb861", got)
	}
	binary.BigEndian.PutUint16(h[10:], 0xb861)
	if !IPv4(h).IsChecksumValid() {
		t.Error("IPv4 header with its checksum reported invalid")
	}
}

func TestSumAtAndCombine(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	b := make([]byte, 999)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	want := checksumRef(b, 0)
	for cut := 0; cut <= len(b); cut += 7 {
		s := SumAt(b[cut:], cut, Checksum(b[:cut], 0))
		if s != want {
			t.Fatalf("cut %d: %#04x, want %#04x", cut, s, want)
		}
	}
}

// TestUpdateChecksum: RFC 1624 incremental updates give the checksum a
// full recomputation gives, for random 16-bit, 32-bit and address changes,
// including the 0x0000/0xffff edge RFC 1624 is about.
func TestUpdateChecksum(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	b := make([]byte, 40)
	for iter := range 20000 {
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		if iter%50 == 0 { // words summing to 0xffff: checksum 0
			for i := range b {
				b[i] = 0
			}
			b[0], b[1] = 0xff, 0xff
		}
		b[38], b[39] = 0, 0
		c := ^checksumRef(b, 0)
		binary.BigEndian.PutUint16(b[38:], c)
		switch iter % 3 {
		case 0:
			off := 2 * r.IntN(19)
			old := binary.BigEndian.Uint16(b[off:])
			nv := uint16(r.Uint32())
			binary.BigEndian.PutUint16(b[off:], nv)
			c = UpdateChecksum16(c, old, nv)
		case 1:
			off := 2 * r.IntN(18)
			old := binary.BigEndian.Uint32(b[off:])
			nv := r.Uint32()
			binary.BigEndian.PutUint32(b[off:], nv)
			c = UpdateChecksum32(c, old, nv)
		case 2:
			off := 2 * r.IntN(11)
			old := append([]byte(nil), b[off:off+16]...)
			for i := range 16 {
				b[off+i] = byte(r.Uint32())
			}
			c = UpdateChecksumBytes(c, old, b[off:off+16])
		}
		binary.BigEndian.PutUint16(b[38:], c)
		// One's complement has two zeros: the updated checksum must
		// verify, and equal the recomputed one up to 0x0000 == 0xffff.
		if s := checksumRef(b, 0); s != 0xffff {
			t.Fatalf("iter %d: after update the sum is %#04x, want 0xffff", iter, s)
		}
	}
}

// TestSetterChecksums: every setter that updates a checksum leaves it
// equal to a recomputation.
func TestSetterChecksums(t *testing.T) {
	b := make([]byte, 200)
	ip := IPv4(b)
	ip.Encode(&IPv4Fields{TotalLen: 200, ID: 1, TTL: 64, Protocol: IPProtoTCP,
		Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), Options: []byte{1, 1, 1, 0}})
	if !ip.IsChecksumValid() {
		t.Fatal("Encode: bad checksum")
	}
	tcp := TCP(ip.Payload())
	tcp.Encode(&TCPFields{SrcPort: 1, DstPort: 2, Seq: 3, Flags: TCPFlagSYN, Window: 100, Options: []byte{2, 4, 5, 0xb4}})
	for i := range tcp.Payload() {
		tcp.Payload()[i] = byte(i * 7)
	}
	tcp.SetChecksum(tcp.CalculateChecksum(ip.PseudoHeaderSum(IPProtoTCP, len(tcp))))
	check := func(what string) {
		t.Helper()
		if !ip.IsChecksumValid() || ip.Checksum() != ip.CalculateChecksum() {
			t.Errorf("%s: IPv4 checksum %#04x, recomputed %#04x", what, ip.Checksum(), ip.CalculateChecksum())
		}
		if !tcp.IsChecksumValid(ip.PseudoHeaderSum(IPProtoTCP, len(tcp))) {
			t.Errorf("%s: TCP checksum %#04x invalid", what, tcp.Checksum())
		}
	}
	check("encode")
	ip.SetTTL(63)
	check("SetTTL")
	ip.SetTOS(0xb8)
	check("SetTOS")
	ip.SetID(0xffff)
	check("SetID")
	ip.SetFlagsFragOff(IPv4FlagDF)
	check("SetFlagsFragOff")
	old := ip.Src()
	ip.SetSrc(netip.MustParseAddr("203.0.113.9"))
	tcp.UpdateChecksumAddr(old, ip.Src())
	check("SetSrc")
	old = ip.Dst()
	ip.SetDst(netip.MustParseAddr("255.255.0.0"))
	tcp.UpdateChecksumAddr(old, ip.Dst())
	check("SetDst")
	tcp.SetSrcPort(65535)
	tcp.SetDstPort(80)
	tcp.SetSeq(0xfffffffe)
	tcp.SetAck(12345)
	tcp.SetFlags(TCPFlagACK | TCPFlagPSH)
	tcp.SetWindow(0)
	check("TCP setters")

	u := make([]byte, 48)
	ip6 := IPv6(u)
	ip6.Encode(&IPv6Fields{PayloadLen: 8, NextHeader: IPProtoUDP, HopLimit: 1,
		Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2")})
	udp := UDP(ip6.Payload())
	udp.Encode(&UDPFields{SrcPort: 1, DstPort: 2, Length: 8})
	udp.SetChecksum(udp.CalculateChecksum(ip6.PseudoHeaderSum(IPProtoUDP, 8)))
	old = ip6.Src()
	ip6.SetSrc(netip.MustParseAddr("fe80::1234"))
	udp.UpdateChecksumAddr(old, ip6.Src())
	udp.SetSrcPort(4789)
	udp.SetDstPort(53)
	if !udp.IsChecksumValid(ip6.PseudoHeaderSum(IPProtoUDP, 8)) || udp.Checksum() == 0 {
		t.Errorf("UDP over IPv6 after setters: checksum %#04x invalid", udp.Checksum())
	}

	ic := ICMP(make([]byte, 16))
	ic.Encode(&ICMPFields{Type: ICMPEchoRequest, Rest: 7<<16 | 9})
	ic.SetChecksum(ic.CalculateChecksum())
	ic.SetType(ICMPEchoReply)
	ic.SetIdent(1000)
	ic.SetSeq(2)
	if !ic.IsChecksumValid() {
		t.Error("ICMP after setters: invalid checksum")
	}
}

func TestChecksumMbufChain(t *testing.T) {
	p := newPool(t, 4096+128)
	r := rand.New(rand.NewPCG(7, 8))
	data := make([]byte, 3000)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	for _, cuts := range [][]int{{1}, {1, 2, 3}, {7, 100, 1001}, {1500}, {1499, 2999}, {64, 128, 192, 256}} {
		m := mbuftest.Chain(t, p, split(data, cuts...)...)
		for _, rg := range [][2]int{{0, 3000}, {1, 2998}, {14, 1486}, {999, 1}, {2999, 1}, {0, 0}, {1, 2999}} {
			got, err := ChecksumMbuf(m, rg[0], rg[1], 0x1234)
			want := checksumRef(data[rg[0]:rg[0]+rg[1]], 0x1234)
			if err != nil || got != want {
				t.Errorf("cuts %v range %v: %#04x, %v; want %#04x", cuts, rg, got, err, want)
			}
			crc, err := CRC32CMbuf(m, rg[0], rg[1], 0)
			if wantc := CRC32C(0, data[rg[0]:rg[0]+rg[1]]); err != nil || crc != wantc {
				t.Errorf("cuts %v range %v: crc %#08x, %v; want %#08x", cuts, rg, crc, err, wantc)
			}
		}
		if _, err := ChecksumMbuf(m, 1, 3000, 0); err != ErrRange {
			t.Errorf("range past the end: err %v, want ErrRange", err)
		}
		m.Free(lc)
	}
}

// TestL4ChecksumMbuf: SetL4ChecksumMbuf writes, and VerifyL4ChecksumMbuf
// accepts, the same checksums the header views compute on the linear
// packet, for TCP, UDP, SCTP, ICMP over IPv4 and IPv6, split anywhere.
func TestL4ChecksumMbuf(t *testing.T) {
	p := newPool(t, 2048)
	for _, c := range builtCases() {
		if c.spec.tunnel != "" || c.spec.vlans != 0 || (c.spec.l4 == "" && c.name != "ipv6-routing-tcp") {
			continue
		}
		pkt := c.pkt
		pt, h := GetPtype(pkt)
		l3, l4 := int(h.L2), int(h.L2)+int(h.L3)
		proto := map[string]uint8{"tcp": IPProtoTCP, "udp": IPProtoUDP, "sctp": IPProtoSCTP, "icmp": IPProtoICMP, "": IPProtoTCP}[c.spec.l4]
		if c.spec.l4 == "icmp" && c.spec.v6 {
			proto = IPProtoICMPv6
		}
		_ = pt
		for _, cut := range []int{l4 + 1, l4 + 3, l4 + 9, l4 + 17, len(pkt) - 1} {
			if cut >= len(pkt) {
				continue
			}
			m := mbuftest.Chain(t, p, split(pkt, cut)...)
			ok, err := VerifyL4ChecksumMbuf(m, l3, l4, proto)
			if !ok || err != nil {
				t.Errorf("%s cut %d: Verify = %v, %v on a good packet", c.name, cut, ok, err)
			}
			// Spoil the checksum, then have it rewritten.
			fo := l4 + l4CsumOff(proto)
			seg := m.Data()
			if fo+2 <= len(seg) {
				seg[fo] ^= 0x5a
				if ok, _ := VerifyL4ChecksumMbuf(m, l3, l4, proto); ok {
					t.Errorf("%s cut %d: Verify accepts a spoiled checksum", c.name, cut)
				}
				if err := SetL4ChecksumMbuf(m, l3, l4, proto); err != nil && !(err == ErrSplitHeader && proto == IPProtoSCTP) {
					t.Errorf("%s cut %d: Set: %v", c.name, cut, err)
				}
				if ok, err := VerifyL4ChecksumMbuf(m, l3, l4, proto); !ok || err != nil {
					t.Errorf("%s cut %d: Verify after Set = %v, %v", c.name, cut, ok, err)
				}
			}
			m.Free(lc)
		}
	}
}
