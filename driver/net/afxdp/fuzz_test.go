package afxdp_test

import (
	"strings"
	"testing"

	"github.com/dpkit/dpkit/ethdev"
)

// FuzzDevargs opens net_af_xdp with arbitrary devargs: an error or a
// port, never a panic. Interfaces are looked up, never attached to (no
// Configure).
func FuzzDevargs(f *testing.F) {
	for _, s := range []string{"iface=lo", "iface=lo,start_queue=3,queue_count=2", "iface=", "busy_budget=9",
		"iface=lo,force_copy=1", "iface=lo,xdp_prog=a.o", "iface=lo,shared_umem=1", "iface=lo,queue_count=99999999999999999999",
		"iface=lo,,", "=,="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ethdev.Open("net_af_xdp_fz," + s)
		if err != nil {
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatalf("Open(%q): an empty error", s)
			}
			return
		}
		p.Close()
	})
}
