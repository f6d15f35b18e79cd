package pcapfile

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

func TestWriterHeader(t *testing.T) {
	var b bytes.Buffer
	w, err := NewWriter(&b, WriterOptions{SnapLen: 9000})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := []byte{0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x28, 0x23, 0, 0, 1, 0, 0, 0}
	if !bytes.Equal(b.Bytes(), want) {
		t.Fatalf("header % x\nwant   % x", b.Bytes(), want)
	}
	for _, snap := range []int{-1, MaxSnapLen + 1} {
		if _, err := NewWriter(&b, WriterOptions{SnapLen: snap}); err == nil {
			t.Errorf("snaplen %d accepted", snap)
		}
	}
}

// TestWriterRoundTrip writes packets of every size class, whole, in parts
// and cut by the snaplen, with timestamps on both sides of the epoch, and
// reads them back (the reader is checked against independent builders).
func TestWriterRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, snap := range []int{0, 100, MaxSnapLen} {
		var b bytes.Buffer
		w, err := NewWriter(&b, WriterOptions{SnapLen: snap, LinkType: LinkTypeRaw})
		if err != nil {
			t.Fatal(err)
		}
		eff := snap
		if eff == 0 {
			eff = DefaultSnapLen
		}
		var want []testPkt
		for i, n := range []int{0, 1, 60, 1514, 9000, 70000, 200000, 64, 65} {
			d := make([]byte, n)
			for j := range d {
				d[j] = byte(rng.Uint32())
			}
			ts := int64(1_700_000_000_999_999_999) + int64(i)*1_000_000_007
			if i == 7 {
				ts = -1_500_000_001 // 1969: seconds round down
			}
			if i%2 == 0 {
				err = w.WritePacket(ts, d)
			} else {
				var parts [][]byte
				for rest := d; len(rest) > 0; {
					k := min(len(rest), 1+rng.IntN(3000))
					parts = append(parts, rest[:k])
					rest = rest[k:]
				}
				err = w.WriteRecord(ts, n, parts)
			}
			if err != nil {
				t.Fatal(err)
			}
			c := min(n, eff)
			want = append(want, testPkt{ts: ts, data: d[:c], origLen: n, link: LinkTypeRaw})
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := w.WritePacket(0, nil); !errors.Is(err, ErrClosed) {
			t.Fatalf("write after close: %v", err)
		}
		r, err := NewReader(&b)
		if err != nil {
			t.Fatal(err)
		}
		if !r.NanoResolution() || r.SnapLen() != eff || r.LinkType() != LinkTypeRaw {
			t.Fatalf("nanos %v snaplen %d link %v", r.NanoResolution(), r.SnapLen(), r.LinkType())
		}
		got, err := readAll(t, r)
		if err != io.EOF {
			t.Fatal(err)
		}
		// pcap seconds are unsigned 32-bit: 1969 (-2 s + 499999999 ns)
		// comes back as 2106.
		if w7 := int64(1<<32-2)*1e9 + 499_999_999; got[7].ts != w7 {
			t.Fatalf("1969 timestamp read back as %d, want %d", got[7].ts, w7)
		}
		got[7].ts = want[7].ts
		comparePkts(t, got, want)
	}
}

type failWriter struct{ after int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.after -= len(p); f.after < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWriterError(t *testing.T) {
	w, err := NewWriter(&failWriter{after: 100 << 10}, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var first error
	for i := 0; i < 200 && first == nil; i++ {
		first = w.WritePacket(0, make([]byte, 1500))
	}
	if first == nil {
		first = w.Flush()
	}
	if first == nil || !bytes.Contains([]byte(first.Error()), []byte("disk full")) {
		t.Fatalf("error %v", first)
	}
	if err := w.WritePacket(0, nil); err != first {
		t.Fatalf("not sticky: %v", err)
	}
}

func TestWriterNoAllocs(t *testing.T) {
	w, _ := NewWriter(io.Discard, WriterOptions{})
	d := make([]byte, 1500)
	parts := [][]byte{d[:100], d[100:]}
	if a := testing.AllocsPerRun(1000, func() {
		_ = w.WritePacket(1, d)
		_ = w.WriteRecord(2, 1500, parts)
	}); a != 0 {
		t.Fatalf("%v allocs per packet", a)
	}
}

func BenchmarkWrite(b *testing.B) {
	w, _ := NewWriter(io.Discard, WriterOptions{})
	d := make([]byte, 1000)
	b.SetBytes(int64(len(d)))
	b.ReportAllocs()
	for b.Loop() {
		_ = w.WritePacket(1, d)
	}
}
