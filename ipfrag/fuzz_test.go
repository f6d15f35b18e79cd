package ipfrag

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

// patterns[id] is the payload of datagram id in the fuzz target: every
// fragment it builds is cut from it, so whatever the table puts together
// must match it byte for byte.
var patterns = func() [4][]byte {
	var p [4][]byte
	for id := range p {
		p[id] = payload(byte(id), 1<<17)
	}
	return p
}()

// buildFrag writes an Ethernet + IP fragment of datagram id into dst.
func buildFrag(dst []byte, v6 bool, id int, prot uint8, off, n int, mf bool) []byte {
	b := dst[:0]
	b = append(b, ethHdr...)
	if v6 {
		b[12], b[13] = 0x86, 0xdd
		h := make([]byte, proto.IPv6Len+proto.IPv6FragmentLen)
		proto.IPv6(h).Encode(&proto.IPv6Fields{PayloadLen: uint16(proto.IPv6FragmentLen + n), NextHeader: proto.IPProtoFragment,
			HopLimit: 64, Src: src6, Dst: dst6})
		proto.IPv6Fragment(h[proto.IPv6Len:]).Encode(prot, off, mf, uint32(id))
		b = append(b, h...)
	} else {
		h := make([]byte, proto.IPv4MinLen)
		var fl uint16
		if mf {
			fl = proto.IPv4FlagMF
		}
		proto.IPv4(h).Encode(&proto.IPv4Fields{TotalLen: uint16(20 + n), ID: uint16(id), Flags: fl,
			TTL: 64, Protocol: prot, Src: src4, Dst: dst4})
		proto.IPv4(h).SetFlagsFragOff(fl | uint16(off/8)&proto.IPv4FragOffMask)
		b = append(b, h...)
	}
	return append(b, patterns[id][off:off+n]...)
}

// FuzzReassemble feeds the table hostile fragment sequences: it must never
// panic, never hold more than its bound, never lose an mbuf, and every
// datagram it gives out must be consistent and carry the right bytes.
func FuzzReassemble(f *testing.F) {
	p := newPools(f)
	// ops of 6 bytes: kind, id, offset (2, in units of 8), length (2)
	f.Add([]byte{0x04, 0, 0, 0, 0, 8, 0x00, 0, 0, 1, 0, 5})                             // two v4 fragments
	f.Add([]byte{0x05, 1, 0, 0, 0, 8, 0x01, 1, 0, 1, 0, 5})                             // two v6 fragments
	f.Add([]byte{0x04, 0, 0, 0, 0, 24, 0x00, 0, 0, 2, 0, 3})                            // teardrop
	f.Add([]byte{0x04, 2, 0, 0, 5, 0xc8, 0x00, 2, 0x1f, 0xff, 0, 100})                  // ping of death
	f.Add([]byte{0x0c, 3, 0, 0, 0, 8, 0x08, 3, 0, 1, 0, 40})                            // tiny TCP
	f.Add([]byte{0x04, 0, 0, 0, 0, 8, 0x04, 0, 0, 0, 0, 8, 0xf4, 0, 0, 1, 0, 8})        // duplicate, then late
	f.Add([]byte{0x02, 45, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}) // raw
	f.Fuzz(func(t *testing.T, ops []byte) {
		tb, err := NewTable(Config{Buckets: 2, BucketEntries: 2, MaxEntries: 3, MaxFragments: 6, Timeout: 50})
		if err != nil {
			t.Fatal(err)
		}
		dr := NewDeathRow(5, lc)
		before := p.direct.InUse()
		var buf [2048]byte
		now := uint64(0)
		for len(ops) >= 6 {
			op := ops[:6]
			ops = ops[6:]
			kind, id := op[0], int(op[1]&3)
			now += uint64(kind >> 4 * 7)
			off := int(binary.BigEndian.Uint16(op[2:4])) % 8192 * 8
			n := int(binary.BigEndian.Uint16(op[4:6])) % 1500
			v6 := kind&1 != 0
			var pkt []byte
			if kind&2 != 0 { // raw bytes: the op's own and what follows
				k := min(len(ops), int(op[1]))
				pkt = append(append(buf[:0], ethHdr...), ops[:k]...)
				ops = ops[k:]
			} else {
				prot := proto.IPProtoUDP
				if kind&8 != 0 {
					prot = proto.IPProtoTCP
				}
				pkt = buildFrag(buf[:], v6, id, prot, off, n, kind&4 != 0)
			}
			m := p.direct.Alloc(lc)
			if m == nil {
				t.Fatal("pool empty: the table holds too much")
			}
			copy(m.Append(len(pkt)), pkt)
			var d *mbuf.Mbuf
			if v6 {
				d = tb.ReassembleIPv6(dr, m, now, ethLen)
			} else {
				d = tb.ReassembleIPv4(dr, m, now, ethLen)
			}
			if tb.Held() > tb.MaxHeld() || tb.Flows() > 3 {
				t.Fatalf("table holds %d fragments in %d flows", tb.Held(), tb.Flows())
			}
			if d != nil {
				checkDatagram(t, d, v6)
				d.Free(lc)
			}
			if int(now)%3 == 0 {
				dr.FreeAll()
			}
		}
		tb.Flush(dr)
		dr.FreeAll()
		if n := p.direct.InUse() - before; n != 0 {
			t.Fatalf("%d mbufs lost", n)
		}
	})
}

// checkDatagram fails t unless d is a consistent whole datagram.
func checkDatagram(t *testing.T, d *mbuf.Mbuf, v6 bool) {
	t.Helper()
	if err := d.Check(true); err != nil {
		t.Fatal(err)
	}
	b := mbuftest.Bytes(d)[ethLen:]
	if !v6 {
		ip := proto.IPv4(b)
		if !ip.IsValid() || ip.TotalLen() != len(b) || !ip.IsChecksumValid() || ip.IsFragment() {
			t.Fatalf("bad IPv4 datagram % x", b[:min(len(b), 20)])
		}
		if ip.HeaderLen() == 20 && !bytes.Equal(ip.Payload(), patterns[ip.ID()&3][:len(ip.Payload())]) && ip.ID() < 4 {
			t.Fatal("IPv4 datagram payload differs")
		}
		return
	}
	ip := proto.IPv6(b)
	if !ip.IsValid() || proto.IPv6Len+ip.PayloadLen() != len(b) {
		t.Fatalf("bad IPv6 datagram % x", b[:min(len(b), 40)])
	}
	if ip.NextHeader() == proto.IPProtoFragment && !proto.IPv6Fragment(ip[proto.IPv6Len:]).IsAtomic() {
		t.Fatal("fragment header left in the datagram")
	}
}

// FuzzFragment fragments arbitrary bytes: never a panic, and whatever it
// accepts reassembles into the datagram it was given.
func FuzzFragment(f *testing.F) {
	p := newPools(f)
	f.Add(udp4(1, []byte{proto.IPv4OptLSRR, 7, 4, 1, 2, 3, 4}, 300), uint16(100), uint8(0))
	f.Add(udp6([]uint8{proto.IPProtoHopOpts, proto.IPProtoRouting}, 300), uint16(100), uint8(7))
	f.Add([]byte{0x4f, 0, 0, 60, 0, 0, 0, 0, 64, 17, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0x94, 0xff}, uint16(40), uint8(3))
	f.Fuzz(func(t *testing.T, pkt []byte, mtu uint16, seg uint8) {
		if len(pkt) > 1800 {
			return
		}
		tb, err := NewTable(Config{Buckets: 1, BucketEntries: 1, MaxFragments: 256, Timeout: 10})
		if err != nil {
			t.Fatal(err)
		}
		dr := NewDeathRow(8, lc)
		before := p.direct.InUse() + p.indirect.InUse()
		m := mbuftest.Packet(t, p.direct, pkt, int(seg%64)*8)
		v6 := len(pkt) > 0 && pkt[0]>>4 == 6
		var out [256]*mbuf.Mbuf
		var n int
		if v6 {
			n, err = FragmentIPv6(m, out[:], int(mtu), 9, p.direct, p.indirect, lc)
		} else {
			n, err = FragmentIPv4(m, out[:], int(mtu), p.direct, p.indirect, lc)
		}
		var whole []byte
		if err == nil && n > 1 {
			whole = mbuftest.Bytes(m)
		}
		m.Free(lc)
		if err != nil {
			if n != 0 {
				t.Fatalf("error %v with %d fragments", err, n)
			}
		} else if n > 1 {
			var d *mbuf.Mbuf
			for i, fm := range out[:n] {
				if fm.PktLen() > int(mtu) {
					t.Fatalf("fragment %d: %d bytes > MTU %d", i, fm.PktLen(), mtu)
				}
				if fm.Prepend(ethLen) == nil {
					t.Fatal("no headroom in a fragment")
				}
				if r := func() *mbuf.Mbuf {
					if v6 {
						return tb.ReassembleIPv6(dr, fm, 1, ethLen)
					}
					return tb.ReassembleIPv4(dr, fm, 1, ethLen)
				}(); r != nil {
					d = r
				}
			}
			if d == nil {
				if v6 || proto.IPv4(whole).IsFragment() {
					// A fragment cut again is not a datagram.
					tb.Flush(dr)
					dr.FreeAll()
					return
				}
				t.Fatalf("%d fragments did not reassemble: %+v", n, tb.Stats())
			}
			got := mbuftest.Bytes(d)[ethLen:]
			tl := len(got)
			want := whole[:min(tl, len(whole))]
			if !v6 && len(got) >= 12 && len(want) >= 12 {
				got[10], got[11] = want[10], want[11] // the original's checksum may be wrong
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("reassembled\n% x\nwant\n% x", got, want)
			}
			d.Free(lc)
		} else if n == 1 {
			out[0].Free(lc)
		}
		tb.Flush(dr)
		dr.FreeAll()
		if k := p.direct.InUse() + p.indirect.InUse() - before; k != 0 {
			t.Fatalf("%d mbufs lost", k)
		}
	})
}
