package acl

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeRuleFiles writes a random rule file and trace in dpdk-test-acl's
// formats: nested prefixes, exact and ranged ports, any/TCP/UDP protocols,
// and a trace of headers drawn inside rules or at random.
func writeRuleFiles(t *testing.T, r *rand.Rand, dir string, v6 bool, nRules, nTraces int) (string, string) {
	t.Helper()
	alen := 32
	if v6 {
		alen = 128
	}
	randAddr := func(base []byte) []byte {
		a := make([]byte, alen/8)
		for i := range a {
			a[i] = byte(r.IntN(256))
		}
		if base != nil && r.IntN(3) > 0 {
			keep := r.IntN(len(a))
			copy(a, base[:keep])
		}
		return a
	}
	addrStr := func(a []byte) string {
		ad, _ := netip.AddrFromSlice(a)
		return ad.String()
	}
	var bases [][]byte
	for range 8 {
		bases = append(bases, randAddr(nil))
	}
	type ru struct {
		src, dst       []byte
		sl, dl         int
		sp, dp         [2]int
		proto, protoMk int
	}
	var rules []ru
	var rb strings.Builder
	rb.WriteString("# random rules\n\n")
	port := func() [2]int {
		switch r.IntN(4) {
		case 0:
			return [2]int{0, 65535}
		case 1:
			p := []int{22, 53, 80, 443}[r.IntN(4)]
			return [2]int{p, p}
		default:
			a, b := r.IntN(65536), r.IntN(65536)
			return [2]int{min(a, b), max(a, b)}
		}
	}
	for range nRules {
		x := ru{
			src: randAddr(bases[r.IntN(len(bases))]), dst: randAddr(bases[r.IntN(len(bases))]),
			sl: []int{0, alen / 4, alen / 2, alen * 3 / 4, alen - 3, alen}[r.IntN(6)],
			dl: r.IntN(alen + 1),
			sp: port(), dp: port(),
		}
		switch r.IntN(3) {
		case 0:
			x.proto, x.protoMk = 0, 0
		case 1:
			x.proto, x.protoMk = 6, 0xff
		default:
			x.proto, x.protoMk = 17, 0xff
		}
		rules = append(rules, x)
		fmt.Fprintf(&rb, "@%s/%d\t%s/%d\t%d : %d\t%d : %d\t0x%x/0x%x\n",
			addrStr(x.src), x.sl, addrStr(x.dst), x.dl, x.sp[0], x.sp[1], x.dp[0], x.dp[1], x.proto, x.protoMk)
	}
	var tb strings.Builder
	for range nTraces {
		x := rules[r.IntN(len(rules))]
		src, dst := randAddr(x.src), randAddr(x.dst)
		if r.IntN(4) > 0 {
			src, dst = x.src, x.dst
		}
		sp := x.sp[0] + r.IntN(x.sp[1]-x.sp[0]+1)
		dp := x.dp[0] + r.IntN(x.dp[1]-x.dp[0]+1)
		pr := []int{6, 17, 1}[r.IntN(3)]
		if v6 {
			fmt.Fprintf(&tb, "%s %s %d %d %d\n", addrStr(src), addrStr(dst), sp, dp, pr)
		} else {
			s := uint32(src[0])<<24 | uint32(src[1])<<16 | uint32(src[2])<<8 | uint32(src[3])
			d := uint32(dst[0])<<24 | uint32(dst[1])<<16 | uint32(dst[2])<<8 | uint32(dst[3])
			fmt.Fprintf(&tb, "%d\t%d\t%d\t%d\t%d\n", s, d, sp, dp, pr)
		}
	}
	rf, tf := filepath.Join(dir, "rules.txt"), filepath.Join(dir, "trace.txt")
	if err := os.WriteFile(rf, []byte(rb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tf, []byte(tb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return rf, tf
}

// TestAgainstDPDK runs DPDK 22.11's dpdk-test-acl on random rule and trace
// files and checks that ParseRules, ParseTrace and Classify give the rule
// it gives for every packet and category.
func TestAgainstDPDK(t *testing.T) {
	bin, err := exec.LookPath("dpdk-test-acl")
	if err != nil {
		t.Skip("dpdk-test-acl (Debian package dpdk) not installed: skipping the comparison with DPDK")
	}
	if os.Geteuid() != 0 {
		t.Skip("dpdk-test-acl needs root (hugepages): skipping the comparison with DPDK")
	}
	r := rand.New(rand.NewPCG(11, 12))
	for _, tc := range []struct {
		name string
		f    Format
		opt  string
	}{{"ipv4", FormatIPv4, ""}, {"ipv6-4B", FormatIPv6, "--ipv6=4B"}, {"ipv6-8B", FormatIPv6Words8, "--ipv6=8B"}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			rf, tf := writeRuleFiles(t, r, dir, tc.f != FormatIPv4, 300, 2000)
			const cats = 4
			args := []string{"-l", "0", "--no-pci", "--file-prefix=acltest", "-m", "256", "--",
				"--rulesf=" + rf, "--tracef=" + tf, "--verbose=3", "--bldcat=4", fmt.Sprintf("--runcat=%d", cats), "--alg=scalar"}
			if tc.opt != "" {
				args = append(args, tc.opt)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
			if err != nil {
				t.Skipf("dpdk-test-acl failed (no hugepages?): %v\n%s", err, lastLines(out, 5))
			}
			// "ipv4_5tuple: <n>, category: <c>, result: <rule-1>"
			want := map[[2]int]uint32{}
			sc := bufio.NewScanner(bytes.NewReader(out))
			for sc.Scan() {
				var v, n, c int
				var res uint32
				if _, err := fmt.Sscanf(sc.Text(), "ipv%d_5tuple: %d, category: %d, result: %d", &v, &n, &c, &res); err == nil {
					want[[2]int{n - 1, c}] = res + 1 // DPDK prints userdata-1
				}
			}
			fr, _ := os.Open(rf)
			rules, err := ParseRules(fr, tc.f)
			fr.Close()
			if err != nil {
				t.Fatal(err)
			}
			ft, _ := os.Open(tf)
			raw, err := ParseTrace(ft, tc.f, 0)
			ft.Close()
			if err != nil {
				t.Fatal(err)
			}
			kl := tc.f.KeyLen()
			keys := make([][]byte, len(raw)/kl)
			for i := range keys {
				keys[i] = raw[i*kl : (i+1)*kl]
			}
			if len(want) != len(keys)*cats {
				t.Fatalf("DPDK printed %d results, want %d\n%s", len(want), len(keys)*cats, lastLines(out, 5))
			}
			c, err := Build(Config{Fields: tc.f.Fields(), Categories: cats}, rules)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]uint32, len(keys)*cats)
			if err := c.Classify(keys, got, cats); err != nil {
				t.Fatal(err)
			}
			matched := 0
			for i := range keys {
				for k := range cats {
					if got[i*cats+k] != want[[2]int{i, k}] {
						t.Fatalf("trace %d category %d: dpkit rule %d, DPDK rule %d", i+1, k, got[i*cats+k], want[[2]int{i, k}])
					}
					if got[i*cats+k] != 0 {
						matched++
					}
				}
			}
			if matched == 0 {
				t.Fatal("no trace matched any rule: the comparison proves nothing")
			}
			t.Logf("%d traces x %d categories agree with DPDK (%d matches)", len(keys), cats, matched)
		})
	}
}

func lastLines(b []byte, n int) string {
	ls := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(ls[max(0, len(ls)-n):], "\n")
}
