package all_test

import (
	"os"
	"path/filepath"
	"testing"

	_ "github.com/dpkit/dpkit/driver/net/all"
	"github.com/dpkit/dpkit/ethdev"
)

// TestEveryDriverRegistered: every package under driver/net registers a
// driver once this package is imported (a new driver must be added here).
func TestEveryDriverRegistered(t *testing.T) {
	dirs, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"afpacket": "net_af_packet", "afxdp": "net_af_xdp", "memif": "net_memif", "null": "net_null", "pcap": "net_pcap", "ring": "net_ring", "tap": "net_tap"}
	have := map[string]bool{}
	for _, d := range ethdev.Drivers() {
		have[d.Name] = true
	}
	for _, d := range dirs {
		if !d.IsDir() || d.Name() == "all" {
			continue
		}
		if m, _ := filepath.Glob(filepath.Join("..", d.Name(), "*.go")); len(m) == 0 {
			continue
		}
		name, ok := want[d.Name()]
		if !ok {
			t.Errorf("driver/net/%s is not imported by driver/net/all (add it, and to this test)", d.Name())
			continue
		}
		if !have[name] {
			t.Errorf("driver/net/%s: %s not registered", d.Name(), name)
		}
	}
}
