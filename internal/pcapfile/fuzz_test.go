package pcapfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"
)

func FuzzReadPcap(f *testing.F)   { fuzzRead(f) }
func FuzzReadPcapNG(f *testing.F) { fuzzRead(f) }

// fuzzRead reads the input twice, with Next over the whole input at once
// and with ReadPacket over one byte per read call, and wants the same
// packets and errors from both, within the bounds promised.
func fuzzRead(f *testing.F) {
	f.Fuzz(func(t *testing.T, file []byte) {
		r1, err1 := NewReader(bytes.NewReader(file))
		r2, err2 := NewReader(iotest.OneByteReader(bytes.NewReader(file)))
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("NewReader: %v vs %v", err1, err2)
		}
		if err1 != nil {
			checkErr(t, err1, len(file))
			return
		}
		buf := make([]byte, MaxSnapLen)
		last := r1.Offset()
		for i := 0; ; i++ {
			data, info, err := r1.Next()
			info2, err2 := r2.ReadPacket(buf)
			if (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
				t.Fatalf("packet %d: errors %v vs %v", i, err, err2)
			}
			if err != nil {
				checkErr(t, err, len(file))
				return
			}
			if info != info2 || !bytes.Equal(data, buf[:info2.CapLen]) {
				t.Fatalf("packet %d: %+v vs %+v", i, info, info2)
			}
			if len(data) != info.CapLen || info.CapLen > MaxSnapLen {
				t.Fatalf("packet %d: %d bytes, CapLen %d", i, len(data), info.CapLen)
			}
			if off := r1.Offset(); off <= last || off > int64(len(file)) {
				t.Fatalf("packet %d: offset %d after %d, file of %d", i, off, last, len(file))
			}
			last = r1.Offset()
		}
	})
}

func checkErr(t *testing.T, err error, size int) {
	t.Helper()
	if err == io.EOF {
		return
	}
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a FormatError", err, err)
	}
	if fe.Offset < 0 || fe.Offset > int64(size) {
		t.Fatalf("error offset %d in a file of %d: %v", fe.Offset, size, err)
	}
}

// TestWriteFuzzCorpus rewrites testdata/fuzz when DPKIT_UPDATE_CORPUS=1.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("DPKIT_UPDATE_CORPUS") != "1" {
		t.Skip("set DPKIT_UPDATE_CORPUS=1 to rewrite the seed corpus")
	}
	rng := rand.New(rand.NewPCG(13, 14))
	pk := randPkts(rng, 3, 80)
	seeds := map[string]map[string][]byte{"FuzzReadPcap": {}, "FuzzReadPcapNG": {}}
	for _, o := range orders {
		for _, nanos := range []bool{false, true} {
			b := buildPcap(o.order, nanos, 65535, LinkTypeEthernet, pk)
			name := fmt.Sprintf("pcap-%s-nanos%v", o.name, nanos)
			seeds["FuzzReadPcap"][name] = b
			seeds["FuzzReadPcap"][name+"-truncated"] = b[:len(b)-7]
		}
		var g ngBuilder
		g.shb(o.order)
		g.idb(LinkTypeEthernet, 0, 9, 0)
		g.idb(LinkTypeRaw, 64, 0x80|10, 3)
		g.epb(0, 123456789, pk[0].data, len(pk[0].data), true)
		g.block(0x0bad, []byte{1, 2, 3, 4})
		g.opb(1, 1<<12, pk[1].data, len(pk[1].data)+2)
		g.spb(pk[2].data[:64], len(pk[2].data))
		name := "pcapng-" + o.name
		seeds["FuzzReadPcapNG"][name] = g.b
		seeds["FuzzReadPcapNG"][name+"-truncated"] = g.b[:len(g.b)-30]
		g.shb(orders[0].order)
		g.idb(LinkTypeEthernet, 0, -1, 0)
		g.epb(0, 1, pk[0].data, 100, false)
		seeds["FuzzReadPcapNG"][name+"-2sections"] = g.b
	}
	for target, files := range seeds {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range files {
			s := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
			if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// FuzzWriteRead writes the input as packets (lengths taken from its first
// bytes) with the given snaplen and timestamp and reads them back.
func FuzzWriteRead(f *testing.F) {
	f.Add([]byte("\x03\x05abcdefgh"), uint16(0), int64(1_700_000_000_123_456_789))
	f.Add([]byte("\x00\xffxyz"), uint16(2), int64(-1))
	f.Fuzz(func(t *testing.T, in []byte, snap uint16, ts int64) {
		if len(in) < 2 {
			return
		}
		counts, data := in[:2], in[2:]
		var b bytes.Buffer
		w, err := NewWriter(&b, WriterOptions{SnapLen: int(snap)})
		if err != nil {
			t.Fatal(err)
		}
		eff := int(snap)
		if eff == 0 {
			eff = DefaultSnapLen
		}
		var want [][]byte
		for i := 0; len(data) > 0; i++ {
			n := min(len(data), int(counts[i%2]))
			if err := w.WriteRecord(ts, n, [][]byte{data[:n/2], data[n/2 : n]}); err != nil {
				t.Fatal(err)
			}
			want = append(want, data[:min(n, eff)])
			data = data[n:]
			if n == 0 && counts[(i+1)%2] == 0 {
				break
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(&b)
		if err != nil {
			t.Fatal(err)
		}
		wantTS := ts
		if sec := ts / 1e9; ts < 0 || sec >= 1<<32 { // outside pcap's unsigned 32-bit seconds
			wantTS = -1
		}
		for i, w := range want {
			got, info, err := r.Next()
			if err != nil || !bytes.Equal(got, w) || wantTS >= 0 && info.Timestamp != wantTS {
				t.Fatalf("packet %d: %v, %d bytes ts %d, want %d bytes ts %d", i, err, len(got), info.Timestamp, len(w), wantTS)
			}
		}
		if _, _, err := r.Next(); err != io.EOF {
			t.Fatalf("after %d packets: %v", len(want), err)
		}
	})
}
