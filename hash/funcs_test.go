package hash

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/dpkit/dpkit/internal/toeplitz"
)

// TestDPDKHashFuncs compares JHash and CRC32C with DPDK 22.11's rte_jhash
// and rte_hash_crc (bench/hash/dpdkref.c against Debian's dpdk-dev) on
// every length from 0 to 70 bytes and random seeds.
func TestDPDKHashFuncs(t *testing.T) {
	ref := buildDPDKRef(t)
	r := rand.New(rand.NewPCG(9, 9))
	var lines []string
	var want []uint32
	for n := 0; n <= 70; n++ {
		for rep := 0; rep < 4; rep++ {
			data := make([]byte, n)
			for i := range data {
				data[i] = byte(r.Uint32())
			}
			seed := uint32(0)
			if rep > 0 {
				seed = r.Uint32()
			}
			hex := fmt.Sprintf("%x", data)
			if n == 0 {
				hex = "-"
			}
			lines = append(lines, fmt.Sprintf("jhash %s %d", hex, seed), fmt.Sprintf("crc %s %d", hex, seed))
			want = append(want, JHash(data, seed), CRC32C(data, seed))
			if haveCRC32 {
				// The portable path too.
				if got, w := ^crc32UpdateForTest(^seed, data), CRC32C(data, seed); got != w {
					t.Fatalf("CRC32C asm %#x, hash/crc32 %#x for %x", w, got, data)
				}
			}
		}
	}
	got := runDPDKRef(t, ref, lines)
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s: dpkit %#08x, DPDK %#08x", lines[i], want[i], got[i])
		}
	}
}

func TestToeplitzFunc(t *testing.T) {
	f := Toeplitz(toeplitz.DefaultKey[:])
	// Microsoft's RSS vector: 66.9.149.187:2794 -> 161.142.100.80:1766.
	in := []byte{66, 9, 149, 187, 161, 142, 100, 80, 0x0a, 0xea, 0x06, 0xe6}
	if h := f(in, 12345); h != 0x51ccc178 {
		t.Fatalf("Toeplitz = %#x, want 0x51ccc178", h)
	}
}

func buildDPDKRef(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("SKIP: no C compiler: the comparison with DPDK needs cc and dpdk-dev")
	}
	flags, err := exec.Command("pkg-config", "--cflags", "--libs", "libdpdk").Output()
	if err != nil {
		t.Skip("SKIP: pkg-config libdpdk failed: install Debian's dpdk-dev to compare with DPDK")
	}
	_, file, _, _ := runtime.Caller(0)
	src := filepath.Join(filepath.Dir(file), "..", "bench", "hash", "dpdkref.c")
	out := filepath.Join(t.TempDir(), "dpdkref")
	args := append([]string{"-O2", "-o", out, src}, strings.Fields(string(flags))...)
	if b, err := exec.Command("cc", args...).CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", src, err, b)
	}
	return out
}

func runDPDKRef(t testing.TB, ref string, lines []string) []uint32 {
	t.Helper()
	cmd := exec.Command(ref)
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dpdkref: %v", err)
	}
	var hs []uint32
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		v, err := strconv.ParseUint(sc.Text(), 16, 32)
		if err != nil {
			t.Fatalf("dpdkref output %q: %v", sc.Text(), err)
		}
		hs = append(hs, uint32(v))
	}
	if len(hs) != len(lines) {
		t.Fatalf("dpdkref printed %d hashes for %d inputs", len(hs), len(lines))
	}
	return hs
}
