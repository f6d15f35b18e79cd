package ring

import (
	"os/exec"
	"strings"
	"testing"
)

// TestInlining holds the speed of the burst path: each public burst call
// must inline into its caller (leaving one call per burst), and the copy
// loop must inline into that call. A change that pushes one of these over
// the compiler's budget costs more than the copy itself for small bursts.
func TestInlining(t *testing.T) {
	out, err := exec.Command("go", "test", "-c", "-o", "/dev/null",
		"-gcflags=github.com/dpkit/dpkit/ring=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go test -c -gcflags=-m: %v\n%s", err, out)
	}
	got := string(out)
	for _, fn := range []string{
		"copyPairs",
		"storeRelease",
		"(*Ring[go.shape.*uint8]).EnqueueBulk",
		"(*Ring[go.shape.*uint8]).EnqueueBurst",
		"(*Ring[go.shape.*uint8]).DequeueBulk",
		"(*Ring[go.shape.*uint8]).DequeueBurst",
		"(*Ring[go.shape.*uint8]).refreshProd",
		"(*Ring[go.shape.*uint8]).refreshCons",
	} {
		if !strings.Contains(got, "can inline "+fn+"\n") && !strings.Contains(got, "can inline "+fn+" ") {
			t.Errorf("%s no longer inlines", fn)
		}
	}
}
