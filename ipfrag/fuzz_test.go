package ipfrag

import (
	"bytes"
	"encoding/binary"
	"testing"

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
	f.Add([]byte{0x04, 0, 0, 0, 0, 8, 0x00, 0, 0, 1, 0, 5})                              // two v4 fragments
	f.Add([]byte{0x05, 1, 0, 0, 0, 8, 0x01, 1, 0, 1, 0, 5})                              // two v6 fragments
	f.Add([]byte{0x04, 0, 0, 0, 0, 24, 0x00, 0, 0, 2, 0, 3})                             // teardrop
	f.Add([]byte{0x04, 2, 0, 0, 5, 0xc8, 0x00, 2, 0x1f, 0xff, 0, 100})                   // ping of death
	f.Add([]byte{0x0c, 3, 0, 0, 0, 8, 0x08, 3, 0, 1, 0, 40})                             // tiny TCP
	f.Add([]byte{0x04, 0, 0, 0, 0, 8, 0x04, 0, 0, 0, 0, 8, 0xf4, 0, 0, 1, 0, 8})         // duplicate, then late
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
	b := bytesOf(d)[ethLen:]
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
