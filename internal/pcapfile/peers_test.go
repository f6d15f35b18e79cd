package pcapfile

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
)

// Real peers: tshark and editcap (Wireshark) and scapy read what we write
// and write what we read.

func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("SKIPPED: %s not installed (Debian package tshark / wireshark-common): the real-peer test does not run", name)
	}
	return p
}

const python = "/usr/bin/python3"

func needScapy(t *testing.T) {
	t.Helper()
	if err := exec.Command(python, "-c", "import scapy.all").Run(); err != nil {
		t.Skipf("SKIPPED: scapy not importable by %s (Debian package python3-scapy): %v", python, err)
	}
}

// peerPkts are Ethernet frames (an experimental EtherType, so tshark
// shows them as data) with random nanosecond timestamps, including a
// jumbo frame; the writer's 2000-byte snaplen cuts the long ones.
func peerPkts(seed uint64) []testPkt {
	rng := rand.New(rand.NewPCG(seed, 99))
	var pk []testPkt
	ts := int64(1_700_000_000_000_000_000)
	for _, n := range []int{60, 61, 64, 100, 1514, 9014, 3000, 60, 333, 1000} {
		d := make([]byte, n)
		for j := range d {
			d[j] = byte(rng.Uint32())
		}
		copy(d, []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5})
		ts += rng.Int64N(3e9) + 1
		pk = append(pk, testPkt{ts: ts, data: d[:min(n, 2000)], origLen: n, link: LinkTypeEthernet})
	}
	return pk
}

func writeOurs(t *testing.T, path string, pk []testPkt) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := NewWriter(f, WriterOptions{SnapLen: 2000})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pk {
		full := append(bytes.Clone(p.data), make([]byte, p.origLen-len(p.data))...)
		if err := w.WritePacket(p.ts, full); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) ([]testPkt, *Reader) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, r)
	if err != io.EOF {
		t.Fatalf("%s: %v", path, err)
	}
	return got, r
}

// TestTsharkReadsOurs: tshark sees every frame of a file we wrote with its
// exact bytes, lengths and nanosecond timestamp.
func TestTsharkReadsOurs(t *testing.T) {
	tshark := needTool(t, "tshark")
	pk := peerPkts(1)
	path := filepath.Join(t.TempDir(), "ours.pcap")
	writeOurs(t, path, pk)
	out, err := exec.Command(tshark, "-r", path, "-T", "json", "-x", "-j", "frame").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	var frames []struct {
		Source struct {
			Layers struct {
				Raw   []any `json:"frame_raw"`
				Frame struct {
					Len    string `json:"frame.len"`
					CapLen string `json:"frame.cap_len"`
					Epoch  string `json:"frame.time_epoch"`
				} `json:"frame"`
			} `json:"layers"`
		} `json:"_source"`
	}
	if err := json.Unmarshal(out, &frames); err != nil {
		t.Fatalf("tshark json: %v", err)
	}
	if len(frames) != len(pk) {
		t.Fatalf("tshark read %d frames, we wrote %d", len(frames), len(pk))
	}
	for i, f := range frames {
		l := f.Source.Layers
		p := pk[i]
		raw, _ := l.Raw[0].(string)
		wantEpoch := fmt.Sprintf("%d.%09d", p.ts/1e9, p.ts%1e9)
		if raw != hex.EncodeToString(p.data) || l.Frame.Len != strconv.Itoa(p.origLen) ||
			l.Frame.CapLen != strconv.Itoa(len(p.data)) || l.Frame.Epoch != wantEpoch {
			t.Fatalf("frame %d: tshark len %s caplen %s time %s (bytes equal %v); wrote len %d caplen %d time %s",
				i, l.Frame.Len, l.Frame.CapLen, l.Frame.Epoch, raw == hex.EncodeToString(p.data), p.origLen, len(p.data), wantEpoch)
		}
	}
}

// TestReadEditcap: editcap converts a file we wrote to pcapng (ns and µs
// interfaces) and to classic µs pcap; we read back the same frames.
func TestReadEditcap(t *testing.T) {
	editcap := needTool(t, "editcap")
	pk := peerPkts(2)
	dir := t.TempDir()
	ours := filepath.Join(dir, "ours.pcap")
	writeOurs(t, ours, pk)
	for _, c := range []struct {
		format string
		want   Format
		usec   bool
	}{{"pcapng", FormatPcapNG, false}, {"pcap", FormatPcap, true}, {"nsecpcap", FormatPcap, false}} {
		t.Run(c.format, func(t *testing.T) {
			theirs := filepath.Join(dir, "theirs."+c.format)
			if out, err := exec.Command(editcap, "-F", c.format, ours, theirs).CombinedOutput(); err != nil {
				t.Fatalf("editcap: %v: %s", err, out)
			}
			got, r := readFile(t, theirs)
			if r.Format() != c.want {
				t.Fatalf("format %v", r.Format())
			}
			exp := make([]testPkt, len(pk))
			for i, p := range pk {
				if c.usec {
					p.ts -= p.ts % 1000
				}
				exp[i] = p
			}
			comparePkts(t, got, exp)
		})
	}
}

// TestReadScapy: scapy's wrpcap (µs, little-endian), PcapWriter
// (big-endian, ns) and PcapNgWriter files read back as the frames and
// times scapy was given.
func TestReadScapy(t *testing.T) {
	needScapy(t)
	dir := t.TempDir()
	if out, err := exec.Command(python, "testdata/scapy_write.py", dir).CombinedOutput(); err != nil {
		t.Fatalf("scapy: %v: %s", err, out)
	}
	var exp []struct {
		Hex string `json:"hex"`
		Ns  int64  `json:"ns"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	want := make([]testPkt, len(exp))
	for i, e := range exp {
		d, _ := hex.DecodeString(e.Hex)
		want[i] = testPkt{ts: e.Ns, data: d, origLen: len(d), link: LinkTypeEthernet}
	}
	for _, c := range []struct {
		file   string
		format Format
	}{{"scapy.pcap", FormatPcap}, {"scapy-be-nano.pcap", FormatPcap}, {"scapy.pcapng", FormatPcapNG}} {
		t.Run(c.file, func(t *testing.T) {
			got, r := readFile(t, filepath.Join(dir, c.file))
			if r.Format() != c.format {
				t.Fatalf("format %v", r.Format())
			}
			comparePkts(t, got, want)
		})
	}
}

// TestReadMergecap: mergecap merges an Ethernet file and a raw-IP file
// into one pcapng section with two interfaces; we read every packet, in
// time order, with its interface and link type.
func TestReadMergecap(t *testing.T) {
	mergecap := needTool(t, "mergecap")
	dir := t.TempDir()
	eth := peerPkts(3)
	raw := peerPkts(4)
	for i := range raw {
		raw[i].ts += 500_000_000 // interleave with eth
		raw[i].data[0] = 0x45    // looks like IPv4, not that it matters
		raw[i].link = LinkTypeRaw
	}
	write := func(name string, link LinkType, pk []testPkt) string {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		w, err := NewWriter(f, WriterOptions{SnapLen: 2000, LinkType: link})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pk {
			full := append(bytes.Clone(p.data), make([]byte, p.origLen-len(p.data))...)
			if err := w.WritePacket(p.ts, full); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return path
	}
	a := write("eth.pcap", LinkTypeEthernet, eth)
	b := write("raw.pcap", LinkTypeRaw, raw)
	merged := filepath.Join(dir, "merged.pcapng")
	if out, err := exec.Command(mergecap, "-F", "pcapng", "-w", merged, a, b).CombinedOutput(); err != nil {
		t.Fatalf("mergecap: %v: %s", err, out)
	}
	got, r := readFile(t, merged)
	if r.Format() != FormatPcapNG {
		t.Fatalf("format %v", r.Format())
	}
	// Expected: both lists merged by time; the interface of each link
	// type is whichever id mergecap gave it (checked consistent).
	want := append(append([]testPkt(nil), eth...), raw...)
	sort.SliceStable(want, func(i, j int) bool { return want[i].ts < want[j].ts })
	ids := map[LinkType]int{}
	for i := range got {
		id, seen := ids[got[i].link]
		if !seen {
			ids[got[i].link] = got[i].iface
		} else if id != got[i].iface {
			t.Fatalf("packet %d: link type %d on interface %d and %d", i, got[i].link, id, got[i].iface)
		}
		want[i].iface = got[i].iface
	}
	if len(ids) != 2 || ids[LinkTypeEthernet] == ids[LinkTypeRaw] {
		t.Fatalf("interfaces by link type: %v", ids)
	}
	comparePkts(t, got, want)
}
