package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

// Port 0 is a net_null source, port 1 a net_ring loopback: what the
// skeleton sends to port 1 comes back to it and goes to port 0, so both
// directions move and the way back trails by at most a ring's worth.
func TestForward(t *testing.T) {
	var stop atomic.Bool
	time.AfterFunc(300*time.Millisecond, func() { stop.Store(true) })
	var out strings.Builder
	cpu := eal.AllowedCPUs()[0]
	args := []string{"-l", fmt.Sprint(cpu), "--no-huge", "--vdev", "net_null0", "--vdev", "net_ring0"}
	if cpu >= eal.MaxLcore {
		args[0], args[1] = "--lcores", fmt.Sprintf("0@%d", cpu)
	}
	if err := run(args, &stop, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	m := regexp.MustCompile(`port 0 -> port 1: (\d+) packets\nport 1 -> port 0: (\d+) packets`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no counts in\n%s", out.String())
	}
	there, _ := strconv.ParseUint(m[1], 10, 64)
	back, _ := strconv.ParseUint(m[2], 10, 64)
	if there == 0 || back == 0 || back > there || there-back > 1024 {
		t.Errorf("forwarded %d to port 1 and %d back: want both > 0, back <= there <= back+1024", there, back)
	}
	if !strings.Contains(out.String(), "Port 0 MAC: ") || !strings.Contains(out.String(), "forwarding packets") {
		t.Errorf("output:\n%s", out.String())
	}
}

// Anything but two ports is refused.
func TestOnePort(t *testing.T) {
	var stop atomic.Bool
	stop.Store(true)
	if err := run([]string{"--vdev", "net_null0"}, &stop, &strings.Builder{}); err == nil || !strings.Contains(err.Error(), "2 ports") {
		t.Errorf("one port: %v", err)
	}
}
