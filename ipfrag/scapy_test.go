package ipfrag

import (
	"bytes"
	"encoding/hex"
	"os/exec"
	"strings"
	"testing"

	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

const python = "/usr/bin/python3"

// scapy runs testdata/scapy_frag.py with args and stdin, and returns its
// output lines (empty ones included), or skips t (loudly) without scapy.
func scapy(t *testing.T, stdin string, args ...string) []string {
	t.Helper()
	if err := exec.Command(python, "-c", "import scapy.all").Run(); err != nil {
		t.Skipf("SKIP: %s cannot import scapy (%v; install python3-scapy): real-peer check against scapy not run", python, err)
	}
	cmd := exec.Command(python, append([]string{"testdata/scapy_frag.py"}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scapy %v: %v", args, err)
	}
	return strings.Split(strings.TrimRight(string(out), "\n"), "\n")
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("scapy output %q: %v", s, err)
	}
	return b
}

// Fragments cut by dpkit reassemble in scapy into the original datagram.
func TestScapyDefragmentsOurs(t *testing.T) {
	p := newPools(t)
	var stdin strings.Builder
	var origs [][]byte
	for _, v6 := range []bool{false, true} {
		for _, c := range []struct{ size, mtu, seg int }{{3000, 1500, 0}, {20000, 1280, 700}, {1500, 600, 0}} {
			orig := udp4(77, []byte{proto.IPv4OptLSRR, 7, 4, 1, 2, 3, 4}, c.size)
			fam := "4"
			if v6 {
				orig, fam = udp6([]uint8{proto.IPProtoHopOpts, proto.IPProtoDstOpts}, c.size), "6"
			}
			pool := p.big
			if c.seg > 0 {
				pool = p.direct
			}
			m := mbuftest.Packet(t, pool, orig, c.seg)
			var out [64]*mbuf.Mbuf
			var n int
			var err error
			if v6 {
				n, err = FragmentIPv6(m, out[:], c.mtu, 0x1234, p.direct, p.indirect, lc)
			} else {
				n, err = FragmentIPv4(m, out[:], c.mtu, p.direct, p.indirect, lc)
			}
			m.Free(lc)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range out[:n] {
				stdin.WriteString(fam + " " + hex.EncodeToString(mbuftest.Bytes(f)) + "\n")
				f.Free(lc)
			}
			stdin.WriteString("\n")
			origs = append(origs, orig)
		}
	}
	got := scapy(t, stdin.String(), "defrag")
	if len(got) != len(origs) {
		t.Fatalf("scapy answered %d datagrams for %d", len(got), len(origs))
	}
	for i, orig := range origs {
		if got[i] == "none" {
			t.Fatalf("datagram %d: scapy did not reassemble it", i)
		}
		g := unhex(t, got[i])
		if orig[0]>>4 == 4 {
			// scapy rebuilds the header (options and all): compare the
			// header fields and the payload.
			gi, w := proto.IPv4(g), proto.IPv4(orig)
			if !gi.IsValid() || gi.TotalLen() != w.TotalLen() || gi.ID() != w.ID() || !bytes.Equal(gi.Payload(), w.Payload()) {
				t.Fatalf("datagram %d: scapy's differs from the original", i)
			}
		} else if !bytes.Equal(g, orig) {
			t.Fatalf("datagram %d: scapy's differs from the original\n got % x\nwant % x", i, g[:64], orig[:64])
		}
	}
}

// Fragments cut by scapy reassemble in dpkit, last first.
func TestScapyFragmentsReassemble(t *testing.T) {
	p := newPools(t)
	tb := newTable(t, Config{MaxFragments: 64})
	dr := NewDeathRow(16, lc)
	defer dr.FreeAll()
	lines := scapy(t, "", "frag", "4:5000:1480", "4:30000:552", "6:5000:1280", "6:30000:1500")
	var groups [][][]byte
	var g [][]byte
	for _, l := range append(lines, "") {
		if l == "" {
			if len(g) > 0 {
				groups = append(groups, g)
			}
			g = nil
			continue
		}
		g = append(g, unhex(t, l))
	}
	if len(groups) != 4 {
		t.Fatalf("scapy gave %d groups, want 4", len(groups))
	}
	for gi, grp := range groups {
		whole, frags := grp[0], grp[1:]
		v6 := whole[0]>>4 == 6
		if len(frags) < 2 {
			t.Fatalf("group %d: scapy cut %d fragments", gi, len(frags))
		}
		var d *mbuf.Mbuf
		for i := len(frags) - 1; i >= 0; i-- {
			m := mbuftest.Packet(t, p.direct, append(append([]byte{}, ethHdr...), frags[i]...), 0)
			var r *mbuf.Mbuf
			if v6 {
				r = tb.ReassembleIPv6(dr, m, 0, ethLen)
			} else {
				r = tb.ReassembleIPv4(dr, m, 0, ethLen)
			}
			if r != nil {
				d = r
			}
		}
		if d == nil {
			t.Fatalf("group %d: not reassembled: %+v", gi, tb.Stats())
		}
		got := mbuftest.Bytes(d)[ethLen:]
		d.Free(lc)
		if !bytes.Equal(got, whole) {
			t.Fatalf("group %d: reassembled datagram differs from scapy's\n got % x\nwant % x", gi, got[:64], whole[:64])
		}
	}
}
