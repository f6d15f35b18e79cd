package netnstest

import (
	"net"
	"strings"
	"testing"
)

func TestVethAcrossNamespaces(t *testing.T) {
	Require(t)
	a, b := New(t), New(t)
	va, vb := NewVeth(t, a, b)
	if out := a.Run(t, "ip", "-o", "link", "show", va); !strings.Contains(out, "state UP") && !strings.Contains(out, "LOWER_UP") {
		t.Errorf("%s not up in %s: %s", va, a.Name(), out)
	}
	if out := b.Run(t, "ip", "-o", "link", "show", vb); !strings.Contains(out, vb) {
		t.Errorf("%s not in %s: %s", vb, b.Name(), out)
	}
	// Do enters the namespace: the interface is visible there and not here.
	if _, err := net.InterfaceByName(va); err == nil {
		t.Errorf("%s visible outside its namespace", va)
	}
	err := a.Do(func() error {
		_, err := net.InterfaceByName(va)
		return err
	})
	if err != nil {
		t.Errorf("Do: %s not visible inside %s: %v", va, a.Name(), err)
	}
	// IPv6 is off (no spontaneous kernel traffic).
	if out := a.Run(t, "cat", "/proc/sys/net/ipv6/conf/"+va+"/disable_ipv6"); strings.TrimSpace(out) != "1" {
		t.Errorf("IPv6 on %s: disable_ipv6=%q", va, out)
	}
}
