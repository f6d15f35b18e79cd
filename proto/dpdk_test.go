package proto

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dpkit/dpkit/mbuf"
)

// dpdkPtype builds testdata/dpdk_ptype.c against the system's DPDK and
// runs DPDK's own rte_net_get_ptype on pkts, or skips (loudly) when DPDK's
// development files are missing.
func dpdkPtype(t *testing.T, pkts [][]byte) []string {
	t.Helper()
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("SKIP: no C compiler: rte_net_get_ptype comparison not run")
	}
	flags, err := exec.Command("pkg-config", "--cflags", "--libs", "libdpdk").Output()
	if err != nil {
		t.Skip("SKIP: pkg-config libdpdk failed (install dpdk-dev): rte_net_get_ptype comparison not run")
	}
	if os.Geteuid() != 0 {
		t.Skip("SKIP: not root: DPDK's EAL needs root here; rte_net_get_ptype comparison not run")
	}
	// DPDK leaves its runtime directory behind; the prefix is this test's.
	t.Cleanup(func() { os.RemoveAll("/var/run/dpdk/proto-ptype") })
	bin := filepath.Join(t.TempDir(), "dpdk_ptype")
	args := append([]string{"-O2", "-o", bin, "testdata/dpdk_ptype.c"}, strings.Fields(string(flags))...)
	if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("building dpdk_ptype: %v\n%s", err, out)
	}
	var in bytes.Buffer
	for _, p := range pkts {
		in.WriteString(hex.EncodeToString(p))
		in.WriteByte('\n')
	}
	cmd := exec.Command(bin, "--no-huge", "--no-pci", "-m", "64", "-l", "0", "--file-prefix=proto-ptype",
		"--log-level=error", "--no-shconf")
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dpdk_ptype: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(pkts) {
		t.Fatalf("dpdk_ptype printed %d lines for %d packets\n%s", len(lines), len(pkts), stderr.String())
	}
	return lines
}

// TestDPDKGetPtype holds GetPtype to DPDK 22.11's rte_net_get_ptype (the
// real one, through a small C program) on every dpkit-built packet, once
// the documented extensions are taken out of dpkit's answer (asDPDK).
// Packets cut short are not compared: there the two differ by design
// (dpkit reports a header only when it is whole; DPDK reports UDP and
// SCTP from the IP protocol alone, TCP and GRE from their fixed part,
// lengths past the data included); TestGetPtypePrefixes covers them.
func TestDPDKGetPtype(t *testing.T) {
	cases := builtCases()
	// scapy's packets too (bad checksums, IPv6 routing headers, scapy's
	// fragments...), when scapy is there.
	if why := scapyMissing(); why == "" {
		var sc []scapyCase
		runScapy(t, &sc)
		for _, c := range sc {
			b, err := hex.DecodeString(c.Hex)
			if err != nil {
				t.Fatal(err)
			}
			cases = append(cases, builtCase{name: "scapy " + c.Name, pkt: b})
		}
	} else {
		t.Logf("scapy's packets not compared: %s", why)
	}
	pkts := make([][]byte, len(cases))
	for i, c := range cases {
		pkts[i] = c.pkt
	}
	lines := dpdkPtype(t, pkts)
	differ := 0
	for i, p := range pkts {
		pt, h := GetPtype(p)
		got := asDPDK(pt, h)
		if got != lines[i] {
			t.Errorf("%s: dpkit (as DPDK would say) %q, DPDK %q", cases[i].name, got, lines[i])
		}
		if got != fmt.Sprintf("%08x %d %d %d %d %d %d %d", pt, h.L2, h.L3, h.L4, h.Tunnel, h.InnerL2, h.InnerL3, h.InnerL4) {
			differ++
		}
	}
	t.Logf("%d packets agree with rte_net_get_ptype; %d of them only after taking out dpkit's extensions", len(pkts), differ)
}

// asDPDK formats dpkit's result the way dpdk_ptype prints DPDK's, after
// taking out what GetPtype does beyond rte_net_get_ptype (its doc lists
// these): the ARP, LLDP and PTP L2 types, MPLS (which DPDK 22.11 reports
// as a plain L2_ETHER frame of 14 bytes), UDP tunnels (VXLAN, VXLAN-GPE,
// GENEVE) and ESP, which DPDK does not follow, and the ICMP and IGMP L4
// types, which its software parser does not report.
func asDPDK(pt uint32, h HdrLens) string {
	switch pt & mbuf.PtypeL2Mask {
	case mbuf.PtypeL2EtherARP, mbuf.PtypeL2EtherLLDP, mbuf.PtypeL2EtherTimesync:
		pt = pt&^mbuf.PtypeL2Mask | mbuf.PtypeL2Ether
	case mbuf.PtypeL2EtherMPLS:
		pt, h.L2 = mbuf.PtypeL2Ether, EthernetLen
	}
	switch pt & mbuf.PtypeTunnelMask {
	case mbuf.PtypeTunnelVXLAN, mbuf.PtypeTunnelVXLANGPE, mbuf.PtypeTunnelGENEVE, mbuf.PtypeTunnelESP:
		pt &= mbuf.PtypeL2Mask | mbuf.PtypeL3Mask | mbuf.PtypeL4Mask
		h.Tunnel, h.InnerL2, h.InnerL3, h.InnerL4 = 0, 0, 0, 0
	}
	switch pt & mbuf.PtypeL4Mask {
	case mbuf.PtypeL4ICMP, mbuf.PtypeL4IGMP:
		pt &^= mbuf.PtypeL4Mask
	}
	if pt&mbuf.PtypeInnerL4Mask == mbuf.PtypeInnerL4ICMP {
		pt &^= mbuf.PtypeInnerL4Mask
	}
	return fmt.Sprintf("%08x %d %d %d %d %d %d %d", pt, h.L2, h.L3, h.L4, h.Tunnel, h.InnerL2, h.InnerL3, h.InnerL4)
}
