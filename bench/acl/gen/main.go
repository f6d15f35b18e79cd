// Command gen writes a ClassBench-like IPv4 rule set and a matching packet
// trace in the formats dpdk-test-acl reads (--rulesf, --tracef), and that
// `dpkit bench acl` reads too. The output depends only on the flags: the
// same -seed gives the same files.
//
// Rules ("@src/len dst/len sport_lo : sport_hi dport_lo : dport_hi proto/mask")
// mimic the shape of ClassBench's acl seeds: source and destination
// prefixes drawn from a few hundred nested networks (so that rules overlap
// the way real access lists do), mostly-wildcard source ports, destination
// ports that are well-known exact ports, the ephemeral range, arbitrary
// ranges or wildcards, and TCP/UDP/ICMP/any protocols. Rule order in the
// file is priority order (the first line wins), as in dpdk-test-acl.
//
// Trace lines ("src dst sport dport proto", addresses and ports as decimal
// integers) are headers drawn inside a random rule's box (most of them,
// biased towards the first rules, as ClassBench's trace generator does)
// or uniformly at random (the rest, which mostly match nothing or a
// wildcard rule).
//
// With -ipv6 the addresses are IPv6 (rules and trace in the text form
// dpdk-test-acl --ipv6 reads): the same structure, the prefix lengths
// scaled to 128 bits.
//
// Usage: go run ./bench/acl/gen -rules 4000 -traces 65536 -seed 1 [-ipv6] -o DIR
// writes DIR/rules.txt and DIR/trace.txt.
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
)

type rule struct {
	src, dst       addr
	srcLen, dstLen int
	spLo, spHi     uint16
	dpLo, dpHi     uint16
	proto, pmask   uint8
}

func main() {
	nRules := flag.Int("rules", 4000, "number of rules")
	nTraces := flag.Int("traces", 65536, "number of trace lines")
	seed := flag.Uint64("seed", 1, "random seed")
	out := flag.String("o", ".", "output directory")
	randomPct := flag.Int("random", 10, "percent of trace headers drawn uniformly at random")
	v6 := flag.Bool("ipv6", false, "IPv6 addresses")
	flag.Parse()
	if *v6 {
		bitsPerAddr = 128
	}
	if *nRules < 1 || *nTraces < 0 || *randomPct < 0 || *randomPct > 100 {
		fmt.Fprintln(os.Stderr, "gen: bad -rules, -traces or -random")
		os.Exit(2)
	}
	r := rand.New(rand.NewPCG(*seed, 0x61636c))
	rules := genRules(r, *nRules)
	if err := writeRules(filepath.Join(*out, "rules.txt"), rules); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if err := writeTrace(filepath.Join(*out, "trace.txt"), r, rules, *nTraces, *randomPct); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// pick returns an index drawn from weights.
func pick(r *rand.Rand, weights []int) int {
	t := 0
	for _, w := range weights {
		t += w
	}
	x := r.IntN(t)
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// bitsPerAddr is 32, or 128 with -ipv6.
var bitsPerAddr = 32

// addr is an address of bitsPerAddr bits, most significant first, in a
// 128-bit value (hi, lo); IPv4 addresses use the low 32 bits of lo.
type addr struct{ hi, lo uint64 }

// mask returns the mask of an l-bit prefix.
func mask(l int) addr {
	if bitsPerAddr == 32 {
		if l == 0 {
			return addr{}
		}
		return addr{lo: uint64(^uint32(0) << (32 - l))}
	}
	switch {
	case l == 0:
		return addr{}
	case l <= 64:
		return addr{hi: ^uint64(0) << (64 - l)}
	default:
		return addr{hi: ^uint64(0), lo: ^uint64(0) << (128 - l)}
	}
}

func (a addr) and(b addr) addr    { return addr{a.hi & b.hi, a.lo & b.lo} }
func (a addr) or(b addr) addr     { return addr{a.hi | b.hi, a.lo | b.lo} }
func (a addr) andNot(b addr) addr { return addr{a.hi &^ b.hi, a.lo &^ b.lo} }

func randAddr(r *rand.Rand) addr {
	if bitsPerAddr == 32 {
		return addr{lo: uint64(r.Uint32())}
	}
	return addr{r.Uint64(), r.Uint64()}
}

// scale maps an IPv4 prefix length to the address width.
func scale(l int) int { return l * bitsPerAddr / 32 }

// networks builds a pool of nested networks: a few hundred /8-/16 "sites",
// each with /24 subnets, each with hosts. Prefixes drawn from the pool nest
// and repeat like addresses in real ACLs.
type netPool struct {
	sites   []addr // /16 (IPv6: /64)
	subnets []addr // /24 (IPv6: /96)
}

func newNetPool(r *rand.Rand, sites, subnets int) *netPool {
	p := &netPool{}
	for range sites {
		p.sites = append(p.sites, randAddr(r).and(mask(scale(16))))
	}
	for range subnets {
		s := p.sites[r.IntN(len(p.sites))]
		p.subnets = append(p.subnets, s.or(randAddr(r).and(mask(scale(24))).andNot(mask(scale(16)))))
	}
	return p
}

var prefixLens = []int{0, 8, 12, 16, 20, 24, 26, 28, 30, 32}

func (p *netPool) prefix(r *rand.Rand, weights []int) (addr, int) {
	l := prefixLens[pick(r, weights)]
	var a addr
	switch {
	case l <= 16:
		a = p.sites[r.IntN(len(p.sites))]
	default:
		a = p.subnets[r.IntN(len(p.subnets))].or(randAddr(r).andNot(mask(scale(24))))
	}
	l = scale(l)
	return a.and(mask(l)), l
}

var wellKnown = []uint16{20, 21, 22, 23, 25, 53, 80, 110, 123, 135, 137, 139, 143, 161, 389, 443, 445, 514, 993, 995, 1433, 1521, 1723, 3306, 3389, 5060, 5432, 8080, 8443}

func genPort(r *rand.Rand, weights []int) (uint16, uint16) {
	switch pick(r, weights) {
	case 0: // wildcard
		return 0, 65535
	case 1: // well-known exact
		p := wellKnown[r.IntN(len(wellKnown))]
		return p, p
	case 2: // random exact
		p := uint16(r.IntN(65536))
		return p, p
	case 3: // ephemeral
		return 1024, 65535
	case 4: // well-known range
		return 0, 1023
	default: // arbitrary range
		a, b := uint16(r.IntN(65536)), uint16(r.IntN(65536))
		if a > b {
			a, b = b, a
		}
		return a, b
	}
}

func genRules(r *rand.Rand, n int) []rule {
	src := newNetPool(r, 96, 600)
	dst := newNetPool(r, 64, 400)
	rules := make([]rule, 0, n)
	for range n {
		var ru rule
		//                                    0  8 12  16  20  24 26 28 30  32
		ru.src, ru.srcLen = src.prefix(r, []int{6, 2, 2, 8, 4, 24, 4, 6, 4, 40})
		ru.dst, ru.dstLen = dst.prefix(r, []int{4, 2, 2, 10, 4, 30, 4, 6, 4, 34})
		//                              any wk ex eph 0-1023 range
		ru.spLo, ru.spHi = genPort(r, []int{85, 4, 2, 6, 1, 2})
		ru.dpLo, ru.dpHi = genPort(r, []int{20, 45, 14, 14, 4, 3})
		switch pick(r, []int{50, 30, 5, 3, 12}) {
		case 0:
			ru.proto, ru.pmask = 6, 0xff
		case 1:
			ru.proto, ru.pmask = 17, 0xff
		case 2:
			ru.proto, ru.pmask = 1, 0xff
		case 3:
			ru.proto, ru.pmask = 47, 0xff
		default:
			ru.proto, ru.pmask = 0, 0
		}
		rules = append(rules, ru)
	}
	return rules
}

func ip(a addr) string {
	if bitsPerAddr == 32 {
		return fmt.Sprintf("%d.%d.%d.%d", a.lo>>24, a.lo>>16&0xff, a.lo>>8&0xff, a.lo&0xff)
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], a.hi)
	binary.BigEndian.PutUint64(b[8:], a.lo)
	return netip.AddrFrom16(b).String()
}

func writeRules(path string, rules []rule) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, ru := range rules {
		fmt.Fprintf(w, "@%s/%d\t%s/%d\t%d : %d\t%d : %d\t0x%02x/0x%02x\n",
			ip(ru.src), ru.srcLen, ip(ru.dst), ru.dstLen,
			ru.spLo, ru.spHi, ru.dpLo, ru.dpHi, ru.proto, ru.pmask)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func inRange(r *rand.Rand, lo, hi uint16) uint16 {
	return lo + uint16(r.IntN(int(hi)-int(lo)+1))
}

func writeTrace(path string, r *rand.Rand, rules []rule, n, randomPct int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for range n {
		var s, d addr
		var sp, dp uint16
		var pr uint8
		if r.IntN(100) < randomPct {
			s, d = randAddr(r), randAddr(r)
			sp, dp = uint16(r.IntN(65536)), uint16(r.IntN(65536))
			pr = []uint8{6, 17, 1, uint8(r.IntN(256))}[r.IntN(4)]
		} else {
			// Bias towards the first rules: the minimum of two draws.
			i := min(r.IntN(len(rules)), r.IntN(len(rules)))
			ru := rules[i]
			s = ru.src.or(randAddr(r).andNot(mask(ru.srcLen)))
			d = ru.dst.or(randAddr(r).andNot(mask(ru.dstLen)))
			sp, dp = inRange(r, ru.spLo, ru.spHi), inRange(r, ru.dpLo, ru.dpHi)
			pr = ru.proto | uint8(r.IntN(256))&^ru.pmask
		}
		if bitsPerAddr == 32 {
			fmt.Fprintf(w, "%d\t%d\t%d\t%d\t%d\n", s.lo, d.lo, sp, dp, pr)
		} else {
			fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\n", ip(s), ip(d), sp, dp, pr)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
