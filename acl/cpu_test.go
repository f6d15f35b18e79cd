package acl

import (
	"os"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// TestCPUTimePerKey prints the thread CPU time per key of classifying the
// ACL_RULES/ACL_TRACE set (best of 7 passes): a figure that, unlike wall
// time, leaves out the time the thread was descheduled on a shared
// machine. It only runs with those variables set.
func TestCPUTimePerKey(t *testing.T) {
	if os.Getenv("ACL_RULES") == "" {
		t.Skip("set ACL_RULES and ACL_TRACE to rule and trace files")
	}
	cfg, rules, keys := benchSet(&testing.B{})
	c, err := Build(cfg, rules)
	if err != nil {
		t.Fatal(err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	res := make([]uint32, 256)
	best := 0.0
	for range 7 {
		var t0, t1 unix.Timespec
		_ = unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &t0)
		n := 0
		for range 10 {
			for i := 0; i+256 <= len(keys); i += 256 {
				_ = c.Classify(keys[i:i+256], res, 1)
				n += 256
			}
		}
		_ = unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &t1)
		ns := float64(t1.Nano()-t0.Nano()) / float64(n)
		if best == 0 || ns < best {
			best = ns
		}
	}
	t.Logf("%.2f ns CPU per key, %d groups, %d bytes", best, c.Groups(), c.Size())
}
