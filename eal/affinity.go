package eal

import (
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// startAffinity is the CPU set of the thread that initialized the package,
// before the EAL pinned any thread: the CPUs the process may use
// (taskset, cgroup cpuset).
var startAffinity unix.CPUSet

func init() {
	if err := unix.SchedGetaffinity(0, &startAffinity); err != nil {
		startAffinity.Zero()
		for i := range runtime.NumCPU() {
			startAffinity.Set(i)
		}
	}
}

func allowedSet() unix.CPUSet { return startAffinity }

// AllowedCPUs returns the CPUs the process may run on, sorted, as they were
// when the program started.
func AllowedCPUs() []int {
	var ids []int
	for i := range MaxCPU {
		if startAffinity.IsSet(i) {
			ids = append(ids, i)
		}
	}
	return ids
}

// setAffinity pins the calling OS thread to cpus. The caller must hold
// runtime.LockOSThread.
func setAffinity(cpus []int) error {
	var set unix.CPUSet
	for _, c := range cpus {
		set.Set(c)
	}
	return unix.SchedSetaffinity(0, &set)
}

// pinTemporarily locks the calling goroutine to its thread and pins it to
// cpus; the returned function restores the thread's previous affinity and
// unlocks (LockOSThread nests, so an outer PinCurrent stays in force).
func pinTemporarily(cpus []int) (undo func(), err error) {
	runtime.LockOSThread()
	var old unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	if err := setAffinity(cpus); err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	return func() {
		_ = unix.SchedSetaffinity(0, &old)
		runtime.UnlockOSThread()
	}, nil
}

// formatCPUs renders ids as a compact core list, e.g. "0-3,7".
func formatCPUs(ids []int) string {
	var b strings.Builder
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(ids[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(ids[j]))
		}
		i = j + 1
	}
	return b.String()
}
