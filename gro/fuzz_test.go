package gro

import (
	"testing"

	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

// streamByte is byte s of the TCP stream of flow sport: any segment cut
// from it carries bytes that say where they belong.
func streamByte(sport uint16, s uint32) byte { return byte(s*7 + s>>9 + uint32(sport)) }

// FuzzGRO feeds both GRO modes packets built from the input: TCP segments
// with chosen sequence numbers, flags, IP identifications and sizes,
// VXLAN and fragments, and raw bytes. It must never panic nor lose an
// mbuf, and every packet out must be consistent, its TCP payload the
// stream's bytes at its sequence number.
func FuzzGRO(f *testing.F) {
	p := newPools(f)
	f.Add([]byte{0, 0, 0, 0, 0, 100, 1, 0, 0, 0, 0, 100, 0, 100, 2, 0})
	f.Add([]byte{1, 1, 0, 0, 0, 100, 1, 0, 1, 1, 0, 0, 0, 50, 2, 0, 1, 1, 0, 100, 0, 100, 1, 0})
	f.Add([]byte{2, 2, 0, 0, 0, 200, 1, 0, 2, 2, 0, 200, 0, 100, 2, 0})
	f.Add([]byte{3, 0, 0, 0, 0, 16, 1, 1, 3, 0, 0, 16, 0, 8, 2, 0})
	f.Add([]byte{4, 40, 0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		heavy := in[0]&0x80 != 0
		before := p.direct.InUse()
		var pkts []*mbuf.Mbuf
		for len(in) >= 8 {
			op := in[:8]
			in = in[8:]
			sport := uint16(op[1]&1) + 1
			seq := uint32(op[2])<<8 | uint32(op[3])
			n := (int(op[4])<<8 | int(op[5])) % 1400
			id := uint16(op[6])
			var fr []byte
			switch op[0] % 5 {
			case 0, 1, 2:
				pl := make([]byte, n)
				for i := range pl {
					pl[i] = streamByte(sport, seq+uint32(i))
				}
				fl := proto.TCPFlagACK
				if op[7]&1 != 0 {
					fl |= proto.TCPFlagPSH
				}
				if op[7]&2 != 0 {
					fl |= proto.TCPFlagFIN
				}
				s := tcpSpec{v6: op[0]%5 == 1, sport: sport, seq: seq, flags: fl, id: id, df: op[7]&4 != 0, pl: pl}
				if op[7]&8 != 0 {
					s.opts = []byte{1, 1, 1, 1}
				}
				fr = tcpFrame(s)
				if op[0]%5 == 2 {
					fr = vxlanOf(fr, id+uint16(op[7]>>4))
				}
			case 3: // a UDP fragment: offset seq*8, MF op[7]&1
				off := int(seq&0x3ff) * 8
				pl := make([]byte, n)
				for i := range pl {
					pl[i] = streamByte(0, uint32(off+i))
				}
				ip := ipPkt(false, proto.IPProtoUDP, pl, 99, op[7]&4 != 0)
				v := proto.IPv4(ip).FlagsFragOff() | uint16(off/8)
				if op[7]&1 != 0 {
					v |= proto.IPv4FlagMF
				}
				proto.IPv4(ip).SetFlagsFragOff(v)
				fr = append(eth(proto.EtherTypeIPv4), ip...)
			default: // raw bytes
				k := min(len(in), int(op[1]))
				fr = append(append(eth(proto.EtherType(uint16(op[2])<<8|uint16(op[3]))), op[4:]...), in[:k]...)
				in = in[k:]
			}
			if len(fr) > 2000 {
				continue
			}
			pkts = append(pkts, mbuftest.Packet(t, p.direct, fr, 0))
		}
		var out []*mbuf.Mbuf
		if heavy {
			c, err := New(Param{Types: AllTypes, MaxFlows: 2, MaxItemsPerFlow: 2})
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < len(pkts); i += 3 {
				b := pkts[i:min(i+3, len(pkts))]
				k := c.Reassemble(b, uint64(i))
				out = append(out, b[:k]...)
				var fl [8]*mbuf.Mbuf
				k = c.TimeoutFlush(uint64(i), 4, fl[:])
				out = append(out, fl[:k]...)
			}
			var fl [64]*mbuf.Mbuf
			k := c.TimeoutFlush(0, 0, fl[:])
			out = append(out, fl[:k]...)
			if c.Count() != 0 {
				t.Fatalf("%d left after a full flush", c.Count())
			}
		} else {
			b, err := NewBurst(Param{Types: AllTypes}, 16)
			if err != nil {
				t.Fatal(err)
			}
			k := b.Reassemble(pkts)
			out = pkts[:k]
		}
		for _, m := range out {
			checkOut(t, m)
			m.Free(lc)
		}
		if k := p.direct.InUse() - before; k != 0 {
			t.Fatalf("%d mbufs lost", k)
		}
	})
}

// checkOut fails t unless m's lengths agree, and a TCP packet's payload
// is its stream's bytes.
func checkOut(t *testing.T, m *mbuf.Mbuf) {
	t.Helper()
	if err := m.Check(true); err != nil {
		t.Fatal(err)
	}
	f := mbuftest.Bytes(m)
	pt, h := proto.GetPtype(f)
	ipOff := int(h.L2)
	if pt&mbuf.PtypeTunnelMask == mbuf.PtypeTunnelVXLAN {
		o := proto.IPv4(f[h.L2:])
		if !o.IsValid() || o.TotalLen() != len(f)-int(h.L2) || !o.IsChecksumValid() {
			t.Fatal("bad outer IPv4 header")
		}
		ipOff = int(h.L2+h.L3+h.L4+h.Tunnel) + int(h.InnerL2)
		pt >>= 16 // the inner types where the outer are
		h.L3, h.L4 = h.InnerL3, h.InnerL4
	}
	l3 := f[ipOff:]
	if pt&mbuf.PtypeL4Mask != mbuf.PtypeL4TCP || len(l3) < 20 {
		return
	}
	var ps uint16
	if l3[0]>>4 == 6 {
		if proto.IPv6Len+proto.IPv6(l3).PayloadLen() != len(l3) {
			t.Fatal("bad IPv6 length")
		}
		ps = proto.IPv6(l3).PseudoHeaderSum(proto.IPProtoTCP, len(l3)-int(h.L3))
	} else {
		ip := proto.IPv4(l3)
		if ip.TotalLen() != len(l3) || !ip.IsChecksumValid() {
			t.Fatal("bad IPv4 header")
		}
		ps = ip.PseudoHeaderSum(proto.IPProtoTCP, len(l3)-int(h.L3))
	}
	tcp := proto.TCP(l3[h.L3:])
	if !tcp.IsChecksumValid(ps) {
		t.Fatal("bad TCP checksum")
	}
	if tcp.SrcPort() > 2 {
		return
	}
	for i, c := range tcp.Payload() {
		if c != streamByte(tcp.SrcPort(), tcp.Seq()+uint32(i)) {
			t.Fatalf("payload byte %d is not the stream's", i)
		}
	}
}
