package testpmd

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/dpkit/dpkit/driver/net/null"
	_ "github.com/dpkit/dpkit/driver/net/ring"
	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/ethdev"
)

// lcoreArgs gives two lcores on the first allowed CPU: tests do not need
// two CPUs.
func lcoreArgs() []string {
	cpu := eal.AllowedCPUs()[0]
	return []string{"--lcores", fmt.Sprintf("0@%d,1@%d", cpu, cpu), "--no-huge", "-m", "256", "--file-prefix", "testpmd-test"}
}

// slowReader hands out one line at a time, waiting before each, the way
// a script paced with sleeps drives DPDK's testpmd.
type slowReader struct {
	lines []string
	delay time.Duration
	wait  func() // called at each waitLine
}

func (r *slowReader) Read(p []byte) (int, error) {
	for len(r.lines) > 0 && r.lines[0] == waitLine {
		r.wait()
		r.lines = r.lines[1:]
	}
	if len(r.lines) == 0 {
		return 0, ioEOF
	}
	time.Sleep(r.delay)
	n := copy(p, r.lines[0]+"\n")
	r.lines = r.lines[1:]
	return n, nil
}

// waitLine in a session's lines makes the writer call the session's wait
// function there instead of writing a line.
const waitLine = "\x00wait"

// portWait returns a wait function that polls the named port until cond
// holds on its stats (20 s at most: the machine may be starved, and a
// forwarding lcore that never ran before "stop" forwards nothing).
func portWait(t *testing.T, name string, cond func(ethdev.Stats) bool) func() {
	return func() {
		for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
			if p := ethdev.PortByName(name); p != nil && cond(p.Stats()) {
				return
			}
		}
		t.Errorf("port %s: condition not met in 20 s", name)
	}
}

func runSession(t *testing.T, args []string, lines []string, delay time.Duration) (string, int) {
	return runSessionWait(t, args, lines, delay, nil)
}

func runSessionWait(t *testing.T, args []string, lines []string, delay time.Duration, wait func()) (string, int) {
	t.Helper()
	// A real pipe, as "echo ... | dpdk-testpmd" scripts use, written at a
	// script's pace.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	go func() {
		defer pw.Close()
		for _, l := range lines {
			if l == waitLine {
				if wait != nil {
					wait()
				}
				continue
			}
			time.Sleep(delay)
			if _, err := io.WriteString(pw, l+"\n"); err != nil {
				return
			}
		}
	}()
	var out, errb bytes.Buffer
	code := Run(append(lcoreArgs(), args...), RunConfig{Stdin: pr, Stdout: &out, Stderr: &errb, Signals: make(chan os.Signal)})
	if errb.Len() > 0 {
		t.Logf("stderr: %s", errb.String())
	}
	return out.String(), code
}

var (
	fwdRe   = regexp.MustCompile(`Forward statistics for port (\d+) +-+\n  RX-packets: (\d+) +RX-dropped: (\d+) +RX-total: (\d+)\n  TX-packets: (\d+) +TX-dropped: (\d+) +TX-total: (\d+)`)
	accumRe = regexp.MustCompile(`Accumulated forward statistics for all ports\++\n  RX-packets: (\d+) +RX-dropped: (\d+) +RX-total: (\d+)\n  TX-packets: (\d+) +TX-dropped: (\d+) +TX-total: (\d+)`)
	nicRe   = regexp.MustCompile(`NIC statistics for port (\d+) +#+\n  RX-packets: (\d+) +RX-missed: (\d+) +RX-bytes:  (\d+)\n  RX-errors: (\d+)\n  RX-nombuf:  (\d+) *\n  TX-packets: (\d+) +TX-errors: (\d+) +TX-bytes:  (\d+)`)
)

func atoi(t *testing.T, s string) uint64 {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSessionRing drives testpmd through a pipe as a script drives DPDK's:
// two net_ring loopback ports, "start tx_first" puts 32 packets on each
// stream and io forwarding keeps the 64 circulating; the counts must add
// up and every mbuf must be back in the pool at the end.
func TestSessionRing(t *testing.T) {
	out, code := runSessionWait(t, []string{"--vdev", "net_ring0", "--vdev", "net_ring1", "--", "-i", "--total-num-mbufs=4096"},
		[]string{"show port stats all", "start tx_first", waitLine, "show port stats all", "stop", "show port stats all", "quit"}, 100*time.Millisecond,
		portWait(t, "net_ring0", func(s ethdev.Stats) bool { return s.IPackets > 10000 }))
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{"testpmd> show port stats all\r\n", "testpmd> start tx_first\r\n", "Port 0: ", "Port 1: ",
		"io packet forwarding - ports=2 - cores=1 - streams=2", "Telling cores to stop...", "\nDone.\n", "Port 1 is closed", "Bye..."} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	fw := fwdRe.FindAllStringSubmatch(out, -1)
	acc := accumRe.FindStringSubmatch(out)
	if len(fw) != 2 || acc == nil {
		t.Fatalf("forward statistics missing:\n%s", out)
	}
	var rx, tx uint64
	for _, m := range fw {
		prx, ptx := atoi(t, m[2]), atoi(t, m[5])
		if prx == 0 || ptx == 0 || atoi(t, m[3]) != 0 || atoi(t, m[6]) != 0 || atoi(t, m[4]) != prx || atoi(t, m[7]) != ptx {
			t.Errorf("port %s: %q", m[1], m[0])
		}
		rx += prx
		tx += ptx
	}
	if atoi(t, acc[1]) != rx || atoi(t, acc[4]) != tx {
		t.Errorf("accumulated %q is not the sum of the ports' (rx %d tx %d)", acc[0], rx, tx)
	}
	// Every packet sent was received except those still on the rings at
	// stop: at most the 64 tx_first put in.
	if tx < rx || tx-rx > 64 {
		t.Errorf("sent %d, received %d: the 64 packets of tx_first do not add up", tx, rx)
	}
	nic := nicRe.FindAllStringSubmatch(out, -1)
	if len(nic) != 6 {
		t.Fatalf("found %d NIC statistics blocks, want 6", len(nic))
	}
	for _, m := range nic[:2] {
		if m[2] != "0" || m[7] != "0" {
			t.Errorf("before start: %q", m[0])
		}
	}
	// After stop the port counters do not move, and the ring ports count
	// 64-byte frames.
	for i, m := range nic[4:] {
		if m[2] != nic[2+i][2] && atoi(t, m[2]) < atoi(t, nic[2+i][2]) {
			t.Errorf("port %d counters went back: %q then %q", i, nic[2+i][0], m[0])
		}
		if atoi(t, m[4]) != 64*atoi(t, m[2]) || atoi(t, m[9]) != 64*atoi(t, m[7]) {
			t.Errorf("port %d bytes are not 64 per packet: %q", i, m[0])
		}
	}
}

// TestSessionNullEngines starts and stops every engine on net_null ports.
func TestSessionNullEngines(t *testing.T) {
	var lines []string
	for _, e := range EngineNames() {
		lines = append(lines, "set fwd "+e, "start", "stop")
	}
	lines = append(lines, "set fwd txonly", "start", "show config fwd", "show fwd stats all", "show port stats all", "set txpkts 100", "stop",
		"set fwd nosuch", "show fwd stats all", "nonsense", "help", "help all", "show config fwd",
		"set burst 0", "set burst 64", "set nbcore 1", "port stop all", "start", "port start 1", "csum set ip hw 0", "port start all",
		"show port info all", "show port xstats 1", "clear port stats all", "clear fwd stats all", "set promisc 0 off", "quit")
	out, code := runSession(t, []string{"--vdev", "net_null0", "--vdev", "net_null1,size=128", "--", "-i"}, lines, 20*time.Millisecond)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, e := range EngineNames() {
		if !strings.Contains(out, "Set "+e+" packet forwarding mode\n") || !strings.Contains(out, e+" packet forwarding - ports=2") {
			t.Errorf("engine %s did not run", e)
		}
	}
	for _, want := range []string{"Bad arguments", "Command not found", "Help is available for the following sections:",
		"start tx_first [n]", "Number of packets per burst set to 64", "Number of forwarding cores set to 1",
		"Please start all ports before starting forwarding", "IP checksum offload is hw", "Device name: net_null1",
		"###### NIC extended statistics for port 1", "NIC statistics for port 1 cleared", "Bad-ipcsum:"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
}

// waitFor waits until out holds n copies of s (20 s at most: the machine
// may be starved).
func waitFor(t *testing.T, out *syncBuf, s string, n int) {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if strings.Count(out.String(), s) >= n {
			return
		}
	}
	t.Errorf("no %d x %q in 20 s", n, s)
}

// TestNonInteractive: --stats-period prints the port statistics screen
// until a signal (Enter or the end of the input does not end the run), then
// the forward statistics; --tx-first and txonly.
func TestNonInteractive(t *testing.T) {
	sigs := make(chan os.Signal, 1)
	out := &syncBuf{b: &bytes.Buffer{}}
	done := make(chan int)
	go func() {
		done <- Run(append(lcoreArgs(), "--vdev", "net_null0", "--vdev", "net_null1", "--",
			"--forward-mode=txonly", "--stats-period", "1", "--txpkts=100"),
			RunConfig{Stdin: strings.NewReader("\n"), Stdout: out, Stderr: out, Signals: sigs}) // input is not read, as DPDK's
	}()
	waitFor(t, out, "Port statistics ====================================", 2)
	sigs <- syscall.SIGINT
	code := <-done
	s := out.String()
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, s)
	}
	for _, want := range []string{"Set txonly packet forwarding mode", "packet len=100 - nb packet segments=1",
		"Signal 2 received, preparing to exit...", "Accumulated forward statistics", "Bye..."} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	acc := accumRe.FindStringSubmatch(s)
	if acc == nil || acc[1] != "0" || atoi(t, acc[4]) == 0 {
		t.Errorf("txonly: want RX 0 and TX > 0, got %q", acc)
	}
}

// TestArgErrors: bad command lines are refused with the flag named.
func TestArgErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, `unknown option "--bogus"`},
		{[]string{"--vdev", "net_null0", "--", "--bogus"}, "unrecognized option '--bogus'"},
		{[]string{"--vdev", "net_null0", "--", "--rxq=abc"}, "--rxq=abc"},
		{[]string{"--vdev", "net_null0", "--", "--forward-mode=foo"}, "invalid foo packet forwarding mode"},
		{[]string{"--"}, "no ports"},
		{[]string{"--vdev", "net_nosuch0", "--"}, "net_nosuch0"},
		{[]string{"--vdev", "net_null0,bogus=1", "--"}, "bogus"},
	} {
		var out, errb bytes.Buffer
		code := Run(append(lcoreArgs(), c.args...), RunConfig{Stdout: &out, Stderr: &errb, Signals: make(chan os.Signal)})
		if code == ExitOK || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%q: exit %d, stderr %q; want an error with %q", c.args, code, errb.String(), c.want)
		}
	}
	var out bytes.Buffer
	if code := Run([]string{"--", "-h"}, RunConfig{Stdout: &out, Stderr: &out}); code != ExitOK || !strings.Contains(out.String(), "--forward-mode") {
		t.Errorf("-h: exit %d, %q", code, out.String())
	}
}

// TestSessionMultiQueue: two queues per port and two forwarding lcores
// give four streams, two per lcore; changing nbcore re-binds the queues to
// their new lcores and the counts still add up.
func TestSessionMultiQueue(t *testing.T) {
	cpu := eal.AllowedCPUs()[0]
	var out, errb bytes.Buffer
	lines := []string{"show config fwd", "start tx_first", waitLine, "stop", "set nbcore 1", "show config fwd", "start tx_first 2", waitLine, "stop", "quit"}
	// Wait for each run to move packets on both ports (their counters
	// restart when the queues are set up again).
	wait := func() {
		time.Sleep(100 * time.Millisecond)
		portWait(t, "net_ring0", func(s ethdev.Stats) bool { return s.IPackets > 1000 })()
		portWait(t, "net_ring1", func(s ethdev.Stats) bool { return s.IPackets > 1000 })()
	}
	code := Run([]string{"--lcores", fmt.Sprintf("0@%d,1@%d,2@%d", cpu, cpu, cpu), "--no-huge", "-m", "256",
		"--vdev", "net_ring0", "--vdev", "net_ring1", "--", "-i", "--rxq=2", "--txq=2", "--nb-cores=2"},
		RunConfig{Stdin: &slowReader{lines: lines, delay: 50 * time.Millisecond, wait: wait}, Stdout: &out, Stderr: &errb, Signals: make(chan os.Signal)})
	s := out.String()
	if code != ExitOK {
		t.Fatalf("exit %d: %s\n%s", code, errb.String(), s)
	}
	for _, want := range []string{
		"io packet forwarding - ports=2 - cores=2 - streams=4",
		"Logical Core 1 (socket 0) forwards packets on 2 streams:\n  RX P=0/Q=0 (socket 0) -> TX P=1/Q=0 (socket 0) peer=02:00:00:00:00:01\n  RX P=1/Q=0 (socket 0) -> TX P=0/Q=0 (socket 0) peer=02:00:00:00:00:00\n",
		"Logical Core 2 (socket 0) forwards packets on 2 streams:\n  RX P=0/Q=1 (socket 0) -> TX P=1/Q=1 (socket 0) peer=02:00:00:00:00:01\n  RX P=1/Q=1 (socket 0) -> TX P=0/Q=1 (socket 0) peer=02:00:00:00:00:00\n",
		"io packet forwarding - ports=2 - cores=1 - streams=4",
		"Logical Core 1 (socket 0) forwards packets on 4 streams:",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	accs := accumRe.FindAllStringSubmatch(s, -1)
	if len(accs) != 2 {
		t.Fatalf("%d accumulated blocks", len(accs))
	}
	// tx_first puts one burst (32) per stream per round in flight.
	for i, acc := range accs {
		rx, tx := atoi(t, acc[1]), atoi(t, acc[4])
		inFlight := uint64(4 * 32 * (i + 1))
		if rx == 0 || tx < rx || tx-rx > inFlight {
			t.Errorf("run %d: sent %d, received %d, at most %d in flight", i, tx, rx, inFlight)
		}
	}
}

var macAddrRe = regexp.MustCompile(`[0-9A-F]{2}(:[0-9A-F]{2}){5}`)

// TestTranscriptLikeDPDK feeds dpkit testpmd the commands of
// testdata/dpdk_session2.txt, a session of DPDK's testpmd on two net_null
// ports driven through a pipe, and compares the transcripts line for line
// (the ports' random addresses aside): port config, summary, config
// rxtx/cores/fwd, messages for refused commands, forward and port stats of
// stopped ports.
func TestTranscriptLikeDPDK(t *testing.T) {
	b, err := os.ReadFile("testdata/dpdk_session2.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(macAddrRe.ReplaceAllString(string(b), "MAC"), "\n")
	var cmds []string
	for _, l := range want {
		if c, ok := strings.CutPrefix(l, "testpmd> "); ok {
			cmds = append(cmds, c)
		}
	}
	out, code := runSession(t, []string{"--vdev", "net_null0", "--vdev", "net_null1", "--", "-i"}, cmds, 10*time.Millisecond)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	start := strings.Index(out, "testpmd> ")
	end := strings.Index(out, "testpmd> quit")
	if start < 0 || end < 0 {
		t.Fatalf("no session in\n%s", out)
	}
	end += strings.IndexByte(out[end:], '\n')
	got := strings.Split(macAddrRe.ReplaceAllString(out[start:end], "MAC"), "\n")
	for len(want) > 0 && want[len(want)-1] == "" {
		want = want[:len(want)-1]
	}
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("line %d:\n got %q\nwant %q", i+1, g, w)
		}
	}
}

// TestSessionTxonlyDrops: txonly on one net_ring loopback port fills its
// ring (nobody receives) and the rest is dropped and counted; what sits in
// the ring at exit goes back to the pool when the port closes.
func TestSessionTxonlyDrops(t *testing.T) {
	out, code := runSessionWait(t, []string{"--vdev", "net_ring0", "--", "-i", "--forward-mode=txonly"},
		[]string{"start", waitLine, "show fwd stats all", "clear fwd stats all", "stop", "quit"}, 50*time.Millisecond,
		portWait(t, "net_ring0", func(s ethdev.Stats) bool { return s.OPackets >= 1000 }))
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "Warning! port-topology=paired and odd forward ports number") {
		t.Errorf("no odd-port warning")
	}
	fw := fwdRe.FindAllStringSubmatch(out, -1)
	if len(fw) != 2 {
		t.Fatalf("want 2 forward statistics blocks:\n%s", out)
	}
	// Before the clear: the ring's worth went out (a ring of 1024 holds
	// 1023 or 1024); after it the ring is full and nothing more goes in,
	// whatever the lcore tried (drops, counted, as TestDrops checks).
	if n := atoi(t, fw[0][5]); n < 1000 || n > 1024 {
		t.Errorf("before clear: TX-packets %d, want a ring's worth", n)
	}
	if fw[1][5] != "0" {
		t.Errorf("after clear: want TX-packets 0, got %q", fw[1][0])
	}
	t.Logf("dropped: %s before the clear, %s after", fw[0][6], fw[1][6])
}

// TestSessionPortClose: a closed port's id is not reused; the others keep
// theirs, in every command and in the streams.
func TestSessionPortClose(t *testing.T) {
	out, code := runSession(t, []string{"--vdev", "net_null0", "--vdev", "net_null1", "--vdev", "net_null2", "--", "-i"},
		[]string{"port close 0", "port stop 0", "port stop all", "port close 0", "show port stats 0", "port start all",
			"show port summary all", "show config fwd", "start", "stop", "show port info 2", "quit"}, 20*time.Millisecond)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{
		"Cannot close started device (port 0)",
		"testpmd> show port stats 0\r\nInvalid port 0\n",
		"Port 0 is closed",
		"Number of available ports: 2\nPort MAC Address       Name         Driver         Status   Link\n1    ",
		"\n2    ",
		"io packet forwarding - ports=2 - cores=1 - streams=2",
		"  RX P=1/Q=0 (socket 0) -> TX P=2/Q=0 (socket 0) peer=02:00:00:00:00:02\n  RX P=2/Q=0 (socket 0) -> TX P=1/Q=0 (socket 0) peer=02:00:00:00:00:01\n",
		"Forward statistics for port 1 ", "Forward statistics for port 2 ",
		"Infos for port 2  ", "Device name: net_null2",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out, "Forward statistics for port 0") || strings.Count(out, "Shutting down port") != 2 {
		t.Errorf("closed port 0 still used:\n%s", out)
	}
}

// labels returns the "Label:" of every line of a show port info block
// that has one (values differ between devices; the labels are the layout).
func labels(block string) []string {
	var out []string
	for _, l := range strings.Split(block, "\n") {
		if strings.HasPrefix(l, "  ") {
			continue // the values of "VLAN offload:" and the RSS types
		}
		if k, _, ok := strings.Cut(l, ":"); ok {
			out = append(out, k)
		}
	}
	return out
}

// TestPortInfoLikeDPDK: "show port info" has DPDK's lines, in its order.
func TestPortInfoLikeDPDK(t *testing.T) {
	want := blocks(t, "testdata/dpdk_session.txt", "Infos for port 0", "Device error handling mode")[0]
	out, code := runSession(t, []string{"--vdev", "net_ring0", "--", "-i"}, []string{"show port info 0", "quit"}, 10*time.Millisecond)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	i := strings.Index(out, "Infos for port 0")
	j := strings.Index(out, "Device error handling mode")
	if i < 0 || j < i {
		t.Fatalf("no port info in\n%s", out)
	}
	got := out[i:j] + "Device error handling mode: none\n"
	if g, w := labels(got), labels(want); !slices.Equal(g, w) {
		t.Errorf("labels\n got %q\nwant %q", g, w)
	}
	if !strings.Contains(got, "Promiscuous mode: enabled") {
		t.Errorf("testpmd leaves ports promiscuous, as DPDK's does:\n%s", got)
	}
}
