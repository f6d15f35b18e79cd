package eal

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// MaxCPU is the number of CPU ids the EAL handles (0..MaxCPU-1), the size
// of the kernel's default cpu_set_t.
const MaxCPU = 1024

// ParseCoreList parses a DPDK core list such as "0-3", "0,2" or "1-3,7"
// (blanks around items and '-' are ignored) and returns the CPU ids sorted.
// It rejects empty lists and items, descending ranges, negative or
// non-decimal ids, ids >= MaxCPU and ids listed twice, naming the bad item.
func ParseCoreList(s string) ([]int, error) {
	ids, err := parseCoreList(s, MaxCPU, "cpu")
	if err != nil {
		return nil, fmt.Errorf("eal: core list %q: %w", s, err)
	}
	return ids, nil
}

// parseCoreList does ParseCoreList for ids below limit, with unwrapped
// errors; what names the ids in messages.
func parseCoreList(s string, limit int, what string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("empty list")
	}
	seen := make([]bool, limit)
	var ids []int
	for _, item := range strings.Split(s, ",") {
		tok := strings.TrimSpace(item)
		if tok == "" {
			return nil, fmt.Errorf("empty item")
		}
		lo, hi, err := parseRange(tok, limit, what)
		if err != nil {
			return nil, err
		}
		for id := lo; id <= hi; id++ {
			if seen[id] {
				return nil, fmt.Errorf("%s %d listed twice (in %q)", what, id, tok)
			}
			seen[id] = true
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// parseRange parses "n" or "a-b" (a <= b), both below limit.
func parseRange(tok string, limit int, what string) (lo, hi int, err error) {
	if strings.HasPrefix(tok, "-") {
		return 0, 0, fmt.Errorf("negative %s %q", what, tok)
	}
	a, b, isRange := strings.Cut(tok, "-")
	if lo, err = parseID(strings.TrimSpace(a), limit, what); err != nil {
		return 0, 0, err
	}
	if !isRange {
		return lo, lo, nil
	}
	b = strings.TrimSpace(b)
	if b == "" {
		return 0, 0, fmt.Errorf("range %q has no end", tok)
	}
	if strings.HasPrefix(b, "-") {
		return 0, 0, fmt.Errorf("bad range %q", tok)
	}
	if hi, err = parseID(b, limit, what); err != nil {
		return 0, 0, err
	}
	if hi < lo {
		return 0, 0, fmt.Errorf("range %q is descending", tok)
	}
	return lo, hi, nil
}

func parseID(s string, limit int, what string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("missing %s id", what)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("bad %s id %q", what, s)
		}
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n >= uint64(limit) {
		return 0, fmt.Errorf("%s %s out of range (max %d)", what, s, limit-1)
	}
	return int(n), nil
}

// ParseCoreMask parses a hexadecimal core mask ("0xf", "F0", DPDK -c) and
// returns the CPU ids of its set bits, sorted.
func ParseCoreMask(s string) ([]int, error) {
	ids, err := parseCoreMask(s)
	if err != nil {
		return nil, fmt.Errorf("eal: core mask %q: %w", s, err)
	}
	return ids, nil
}

func parseCoreMask(s string) ([]int, error) {
	fail := func(format string, args ...any) ([]int, error) {
		return nil, fmt.Errorf(format, args...)
	}
	h := strings.TrimSpace(s)
	if len(h) > 1 && h[0] == '0' && (h[1] == 'x' || h[1] == 'X') {
		h = h[2:]
	}
	if h == "" {
		return fail("empty")
	}
	var ids []int
	for i := len(h) - 1; i >= 0; i-- {
		c := h[i]
		var v int
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'a' && c <= 'f':
			v = int(c-'a') + 10
		case c >= 'A' && c <= 'F':
			v = int(c-'A') + 10
		default:
			return fail("bad hex digit %q", c)
		}
		for bit := 0; bit < 4; bit++ {
			if v&(1<<bit) == 0 {
				continue
			}
			id := (len(h)-1-i)*4 + bit
			if id >= MaxCPU {
				return fail("cpu %d out of range (max %d)", id, MaxCPU-1)
			}
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return fail("no cpu set")
	}
	return ids, nil
}

// LcoreMapping runs lcore Lcore on the CPUs in CPUs (sorted); one CPU pins
// it, several let it float among them.
type LcoreMapping struct {
	Lcore uint
	CPUs  []int
}

// ParseLcores parses a DPDK --lcores string: comma-separated items
// "lcores[@cpus]" where lcores and cpus are a number, a range "a-b" or a
// group "(list)" of numbers and ranges. Without '@', a number or range maps
// each lcore to the CPU of the same id and a group maps each of its lcores
// to the whole group. Example: "1@(5-7),(3-5)@(0,2),(0,6),7-8" gives lcore
// 1 on CPUs 5-7, lcores 3-5 on 0 and 2, lcores 0 and 6 on 0 and 6, lcore 7
// on 7 and lcore 8 on 8. The result is sorted by lcore; an lcore given twice
// is an error.
func ParseLcores(s string) ([]LcoreMapping, error) {
	m, err := parseLcores(s)
	if err != nil {
		return nil, fmt.Errorf("eal: lcores %q: %w", s, err)
	}
	return m, nil
}

func parseLcores(s string) ([]LcoreMapping, error) {
	items, err := splitTopLevel(s)
	if err != nil {
		return nil, err
	}
	byLcore := make(map[uint][]int)
	for _, item := range items {
		lpart, cpart, hasAt := strings.Cut(item, "@")
		lpart = strings.TrimSpace(lpart)
		lcores, lgroup, err := parseSet(lpart, MaxLcore, "lcore")
		if err != nil {
			return nil, fmt.Errorf("item %q: %w", item, err)
		}
		var cpus []int
		if hasAt {
			if cpus, _, err = parseSet(strings.TrimSpace(cpart), MaxCPU, "cpu"); err != nil {
				return nil, fmt.Errorf("item %q: %w", item, err)
			}
		} else if lgroup {
			cpus = lcores
		}
		for _, l := range lcores {
			if _, dup := byLcore[uint(l)]; dup {
				return nil, fmt.Errorf("lcore %d given twice (in %q)", l, item)
			}
			if cpus == nil {
				byLcore[uint(l)] = []int{l}
			} else {
				byLcore[uint(l)] = cpus
			}
		}
	}
	out := make([]LcoreMapping, 0, len(byLcore))
	for l, cpus := range byLcore {
		out = append(out, LcoreMapping{Lcore: l, CPUs: slices.Clone(cpus)})
	}
	slices.SortFunc(out, func(a, b LcoreMapping) int { return int(a.Lcore) - int(b.Lcore) })
	return out, nil
}

// splitTopLevel splits s at the commas outside parentheses.
func splitTopLevel(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("empty list")
	}
	var items []string
	depth, start := 0, 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) {
			switch s[i] {
			case '(':
				depth++
				if depth > 1 {
					return nil, fmt.Errorf("nested '(' at offset %d", i)
				}
				continue
			case ')':
				depth--
				if depth < 0 {
					return nil, fmt.Errorf("unbalanced ')' at offset %d", i)
				}
				continue
			case ',':
				if depth > 0 {
					continue
				}
			default:
				continue
			}
		} else if depth != 0 {
			return nil, fmt.Errorf("unclosed '('")
		}
		item := strings.TrimSpace(s[start:i])
		if item == "" {
			return nil, fmt.Errorf("empty item at offset %d", start)
		}
		items = append(items, item)
		start = i + 1
	}
	return items, nil
}

// parseSet parses "n", "a-b" or "(list)"; group reports the parentheses.
func parseSet(s string, limit int, what string) (ids []int, group bool, err error) {
	if s == "" {
		return nil, false, fmt.Errorf("missing %s set", what)
	}
	if s[0] == '(' {
		if s[len(s)-1] != ')' {
			return nil, false, fmt.Errorf("bad %s group %q", what, s)
		}
		ids, err = parseCoreList(s[1:len(s)-1], limit, what)
		return ids, true, err
	}
	if strings.ContainsAny(s, "(),@") {
		return nil, false, fmt.Errorf("bad %s set %q", what, s)
	}
	lo, hi, err := parseRange(s, limit, what)
	if err != nil {
		return nil, false, err
	}
	for id := lo; id <= hi; id++ {
		ids = append(ids, id)
	}
	return ids, false, nil
}
