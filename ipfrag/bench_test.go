package ipfrag

import (
	"testing"

	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/mbuf"
)

// fragReasm fragments m to mtu, puts an Ethernet header on each fragment,
// and reassembles them in the table; it returns the datagram.
func fragReasm(tb *Table, dr *DeathRow, m *mbuf.Mbuf, out []*mbuf.Mbuf, mtu int, v6 bool, p pools) *mbuf.Mbuf {
	var n int
	var err error
	if v6 {
		n, err = FragmentIPv6(m, out, mtu, 1, p.direct, p.indirect, lc)
	} else {
		n, err = FragmentIPv4(m, out, mtu, p.direct, p.indirect, lc)
	}
	if err != nil {
		panic(err)
	}
	var d *mbuf.Mbuf
	for _, f := range out[:n] {
		copy(f.Prepend(ethLen), ethHdr)
		if v6 {
			d = tb.ReassembleIPv6(dr, f, 0, ethLen)
		} else {
			d = tb.ReassembleIPv4(dr, f, 0, ethLen)
		}
	}
	return d
}

func TestNoAllocs(t *testing.T) {
	p := newPools(t)
	tb := newTable(t, Config{MaxFragments: 16})
	dr := NewDeathRow(32, lc)
	var out [16]*mbuf.Mbuf
	for _, v6 := range []bool{false, true} {
		orig := udp4(1, nil, 9000)
		if v6 {
			orig = udp6(nil, 9000)
		}
		m := mbuftest.Packet(t, p.big, orig, 0)
		a := testing.AllocsPerRun(100, func() {
			d := fragReasm(tb, dr, m, out[:], 1500, v6, p)
			if d == nil {
				t.Fatal("not reassembled")
			}
			d.Free(lc)
			dr.FreeAll()
		})
		if a != 0 {
			t.Fatalf("v6 %v: %.1f allocs per fragment + reassemble", v6, a)
		}
		m.Free(lc)
	}
}

func benchFragment(b *testing.B, v6 bool, size, mtu int) {
	p := newPools(b)
	orig := udp4(1, nil, size)
	if v6 {
		orig = udp6(nil, size)
	}
	m := mbuftest.Packet(b, p.big, orig, 0)
	defer m.Free(lc)
	var out [64]*mbuf.Mbuf
	b.ReportAllocs()
	nf := 0
	for b.Loop() {
		var n int
		var err error
		if v6 {
			n, err = FragmentIPv6(m, out[:], mtu, 1, p.direct, p.indirect, lc)
		} else {
			n, err = FragmentIPv4(m, out[:], mtu, p.direct, p.indirect, lc)
		}
		if err != nil {
			b.Fatal(err)
		}
		mbuf.FreeBulk(lc, out[:n])
		nf = n
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(nf), "ns/fragment")
}

func BenchmarkFragmentIPv4(b *testing.B) { benchFragment(b, false, 9000, 1500) }
func BenchmarkFragmentIPv6(b *testing.B) { benchFragment(b, true, 9000, 1500) }

func benchFragReasm(b *testing.B, v6 bool, size, mtu int) {
	p := newPools(b)
	tb := newTable(b, Config{MaxFragments: 16})
	dr := NewDeathRow(32, lc)
	orig := udp4(1, nil, size)
	if v6 {
		orig = udp6(nil, size)
	}
	m := mbuftest.Packet(b, p.big, orig, 0)
	defer m.Free(lc)
	var out [64]*mbuf.Mbuf
	b.ReportAllocs()
	for b.Loop() {
		d := fragReasm(tb, dr, m, out[:], mtu, v6, p)
		if d == nil {
			b.Fatal("not reassembled")
		}
		d.Free(lc)
		dr.FreeAll()
	}
}

// BenchmarkFragReassembleIPv4 is fragmentation plus reassembly: subtract
// BenchmarkFragmentIPv4 for the reassembly alone.
func BenchmarkFragReassembleIPv4(b *testing.B) { benchFragReasm(b, false, 9000, 1500) }
func BenchmarkFragReassembleIPv6(b *testing.B) { benchFragReasm(b, true, 9000, 1500) }

// BenchmarkReassembleIPv4 reassembles the 7 fragments of a 9028-byte
// datagram, copied each round into fresh one-segment mbufs (the copy is
// BenchmarkCopyFragments alone).
func BenchmarkReassembleIPv4(b *testing.B) { benchReassemble(b, true) }

// BenchmarkCopyFragments is the copying part of BenchmarkReassembleIPv4.
func BenchmarkCopyFragments(b *testing.B) { benchReassemble(b, false) }

func benchReassemble(b *testing.B, reassemble bool) {
	p := newPools(b)
	tb := newTable(b, Config{MaxFragments: 16})
	dr := NewDeathRow(32, lc)
	m := mbuftest.Packet(b, p.big, udp4(1, nil, 9000), 0)
	var out [16]*mbuf.Mbuf
	n, err := FragmentIPv4(m, out[:], 1500, p.direct, p.indirect, lc)
	m.Free(lc)
	if err != nil {
		b.Fatal(err)
	}
	frames := make([][]byte, n)
	for i, f := range out[:n] {
		frames[i] = append(append([]byte{}, ethHdr...), mbuftest.Bytes(f)...)
		f.Free(lc)
	}
	ms := make([]*mbuf.Mbuf, n)
	b.ReportAllocs()
	for b.Loop() {
		if !p.direct.AllocBulk(lc, ms) {
			b.Fatal("pool empty")
		}
		for i, f := range ms {
			copy(f.Append(len(frames[i])), frames[i])
		}
		if !reassemble {
			mbuf.FreeBulk(lc, ms)
			continue
		}
		var d *mbuf.Mbuf
		for _, f := range ms {
			d = tb.ReassembleIPv4(dr, f, 0, ethLen)
		}
		if d == nil {
			b.Fatal("not reassembled")
		}
		d.Free(lc)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/fragment")
}
