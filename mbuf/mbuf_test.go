package mbuf

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

func TestNewPool(t *testing.T) {
	p := newPool(t, PoolConfig{PrivSize: 13, N: 16})
	if p.DataRoomSize() != DefaultBufSize {
		t.Errorf("DataRoomSize %d, want %d", p.DataRoomSize(), DefaultBufSize)
	}
	if p.PrivSize() != 16 {
		t.Errorf("PrivSize %d, want 16 (13 rounded to %d)", p.PrivSize(), PrivAlign)
	}
	if p.Size() != 16 || p.Avail() != 16 || p.InUse() != 0 {
		t.Errorf("Size/Avail/InUse = %d/%d/%d", p.Size(), p.Avail(), p.InUse())
	}
	if PoolByID(p.ID()) != p || p.ID() != p.Mempool().ID() || p.ID() == 0 {
		t.Errorf("PoolByID(%d) = %p, want %p", p.ID(), PoolByID(p.ID()), p)
	}
	m := alloc(t, p)
	if m.Pool() != p || m.PoolID() != p.ID() {
		t.Error("mbuf does not name its pool")
	}
	if m.Headroom() != Headroom || m.Tailroom() != DefaultDataRoom || m.BufLen() != DefaultBufSize {
		t.Errorf("headroom/tailroom/buflen = %d/%d/%d", m.Headroom(), m.Tailroom(), m.BufLen())
	}
	if len(m.Priv()) != 16 || m.PrivSize() != 16 || !bytes.Equal(m.Priv(), make([]byte, 16)) {
		t.Errorf("Priv = %x", m.Priv())
	}
	if len(m.Buf()) != DefaultBufSize {
		t.Errorf("len(Buf) = %d", len(m.Buf()))
	}
	m.Free(lc)

	for _, bad := range []PoolConfig{
		{Name: "neg-priv", N: 8, PrivSize: -1},
		{Name: "big-room", N: 8, DataRoomSize: MaxBufSize + 1},
		{Name: "neg-room", N: 8, DataRoomSize: -5},
		{Name: "zero-n", N: 0},
	} {
		if q, err := NewPool(bad); err == nil {
			q.Close()
			t.Errorf("NewPool(%+v) succeeded", bad)
		}
	}
}

func TestPoolClose(t *testing.T) {
	p, err := NewPool(PoolConfig{Name: "close", N: 8})
	if err != nil {
		t.Fatal(err)
	}
	id := p.ID()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if PoolByID(id) != nil {
		t.Error("closed pool still registered")
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestSmallDataRoom(t *testing.T) {
	p := newPool(t, PoolConfig{DataRoomSize: 64, N: 4})
	m := alloc(t, p)
	defer m.Free(lc)
	if m.Headroom() != 64 || m.Tailroom() != 0 {
		t.Errorf("headroom %d tailroom %d, want 64 0 (data room smaller than Headroom)", m.Headroom(), m.Tailroom())
	}
	if m.Append(1) != nil {
		t.Error("Append into no tailroom succeeded")
	}
	if b := m.Prepend(64); len(b) != 64 {
		t.Error("Prepend of the whole buffer failed")
	}
}

func TestAllocFreeCounts(t *testing.T) {
	const n = 63
	p := newPool(t, PoolConfig{N: n, CacheSize: 16})
	ms := make([]*Mbuf, n)
	if !p.AllocBulk(lc, ms) {
		t.Fatal("AllocBulk of the whole pool failed")
	}
	if p.InUse() != n || p.Avail() != 0 {
		t.Fatalf("InUse %d Avail %d after allocating all", p.InUse(), p.Avail())
	}
	if m := p.Alloc(lc); m != nil {
		t.Fatal("Alloc from an empty pool succeeded")
	}
	one := []*Mbuf{nil}
	if p.AllocBulk(lc, one) || one[0] != nil {
		t.Fatal("AllocBulk from an empty pool succeeded or touched its argument")
	}
	seen := map[*Mbuf]bool{}
	for _, m := range ms {
		if seen[m] {
			t.Fatalf("mbuf %p allocated twice", m)
		}
		seen[m] = true
		if err := m.Check(true); err != nil {
			t.Fatal(err)
		}
	}
	ms[0].Free(lc)
	if p.Avail() != 1 {
		t.Fatalf("Avail %d after one Free", p.Avail())
	}
	ms[0] = alloc(t, p)
	FreeBulk(lc, ms[:n/2])
	for _, m := range ms[n/2:] {
		m.Free(lc)
	}
	if p.InUse() != 0 {
		t.Fatalf("InUse %d after freeing all", p.InUse())
	}
	(*Mbuf)(nil).Free(lc) // no-op
}

func TestAllocResets(t *testing.T) {
	p := newPool(t, PoolConfig{N: 2}) // no cache: the same mbuf comes back
	m := alloc(t, p)
	m.Append(100)
	m.Prepend(10)
	m.SetPort(3)
	m.SetOlFlags(RxVLAN | TxIPCksum)
	m.SetPacketType(PtypeL2Ether | PtypeL3IPv4)
	m.SetVLANTCI(7)
	m.SetVLANTCIOuter(8)
	m.SetTxLens(14, 20, 20, 0, 0, 0)
	m.Free(lc)
	m2 := p.Alloc(lc)
	m3 := p.Alloc(lc)
	defer m2.Free(lc)
	defer m3.Free(lc)
	for _, m := range []*Mbuf{m2, m3} {
		if m.Len() != 0 || m.PktLen() != 0 || m.NbSegs() != 1 || m.Next() != nil ||
			m.Port() != PortInvalid || m.OlFlags() != 0 || m.PacketType() != 0 ||
			m.VLANTCI() != 0 || m.VLANTCIOuter() != 0 || m.TxOffload() != 0 ||
			m.Refcnt() != 1 || m.Headroom() != Headroom || !m.IsDirect() {
			t.Errorf("mbuf not reset: len %d pktlen %d segs %d port %d flags %s ptype %#x refcnt %d headroom %d",
				m.Len(), m.PktLen(), m.NbSegs(), m.Port(), FlagsString(m.OlFlags()), m.PacketType(), m.Refcnt(), m.Headroom())
		}
	}
}

// TestLimits: an operation past the headroom or tailroom, or removing more
// than there is, fails and changes nothing (mbuf_autotest's
// test_pktmbuf_with_non_ascii_data / test_one_pktmbuf).
func TestLimits(t *testing.T) {
	p := newPool(t, PoolConfig{N: 4})
	m := alloc(t, p)
	defer m.Free(lc)
	copy(m.Append(10), pattern(1, 10))
	want := pattern(1, 10)

	same := func(op string) {
		t.Helper()
		checkPkt(t, m, want)
		if m.Headroom() != Headroom || m.Tailroom() != DefaultDataRoom-10 {
			t.Fatalf("%s changed the mbuf: headroom %d tailroom %d", op, m.Headroom(), m.Tailroom())
		}
	}
	if m.Prepend(Headroom+1) != nil {
		t.Error("Prepend past the headroom succeeded")
	}
	same("Prepend")
	if m.Append(DefaultDataRoom-9) != nil {
		t.Error("Append past the tailroom succeeded")
	}
	same("Append")
	if m.Adj(11) {
		t.Error("Adj of more than Len succeeded")
	}
	same("Adj")
	if m.Trim(11) {
		t.Error("Trim of more than Len succeeded")
	}
	same("Trim")
	for _, n := range []int{-1, -1 << 40} {
		if m.Prepend(n) != nil || m.Append(n) != nil || m.Adj(n) || m.Trim(n) {
			t.Errorf("an operation of %d bytes succeeded", n)
		}
		same("negative")
	}
	if m.Read(0, make([]byte, 11)) != nil || m.Read(-1, make([]byte, 1)) != nil || m.Read(11, nil) != nil {
		t.Error("Read out of range succeeded")
	}
	if b := m.Read(10, nil); b == nil || len(b) != 0 {
		t.Error("Read of 0 bytes at the end failed")
	}

	// exactly up to the limits
	if b := m.Prepend(Headroom); len(b) != Headroom || m.Headroom() != 0 {
		t.Error("Prepend of the whole headroom failed")
	}
	if b := m.Append(m.Tailroom()); b == nil || m.Tailroom() != 0 || m.Len() != DefaultBufSize {
		t.Error("Append of the whole tailroom failed")
	}
	if !m.Adj(Headroom) || !m.Trim(DefaultDataRoom-10) {
		t.Error("Adj/Trim back failed")
	}
	same("round trip")
	if !m.Adj(10) || m.Len() != 0 || m.PktLen() != 0 {
		t.Error("Adj of everything failed")
	}
}

func TestDataIntegrity(t *testing.T) {
	p := newPool(t, PoolConfig{N: 4})
	m := alloc(t, p)
	defer m.Free(lc)
	payload := pattern(0x40, 1000)
	copy(m.Append(len(payload)), payload)
	hdr := pattern(0x10, 42)
	copy(m.Prepend(len(hdr)), hdr)
	want := append(slices.Clone(hdr), payload...)
	checkPkt(t, m, want)
	if !bytes.Equal(m.Data(), want) || cap(m.Data()) != len(want) {
		t.Fatal("Data differs or has capacity into the tailroom")
	}
	m.Data()[0] = 0xff // Data aliases the buffer
	if m.Read(0, make([]byte, 1))[0] != 0xff {
		t.Fatal("Data does not alias the buffer")
	}
	want[0] = 0xff
	if !m.Adj(42) || !m.Trim(500) {
		t.Fatal("Adj/Trim failed")
	}
	checkPkt(t, m, want[42:542])
	// Read of contiguous data aliases the mbuf
	r := m.Read(10, make([]byte, 20))
	if &r[0] != &m.Data()[10] {
		t.Error("contiguous Read copied")
	}
}

func TestChainAndRead(t *testing.T) {
	p := newPool(t, PoolConfig{N: 8, DataRoomSize: 512})
	a, b, c := pattern(0, 100), pattern(100, 200), pattern(50, 300)
	m := chainOf(t, p, a, b, c)
	defer func() { m.Free(lc) }()
	want := slices.Concat(a, b, c)
	checkPkt(t, m, want)
	if m.NbSegs() != 3 || m.Len() != 100 || m.IsContiguous() {
		t.Fatalf("NbSegs %d Len %d", m.NbSegs(), m.Len())
	}
	var segs []*Mbuf
	for s := range m.Segments() {
		segs = append(segs, s)
	}
	if len(segs) != 3 || m.LastSeg() != segs[2] || segs[1].Next() != segs[2] || segs[1].PktLen() != 200 {
		t.Fatal("segment walk wrong")
	}
	for off := 0; off <= len(want); off += 7 {
		for _, n := range []int{0, 1, 50, 99, 100, 101, 250, 600} {
			dst := make([]byte, n)
			got := m.Read(off, dst)
			if off+n > len(want) {
				if got != nil {
					t.Fatalf("Read(%d, %d) past the end succeeded", off, n)
				}
				continue
			}
			if !bytes.Equal(got, want[off:off+n]) {
				t.Fatalf("Read(%d, %d) = %x", off, n, got)
			}
		}
	}
	// Read inside the second segment aliases it; across segments it copies
	dst := make([]byte, 10)
	if got := m.Read(150, dst); &got[0] != &segs[1].Data()[50] {
		t.Error("Read inside one segment copied")
	}
	if got := m.Read(95, dst); &got[0] != &dst[0] {
		t.Error("Read across segments does not use dst")
	}
	short := make([]byte, 50)
	if n := m.CopyTo(short); n != 50 || !bytes.Equal(short, want[:50]) {
		t.Errorf("CopyTo short = %d", n)
	}

	// Append goes to the last segment, Prepend/Adj to the first, Trim to
	// the last
	copy(m.Append(5), "hello")
	want = append(want, "hello"...)
	copy(m.Prepend(3), "abc")
	want = append([]byte("abc"), want...)
	checkPkt(t, m, want)
	if segs[2].Len() != 305 || m.Len() != 103 {
		t.Errorf("seg lens %d %d", m.Len(), segs[2].Len())
	}
	if m.Trim(306) || m.Adj(104) {
		t.Error("Trim/Adj beyond one segment succeeded")
	}
	if !m.Trim(5) || !m.Adj(3) {
		t.Error("Trim/Adj failed")
	}
	want = want[3 : len(want)-5]
	checkPkt(t, m, want)

	// Linearize: room for 500 more bytes? data room 512 - headroom 128 - 100 = 284: no
	if err := m.Linearize(lc); !errors.Is(err, ErrNoTailroom) {
		t.Fatalf("Linearize without room: %v", err)
	}
	checkPkt(t, m, want)
	m.Trim(300) // last segment empty
	want = want[:300]
	if err := m.Linearize(lc); err != nil {
		t.Fatal(err)
	}
	checkPkt(t, m, want)
	if m.NbSegs() != 1 || m.Next() != nil || p.InUse() != 1 {
		t.Fatalf("after Linearize: segs %d, %d in use", m.NbSegs(), p.InUse())
	}
	if err := m.Linearize(lc); err != nil {
		t.Fatal(err)
	}
}

func TestChainLimit(t *testing.T) {
	p := newPool(t, PoolConfig{N: 4})
	a, b := withData(t, p, []byte{1}), withData(t, p, []byte{2})
	a.SetNbSegs(MaxSegs)
	if err := Chain(a, b); !errors.Is(err, ErrTooManySegs) {
		t.Fatalf("Chain beyond MaxSegs: %v", err)
	}
	if a.Next() != nil || a.PktLen() != 1 {
		t.Fatal("failed Chain changed the head")
	}
	a.SetNbSegs(MaxSegs - 1)
	if err := Chain(a, b); err != nil {
		t.Fatalf("Chain to exactly MaxSegs: %v", err)
	}
	a.SetNbSegs(2)
	checkPkt(t, a, []byte{1, 2})
	a.Free(lc)
}

func TestClone(t *testing.T) {
	p := newPool(t, PoolConfig{N: 4})
	ip := newPool(t, PoolConfig{Name: "indirect", N: 4, DataRoomSize: 64})
	for _, originalFirst := range []bool{true, false} {
		m := withData(t, p, pattern(3, 64))
		m.SetPort(5)
		m.SetRSSHash(0xabcd)
		m.SetOlFlags(RxRSSHash)
		m.Dynfield()[0] = 9
		if m.Refcnt() != 1 {
			t.Fatal("fresh refcnt not 1")
		}
		c := ip.Clone(m, lc)
		if c == nil {
			t.Fatal("Clone failed")
		}
		if m.Refcnt() != 2 || c.Refcnt() != 1 {
			t.Fatalf("refcnts after Clone: direct %d clone %d", m.Refcnt(), c.Refcnt())
		}
		if !c.IsIndirect() || c.IsDirect() || !m.IsDirect() || c.Direct() != m || m.Direct() != m {
			t.Fatal("clone is not an indirect mbuf of m")
		}
		if c.Port() != 5 || c.RSSHash() != 0xabcd || c.OlFlags() != RxRSSHash|IndirectMbuf || c.Dynfield()[0] != 9 {
			t.Errorf("header not copied: port %d flags %s", c.Port(), FlagsString(c.OlFlags()))
		}
		if c.PoolID() != ip.ID() || c.BufLen() != m.BufLen() {
			t.Error("clone pool or buf len wrong")
		}
		checkPkt(t, c, pattern(3, 64))
		m.Data()[0] = 0xee // shared data
		if c.Data()[0] != 0xee || &c.Data()[0] != &m.Data()[0] {
			t.Fatal("clone does not share the data")
		}
		if originalFirst {
			m.Free(lc)
			if c.Direct().Refcnt() != 1 || p.InUse() != 1 {
				t.Fatalf("after freeing the original: refcnt %d, %d in use", c.Direct().Refcnt(), p.InUse())
			}
			if c.Data()[0] != 0xee {
				t.Fatal("data lost")
			}
			c.Free(lc)
		} else {
			c.Free(lc)
			if m.Refcnt() != 1 || p.InUse() != 1 || ip.InUse() != 0 {
				t.Fatalf("after freeing the clone: refcnt %d", m.Refcnt())
			}
			m.Free(lc)
		}
		if p.InUse() != 0 || ip.InUse() != 0 {
			t.Fatalf("in use after freeing both: %d %d", p.InUse(), ip.InUse())
		}
	}
}

func TestCloneOfClone(t *testing.T) {
	p := newPool(t, PoolConfig{N: 4})
	m := withData(t, p, pattern(0, 10))
	c1 := p.Clone(m, lc)
	c2 := p.Clone(c1, lc) // attaches to m, not to c1
	if c2.Direct() != m || m.Refcnt() != 3 || c1.Refcnt() != 1 {
		t.Fatalf("clone of clone: direct %p (want %p), refcnt %d", c2.Direct(), m, m.Refcnt())
	}
	c1.Free(lc)
	m.Free(lc)
	checkPkt(t, c2, pattern(0, 10))
	c2.Free(lc)
}

func TestCloneChain(t *testing.T) {
	p := newPool(t, PoolConfig{N: 8, DataRoomSize: 256})
	ip := newPool(t, PoolConfig{Name: "indirect", N: 4, DataRoomSize: 8})
	parts := [][]byte{pattern(0, 50), pattern(50, 60), pattern(110, 70)}
	want := slices.Concat(parts...)
	for _, originalFirst := range []bool{true, false} {
		m := chainOf(t, p, parts...)
		c := ip.Clone(m, lc)
		if c == nil {
			t.Fatal("Clone of a chain failed")
		}
		checkPkt(t, c, want)
		if c.NbSegs() != 3 || ip.InUse() != 3 {
			t.Fatalf("clone has %d segments, %d in use", c.NbSegs(), ip.InUse())
		}
		for s, d := c, m; s != nil; s, d = s.Next(), d.Next() {
			if s.Direct() != d || d.Refcnt() != 2 {
				t.Fatalf("segment %p: direct %p refcnt %d", s, s.Direct(), d.Refcnt())
			}
		}
		first, second := m, c
		if !originalFirst {
			first, second = c, m
		}
		first.Free(lc)
		checkPkt(t, second, want)
		second.Free(lc)
	}
	// not enough indirect mbufs: nil, nothing held
	m := chainOf(t, p, pattern(0, 1), pattern(1, 1), pattern(2, 1), pattern(3, 1), pattern(4, 1))
	if c := ip.Clone(m, lc); c != nil {
		t.Fatal("Clone of 5 segments from a pool of 4 succeeded")
	}
	for s := m; s != nil; s = s.Next() {
		if s.Refcnt() != 1 {
			t.Fatal("failed Clone left a reference")
		}
	}
	if ip.InUse() != 0 {
		t.Fatal("failed Clone leaked indirect mbufs")
	}
	m.Free(lc)
}

func TestAttachDetach(t *testing.T) {
	p := newPool(t, PoolConfig{N: 4})
	m := withData(t, p, pattern(7, 30))
	m.Adj(5)
	mi := alloc(t, p)
	Attach(mi, m)
	if !mi.IsIndirect() || mi.Direct() != m || m.Refcnt() != 2 || mi.Headroom() != m.Headroom() {
		t.Fatal("Attach")
	}
	checkPkt(t, mi, pattern(12, 25))
	// the owner frees its mbuf: the buffer stays while mi holds it
	m.Free(lc)
	if p.InUse() != 2 || m.Refcnt() != 1 {
		t.Fatalf("%d in use, direct refcnt %d", p.InUse(), m.Refcnt())
	}
	mi.Detach(lc) // last reference: the direct mbuf goes back
	if p.InUse() != 1 {
		t.Fatalf("%d in use after Detach", p.InUse())
	}
	if !mi.IsDirect() || mi.Len() != 0 || mi.Headroom() != Headroom || mi.Tailroom() != DefaultDataRoom || mi.OlFlags() != 0 {
		t.Fatal("detached mbuf not back to its own buffer")
	}
	if err := mi.Check(false); err != nil {
		t.Fatal(err)
	}
	mi.Detach(lc) // direct: nothing
	copy(mi.Append(3), "abc")
	checkPkt(t, mi, []byte("abc"))
	mi.Free(lc)
}

func TestRefcntUpdate(t *testing.T) {
	p := newPool(t, PoolConfig{N: 2})
	m := alloc(t, p)
	if m.RefcntUpdate(1) != 2 || m.RefcntUpdate(3) != 5 || m.RefcntUpdate(-4) != 1 {
		t.Fatal("RefcntUpdate")
	}
	m.SetRefcnt(3)
	if m.Refcnt() != 3 {
		t.Fatal("SetRefcnt")
	}
	m.Free(lc) // 3 -> 2, stays
	m.Free(lc) // 2 -> 1
	if p.InUse() != 1 {
		t.Fatal("freed while referenced")
	}
	m.Free(lc)
}

func TestFreeBulkMixedPools(t *testing.T) {
	p1 := newPool(t, PoolConfig{Name: "a", N: 200, CacheSize: 32})
	p2 := newPool(t, PoolConfig{Name: "b", N: 200, DataRoomSize: 256})
	var ms []*Mbuf
	for i := range 150 {
		switch i % 5 {
		case 0:
			ms = append(ms, alloc(t, p1))
		case 1:
			ms = append(ms, alloc(t, p2))
		case 2: // a chain across both pools
			m := withData(t, p1, []byte{1})
			Chain(m, withData(t, p2, []byte{2}))
			Chain(m, withData(t, p1, []byte{3}))
			ms = append(ms, m)
		case 3: // FreeBulk skips nil entries
			ms = append(ms, nil)
		case 4: // a clone (in p2) whose direct mbuf (in p1) it frees
			m := withData(t, p1, []byte{4})
			c := p2.Clone(m, lc)
			m.Free(lc)
			ms = append(ms, c)
		}
	}
	FreeBulk(lc, ms)
	if p1.InUse() != 0 || p2.InUse() != 0 {
		t.Fatalf("in use after FreeBulk: %d %d", p1.InUse(), p2.InUse())
	}
	FreeBulk(lc, nil)
}

func TestTxOffload(t *testing.T) {
	p := newPool(t, PoolConfig{N: 2})
	m := alloc(t, p)
	defer m.Free(lc)
	m.SetTxLens(14, 20, 20, 1460, 40, 14)
	// DPDK's bit fields: l2 7 bits at 0, l3 9 at 7, l4 8 at 16, tso 16 at
	// 24, outer l3 9 at 40, outer l2 7 at 49
	want := uint64(14) | 20<<7 | 20<<16 | 1460<<24 | 40<<40 | 14<<49
	if m.TxOffload() != want {
		t.Fatalf("tx_offload %#x, want %#x", m.TxOffload(), want)
	}
	if m.L2Len() != 14 || m.L3Len() != 20 || m.L4Len() != 20 || m.TSOSegsz() != 1460 || m.OuterL3Len() != 40 || m.OuterL2Len() != 14 {
		t.Fatal("getters")
	}
	m.SetL3Len(511)
	m.SetL2Len(200) // truncated to 7 bits
	if m.L3Len() != 511 || m.L2Len() != 200&127 || m.L4Len() != 20 || m.OuterL2Len() != 14 {
		t.Fatal("setters disturb other fields")
	}
	m.SetL4Len(60)
	m.SetTSOSegsz(9000)
	m.SetOuterL3Len(60)
	m.SetOuterL2Len(18)
	if m.L4Len() != 60 || m.TSOSegsz() != 9000 || m.OuterL3Len() != 60 || m.OuterL2Len() != 18 || m.L3Len() != 511 {
		t.Fatal("setters")
	}
}

func TestAccessors(t *testing.T) {
	p := newPool(t, PoolConfig{N: 2})
	m := alloc(t, p)
	defer m.Free(lc)
	m.SetFDIRID(77)
	m.SetTimestamp(1234)
	m.SetTimesync(2)
	m.SetUserData(99)
	m.SetOlFlags(RxVLAN | IndirectMbuf) // the attachment flags are not settable
	m.AddOlFlags(RxQinQ)
	m.ClearOlFlags(RxVLAN | ExtBufMbuf)
	if m.FDIRID() != 77 || m.Timestamp() != 1234 || m.Timesync() != 2 || m.UserData() != 99 || m.OlFlags() != RxQinQ {
		t.Fatal("accessors")
	}
	m.Append(10)
	if m.SetHeadroom(DefaultBufSize-9) || !m.SetHeadroom(0) || m.Headroom() != 0 || m.Len() != 10 {
		t.Fatal("SetHeadroom")
	}
	m.ResetHeadroom()
	if m.Headroom() != Headroom {
		t.Fatal("ResetHeadroom")
	}
}
