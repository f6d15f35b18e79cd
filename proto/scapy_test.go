package proto

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"sync"
	"testing"
)

const python = "/usr/bin/python3"

// runScapy runs testdata/scapy_cases.py with args and decodes its JSON, or
// skips the test (loudly) when python3 or scapy is missing.
func runScapy(t *testing.T, out any, args ...string) {
	t.Helper()
	if why := scapyMissing(); why != "" {
		t.Skipf("SKIP: %s: real-peer check against scapy not run", why)
	}
	key := strings.Join(args, " ")
	scapyMu.Lock()
	b, ok := scapyOut[key]
	scapyMu.Unlock()
	if !ok {
		var stderr bytes.Buffer
		cmd := exec.Command(python, append([]string{"testdata/scapy_cases.py"}, args...)...)
		cmd.Stderr = &stderr
		var err error
		if b, err = cmd.Output(); err != nil {
			t.Fatalf("scapy_cases.py: %v\n%s", err, stderr.String())
		}
		if len(args) == 0 { // the case list is the same every time: keep it
			scapyMu.Lock()
			scapyOut[key] = b
			scapyMu.Unlock()
		}
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("scapy_cases.py output: %v", err)
	}
}

var (
	scapyMu  sync.Mutex
	scapyOut = map[string][]byte{}
)

// scapyMissing says why scapy cannot run, "" if it can.
func scapyMissing() string {
	if _, err := os.Stat(python); err != nil {
		return python + " missing (install python3-scapy)"
	}
	if err := exec.Command(python, "-c", "import scapy.all").Run(); err != nil {
		return fmt.Sprintf("python3 cannot import scapy (%v; install python3-scapy)", err)
	}
	return ""
}

type scapyCase struct {
	Name string `json:"name"`
	Hex  string `json:"hex"`
	description
}

// TestScapyParse: every packet scapy builds (every protocol, the tunnels,
// bad checksums, fragments) parses in dpkit to the packet type, header
// lengths, field values and checksum verdicts scapy itself finds in it.
func TestScapyParse(t *testing.T) {
	var cases []scapyCase
	runScapy(t, &cases)
	if len(cases) < 300 {
		t.Fatalf("scapy gave %d cases, want hundreds", len(cases))
	}
	seen := map[string]bool{}
	for _, c := range cases {
		b, err := hex.DecodeString(c.Hex)
		if err != nil {
			t.Fatal(err)
		}
		got := describe(b)
		if !reflect.DeepEqual(got, c.description) {
			t.Errorf("%s: dpkit and scapy differ\n dpkit: %+v\n scapy: %+v", c.Name, got, c.description)
		}
		for _, w := range []string{got.Ptype} {
			seen[w] = true
		}
	}
	t.Logf("%d scapy packets, %d distinct packet types", len(cases), len(seen))
}
