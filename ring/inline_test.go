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
	if testing.Short() {
		t.Skip("builds the package twice; skipped in -short mode")
	}
	out, err := exec.Command("go", "test", "-c", "-o", "/dev/null",
		"-gcflags=github.com/dpkit/dpkit/ring=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go test -c -gcflags=-m: %v\n%s", err, out)
	}
	got := string(out)
	for _, fn := range []string{
		"storeRelease",
		"copyBytes",
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

// TestLeaf holds the other half: the burst functions call nothing, so the
// compiler builds them without a frame or a stack check.
func TestLeaf(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and disassembles the test binary; skipped in -short mode")
	}
	bin := t.TempDir() + "/ring.test"
	if out, err := exec.Command("go", "test", "-c", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go test -c: %v\n%s", err, out)
	}
	for _, fn := range []string{"enqueue", "dequeue"} {
		sym := `ring\.\(\*Ring\[go\.shape\.\*uint8\]\)\.` + fn + `$`
		out, err := exec.Command("go", "tool", "objdump", "-s", sym, bin).CombinedOutput()
		if err != nil {
			t.Fatalf("objdump: %v\n%s", err, out)
		}
		dis := string(out)
		if !strings.Contains(dis, "TEXT") {
			t.Fatalf("%s not found in the test binary", fn)
		}
		for _, line := range strings.Split(dis, "\n") {
			if strings.Contains(line, "CALL ") {
				t.Errorf("%s is no longer a leaf: %s", fn, strings.TrimSpace(line))
			}
		}
	}
}
