package acl

import (
	"math/rand/v2"
	"os"
	"testing"
)

// benchSet returns the rules and keys of ACL_RULES and ACL_TRACE (files in
// dpdk-test-acl's formats, IPv6 ones if ACL_IPV6 is set, e.g. from
// bench/acl/gen), or a random set.
func benchSet(b *testing.B) (Config, []Rule, [][]byte) {
	rf, tf := os.Getenv("ACL_RULES"), os.Getenv("ACL_TRACE")
	if rf != "" && tf != "" {
		f, err := os.Open(rf)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		format := FormatIPv4
		if os.Getenv("ACL_IPV6") != "" {
			format = FormatIPv6
		}
		rules, err := ParseRules(f, format)
		if err != nil {
			b.Fatal(err)
		}
		g, err := os.Open(tf)
		if err != nil {
			b.Fatal(err)
		}
		defer g.Close()
		raw, err := ParseTrace(g, format, 0)
		if err != nil {
			b.Fatal(err)
		}
		var keys [][]byte
		kl := format.KeyLen()
		for i := 0; i+kl <= len(raw); i += kl {
			keys = append(keys, raw[i:i+kl])
		}
		return Config{Fields: format.Fields(), Categories: 1}, rules, keys
	}
	r := rand.New(rand.NewPCG(9, 10))
	cfg := Config{Categories: 1, Fields: FormatIPv4.Fields()}
	p := newPool(r, &cfg)
	var rules []Rule
	for i := range 1000 {
		rules = append(rules, randRule(r, &cfg, p, uint32(i+1)))
	}
	var keys [][]byte
	for range 1 << 14 {
		keys = append(keys, randKey(r, &cfg, rules, p))
	}
	return cfg, rules, keys
}

func BenchmarkClassify(b *testing.B) {
	cfg, rules, keys := benchSet(b)
	c, err := Build(cfg, rules)
	if err != nil {
		b.Fatal(err)
	}
	const burst = 256
	res := make([]uint32, burst)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if i+burst > len(keys) {
			i = 0
		}
		_ = c.Classify(keys[i:i+burst], res, 1)
		i += burst
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*burst), "ns/pkt")
}

func BenchmarkBuild(b *testing.B) {
	cfg, rules, _ := benchSet(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(cfg, rules); err != nil {
			b.Fatal(err)
		}
	}
}
