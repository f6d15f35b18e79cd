package lpm

import (
	"os/exec"
	"regexp"
	"testing"
)

// TestInlining fails when a single-address lookup stops being inlined into
// its caller: a call per lookup costs as much as the lookup itself.
func TestInlining(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package with -gcflags=-m")
	}
	out, err := exec.Command("go", "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Skipf("go build -gcflags=-m: %v\n%s", err, out)
	}
	for _, fn := range []string{"(*Table).LookupIP", "(*Table).Lookup", "(*Table6).LookupIP", "hop", "addr4"} {
		re := regexp.MustCompile(`(?m)can inline ` + regexp.QuoteMeta(fn) + `( with|$)`)
		if !re.Match(out) {
			t.Errorf("%s is not inlinable any more", fn)
		}
	}
}
