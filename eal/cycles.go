package eal

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clockStart anchors Nanotime; time.Since uses the monotonic reading.
var clockStart = time.Now()

// Nanotime returns monotonic nanoseconds since the package was initialized.
// It does not allocate and costs one vDSO clock read.
func Nanotime() int64 { return int64(time.Since(clockStart)) }

var (
	tscOnce sync.Once
	tscHz   uint64
)

// TSCHz returns the frequency of the counter returned by Rdtsc, in Hz. The
// first call determines it, from /sys (tsc_freq_khz, where the kernel
// exposes it) or else by calibrating against the monotonic clock for about
// 100 ms; later calls return the cached value.
func TSCHz() uint64 {
	tscOnce.Do(func() {
		if hz := tscHzFromSys(); hz != 0 {
			tscHz = hz
			return
		}
		tscHz = calibrateTSC(100 * time.Millisecond)
	})
	return tscHz
}

// CyclesToNs converts a count of TSC cycles to nanoseconds.
func CyclesToNs(c uint64) float64 {
	return float64(c) * 1e9 / float64(TSCHz())
}

// NsToCycles converts nanoseconds to TSC cycles.
func NsToCycles(ns float64) uint64 {
	return uint64(ns * float64(TSCHz()) / 1e9)
}

func tscHzFromSys() uint64 {
	b, err := os.ReadFile("/sys/devices/system/cpu/cpu0/tsc_freq_khz")
	if err != nil {
		return 0
	}
	khz, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || khz == 0 {
		return 0
	}
	return khz * 1000
}

// calibrateTSC measures the counter against the monotonic clock over d.
// Each end point is the clock read bracketed by two counter reads; the
// bracket with the smallest spread of a few tries is kept, which removes
// most of the noise of a preemption between the two reads.
func calibrateTSC(d time.Duration) uint64 {
	sample := func() (tsc uint64, ns int64) {
		best := ^uint64(0)
		for i := 0; i < 5; i++ {
			t0 := RdtscP()
			n := Nanotime()
			t1 := RdtscP()
			if t1-t0 < best {
				best = t1 - t0
				tsc, ns = t0+(t1-t0)/2, n
			}
		}
		return tsc, ns
	}
	t0, n0 := sample()
	time.Sleep(d)
	t1, n1 := sample()
	if n1 <= n0 || t1 <= t0 {
		return 1e9
	}
	return uint64(float64(t1-t0) * 1e9 / float64(n1-n0))
}
