package ipfrag

import (
	"bytes"
	"encoding/hex"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

const python = "/usr/bin/python3"

// scapy runs testdata/scapy_frag.py with args and stdin lines (hex) and
// returns its output lines decoded, or skips t (loudly) without scapy.
func scapy(t *testing.T, in [][]byte, args ...string) [][]byte {
	t.Helper()
	if err := exec.Command(python, "-c", "import scapy.all").Run(); err != nil {
		t.Skipf("SKIP: %s cannot import scapy (%v; install python3-scapy): real-peer check against scapy not run", python, err)
	}
	var stdin strings.Builder
	for _, b := range in {
		stdin.WriteString(hex.EncodeToString(b) + "\n")
	}
	cmd := exec.Command(python, append([]string{"testdata/scapy_frag.py"}, args...)...)
	cmd.Stdin = strings.NewReader(stdin.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scapy %v: %v", args, err)
	}
	var res [][]byte
	for _, l := range strings.Fields(string(out)) {
		b, err := hex.DecodeString(l)
		if err != nil {
			t.Fatalf("scapy output %q: %v", l, err)
		}
		res = append(res, b)
	}
	return res
}

// Fragments cut by dpkit reassemble in scapy into the original datagram.
func TestScapyDefragmentsOurs(t *testing.T) {
	p := newPools(t)
	for _, v6 := range []bool{false, true} {
		for _, c := range []struct{ size, mtu, seg int }{{3000, 1500, 0}, {20000, 1280, 700}, {1500, 600, 0}} {
			orig := udp4(77, []byte{proto.IPv4OptLSRR, 7, 4, 1, 2, 3, 4}, c.size)
			cmd := "defrag4"
			if v6 {
				orig, cmd = udp6([]uint8{proto.IPProtoHopOpts, proto.IPProtoDstOpts}, c.size), "defrag6"
			}
			pool := p.big
			if c.seg > 0 {
				pool = p.direct
			}
			m := mbufOf(t, pool, orig, c.seg)
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
			var frags [][]byte
			for _, f := range out[:n] {
				frags = append(frags, bytesOf(f))
				f.Free(lc)
			}
			got := scapy(t, frags, cmd)
			if len(got) != 1 {
				t.Fatalf("v6 %v size %d: scapy gave %d datagrams from %d fragments", v6, c.size, len(got), n)
			}
			if !v6 {
				// scapy rebuilds the header (options and all): compare the
				// header fields and the payload.
				g, w := proto.IPv4(got[0]), proto.IPv4(orig)
				if g.TotalLen() != w.TotalLen() || g.ID() != w.ID() || !bytes.Equal(g.Payload(), w.Payload()) {
					t.Fatalf("size %d: scapy's datagram differs from the original (total %d want %d)", c.size, g.TotalLen(), w.TotalLen())
				}
				continue
			}
			if !bytes.Equal(got[0], orig) {
				t.Fatalf("v6 size %d: scapy's datagram differs from the original\n got % x\nwant % x", c.size, got[0][:64], orig[:64])
			}
		}
	}
}

// Fragments cut by scapy reassemble in dpkit, in any order.
func TestScapyFragmentsReassemble(t *testing.T) {
	p := newPools(t)
	tb := newTable(t, Config{MaxFragments: 64})
	dr := NewDeathRow(16, lc)
	defer dr.FreeAll()
	for _, c := range []struct {
		v6       bool
		size, fs int
	}{{false, 5000, 1480}, {false, 30000, 552}, {true, 5000, 1280}, {true, 30000, 1500}} {
		cmd := "frag4"
		if c.v6 {
			cmd = "frag6"
		}
		res := scapy(t, nil, cmd, strconv.Itoa(c.size), strconv.Itoa(c.fs))
		whole, frags := res[0], res[1:]
		if len(frags) < 2 {
			t.Fatalf("scapy cut %d fragments", len(frags))
		}
		// Last first, then the rest backwards.
		var d *mbuf.Mbuf
		for i := len(frags) - 1; i >= 0; i-- {
			m := mbufOf(t, p.direct, append(append([]byte{}, ethHdr...), frags[i]...), 0)
			var r *mbuf.Mbuf
			if c.v6 {
				r = tb.ReassembleIPv6(dr, m, 0, ethLen)
			} else {
				r = tb.ReassembleIPv4(dr, m, 0, ethLen)
			}
			if r != nil {
				d = r
			}
		}
		if d == nil {
			t.Fatalf("%s %d: not reassembled: %+v", cmd, c.size, tb.Stats())
		}
		got := bytesOf(d)[ethLen:]
		d.Free(lc)
		if !bytes.Equal(got, whole) {
			t.Fatalf("%s %d: reassembled datagram differs from scapy's\n got % x\nwant % x", cmd, c.size, got[:64], whole[:64])
		}
	}
}
