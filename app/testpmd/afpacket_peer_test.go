package testpmd

import (
	"testing"
	"time"

	_ "github.com/dpkit/dpkit/driver/net/afpacket"
	"github.com/dpkit/dpkit/internal/dpdktest"
	"github.com/dpkit/dpkit/internal/netns/netnstest"
)

// TestDPDKPeerAfPacket: dpkit testpmd and DPDK 22.11's dpdk-testpmd on the
// two ends of a veth pair, each in a namespace of its own, both on
// net_af_packet. Each side in turn sends exactly 4 bursts of 32 64-byte
// packets (start tx_first 4, io mode) while the other runs rxonly and
// counts them: packets and bytes must match exactly. Then DPDK generates
// (txonly) and dpkit reflects (macswap): DPDK receives what came back.
func TestDPDKPeerAfPacket(t *testing.T) {
	netnstest.Require(t)
	a, b := netnstest.New(t), netnstest.New(t)
	va, vb := netnstest.NewVeth(t, a, b)
	tp := dpdktest.StartIn(t, b.Name(), "dpkit-testpmd-afp", []string{"net_af_packet0,iface=" + vb}, nil)
	tp.LinkUp(0)
	const want = 4 * 32

	dpkit := func(mode string, lines []string, wait func()) string {
		t.Helper()
		var out string
		var code int
		if err := a.Do(func() error {
			out, code = runSessionWait(t, []string{"--vdev", "net_af_packet0,iface=" + va, "--", "-i", "--forward-mode=" + mode},
				lines, 50*time.Millisecond, wait)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if code != ExitOK {
			t.Fatalf("dpkit testpmd exit %d:\n%s", code, out)
		}
		return out
	}
	nic := func(out string) (rxPkts, rxBytes, txPkts, txBytes uint64) {
		t.Helper()
		m := nicRe.FindAllStringSubmatch(out, -1)
		if m == nil {
			t.Fatalf("no port stats in:\n%s", out)
		}
		last := m[len(m)-1]
		return atoi(t, last[2]), atoi(t, last[4]), atoi(t, last[7]), atoi(t, last[9])
	}

	// DPDK -> dpkit.
	out := dpkit("rxonly", []string{"start", waitLine, "show port stats 0", "stop", "quit"}, func() {
		time.Sleep(300 * time.Millisecond) // dpkit's port up
		tp.Send("set fwd io")
		tp.Send("start tx_first 4")
		time.Sleep(500 * time.Millisecond)
		tp.Stop()
		time.Sleep(100 * time.Millisecond)
	})
	st := tp.PortStats(0)
	if rx, rxb, _, _ := nic(out); st["TX-packets"] != want || rx != want || rxb != want*64 {
		t.Errorf("DPDK sent %d packets; dpkit received %d packets, %d bytes; want %d, %d", st["TX-packets"], rx, rxb, want, want*64)
	}

	// dpkit -> DPDK.
	tp.Send("clear port stats 0")
	tp.Send("set fwd rxonly")
	tp.Send("start")
	out = dpkit("io", []string{"start tx_first 4", waitLine, "show port stats 0", "stop", "quit"}, func() {
		time.Sleep(500 * time.Millisecond)
	})
	tp.Stop()
	st = tp.PortStats(0)
	if _, _, tx, txb := nic(out); tx != want || txb != want*64 || st["RX-packets"] != want || st["RX-bytes"] != want*64 {
		t.Errorf("dpkit sent %d packets, %d bytes; DPDK received %d, %d; want %d, %d", tx, txb, st["RX-packets"], st["RX-bytes"], want, want*64)
	}

	// DPDK txonly -> dpkit macswap -> back to DPDK, which then drains
	// what came back (rxonly). DPDK's txonly does not poll rx, so what
	// it gets back is what its socket's ring held meanwhile (the kernel
	// drops the rest): not an exact count, a check that the reflection
	// reaches it.
	tp.Send("clear port stats 0")
	var dpkitTx uint64
	out = dpkit("macswap", []string{"start", waitLine, "stop", "show port stats 0", "quit"}, func() {
		time.Sleep(300 * time.Millisecond)
		tp.Send("set fwd txonly")
		tp.Send("start")
		time.Sleep(300 * time.Millisecond)
		tp.Stop()
		time.Sleep(200 * time.Millisecond)
	})
	_, _, dpkitTx, _ = nic(out)
	tp.Send("set fwd rxonly")
	tp.Send("start")
	time.Sleep(300 * time.Millisecond)
	tp.Stop()
	st = tp.PortStats(0)
	if dpkitTx == 0 || st["RX-packets"] == 0 || st["RX-packets"] > dpkitTx {
		t.Errorf("dpkit reflected %d packets, DPDK got back %d", dpkitTx, st["RX-packets"])
	}
	t.Logf("reflection: DPDK sent %d, dpkit sent back %d, DPDK received %d", st["TX-packets"], dpkitTx, st["RX-packets"])
}
