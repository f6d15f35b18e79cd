package mempool

import (
	"os/exec"
	"strings"
	"testing"
)

// TestInlining holds the speed of the cache fast path: TryGetBulk and
// TryPutBulk must stay within the compiler's inlining budget, or every
// small burst pays for a call (and the caller's spilled registers).
func TestInlining(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package; skipped in -short mode")
	}
	out, err := exec.Command("go", "build", "-o", "/dev/null", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	for _, fn := range []string{"(*Pool).TryGetBulk", "(*Pool).TryPutBulk", "(*Pool).cacheOf", "ByID"} {
		if !strings.Contains(string(out), "can inline "+fn+" ") && !strings.Contains(string(out), "can inline "+fn+"\n") {
			t.Errorf("%s no longer inlines", fn)
		}
	}
}
