package testpmd

import (
	"bytes"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dpkit/dpkit/mbuf"
)

// TestEnginesMatchDPDK runs each engine on the packets of testdata/in.pcap
// and compares what it sends with what DPDK 22.11's testpmd sent, in the
// same forwarding mode, on a net_pcap port given the same file
// (testdata/README.md has the command lines).
func TestEnginesMatchDPDK(t *testing.T) {
	in := readPcap(t, "testdata/in.pcap")
	for _, name := range []string{"io", "mac", "macswap", "5tswap", "icmpecho", "csum"} {
		t.Run(name, func(t *testing.T) {
			e, ok := LookupEngine(name)
			if !ok {
				t.Fatalf("no engine %q", name)
			}
			pool := newTestPool(t, 256)
			s, _, tx := testStream(t, e, pool, in)
			for range 4 {
				e.Fwd(s)
			}
			want := readPcap(t, "testdata/out_"+name+".pcap")
			comparePackets(t, tx.Frames, want)
			st := s.Stats()
			if st.RxPackets != uint64(len(in)) || st.TxPackets != uint64(len(want)) || st.FwdDropped != 0 {
				t.Errorf("stats %+v, want rx %d tx %d", st, len(in), len(want))
			}
			if name == "csum" && (st.BadIPCsum != 1 || st.BadL4Csum != 1) {
				t.Errorf("csum counted %d bad IP and %d bad L4 checksums, want 1 and 1 (the last packet of in.pcap)", st.BadIPCsum, st.BadL4Csum)
			}
		})
	}
}

func comparePackets(t *testing.T, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("sent %d packets, DPDK sent %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("packet %d differs from DPDK's:\n got %s\nwant %s", i, hex.EncodeToString(got[i]), hex.EncodeToString(want[i]))
		}
	}
}

// TestGeneratorsMatchDPDK compares txonly and flowgen frames with those
// DPDK's testpmd sent.
func TestGeneratorsMatchDPDK(t *testing.T) {
	for _, c := range []struct {
		engine, file string
		txpkts       []int
	}{
		{"txonly", "txonly_default.pcap", []int{64}},
		{"txonly", "txonly_len128.pcap", []int{128}},
		{"flowgen", "out_flowgen.pcap", nil},
		{"txonly", "txonly_multiflow.pcap", []int{64}},
		{"flowgen", "out_flowgen_len128_flows4.pcap", []int{128}},
	} {
		t.Run(c.file, func(t *testing.T) {
			e, _ := LookupEngine(c.engine)
			pool := newTestPool(t, 512)
			s, _, tx := testStream(t, e, pool, nil)
			if c.txpkts != nil {
				s.Params.TxPkts = c.txpkts
				s.Params.MultiFlow = strings.Contains(c.file, "multiflow")
				s.Params.FlowgenLen = flowgenLen(c.txpkts)
				if strings.Contains(c.file, "flows4") {
					s.Params.Flows = 4
				}
				if err := e.Begin(s); err != nil {
					t.Fatal(err)
				}
			}
			want := readPcap(t, "testdata/"+c.file)
			for len(tx.Frames) < len(want) {
				e.Fwd(s)
			}
			comparePackets(t, tx.Frames[:len(want)], want)
		})
	}
}

// TestTxonlyMultiFlow: the source address changes per packet and every
// header checksum stays right; segments chain as --txpkts says.
func TestTxonlyMultiFlow(t *testing.T) {
	pool := newTestPool(t, 1024)
	s, _, tx := testStream(t, &txonlyEngine, pool, nil)
	s.Params.MultiFlow = true
	s.Params.TxPkts = []int{60, 30, 10}
	if err := txonlyBegin(s); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		txonlyFwd(s)
	}
	if len(tx.Frames) != 320 {
		t.Fatalf("sent %d frames, want 320", len(tx.Frames))
	}
	for i, f := range tx.Frames {
		if len(f) != 100 {
			t.Fatalf("frame %d: %d bytes, want 100", i, len(f))
		}
		ip := f[etherHdrLen:]
		if ip[14] != byte(i) || ip[15] != txonlyFlowLow {
			t.Fatalf("frame %d: source %d.%d.%d.%d, want third byte %d", i, ip[12], ip[13], ip[14], ip[15], byte(i))
		}
		if cksumFold(cksumAdd(0, ip[:20])) != 0xffff {
			t.Fatalf("frame %d: bad IPv4 header checksum", i)
		}
		if int(ip[2])<<8|int(ip[3]) != 86 || int(ip[24])<<8|int(ip[25]) != 66 {
			t.Fatalf("frame %d: IPv4 length %d, UDP length %d", i, int(ip[2])<<8|int(ip[3]), int(ip[24])<<8|int(ip[25]))
		}
	}
}

// TestDrops: what the tx queue refuses is freed and counted as dropped.
func TestDrops(t *testing.T) {
	pool := newTestPool(t, 256)
	s, rx, tx := testStream(t, &ioEngine, pool, readPcap(t, "testdata/in.pcap"))
	rx.Loop = true
	tx.Room = 5
	for range 3 {
		ioFwd(s)
	}
	st := s.Stats()
	if st.RxPackets != 96 || st.TxPackets != 15 || st.FwdDropped != 81 {
		t.Errorf("stats %+v, want rx 96 tx 15 dropped 81", st)
	}
	s.ResetStats()
	if s.Stats() != (StreamStats{}) {
		t.Errorf("ResetStats left %+v", s.Stats())
	}
}

// TestCsumOffload: with the checksums left to the port, csum sets the
// offload flags, the header lengths and the pseudo-header sums.
func TestCsumOffload(t *testing.T) {
	in := readPcap(t, "testdata/in.pcap")
	pool := newTestPool(t, 64)
	s, _, _ := testStream(t, &csumEngine, pool, in)
	s.TxCsum = CsumIP | CsumUDP | CsumTCP
	m := pool.Alloc(testLcore)
	defer m.Free(testLcore)
	copy(m.Append(len(in[2])), in[2]) // UDP/IPv4
	s.csumPacket(m)
	want := mbuf.TxIPv4 | mbuf.TxIPCksum | mbuf.TxUDPCksum
	if m.OlFlags() != want {
		t.Errorf("flags %s, want %s", mbuf.FlagsString(m.OlFlags()), mbuf.FlagsString(want))
	}
	if m.L2Len() != 14 || m.L3Len() != 20 || m.L4Len() != 8 {
		t.Errorf("lens %d/%d/%d, want 14/20/8", m.L2Len(), m.L3Len(), m.L4Len())
	}
	p := m.Data()
	if ck := int(p[24])<<8 | int(p[25]); ck != 0 {
		t.Errorf("IPv4 checksum field %#x, want 0 (left to the port)", ck)
	}
	ps := cksumFold(pseudoSum(p, 14, etherTypeIPv4, protoUDP, len(p)-34))
	if ck := uint16(p[40])<<8 | uint16(p[41]); ck != ps {
		t.Errorf("UDP checksum field %#x, want the pseudo-header sum %#x", ck, ps)
	}
}

// TestScapyAgrees has scapy recompute every checksum of what txonly,
// flowgen, icmpecho and csum send: a reference nobody here wrote.
func TestScapyAgrees(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import scapy.all").Run(); err != nil {
		t.Skip("SKIP: scapy is not installed for /usr/bin/python3 (Debian python3-scapy): cannot cross-check checksums")
	}
	var frames [][]byte
	in := readPcap(t, "testdata/in.pcap")
	for _, name := range []string{"txonly", "flowgen", "icmpecho", "csum"} {
		e, _ := LookupEngine(name)
		pool := newTestPool(t, 256)
		s, _, tx := testStream(t, e, pool, in)
		s.Params.MultiFlow = true
		e.Fwd(s)
		frames = append(frames, tx.Frames...)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "out.pcap")
	writePcap(t, path, frames)
	script := `
import sys
from scapy.all import rdpcap, Ether, IP, UDP, TCP, ICMP, IPv6, ARP
bad = 0
for i, p in enumerate(rdpcap(sys.argv[1])):
    raw = bytes(p)
    q = Ether(raw)
    for layer in (IP, UDP, TCP, ICMP):
        if layer in q and not (layer is UDP and IP in q and q[UDP].chksum == 0):
            del q[layer].chksum
    if IPv6 in q and UDP in q:
        del q[UDP].chksum
    if IPv6 in q and TCP in q:
        del q[TCP].chksum
    if bytes(Ether(bytes(q))) != raw:
        print("packet %d: scapy computes other checksums: %s" % (i, p.summary()))
        bad += 1
print("checked", i + 1)
sys.exit(1 if bad else 0)
`
	out, err := exec.Command(py, "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("scapy: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "checked ") {
		t.Fatalf("scapy printed %s", out)
	}
	t.Logf("scapy: %s", strings.TrimSpace(string(out)))
	_ = os.Remove(path)
}

// TestEnginesNoAlloc: one iteration of every engine allocates nothing.
func TestEnginesNoAlloc(t *testing.T) {
	in := readPcap(t, "testdata/in.pcap")
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			pool := newTestPool(t, 1024)
			s, rx, tx := testStream(t, e, pool, in)
			rx.Loop, tx.Keep = true, false
			s.Params.MultiFlow = true
			if a := testing.AllocsPerRun(200, func() { e.Fwd(s) }); a != 0 {
				t.Errorf("%s: %v allocations per iteration, want 0", e.Name, a)
			}
		})
	}
}

func BenchmarkEngines(b *testing.B) {
	frame := readPcap(b, "testdata/in.pcap")[2] // UDP/IPv4
	for _, e := range engines {
		b.Run(e.Name, func(b *testing.B) {
			pool := newTestPool(b, 2048)
			s, rx, tx := testStream(b, e, pool, [][]byte{frame})
			rx.Loop, tx.Keep = true, false
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				e.Fwd(s)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*s.Burst), "ns/pkt")
		})
	}
}
