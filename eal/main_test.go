package eal

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain fails the run when a test leaks an arena, a memzone, a memfd
// or an initialized EAL.
func TestMain(m *testing.M) {
	if noHugeForTest {
		failHugeForTest.Store(true)
	}
	code := m.Run()
	var leaks []string
	if s := MemoryStats(); s.Arenas != 0 {
		for _, a := range s.PerArena {
			leaks = append(leaks, fmt.Sprintf("arena %q (%d bytes)", a.Name, a.Size))
		}
	}
	MemzoneWalk(func(z *Memzone) { leaks = append(leaks, fmt.Sprintf("memzone %q", z.Name())) })
	if Initialized() {
		leaks = append(leaks, "EAL still initialized (missing Cleanup)")
	}
	fds, _ := filepath.Glob("/proc/self/fd/*")
	for _, fd := range fds {
		if l, err := os.Readlink(fd); err == nil && strings.HasPrefix(l, "/memfd:") {
			leaks = append(leaks, "fd "+filepath.Base(fd)+" -> "+l)
		}
	}
	if code == 0 && len(leaks) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: leaked after tests:\n  %s\n", strings.Join(leaks, "\n  "))
		code = 1
	}
	os.Exit(code)
}
