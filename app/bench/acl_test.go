package bench

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestACL(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.txt")
	trace := filepath.Join(dir, "trace.txt")
	if err := os.WriteFile(rules, []byte("@10.0.0.0/8 0.0.0.0/0 0 : 65535 80 : 80 6/0xff\n@0.0.0.0/0 0.0.0.0/0 0 : 65535 0 : 65535 0/0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(trace, []byte("167772161 1 1000 80 6\n3232235777 2 1000 443 17\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The flags as cmd/dpkit would parse them.
	b, _ := Lookup("acl")
	fs := flag.NewFlagSet("acl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	b.Flags(fs)
	saved := aclFlags
	defer func() { aclFlags = saved }()
	if err := fs.Parse([]string{"--rulesf=" + rules, "--tracef=" + trace, "--iter=3", "--tracestep=1", "--runcat=1"}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := ACL(&out, Options{Lcores: "0", Quick: true}); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"acl_build_ms": false, "acl_size_bytes": false, "acl_groups": false, "acl_classify_cycles_per_pkt": false}
	line := regexp.MustCompile(`^(acl_[a-z_]+) [0-9]+\.[0-9]{2} [a-z]+$`)
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if strings.HasPrefix(l, "# ") {
			continue
		}
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("bad line %q", l)
			continue
		}
		want[m[1]] = true
	}
	for k, ok := range want {
		if !ok {
			t.Errorf("no %s figure in:\n%s", k, out.String())
		}
	}

	// Bad input is an error naming the file and line.
	if err := os.WriteFile(rules, []byte("@10.0.0.0/33 0.0.0.0/0 0 : 65535 80 : 80 6/0xff\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := ACL(&out, Options{Lcores: "0", Quick: true})
	if err == nil || !strings.Contains(err.Error(), "line 1, column") {
		t.Errorf("bad rule file: got %v, want a line and column", err)
	}
	aclFlags.rulesf = ""
	if err := ACL(&out, Options{Lcores: "0", Quick: true}); err == nil {
		t.Error("no -rulesf: no error")
	}
	if err := fs.Parse([]string{"--ipv6=16B"}); err == nil {
		t.Error("--ipv6=16B accepted")
	}
}
