package proto

import (
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestBuiltPacketsScapy: scapy dissects the packets dpkit builds (written
// to a pcap) to the fields dpkit meant, and finds every checksum right.
func TestBuiltPacketsScapy(t *testing.T) {
	cases := builtCases()
	path := filepath.Join(t.TempDir(), "built.pcap")
	pkts := make([][]byte, len(cases))
	for i, c := range cases {
		pkts[i] = c.pkt
	}
	if err := writePcap(path, pkts); err != nil {
		t.Fatal(err)
	}
	var got []description
	runScapy(t, &got, path)
	if len(got) != len(cases) {
		t.Fatalf("scapy read %d packets, dpkit wrote %d", len(got), len(cases))
	}
	for i, c := range cases {
		want := describe(c.pkt)
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("%s: scapy sees\n %+v\n dpkit meant\n %+v", c.name, got[i], want)
		}
		for k, ok := range got[i].Csum {
			if !ok {
				t.Errorf("%s: scapy finds the %s checksum wrong", c.name, k)
			}
		}
		if c.spec.l4 != "" && len(got[i].Csum) == 0 {
			t.Errorf("%s: no checksum was checked", c.name)
		}
	}
}

// TestBuiltPacketsTshark: tshark, with checksum validation on, finds every
// checksum of dpkit-built packets good, and reads the tunnel fields dpkit
// wrote.
func TestBuiltPacketsTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("SKIP: tshark missing (install tshark): real-peer check against Wireshark's dissectors not run")
	}
	cases := builtCases()
	// A negative control: the first (TCP/IPv4) packet with its TCP
	// checksum spoiled, which tshark must call bad.
	bad := append([]byte(nil), cases[0].pkt...)
	bad[EthernetLen+IPv4MinLen+16] ^= 0x40
	cases = append(cases, builtCase{"spoiled-tcp", cases[0].spec, bad})
	path := filepath.Join(t.TempDir(), "built.pcap")
	pkts := make([][]byte, len(cases))
	for i, c := range cases {
		pkts[i] = c.pkt
	}
	if err := writePcap(path, pkts); err != nil {
		t.Fatal(err)
	}
	fields := []string{"frame.protocols", "ip.checksum.status", "tcp.checksum.status", "udp.checksum.status",
		"sctp.checksum.status", "icmp.checksum.status", "icmpv6.checksum.status", "gre.checksum.status",
		"vxlan.vni", "geneve.vni", "gre.key", "_ws.malformed", "_ws.expert.severity"}
	args := []string{"-n", "-r", path, "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
		"-o", "udp.check_checksum:TRUE", "-o", "sctp.checksum:CRC-32C", "-d", "udp.port==6081,geneve",
		"-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	cmd := exec.Command(tshark, args...)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("tshark: %v\n%s", err, stderr)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != len(cases) {
		t.Fatalf("tshark printed %d lines for %d packets", len(lines), len(cases))
	}
	checked, sawBad := 0, false
	for i, line := range lines {
		c := cases[i]
		col := strings.Split(line, "|")
		if len(col) != len(fields) {
			t.Fatalf("%s: tshark line %q", c.name, line)
		}
		protos := col[0]
		for j := 1; j <= 7; j++ {
			for _, st := range strings.Split(col[j], ",") {
				switch st {
				case "", "2": // absent, unverified (IPv6 has no header checksum)
				case "1":
					checked++
				case "0":
					if c.name == "spoiled-tcp" && j == 2 {
						sawBad = true
						continue
					}
					fallthrough
				default:
					t.Errorf("%s: tshark %s = %s (0 is bad) in %s", c.name, fields[j], st, protos)
				}
			}
		}
		if col[11] != "" {
			t.Errorf("%s: tshark reports a malformed packet: %s", c.name, line)
		}
		// tshark 4.0 prints vxlan.vni in decimal, geneve.vni and gre.key in hex.
		want := map[string]string{"vxlan": "11259375", "geneve": "0x001001", "geneve-eth": "0x001002"}[c.spec.tunnel]
		switch c.spec.tunnel {
		case "vxlan":
			if col[8] != want {
				t.Errorf("%s: tshark vxlan.vni %q, want %s", c.name, col[8], want)
			}
		case "geneve", "geneve-eth":
			if col[9] != want {
				t.Errorf("%s: tshark geneve.vni %q, want %s", c.name, col[9], want)
			}
		case "nvgre":
			if col[10] != "0x1234569a" {
				t.Errorf("%s: tshark gre.key %q", c.name, col[10])
			}
		}
		if c.spec.l4 != "" && !strings.Contains(protos, c.spec.l4) {
			t.Errorf("%s: tshark did not dissect %s: %s", c.name, c.spec.l4, protos)
		}
	}
	if !sawBad {
		t.Error("tshark did not find the spoiled TCP checksum bad: is checksum validation on?")
	}
	t.Logf("tshark verified %d checksums in %d dpkit-built packets", checked, len(cases))
}
