package testpmd

import (
	"bytes"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	_ "github.com/dpkit/dpkit/driver/net/pcap"
	"github.com/dpkit/dpkit/ethdev"
	_ "github.com/dpkit/dpkit/offload" // checksums the ports lack, in software
)

// TestPcapLikeDPDK runs dpkit testpmd exactly as DPDK's testpmd was run to
// make testdata/out_<mode>.pcap (a net_pcap port reading in.pcap, see
// testdata/README.md), through the shell, and compares the files it
// writes with DPDK's, frame by frame. The port's own address differs (DPDK
// gave 02:70:63:61:70:00, dpkit numbers its pcap ports): it is mapped
// before comparing.
func TestPcapLikeDPDK(t *testing.T) {
	dpdkMAC := []byte{0x02, 0x70, 0x63, 0x61, 0x70, 0x00}
	macRe := regexp.MustCompile(`Port 0: ([0-9A-F:]{17})`)
	for _, c := range []struct {
		mode, want string
		n          int // frames to compare; 0: all, and no more
		rx         bool
	}{
		{"io", "out_io.pcap", 0, true},
		{"mac", "out_mac.pcap", 0, true},
		{"macswap", "out_macswap.pcap", 0, true},
		{"5tswap", "out_5tswap.pcap", 0, true},
		{"icmpecho", "out_icmpecho.pcap", 0, true},
		{"csum", "out_csum.pcap", 0, true},
		{"txonly", "txonly_default.pcap", 4, false},
		{"flowgen", "out_flowgen.pcap", 40, false},
	} {
		t.Run(c.mode, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.pcap")
			vdev := "net_pcap0,tx_pcap=" + out
			if c.rx {
				vdev += ",rx_pcap=testdata/in.pcap"
			}
			want := readPcap(t, "testdata/"+c.want)
			n := c.n
			if n == 0 {
				n = len(want)
			}
			text, code := runSessionWait(t, []string{"--vdev", vdev, "--", "-i", "--no-flush-rx", "--forward-mode=" + c.mode,
				"--eth-peer=0,02:00:00:00:00:09", "--total-num-mbufs=2048"}, []string{"start", waitLine, "stop", "quit"}, 50*time.Millisecond,
				portWait(t, "net_pcap0", func(s ethdev.Stats) bool { return s.OPackets >= uint64(n) }))
			if code != ExitOK {
				t.Fatalf("exit %d\n%s", code, text)
			}
			m := macRe.FindStringSubmatch(text)
			if m == nil {
				t.Fatalf("no port address in\n%s", text)
			}
			mac, _ := ParseMAC(m[1])
			got := readPcap(t, out)
			for i := range got {
				got[i] = bytes.ReplaceAll(got[i], mac[:], dpdkMAC)
			}
			if c.n > 0 {
				if len(got) < c.n {
					t.Fatalf("sent %d frames, want at least %d", len(got), c.n)
				}
				got, want = got[:c.n], want[:c.n]
			}
			comparePackets(t, got, want)
		})
	}
}

// TestCsumHwLikeDPDK: "csum set ip|udp|tcp hw" on a port that has no
// checksum offload (net_pcap) hands the checksums to ethdev's software
// offload stage; the frames written must be those DPDK's csum engine
// computed in software (testdata/out_csum.pcap), byte for byte. Setting
// it on a started port is refused, as DPDK does.
func TestCsumHwLikeDPDK(t *testing.T) {
	dpdkMAC := []byte{0x02, 0x70, 0x63, 0x61, 0x70, 0x00}
	macRe := regexp.MustCompile(`Port 0: ([0-9A-F:]{17})`)
	out := filepath.Join(t.TempDir(), "out.pcap")
	want := readPcap(t, "testdata/out_csum.pcap")
	text, code := runSessionWait(t, []string{"--vdev", "net_pcap0,rx_pcap=testdata/in.pcap,tx_pcap=" + out, "--", "-i", "--no-flush-rx",
		"--forward-mode=csum", "--eth-peer=0,02:00:00:00:00:09", "--total-num-mbufs=2048"},
		[]string{"csum set tcp hw 0", "port stop 0", "csum set ip hw 0", "csum set udp hw 0", "csum set tcp hw 0", "port start 0",
			"start", waitLine, "stop", "show port xstats 0", "quit"}, 50*time.Millisecond,
		portWait(t, "net_pcap0", func(s ethdev.Stats) bool { return s.OPackets >= uint64(len(want)) }))
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, text)
	}
	if !regexp.MustCompile(`Please stop port 0 first`).MatchString(text) {
		t.Errorf("csum set on a started port was not refused:\n%s", text)
	}
	m := macRe.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no port address in\n%s", text)
	}
	mac, _ := ParseMAC(m[1])
	got := readPcap(t, out)
	for i := range got {
		got[i] = bytes.ReplaceAll(got[i], mac[:], dpdkMAC)
	}
	comparePackets(t, got, want)
}
