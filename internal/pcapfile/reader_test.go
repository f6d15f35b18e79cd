package pcapfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"runtime"
	"testing"
)

var orders = []struct {
	name  string
	order binary.AppendByteOrder
}{{"le", binary.LittleEndian}, {"be", binary.BigEndian}}

// readAll reads every packet of r with Next, copying the bytes.
func readAll(t testing.TB, r *Reader) ([]testPkt, error) {
	t.Helper()
	var got []testPkt
	for {
		data, info, err := r.Next()
		if err != nil {
			return got, err
		}
		if len(data) != info.CapLen {
			t.Fatalf("packet %d: %d bytes, CapLen %d", len(got), len(data), info.CapLen)
		}
		got = append(got, testPkt{ts: info.Timestamp, data: bytes.Clone(data), origLen: info.OrigLen,
			iface: info.Interface, link: info.LinkType})
	}
}

func comparePkts(t testing.TB, got, want []testPkt) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d packets, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ts != w.ts || !bytes.Equal(g.data, w.data) || g.origLen != w.origLen || g.iface != w.iface || g.link != w.link {
			t.Fatalf("packet %d: got ts %d len %d orig %d iface %d link %d, want ts %d len %d orig %d iface %d link %d (bytes equal %v)",
				i, g.ts, len(g.data), g.origLen, g.iface, g.link, w.ts, len(w.data), w.origLen, w.iface, w.link, bytes.Equal(g.data, w.data))
		}
	}
}

func TestPcapByteOrdersAndResolutions(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, o := range orders {
		for _, nanos := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/nanos=%v", o.name, nanos), func(t *testing.T) {
				pk := randPkts(rng, 50, 1600)
				pk[3].origLen = len(pk[3].data) + 1000 // cut by the capture
				pk[4].data = pk[4].data[:0]
				pk[4].origLen = 0
				file := buildPcap(o.order, nanos, 1600, LinkTypeRaw, pk)
				r, err := NewReader(bytes.NewReader(file))
				if err != nil {
					t.Fatal(err)
				}
				if r.Format() != FormatPcap || r.LinkType() != LinkTypeRaw || r.SnapLen() != 1600 || r.NanoResolution() != nanos {
					t.Fatalf("format %v link %d snaplen %d nanos %v", r.Format(), r.LinkType(), r.SnapLen(), r.NanoResolution())
				}
				want := make([]testPkt, len(pk))
				for i, p := range pk {
					p.link = LinkTypeRaw
					if !nanos {
						p.ts -= p.ts % 1000
					}
					want[i] = p
				}
				got, err := readAll(t, r)
				if err != io.EOF {
					t.Fatalf("end: %v, want io.EOF", err)
				}
				comparePkts(t, got, want)
				if r.Offset() != int64(len(file)) {
					t.Fatalf("offset %d at the end of %d bytes", r.Offset(), len(file))
				}
			})
		}
	}
}

// nsOf computes ts in units of 10^-d (or 2^-b when binary) seconds as
// nanoseconds with big integers: the reference for the reader's
// arithmetic (floor).
func nsOf(ts uint64, resol byte, offset int64) int64 {
	v := new(big.Int).SetUint64(ts)
	v.Mul(v, big.NewInt(1e9))
	var unit *big.Int
	if resol&0x80 != 0 {
		unit = new(big.Int).Lsh(big.NewInt(1), uint(resol&0x7f))
	} else {
		unit = new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(resol)), nil)
	}
	v.Quo(v, unit)
	return v.Int64() + offset*1e9
}

func TestPcapNG(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var g ngBuilder
	var want []testPkt
	// Section 1, little-endian: three interfaces (default µs; ns; 2^-20 s
	// with an offset), packets of every kind, unknown blocks between them.
	g.shb(binary.LittleEndian)
	g.idb(LinkTypeEthernet, 0, -1, 0)
	g.idb(LinkTypeEthernet, 96, 9, 0)
	g.idb(LinkTypeRaw, 0, 0x80|20, 1000)
	g.block(0x0bad, []byte("unknown, skipped"))
	type resol struct {
		r   byte
		off int64
	}
	res := []resol{{6, 0}, {9, 0}, {0x80 | 20, 1000}}
	links := []LinkType{LinkTypeEthernet, LinkTypeEthernet, LinkTypeRaw}
	for i, p := range randPkts(rng, 30, 300) {
		id := i % 3
		ts := uint64(p.ts / 1000)
		if id == 1 {
			ts = uint64(p.ts)
		} else if id == 2 {
			ts = uint64(p.ts/1e9)<<20 | rng.Uint64N(1<<20)
		}
		orig := len(p.data) + i%2*7
		switch {
		case i%5 == 4:
			g.opb(uint16(id), ts, p.data, orig)
		default:
			g.epb(uint32(id), ts, p.data, orig, i%2 == 0)
		}
		want = append(want, testPkt{ts: nsOf(ts, res[id].r, res[id].off), data: p.data, origLen: orig, iface: id, link: links[id]})
		if i == 10 {
			g.block(5, make([]byte, 20))   // an Interface Statistics Block
			g.block(4, []byte{0, 0, 0, 0}) // a Name Resolution Block
		}
	}
	// Section 2, big-endian, one interface with snaplen 64: SPBs are cut
	// to min(original length, snaplen), EPBs for an interface id of the
	// new section.
	g.shb(binary.BigEndian)
	g.idb(LinkTypeLinuxSLL, 64, 3, -5)
	for i, p := range randPkts(rng, 10, 200) {
		if i%2 == 0 {
			d := p.data[:min(len(p.data), 64)]
			g.spb(d, len(p.data))
			want = append(want, testPkt{ts: 0, data: d, origLen: len(p.data), link: LinkTypeLinuxSLL})
		} else {
			ts := uint64(p.ts / 1e6)
			g.epb(0, ts, p.data, len(p.data), true)
			want = append(want, testPkt{ts: nsOf(ts, 3, -5), data: p.data, origLen: len(p.data), link: LinkTypeLinuxSLL})
		}
	}
	r, err := NewReader(bytes.NewReader(g.b))
	if err != nil {
		t.Fatal(err)
	}
	if r.Format() != FormatPcapNG || r.LinkType() != LinkTypeEthernet {
		t.Fatalf("format %v link %v", r.Format(), r.LinkType())
	}
	got, err := readAll(t, r)
	if err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	comparePkts(t, got, want)
	if r.LinkType() != LinkTypeLinuxSLL || r.SnapLen() != 64 {
		t.Fatalf("second section: link %v snaplen %d", r.LinkType(), r.SnapLen())
	}
}

// TestTruncatedEverywhere cuts files at every length: the reader must
// deliver exactly the packets that fit whole, then io.EOF when the cut
// falls between records and ErrTruncated naming the first cut record's
// offset otherwise.
func TestTruncatedEverywhere(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	pk := randPkts(rng, 6, 100)
	type file struct {
		name   string
		b      []byte
		header int     // bytes before the first record
		ends   []int64 // end offset of each record
		meta   int     // end of the metadata blocks after the header
	}
	var files []file
	for _, o := range orders {
		b := buildPcap(o.order, true, 65535, LinkTypeEthernet, pk)
		f := file{name: "pcap-" + o.name, b: b, header: 24}
		off := int64(24)
		for _, p := range pk {
			off += 16 + int64(len(p.data))
			f.ends = append(f.ends, off)
		}
		files = append(files, f)

		var g ngBuilder
		g.shb(o.order)
		shbEnd := len(g.b)
		g.idb(LinkTypeEthernet, 0, 9, 0)
		f = file{name: "pcapng-" + o.name, header: shbEnd, meta: len(g.b)}
		for i, p := range pk {
			g.epb(0, uint64(p.ts), p.data, len(p.data), i%2 == 1)
			f.ends = append(f.ends, int64(len(g.b)))
		}
		f.b = g.b
		files = append(files, f)
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			for cut := 0; cut <= len(f.b); cut++ {
				r, err := NewReader(bytes.NewReader(f.b[:cut]))
				if cut < f.header {
					if !errors.Is(err, ErrTruncated) {
						t.Fatalf("cut %d in the header: %v", cut, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("cut %d: NewReader: %v", cut, err)
				}
				got, err := readAll(t, r)
				whole := 0
				for whole < len(f.ends) && f.ends[whole] <= int64(cut) {
					whole++
				}
				if len(got) != whole {
					t.Fatalf("cut %d: %d packets, want %d (then %v)", cut, len(got), whole, err)
				}
				if cut == f.header || cut == f.meta || whole > 0 && f.ends[whole-1] == int64(cut) {
					if err != io.EOF {
						t.Fatalf("cut %d at a record boundary: %v", cut, err)
					}
					continue
				}
				var fe *FormatError
				if !errors.As(err, &fe) || !errors.Is(err, ErrTruncated) {
					t.Fatalf("cut %d: %v, want ErrTruncated", cut, err)
				}
				wantOff := int64(f.header) // the first record, or pcapng's IDB
				if f.meta > 0 && cut > f.meta {
					wantOff = int64(f.meta)
				}
				if whole > 0 {
					wantOff = f.ends[whole-1]
				}
				if fe.Offset != wantOff {
					t.Fatalf("cut %d: error at offset %d, want %d: %v", cut, fe.Offset, wantOff, err)
				}
				if _, _, err2 := r.Next(); err2 != err {
					t.Fatalf("cut %d: error not sticky: %v then %v", cut, err, err2)
				}
			}
		})
	}
}

// TestCorrupt feeds malformed files: each gives a FormatError of the right
// kind at the right offset, after the good packets, and none makes the
// reader allocate for a huge length field.
func TestCorrupt(t *testing.T) {
	data := bytes.Repeat([]byte{0xab}, 60)
	good := buildPcap(binary.LittleEndian, true, 65535, LinkTypeEthernet, []testPkt{{ts: 5, data: data, origLen: 60}})
	rec := func(caplen uint32) []byte {
		b := binary.LittleEndian.AppendUint64(nil, 0)
		b = binary.LittleEndian.AppendUint32(b, caplen)
		return binary.LittleEndian.AppendUint32(b, caplen)
	}
	ng := func(build func(g *ngBuilder)) []byte {
		var g ngBuilder
		g.shb(binary.LittleEndian)
		g.idb(LinkTypeEthernet, 0, -1, 0)
		g.epb(0, 1, data, 60, false)
		build(&g)
		return g.b
	}
	var base ngBuilder
	base.shb(binary.LittleEndian)
	base.idb(LinkTypeEthernet, 0, -1, 0)
	goodNGEnd := int64(len(base.b) + 12 + 20 + 60)

	raw := func(g *ngBuilder, typ, total uint32, body []byte) {
		g.b = binary.LittleEndian.AppendUint32(g.b, typ)
		g.b = binary.LittleEndian.AppendUint32(g.b, total)
		g.b = append(g.b, body...)
	}
	cases := []struct {
		name    string
		file    []byte
		kind    error
		offset  int64
		packets int
	}{
		{"pcap huge caplen", append(bytes.Clone(good), rec(0xfffffff0)...), ErrCorrupt, int64(len(good)), 1},
		{"pcap caplen past snap max", append(bytes.Clone(good), rec(MaxSnapLen+1)...), ErrCorrupt, int64(len(good)), 1},
		{"pcap caplen beyond the file", append(bytes.Clone(good), rec(MaxSnapLen)...), ErrTruncated, int64(len(good)), 1},
		{"bad magic", []byte("GIF89a............................"), ErrUnsupported, 0, 0},
		{"pcap version 3", func() []byte { b := bytes.Clone(good); b[4] = 3; return b }(), ErrUnsupported, 4, 0},
		{"pcapng huge block", ng(func(g *ngBuilder) { raw(g, blockEPB, 0xfffffff0, make([]byte, 40)) }), ErrCorrupt, goodNGEnd, 1},
		{"pcapng huge unknown block", ng(func(g *ngBuilder) { raw(g, 0x99, 0xfffffff0, make([]byte, 40)) }), ErrTruncated, goodNGEnd, 1},
		{"pcapng huge IDB", ng(func(g *ngBuilder) { raw(g, blockIDB, 0xfffffff0, make([]byte, 40)) }), ErrCorrupt, goodNGEnd, 1},
		{"pcapng block length 8", ng(func(g *ngBuilder) { raw(g, 0x99, 8, make([]byte, 40)) }), ErrCorrupt, goodNGEnd, 1},
		{"pcapng block length not /4", ng(func(g *ngBuilder) { raw(g, 0x99, 13, make([]byte, 40)) }), ErrCorrupt, goodNGEnd, 1},
		{"pcapng trailing length", ng(func(g *ngBuilder) {
			g.epb(0, 1, data, 60, false)
			g.b[len(g.b)-1] = 1
		}), ErrCorrupt, goodNGEnd, 1},
		{"pcapng caplen beyond block", ng(func(g *ngBuilder) {
			g.epb(0, 1, data, 60, false)
			binary.LittleEndian.PutUint32(g.b[goodNGEnd+20:], 61)
		}), ErrCorrupt, goodNGEnd, 1},
		{"pcapng unknown interface", ng(func(g *ngBuilder) { g.epb(1, 1, data, 60, false) }), ErrCorrupt, goodNGEnd, 1},
		{"pcapng SPB without interface", func() []byte {
			var g ngBuilder
			g.shb(binary.BigEndian)
			g.spb(data, 60)
			return g.b
		}(), ErrCorrupt, 48, 0},
		{"pcapng option overrun", ng(func(g *ngBuilder) {
			body := binary.LittleEndian.AppendUint32(make([]byte, 8), 0x00ff0009) // if_tsresol of 255 bytes
			g.block(blockIDB, body)
		}), ErrCorrupt, goodNGEnd, 1},
		{"pcapng tsresol 10^-20", ng(func(g *ngBuilder) { g.idb(LinkTypeEthernet, 0, 20, 0) }), ErrUnsupported, goodNGEnd, 1},
		{"pcapng version 2", ng(func(g *ngBuilder) {
			s := len(g.b)
			g.shb(binary.LittleEndian)
			g.b[s+12] = 2
		}), ErrUnsupported, goodNGEnd, 1},
		{"pcapng bad byte-order magic", ng(func(g *ngBuilder) {
			s := len(g.b)
			g.shb(binary.LittleEndian)
			g.b[s+8] = 0
		}), ErrCorrupt, goodNGEnd, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			before := ms.TotalAlloc
			r, err := NewReader(bytes.NewReader(c.file))
			var got []testPkt
			if err == nil {
				got, err = readAll(t, r)
			}
			runtime.ReadMemStats(&ms)
			if a := ms.TotalAlloc - before; a > 1<<20 {
				t.Errorf("allocated %d bytes", a)
			}
			var fe *FormatError
			if !errors.Is(err, c.kind) || !errors.As(err, &fe) {
				t.Fatalf("error %v, want %v", err, c.kind)
			}
			if fe.Offset != c.offset || len(got) != c.packets {
				t.Fatalf("%d packets, then error at offset %d (%v); want %d packets, offset %d", len(got), fe.Offset, err, c.packets, c.offset)
			}
			t.Logf("%v", err)
		})
	}
}

func TestReadPacketShortBuffer(t *testing.T) {
	pk := randPkts(rand.New(rand.NewPCG(7, 8)), 3, 500)
	for _, file := range [][]byte{buildPcap(binary.BigEndian, false, 0, 1, pk), func() []byte {
		var g ngBuilder
		g.shb(binary.LittleEndian)
		g.idb(1, 0, 9, 0)
		for _, p := range pk {
			g.epb(0, uint64(p.ts), p.data, len(p.data), true)
		}
		return g.b
	}()} {
		r, err := NewReader(bytes.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range pk {
			small := make([]byte, len(p.data)-1)
			info, err := r.ReadPacket(small)
			if !errors.Is(err, ErrShortBuffer) || info.CapLen != len(p.data) {
				t.Fatalf("packet %d into %d bytes: %v, caplen %d", i, len(small), err, info.CapLen)
			}
			buf := make([]byte, 2000)
			info, err = r.ReadPacket(buf)
			if err != nil || !bytes.Equal(buf[:info.CapLen], p.data) {
				t.Fatalf("packet %d: %v", i, err)
			}
		}
		if _, err := r.ReadPacket(make([]byte, 10)); err != io.EOF {
			t.Fatalf("end: %v", err)
		}
	}
}

// loopReader replays a file forever for allocation and speed tests.
type loopReader struct {
	r    *Reader
	src  *bytes.Reader
	file []byte
}

func newLoop(t testing.TB, file []byte) *loopReader {
	l := &loopReader{src: bytes.NewReader(file), file: file}
	r, err := NewReader(l.src)
	if err != nil {
		t.Fatal(err)
	}
	l.r = r
	return l
}

func (l *loopReader) next(t testing.TB, buf []byte) int {
	info, err := l.r.ReadPacket(buf)
	if err == io.EOF {
		l.src.Reset(l.file)
		if err := l.r.Reset(l.src); err != nil {
			t.Fatal(err)
		}
		info, err = l.r.ReadPacket(buf)
	}
	if err != nil {
		t.Fatal(err)
	}
	return info.CapLen
}

func benchFiles() map[string][]byte {
	pk := randPkts(rand.New(rand.NewPCG(9, 10)), 1000, 1500)
	var g ngBuilder
	g.shb(binary.LittleEndian)
	g.idb(1, 0, 9, 0)
	for _, p := range pk {
		g.epb(0, uint64(p.ts), p.data, len(p.data), false)
	}
	return map[string][]byte{"pcap": buildPcap(binary.LittleEndian, true, 65535, 1, pk), "pcapng": g.b}
}

func TestNoAllocs(t *testing.T) {
	for name, file := range benchFiles() {
		l := newLoop(t, file)
		buf := make([]byte, 2048)
		for range 3000 { // grow, wrap around, reset
			l.next(t, buf)
		}
		if a := testing.AllocsPerRun(5000, func() { l.next(t, buf) }); a != 0 {
			t.Errorf("%s: ReadPacket: %v allocs per packet", name, a)
		}
		if a := testing.AllocsPerRun(5000, func() {
			if _, _, err := l.r.Next(); err == io.EOF {
				l.src.Reset(l.file)
				_ = l.r.Reset(l.src)
			}
		}); a != 0 {
			t.Errorf("%s: Next: %v allocs per packet", name, a)
		}
	}
}

func BenchmarkRead(b *testing.B) {
	for _, name := range []string{"pcap", "pcapng"} {
		file := benchFiles()[name]
		b.Run(name, func(b *testing.B) {
			l := newLoop(b, file)
			buf := make([]byte, 2048)
			var bytes int64
			b.ReportAllocs()
			for b.Loop() {
				bytes += int64(l.next(b, buf))
			}
			b.SetBytes(bytes / int64(b.N))
		})
	}
}

// TestFollow: after io.EOF, records appended to the file are read.
func TestFollow(t *testing.T) {
	pk := randPkts(rand.New(rand.NewPCG(15, 16)), 4, 200)
	file := buildPcap(binary.LittleEndian, true, 0, 1, pk)
	var b bytes.Buffer
	b.Write(file[:24+16+len(pk[0].data)])
	r, err := NewReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, r)
	if err != io.EOF || len(got) != 1 {
		t.Fatalf("%d packets, %v", len(got), err)
	}
	b.Write(file[24+16+len(pk[0].data):])
	more, err := readAll(t, r)
	if err != io.EOF {
		t.Fatal(err)
	}
	comparePkts(t, append(got, more...), pk)
}
