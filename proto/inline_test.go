package proto

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestInlining fails when a hot accessor or helper stops being inlined
// (as net/netip does): each costs a call per packet otherwise.
func TestInlining(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIP: -short: the inlining check builds the package")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("SKIP: no go command in PATH: inlining not checked")
	}
	out, err := exec.Command(gobin, "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	got := map[string]bool{}
	re := regexp.MustCompile(`can inline (\S+)`)
	for _, line := range strings.Split(string(out), "\n") {
		if m := re.FindStringSubmatch(line); m != nil {
			got[m[1]] = true
		}
	}
	for _, want := range []string{
		"ParsePtype", "Combine", "Fold", "UpdateChecksum16", "UpdateChecksum32",
		"Ethernet.Type", "Ethernet.Dst", "VLAN.ID",
		"IPv4.HeaderLen", "IPv4.TTL", "IPv4.Protocol", "IPv4.Src", "IPv4.Dst", "IPv4.TotalLen", "IPv4.IsFragment",
		"IPv4.SetTTL", "IPv4.SetChecksum", "IPv4.PseudoHeaderSum",
		"IPv6.NextHeader", "IPv6.PayloadLen", "IPv6.Src", "IPv6.Dst",
		"TCP.SrcPort", "TCP.DstPort", "TCP.HeaderLen", "TCP.Flags", "TCP.SetSrcPort",
		"UDP.SrcPort", "UDP.DstPort", "UDP.Length",
		"VXLAN.VNI", "GENEVE.VNI", "GENEVE.HeaderLen", "GRE.Protocol", "MPLS.Label",
		"(*HdrLens).Total",
	} {
		if !got[want] {
			t.Errorf("%s is not inlined any more", want)
		}
	}
}
