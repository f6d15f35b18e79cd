package ring

import (
	"errors"
	"strings"
	"testing"

	"github.com/dpkit/dpkit/ethdev"
)

// FuzzNodeaction: any nodeaction value parses into a non-empty ring name
// and CREATE or ATTACH, or fails with ErrDevargs naming nodeaction.
func FuzzNodeaction(f *testing.F) {
	for _, s := range []string{"r1:0:CREATE", "r1:0:ATTACH", "r1", "r1:x:CREATE", ":0:ATTACH", "a:b:c:d", "r:99999:CREATE"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		name, action, err := parseNodeaction(v)
		if err != nil {
			if !errors.Is(err, ethdev.ErrDevargs) || !strings.Contains(err.Error(), "nodeaction") {
				t.Fatalf("%q: %v", v, err)
			}
			return
		}
		if name == "" || action != "CREATE" && action != "ATTACH" || !strings.HasPrefix(v, name+":") {
			t.Fatalf("%q: name %q action %q", v, name, action)
		}
	})
}
