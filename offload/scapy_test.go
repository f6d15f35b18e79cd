package offload_test

import (
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/mbuf"
)

const python = "/usr/bin/python3"

// scapyCheck reads frames in hex, one a line, and for each prints "ok" if
// scapy, told to compute every checksum itself (IPv4, TCP, UDP, SCTP,
// outer and inner; a UDP checksum of 0, none sent, is left), builds the
// same bytes, else "bad" and what differs; then the layers it checked.
const scapyCheck = `
import sys
from scapy.all import Ether, raw
for line in sys.stdin:
    b = bytes.fromhex(line.strip())
    p = Ether(b)
    names = []
    l = p
    while l is not None and l.name != "NoPayload":
        if "chksum" in l.fields and not (l.name == "UDP" and l.chksum == 0):  # 0: none sent
            names.append(l.name)
            del l.chksum
        l = l.payload if l.payload else None
    r = raw(p)
    print(("ok " if r == b else "bad ") + ",".join(names) + ("" if r == b else " scapy=" + r.hex()))
`

// TestScapyAgrees sends packets through the software tx stage (net_ring)
// and has scapy recompute every checksum in them.
func TestScapyAgrees(t *testing.T) {
	if _, err := os.Stat(python); err != nil {
		t.Skip("SKIP: " + python + " missing (install python3-scapy)")
	}
	if err := exec.Command(python, "-c", "import scapy.all").Run(); err != nil {
		t.Skipf("SKIP: python3 cannot import scapy (%v; install python3-scapy)", err)
	}
	mp := newPool(t, 255)
	a, b := ringPair(t, mp, allTx, 0, 0)
	var in strings.Builder
	var names []string
	for _, c := range txCases() {
		bt := build(c.s)
		m := c.mbuf(t, mp, bt)
		if a.TxBurst(0, []*mbuf.Mbuf{m}) != 1 {
			m.Free(lc)
			t.Fatalf("%s: TxBurst took nothing", c.name)
		}
		r := recvAll(t, b, 1)[0]
		in.WriteString(hex.EncodeToString(mbuftest.Bytes(r)) + "\n")
		r.Free(lc)
		names = append(names, c.name)
	}
	cmd := exec.Command(python, "-c", scapyCheck)
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scapy: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(names) {
		t.Fatalf("scapy answered %d lines for %d packets: %s", len(lines), len(names), out)
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, "ok ") {
			t.Errorf("%s: scapy disagrees: %s", names[i], l)
		} else if strings.TrimSpace(strings.TrimPrefix(l, "ok")) == "" {
			t.Errorf("%s: scapy found no checksummed layers: %s", names[i], l)
		} else {
			t.Logf("%s: %s", names[i], l)
		}
	}
}
