package bench

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dpkit/dpkit/internal/netns/netnstest"
)

func TestAFPacket(t *testing.T) {
	if err := AFPacket(&bytes.Buffer{}, Options{Quick: true}); err == nil || !strings.Contains(err.Error(), "-iface0") {
		t.Errorf("without interfaces: %v, want an error naming -iface0", err)
	}
	netnstest.Require(t)
	ns := netnstest.New(t)
	va, vb := netnstest.NewVeth(t, ns, ns)
	old := afpacketFlags
	defer func() { afpacketFlags = old }()
	afpacketFlags.iface0, afpacketFlags.iface1 = va, vb
	afpacketFlags.burst, afpacketFlags.inject, afpacketFlags.size, afpacketFlags.tpacket = 32, 2, 64, 2
	var out bytes.Buffer
	err := ns.Do(func() error { return AFPacket(&out, Options{Quick: true, Lcores: "0", Time: 200 * time.Millisecond}) })
	if err != nil {
		t.Fatalf("AFPacket: %v\n%s", err, out.String())
	}
	for _, line := range strings.Split(out.String(), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "afpacket_io_fwd_kpps" {
			if v, err := strconv.ParseFloat(f[1], 64); err != nil || v <= 0 {
				t.Errorf("figure %q: want a positive rate", line)
			}
			return
		}
	}
	t.Errorf("no afpacket_io_fwd_kpps figure in:\n%s", out.String())
}
