package main

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dpkit/dpkit/eal"
)

type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// Every lcore says hello exactly once, the main one included.
func TestHello(t *testing.T) {
	cpu := eal.AllowedCPUs()[0]
	var out lockedBuf
	if err := run([]string{"--lcores", fmt.Sprintf("0@%d,1@%d,2@%d", cpu, cpu, cpu), "--no-huge"}, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.b.String()), "\n")
	slices.Sort(lines)
	want := []string{"hello from core 0", "hello from core 1", "hello from core 2"}
	if !slices.Equal(lines, want) {
		t.Errorf("got %q, want %q", lines, want)
	}
}
