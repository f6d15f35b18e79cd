package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/internal/testutil"
	"github.com/dpkit/dpkit/mbuf"
)

func TestMain(m *testing.M) { testutil.Main(m) }

type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Port 0 is a net_null source, port 1 a net_ring loopback: what l2fwd
// sends to port 1 comes back to it, so an rx callback on port 1 sees the
// rewritten addresses; statistics come every second.
func TestL2fwd(t *testing.T) {
	var stop atomic.Bool
	var out lockedBuf
	cpu := eal.AllowedCPUs()[0]
	args := []string{"--lcores", fmt.Sprintf("0@%d,1@%d,2@%d", cpu, cpu, cpu), "--no-huge",
		"--vdev", "net_null0", "--vdev", "net_ring0", "--vdev", "net_null1", "--", "-T", "1", "-p", "0x3"}
	var seenDst, seenSrc atomic.Value
	go func() {
		// Watch port 1's rx queue once l2fwd has opened it.
		for !stop.Load() {
			if p := ethdev.PortByName("net_ring0"); p != nil && p.State() == ethdev.StateStarted {
				_, err := p.AddRxCallback(0, func(_, _ uint16, pkts []*mbuf.Mbuf, n int) int {
					if n > 0 && seenDst.Load() == nil {
						d := pkts[0].Data()
						seenDst.Store(fmt.Sprintf("% x", d[0:6]))
						seenSrc.Store(fmt.Sprintf("% x", d[6:12]))
					}
					return n
				})
				if err != nil {
					t.Error(err)
				}
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	// Stop after the first periodic screen (or 20 s on a starved machine).
	go func() {
		for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if strings.Contains(out.String(), "Port statistics") {
				break
			}
		}
		stop.Store(true)
	}()
	if err := run(args, &stop, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	s := out.String()
	if n := strings.Count(s, "Port statistics ===================================="); n < 2 {
		t.Errorf("%d statistics screens, want at least one period and the final one:\n%s", n, s)
	}
	all := regexp.MustCompile(`Total packets sent: +(\d+)\nTotal packets received: +(\d+)\nTotal packets dropped: +(\d+)\n=+\n`).FindAllStringSubmatch(s, -1)
	if all == nil {
		t.Fatalf("no final aggregate statistics:\n%s", s)
	}
	m := all[len(all)-1]
	sent, _ := strconv.ParseUint(m[1], 10, 64)
	rcvd, _ := strconv.ParseUint(m[2], 10, 64)
	dropped, _ := strconv.ParseUint(m[3], 10, 64)
	if sent == 0 || sent+dropped != rcvd {
		t.Errorf("sent %d + dropped %d != received %d", sent, dropped, rcvd)
	}
	// Packets that reached port 1 were sent to port 1: destination
	// 02:00:00:00:00:01, source port 1's own address.
	if d := seenDst.Load(); d != "02 00 00 00 00 01" {
		t.Errorf("destination seen on port 1: %v", d)
	}
	if seenSrc.Load() == nil {
		t.Errorf("no source address seen")
	}
	if !strings.Contains(s, "Closing port 1... Done") {
		t.Errorf("ports not closed:\n%s", s)
	}
}

func TestOddPorts(t *testing.T) {
	var stop atomic.Bool
	err := run([]string{"--no-huge", "--vdev", "net_null0"}, &stop, &lockedBuf{})
	if err == nil || !strings.Contains(err.Error(), "even number of ports") {
		t.Errorf("one port: %v", err)
	}
}
