package bench

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestMempool(t *testing.T) {
	var out bytes.Buffer
	opt := Options{Quick: true, Time: 20 * time.Millisecond, Filter: "_keep32$"}
	if err := Mempool(&out, opt); err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^mempool_cache(0|512)_cores([12])_get(1|4|32)_put(1|4|32)_keep32 [0-9]+\.[0-9]{2} objs/s$`)
	var figures int
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if strings.HasPrefix(l, "# ") {
			continue
		}
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("bad line %q", l)
			continue
		}
		if m[3] != m[4] {
			t.Errorf("Quick ran a get != put case: %q", l)
		}
		figures++
	}
	cpus, _ := opt.CPUs()
	want := 2 * 3 // caches x bulk sizes, one core
	if len(cpus) > 1 {
		want *= 2
	}
	if figures != want {
		t.Errorf("%d figures, want %d:\n%s", figures, want, out.String())
	}
}
