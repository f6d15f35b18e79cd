package bench

import (
	"bytes"
	"strings"
	"testing"

	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

func TestProtoQuick(t *testing.T) {
	var b bytes.Buffer
	if err := Proto(&b, Options{Quick: true, Lcores: "0-1023"}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"cksum_aligned_1500_cycles_per_block ", "cksum_unaligned_21_cycles_per_block ", "ptype_vxlan_ns_per_pkt "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	tcp4, vxlan := protoBenchPackets()
	if pt, _ := proto.GetPtype(tcp4); pt != mbuf.PtypeL2Ether|mbuf.PtypeL3IPv4|mbuf.PtypeL4TCP {
		t.Errorf("tcp4 packet parses as %s", mbuf.PtypeString(pt))
	}
	if pt, _ := proto.GetPtype(vxlan); pt&mbuf.PtypeTunnelMask != mbuf.PtypeTunnelVXLAN || pt&mbuf.PtypeInnerL4Mask != mbuf.PtypeInnerL4TCP {
		t.Errorf("vxlan packet parses as %s", mbuf.PtypeString(pt))
	}
}
