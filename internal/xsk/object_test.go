package xsk

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ReadObject of any bytes returns an object or an error wrapping
// ErrConfig, never a panic.
func FuzzReadObject(f *testing.F) {
	for _, p := range []string{"../../driver/net/afxdp/testdata/xdp_udp.o", "../../driver/net/afxdp/testdata/xdp_nomap.o"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("\x7fELF"))
	path := filepath.Join(f.TempDir(), "obj.o")
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		o, err := ReadObject(path)
		if err != nil && !errors.Is(err, ErrConfig) {
			t.Fatalf("error not wrapping ErrConfig: %v", err)
		}
		if err == nil && o.Program() == "" {
			t.Fatal("an object without a program name")
		}
	})
}

func TestReadObject(t *testing.T) {
	o, err := ReadObject("../../driver/net/afxdp/testdata/xdp_udp.o")
	if err != nil {
		t.Fatal(err)
	}
	if o.Program() != "xdp_udp" {
		t.Errorf("program %q, want xdp_udp", o.Program())
	}
	for _, c := range []struct{ path, want string }{
		{"../../driver/net/afxdp/testdata/xdp_nomap.o", "no map named xsks_map"},
		{"testdata/none.o", "no such file"},
		{"/dev/null", "not a regular file"},
	} {
		if _, err := ReadObject(c.path); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrConfig saying %q", c.path, err, c.want)
		}
	}
}
