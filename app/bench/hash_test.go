package bench

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// TestHash runs the quick hash benchmark on a few sections and checks the
// figure lines (the benchmark itself checks every lookup's answer).
func TestHash(t *testing.T) {
	var out bytes.Buffer
	opt := Options{Quick: true, Lcores: "0", Filter: "_key(13|16)_|^hash_100k_gomap"}
	hashOpt.heap = true // no hugepages needed for the test
	defer func() { hashOpt.heap = false }()
	if err := Hash(&out, opt); err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^hash_((primary|pushes|ext)_(nodata|data)_(hash|prehash)_key(13|16)_(add|lookup|lookup_bulk|delete)|100k_gomap_lookup)_cycles [0-9]+\.[0-9]{2} cycles$`)
	figures := 0
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if strings.HasPrefix(l, "# ") {
			continue
		}
		if !line.MatchString(l) {
			t.Errorf("bad line %q", l)
		}
		figures++
	}
	if want := 3*2*2*2*4 + 1; figures != want {
		t.Errorf("%d figures, want %d:\n%s", figures, want, out.String())
	}
}
