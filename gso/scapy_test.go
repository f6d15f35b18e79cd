package gso

import (
	"encoding/hex"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

// Every segment Segment cuts, tunnels included (GRE with a checksum,
// VXLAN over IPv6 with a UDP checksum), has the lengths and checksums
// scapy computes for it.
func TestScapyChecksSegments(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import scapy.all").Run(); err != nil {
		t.Skipf("SKIP: %s cannot import scapy (%v; install python3-scapy): real-peer check against scapy not run", python, err)
	}
	p := newPools(t)
	fin := proto.TCPFlagACK | proto.TCPFlagPSH | proto.TCPFlagFIN
	var in strings.Builder
	var names []string
	for _, v6 := range []bool{false, true} {
		fl := mbuf.TxTCPSeg | mbuf.TxIPv4
		if v6 {
			fl = mbuf.TxTCPSeg | mbuf.TxIPv6
		}
		inner := tcpIP(v6, 0xffffff00, fin, data(5000))
		for _, ov6 := range []bool{false, true} {
			ofl := mbuf.TxOuterIPv4
			if ov6 {
				ofl = mbuf.TxOuterIPv6
			}
			for _, c := range []struct {
				name string
				pkt  []byte
				fl   uint64
			}{
				{"plain", cat(eth(etherType(v6)), inner), fl},
				{"vxlan", vxlanOf(ov6, cat(eth(etherType(v6)), inner)), fl | ofl | mbuf.TxTunnelVXLAN},
				{"gre", greOf(ov6, v6, false, inner), fl | ofl | mbuf.TxTunnelGRE},
				{"gre csum", greOf(ov6, v6, true, inner), fl | ofl | mbuf.TxTunnelGRE},
			} {
				if c.name == "plain" && ov6 {
					continue
				}
				m := mbuftest.Packet(t, p.big, c.pkt, 0)
				proto.SetPtype(m)
				m.SetOlFlags(c.fl)
				ctx := Context{Direct: p.direct, Indirect: p.indirect, Size: 1400}
				var out [16]*mbuf.Mbuf
				n, err := ctx.Segment(m, out[:], lc)
				m.Free(lc)
				if err != nil {
					t.Fatal(err)
				}
				for i, s := range out[:n] {
					in.WriteString(hex.EncodeToString(mbuftest.Bytes(s)) + "\n")
					names = append(names, fmt.Sprintf("%s inner v6=%v outer v6=%v segment %d", c.name, v6, ov6, i))
					s.Free(lc)
				}
			}
		}
	}
	cmd := exec.Command(python, "testdata/scapy_check.py")
	cmd.Stdin = strings.NewReader(in.String())
	outb, err := cmd.Output()
	if err != nil {
		t.Fatalf("scapy: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(outb)), "\n")
	if len(lines) != len(names) {
		t.Fatalf("scapy answered %d lines for %d frames", len(lines), len(names))
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, "ok ") {
			t.Errorf("%s: %s", names[i], l)
		}
	}
	t.Logf("%d segments checked, e.g. %s", len(lines), lines[len(lines)-1])
}
