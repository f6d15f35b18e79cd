package null_test

import (
	"errors"
	"strings"
	"testing"

	_ "github.com/dpkit/dpkit/driver/net/null"
	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/ethdev/porttest"
	"github.com/dpkit/dpkit/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

func TestConformance(t *testing.T) {
	porttest.Run(t, porttest.Config{Devargs: "net_null0", Generates: true, GenLen: 64})
}

func TestConformanceCopy(t *testing.T) {
	porttest.Run(t, porttest.Config{Devargs: "net_null1,size=100,copy=1", Generates: true, GenLen: 100})
}

func TestDevargs(t *testing.T) {
	for _, c := range []struct{ args, want string }{
		{"net_null0,sise=3", `unknown key "sise" for driver net_null (valid keys: size, copy, no-rx)`},
		{"net_null0,size=abc", `key "size": value "abc" is not an integer 1..`},
		{"net_null0,size=0", `key "size": value 0 out of range`},
		{"net_null0,copy=maybe", `key "copy": value "maybe" is not a boolean`},
		{"net_null0,size=64,size=65", `key "size" given more than once`},
	} {
		_, err := ethdev.Open(c.args)
		if !errors.Is(err, ethdev.ErrDevargs) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%q): %v, want ErrDevargs containing %q", c.args, err, c.want)
		}
	}
}
