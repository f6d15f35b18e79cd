package bench

import (
	"bytes"
	"strings"
	"testing"

	"github.com/dpkit/dpkit/mempool"
)

func TestIPFragQuick(t *testing.T) {
	var b bytes.Buffer
	if err := IPFrag(&b, Options{Quick: true, Lcores: "0-1023"}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"ipfrag_fragment4_9000_ns ", "ipfrag_fragreasm6_9000_ns ", "gso_tcp4_64000_ns ",
		"gso_tcp4_64000_swcsum_ns ", "gro_burst32_tcp4x4_ns_per_pkt "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, p := range mempool.Pools() {
		if strings.HasPrefix(p.Name(), "bench-ipfrag-") {
			t.Errorf("pool %s left open", p.Name())
		}
	}
}
