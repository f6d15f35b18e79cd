package ipfrag

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

const ethLen = proto.EthernetLen

var ethHdr = []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00}

func newTable(t testing.TB, cfg Config) *Table {
	t.Helper()
	if cfg.Buckets == 0 {
		cfg.Buckets = 64
	}
	if cfg.BucketEntries == 0 {
		cfg.BucketEntries = 4
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 1000
	}
	tb, err := NewTable(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// withEth prepends an Ethernet header to each packet.
func withEth(t testing.TB, ms []*mbuf.Mbuf, v6 bool) {
	for _, m := range ms {
		h := m.Prepend(ethLen)
		if h == nil {
			t.Fatal("no headroom")
		}
		copy(h, ethHdr)
		if v6 {
			h[12], h[13] = 0x86, 0xdd
		}
	}
}

// feed gives every packet to the table and returns the datagrams that came out.
func feed(tb *Table, dr *DeathRow, ms []*mbuf.Mbuf, now uint64, v6 bool) []*mbuf.Mbuf {
	var done []*mbuf.Mbuf
	for _, m := range ms {
		var r *mbuf.Mbuf
		if v6 {
			r = tb.ReassembleIPv6(dr, m, now, ethLen)
		} else {
			r = tb.ReassembleIPv4(dr, m, now, ethLen)
		}
		if r != nil {
			done = append(done, r)
		}
	}
	return done
}

func TestReassembleRoundTrip(t *testing.T) {
	p := newPools(t)
	r := rand.New(rand.NewPCG(1, 2))
	tb := newTable(t, Config{MaxFragments: 64})
	dr := NewDeathRow(64, lc)
	defer dr.FreeAll()
	for i := range 200 {
		v6 := i%2 == 1
		n := 1 + r.IntN(20000)
		mtu := 68 + r.IntN(3000)
		if v6 {
			mtu += 1280 - 68
		}
		var orig []byte
		if v6 {
			var exts []uint8
			if r.IntN(2) == 0 {
				exts = []uint8{proto.IPProtoHopOpts, proto.IPProtoRouting, proto.IPProtoDstOpts}
			}
			orig = udp6(exts, n)
		} else {
			orig = udp4(uint16(i), []byte{proto.IPv4OptLSRR, 7, 4, 1, 2, 3, 4}, n)
		}
		seg := []int{0, 100, 1000, 4096}[r.IntN(4)]
		pool := p.big
		if seg > 0 && seg < 2048 {
			pool = p.direct
		}
		m := mbuftest.Packet(t, pool, orig, seg)
		var out [64]*mbuf.Mbuf
		var k int
		var err error
		if v6 {
			k, err = FragmentIPv6(m, out[:], mtu, uint32(i), p.direct, p.indirect, lc)
		} else {
			k, err = FragmentIPv4(m, out[:], mtu, p.direct, p.indirect, lc)
		}
		m.Free(lc)
		if err == ErrTooManyFragments {
			continue
		}
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if k == 1 {
			out[0].Free(lc)
			continue
		}
		withEth(t, out[:k], v6)
		done := feed(tb, dr, shuffle(r, out[:k]), uint64(i), v6)
		if len(done) != 1 {
			t.Fatalf("packet %d (%d fragments, v6 %v): %d datagrams out, stats %+v", i, k, v6, len(done), tb.Stats())
		}
		d := done[0]
		checkChain(t, d)
		got := mbuftest.Bytes(d)
		if !bytes.Equal(got[:ethLen], ethHdr[:12]) && !bytes.Equal(got[:12], ethHdr[:12]) {
			t.Fatalf("packet %d: L2 header lost", i)
		}
		if !bytes.Equal(got[ethLen:], orig) {
			t.Fatalf("packet %d (%d fragments, mtu %d, v6 %v): reassembled datagram differs\n got % x\nwant % x", i, k, mtu, v6, got[ethLen:min(len(got), ethLen+80)], orig[:min(len(orig), 80)])
		}
		if !v6 && !proto.IPv4(got[ethLen:]).IsChecksumValid() {
			t.Fatalf("packet %d: bad checksum", i)
		}
		if d.L2Len() != ethLen {
			t.Fatalf("L2Len %d", d.L2Len())
		}
		d.Free(lc)
		if tb.Flows() != 0 || tb.Held() != 0 {
			t.Fatalf("table keeps %d flows, %d fragments", tb.Flows(), tb.Held())
		}
	}
	st := tb.Stats()
	if st.Completed == 0 || st.FlowFragsDropped != 0 || st.DropMalformed != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// Fragments of several datagrams interleaved come out as whole datagrams.
func TestReassembleInterleaved(t *testing.T) {
	p := newPools(t)
	tb := newTable(t, Config{MaxFragments: 16})
	dr := NewDeathRow(64, lc)
	defer dr.FreeAll()
	var all []*mbuf.Mbuf
	origs := map[uint16][]byte{}
	for id := range uint16(10) {
		orig := udp4(id, nil, 4000+int(id))
		origs[id] = orig
		m := mbuftest.Packet(t, p.big, orig, 0)
		var out [16]*mbuf.Mbuf
		k, err := FragmentIPv4(m, out[:], 576, p.direct, p.indirect, lc)
		m.Free(lc)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, out[:k]...)
	}
	withEth(t, all, false)
	done := feed(tb, dr, shuffle(rand.New(rand.NewPCG(3, 4)), all), 1, false)
	if len(done) != 10 {
		t.Fatalf("%d datagrams, want 10", len(done))
	}
	for _, d := range done {
		b := mbuftest.Bytes(d)[ethLen:]
		if !bytes.Equal(b, origs[proto.IPv4(b).ID()]) {
			t.Fatalf("datagram %d differs", proto.IPv4(b).ID())
		}
		d.Free(lc)
	}
}

// frag4 builds an Ethernet + IPv4 fragment: payload bytes off.. of a
// datagram whose payload is payload(byte(id), ...).
func frag4(id uint16, prot uint8, off, n int, mf bool) []byte {
	b := make([]byte, ethLen+20+n)
	copy(b, ethHdr)
	var fl uint16
	if mf {
		fl = proto.IPv4FlagMF
	}
	proto.IPv4(b[ethLen:]).Encode(&proto.IPv4Fields{TotalLen: uint16(20 + n), ID: id, Flags: fl, FragOff: uint16(off),
		TTL: 64, Protocol: prot, Src: src4, Dst: dst4})
	if off&7 != 0 || off > 0xffff {
		binary.BigEndian.PutUint16(b[ethLen+6:], fl|uint16(off/8)&0x1fff)
	}
	full := payload(byte(id), off+n)
	copy(b[ethLen+20:], full[off:])
	return b
}

type piece struct {
	off, n int
	mf     bool
}

func TestReassembleHostile(t *testing.T) {
	p := newPools(t)
	udp := proto.IPProtoUDP
	cases := []struct {
		name   string
		prot   uint8
		pieces []piece
		whole  bool // a datagram comes out
		check  func(Stats) bool
	}{
		{"in order", udp, []piece{{0, 8, true}, {8, 8, true}, {16, 5, false}}, true, nil},
		{"reverse", udp, []piece{{16, 5, false}, {8, 8, true}, {0, 8, true}}, true, nil},
		{"duplicate", udp, []piece{{0, 8, true}, {0, 8, true}, {8, 8, false}}, true,
			func(s Stats) bool { return s.DropDuplicate == 1 }},
		{"duplicate last", udp, []piece{{8, 8, false}, {8, 8, false}, {0, 8, true}}, true,
			func(s Stats) bool { return s.DropDuplicate == 1 }},
		{"overlap", udp, []piece{{0, 16, true}, {8, 16, false}, {16, 8, false}}, false,
			func(s Stats) bool { return s.DropOverlap == 1 && s.FlowsKilled == 1 }},
		{"teardrop", udp, []piece{{0, 24, true}, {16, 3, false}}, false,
			func(s Stats) bool { return s.DropOverlap == 1 }},
		{"contained", udp, []piece{{0, 64, true}, {8, 8, true}, {64, 8, false}}, false,
			func(s Stats) bool { return s.DropOverlap == 1 }},
		{"missing", udp, []piece{{0, 8, true}, {16, 8, false}}, false, nil},
		{"ping of death", udp, []piece{{0, 1480, true}, {65528, 100, false}}, false,
			func(s Stats) bool { return s.DropOversize == 1 }},
		{"max size", udp, []piece{{0, 65504, true}, {65504, 11, false}}, true, nil},
		{"one past max", udp, []piece{{0, 65504, true}, {65504, 12, false}}, false,
			func(s Stats) bool { return s.DropOversize == 1 }},
		{"tiny tcp", proto.IPProtoTCP, []piece{{0, 8, true}, {8, 40, false}}, false,
			func(s Stats) bool { return s.DropTiny == 1 }},
		{"tiny udp is fine", udp, []piece{{0, 8, true}, {8, 40, false}}, true, nil},
		{"too many", udp, []piece{{0, 8, true}, {8, 8, true}, {16, 8, true}, {24, 8, true}, {32, 8, true}}, false,
			func(s Stats) bool { return s.DropTooMany == 1 && s.FlowFragsDropped == 4 }},
		{"two ends", udp, []piece{{16, 8, false}, {24, 8, false}, {0, 8, true}}, false,
			func(s Stats) bool { return s.DropBadLast == 1 }},
		{"past the end", udp, []piece{{16, 8, false}, {24, 8, true}}, false,
			func(s Stats) bool { return s.DropBadLast == 1 }},
		{"end before data", udp, []piece{{24, 8, true}, {16, 8, false}}, false,
			func(s Stats) bool { return s.DropBadLast == 1 }},
		{"odd middle", udp, []piece{{0, 9, true}}, false,
			func(s Stats) bool { return s.DropMalformed == 1 }},
		{"empty", udp, []piece{{8, 0, false}}, false,
			func(s Stats) bool { return s.DropMalformed == 1 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := newTable(t, Config{MaxFragments: 4})
			dr := NewDeathRow(4, lc)
			var done []*mbuf.Mbuf
			for _, pc := range c.pieces {
				m := mbuftest.Packet(t, p.direct, frag4(9, c.prot, pc.off, pc.n, pc.mf), 2000)
				if d := tb.ReassembleIPv4(dr, m, 1, ethLen); d != nil {
					done = append(done, d)
				}
			}
			st := tb.Stats()
			if c.whole != (len(done) == 1) || len(done) > 1 {
				t.Fatalf("%d datagrams out, stats %+v", len(done), st)
			}
			if c.check != nil && !c.check(st) {
				t.Fatalf("stats %+v", st)
			}
			for _, d := range done {
				checkChain(t, d)
				b := mbuftest.Bytes(d)[ethLen:]
				ip := proto.IPv4(b)
				if !ip.IsValid() || ip.TotalLen() != len(b) || !ip.IsChecksumValid() || ip.IsFragment() {
					t.Fatalf("bad datagram header % x", b[:20])
				}
				if !bytes.Equal(ip.Payload(), payload(9, len(b)-20)) {
					t.Fatal("payload differs")
				}
				d.Free(lc)
			}
			// The accounting adds up: every fragment is in a datagram, held, or dropped.
			var inDone uint64
			if len(done) == 1 {
				inDone = uint64(len(c.pieces)) - st.DropDuplicate
			}
			drops := st.DropMalformed + st.DropDuplicate + st.DropOverlap + st.DropOversize + st.DropTiny +
				st.DropTooMany + st.DropBadLast + st.DropNoSpace + st.DropShared
			if got := inDone + uint64(tb.Held()) + drops + st.FlowFragsDropped; got != uint64(len(c.pieces)) {
				t.Fatalf("%d fragments in, %d accounted for: stats %+v, held %d", len(c.pieces), got, st, tb.Held())
			}
			tb.Flush(dr)
			dr.FreeAll()
		})
	}
}

func TestReassembleTimeout(t *testing.T) {
	p := newPools(t)
	tb := newTable(t, Config{Timeout: 100})
	dr := NewDeathRow(8, lc)
	defer dr.FreeAll()
	in := func(id uint16, off, n int, mf bool, now uint64) *mbuf.Mbuf {
		return tb.ReassembleIPv4(dr, mbuftest.Packet(t, p.direct, frag4(id, 17, off, n, mf), 0), now, ethLen)
	}
	if in(1, 0, 8, true, 1000) != nil || tb.Flows() != 1 {
		t.Fatal("flow not held")
	}
	// Within the timeout the datagram completes.
	if d := in(1, 8, 8, false, 1099); d == nil {
		t.Fatal("not reassembled within the timeout")
	} else {
		d.Free(lc)
	}
	// Past it, the first fragment is gone: the last one starts a new flow.
	in(2, 0, 8, true, 2000)
	if in(2, 8, 8, false, 2100) != nil {
		t.Fatal("reassembled past the timeout")
	}
	if st := tb.Stats(); st.Expired != 1 || dr.Len() != 1 || tb.Held() != 1 {
		t.Fatalf("stats %+v, death row %d, held %d", st, dr.Len(), tb.Held())
	}
	// Expire drops what is old, and only that.
	in(3, 0, 8, true, 2150)
	if n := tb.Expire(dr, 2210); n != 1 || tb.Flows() != 1 {
		t.Fatalf("Expire dropped %d, %d flows left", n, tb.Flows())
	}
	if n := tb.Expire(dr, 1<<40); n != 1 || tb.Flows() != 0 || tb.Held() != 0 {
		t.Fatalf("Expire dropped %d, %d flows left", n, tb.Flows())
	}
}

func TestReassembleTableFull(t *testing.T) {
	p := newPools(t)
	tb := newTable(t, Config{Buckets: 2, BucketEntries: 2, MaxEntries: 3, Timeout: 100})
	dr := NewDeathRow(2, lc) // small: it frees itself when full
	for id := range uint16(50) {
		tb.ReassembleIPv4(dr, mbuftest.Packet(t, p.direct, frag4(id, 17, 0, 8, true), 0), 5, ethLen)
		if tb.Flows() > 3 || tb.Held() > tb.MaxHeld() {
			t.Fatalf("%d flows, %d held", tb.Flows(), tb.Held())
		}
	}
	st := tb.Stats()
	if st.DropNoSpace < 47 || st.Flows > 3 {
		t.Fatalf("stats %+v", st)
	}
	// Once they time out the slots serve again.
	tb.ReassembleIPv4(dr, mbuftest.Packet(t, p.direct, frag4(100, 17, 0, 8, true), 0), 500, ethLen)
	if tb.Stats().Flows == st.Flows {
		t.Fatalf("no flow created after the timeout: %+v", tb.Stats())
	}
	tb.Flush(dr)
	dr.FreeAll()
}

func TestReassembleNotFragments(t *testing.T) {
	p := newPools(t)
	tb := newTable(t, Config{})
	dr := NewDeathRow(8, lc)
	defer dr.FreeAll()
	whole := append(append([]byte{}, ethHdr...), udp4(1, nil, 100)...)
	m := mbuftest.Packet(t, p.direct, whole, 0)
	if tb.ReassembleIPv4(dr, m, 0, ethLen) != m {
		t.Fatal("a whole IPv4 datagram was not handed back")
	}
	m.Free(lc)
	w6 := append(append([]byte{}, ethHdr...), udp6([]uint8{proto.IPProtoHopOpts}, 100)...)
	m = mbuftest.Packet(t, p.direct, w6, 0)
	if tb.ReassembleIPv6(dr, m, 0, ethLen) != m {
		t.Fatal("a whole IPv6 datagram was not handed back")
	}
	m.Free(lc)
	// Atomic fragment (RFC 6946): handed back.
	a6 := append(append([]byte{}, ethHdr...), udp6([]uint8{proto.IPProtoFragment}, 100)...)
	m = mbuftest.Packet(t, p.direct, a6, 0)
	if tb.ReassembleIPv6(dr, m, 0, ethLen) != m {
		t.Fatal("an atomic fragment was not handed back")
	}
	m.Free(lc)
	// Garbage is dropped.
	for _, g := range [][]byte{ethHdr, append(append([]byte{}, ethHdr...), 0x45, 0, 0, 10)} {
		if tb.ReassembleIPv4(dr, mbuftest.Packet(t, p.direct, g, 0), 0, ethLen) != nil ||
			tb.ReassembleIPv6(dr, mbuftest.Packet(t, p.direct, g, 0), 0, ethLen) != nil {
			t.Fatal("garbage handed back")
		}
	}
	if tb.Stats().DropMalformed != 4 {
		t.Fatalf("stats %+v", tb.Stats())
	}
}

// Ethernet padding after a small fragment is cut off.
func TestReassemblePadding(t *testing.T) {
	p := newPools(t)
	tb := newTable(t, Config{})
	dr := NewDeathRow(8, lc)
	defer dr.FreeAll()
	a := frag4(5, 17, 0, 8, true)
	b := append(frag4(5, 17, 8, 3, false), make([]byte, 60-ethLen-23)...)
	tb.ReassembleIPv4(dr, mbuftest.Packet(t, p.direct, a, 0), 0, ethLen)
	d := tb.ReassembleIPv4(dr, mbuftest.Packet(t, p.direct, b, 36), 0, ethLen)
	if d == nil {
		t.Fatal("not reassembled")
	}
	checkChain(t, d)
	if d.PktLen() != ethLen+20+11 {
		t.Fatalf("length %d, want %d", d.PktLen(), ethLen+31)
	}
	d.Free(lc)
}

func TestReassembleIPv6Hostile(t *testing.T) {
	p := newPools(t)
	var buf [2048]byte
	frag := func(off, n int, mf bool) *mbuf.Mbuf {
		return mbuftest.Packet(t, p.direct, buildFrag(buf[:], true, 1, proto.IPProtoUDP, off, n, mf), 0)
	}
	for _, c := range []struct {
		name   string
		pieces []piece
		whole  bool
		check  func(Stats) bool
	}{
		{"in order", []piece{{0, 16, true}, {16, 16, true}, {32, 3, false}}, true, nil},
		{"overlap", []piece{{0, 16, true}, {8, 16, false}}, false, func(s Stats) bool { return s.DropOverlap == 1 }},
		{"duplicate", []piece{{0, 16, true}, {0, 16, true}, {16, 1, false}}, true, func(s Stats) bool { return s.DropDuplicate == 1 }},
		{"oversize", []piece{{0, 16, true}, {65528, 100, false}}, false, func(s Stats) bool { return s.DropOversize == 1 }},
		{"odd middle", []piece{{0, 15, true}}, false, func(s Stats) bool { return s.DropMalformed == 1 }},
		{"two ends", []piece{{16, 8, false}, {24, 8, false}}, false, func(s Stats) bool { return s.DropBadLast == 1 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			tb := newTable(t, Config{})
			dr := NewDeathRow(4, lc)
			var done []*mbuf.Mbuf
			for _, pc := range c.pieces {
				if d := tb.ReassembleIPv6(dr, frag(pc.off, pc.n, pc.mf), 1, ethLen); d != nil {
					done = append(done, d)
				}
			}
			if c.whole != (len(done) == 1) || len(done) > 1 {
				t.Fatalf("%d datagrams, stats %+v", len(done), tb.Stats())
			}
			if c.check != nil && !c.check(tb.Stats()) {
				t.Fatalf("stats %+v", tb.Stats())
			}
			for _, d := range done {
				checkDatagram(t, d, true)
				b := mbuftest.Bytes(d)[ethLen:]
				if !bytes.Equal(b[proto.IPv6Len:], patterns[1][:len(b)-proto.IPv6Len]) {
					t.Fatal("payload differs")
				}
				d.Free(lc)
			}
			tb.Flush(dr)
			dr.FreeAll()
		})
	}
}

// A first fragment whose buffer is shared is not written to: the datagram
// is dropped.
func TestReassembleShared(t *testing.T) {
	p := newPools(t)
	tb := newTable(t, Config{})
	dr := NewDeathRow(8, lc)
	defer dr.FreeAll()
	first := mbuftest.Packet(t, p.direct, frag4(3, 17, 0, 8, true), 0)
	clone := p.indirect.Clone(first, lc)
	before := mbuftest.Bytes(first)
	tb.ReassembleIPv4(dr, clone, 0, ethLen)
	if d := tb.ReassembleIPv4(dr, mbuftest.Packet(t, p.direct, frag4(3, 17, 8, 8, false), 0), 0, ethLen); d != nil {
		t.Fatal("reassembled over a shared buffer")
	}
	if st := tb.Stats(); st.DropShared != 1 || tb.Held() != 0 {
		t.Fatalf("stats %+v", st)
	}
	if !bytes.Equal(mbuftest.Bytes(first), before) {
		t.Fatal("the shared buffer was written")
	}
	first.Free(lc)
}
