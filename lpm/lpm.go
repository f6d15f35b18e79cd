package lpm

import (
	"errors"
	"fmt"
	"net/netip"
	"sync/atomic"

	"github.com/dpkit/dpkit/eal"
)

// Errors returned by the control path; they are wrapped with context, test
// them with errors.Is.
var (
	ErrDepth    = errors.New("lpm: prefix depth out of range")
	ErrFamily   = errors.New("lpm: wrong address family")
	ErrNextHop  = errors.New("lpm: next hop out of range")
	ErrFull     = errors.New("lpm: rule table full")
	ErrNoGroups = errors.New("lpm: group pool exhausted")
	ErrNotFound = errors.New("lpm: no such rule")
	ErrConfig   = errors.New("lpm: bad configuration")
	ErrClosed   = errors.New("lpm: table closed")
)

// groupSize is the number of entries of a second-level group.
const groupSize = 256

// IPv4 entry layout (uint32):
//
//	bit 31     ext: the entry points to a group, bits 0..23 its index
//	bit 30     valid
//	bits 24-29 depth of the rule the entry came from (0..32)
//	bits 0-23  next hop
const (
	extBit    = 1 << 31
	validBit  = 1 << 30
	depthSh   = 24
	depthMask = 0x3f
	nhMask    = 1<<24 - 1
)

// MaxNextHop is the largest IPv4 next hop (24 bits, as rte_lpm).
const MaxNextHop = nhMask

// Default sizes, used for zero fields of Config.
const (
	DefaultMaxRules = 1 << 20
	DefaultGroups   = 1 << 12
	// MaxGroups is the most groups an IPv4 table can have (24-bit index).
	MaxGroups = 1 << 24
)

// Config is the shape of a table; it is a plain value.
type Config struct {
	Name      string       // arena name; "" means "lpm"
	MaxRules  int          // most routes held; 0 means DefaultMaxRules
	NumGroups int          // second-level groups; 0 means DefaultGroups
	Huge      eal.HugeMode // hugepage policy of the table's arena
	// QSBR, if set, delays the reuse of a freed group until every reader
	// registered with it has been quiescent.
	QSBR *QSBR
}

func (c Config) withDefaults(maxGroups int) (Config, error) {
	if c.Name == "" {
		c.Name = "lpm"
	}
	if c.MaxRules == 0 {
		c.MaxRules = DefaultMaxRules
	}
	if c.NumGroups == 0 {
		c.NumGroups = DefaultGroups
	}
	if c.MaxRules < 0 {
		return c, fmt.Errorf("%w: MaxRules %d < 0", ErrConfig, c.MaxRules)
	}
	if c.NumGroups < 0 || c.NumGroups > maxGroups {
		return c, fmt.Errorf("%w: NumGroups %d not in 0..%d", ErrConfig, c.NumGroups, maxGroups)
	}
	return c, nil
}

// Table is an IPv4 longest-prefix-match table (rte_lpm). Lookups may run on
// any number of goroutines while one goroutine adds and deletes; Add,
// Delete and Close must not run concurrently with each other.
type Table struct {
	// l1 and l2 are the bases of tbl24 and groups for the lookups (no
	// nil or bounds checks); after Close they point at closedBase.
	l1, l2 memBase
	tbl24  *tbl24
	groups []uint32
	mem    tableMem
	pool   groupPool
	rules  map[uint64]uint32 // ip<<8 | depth -> next hop
	// depths[d] counts the rules of depth d: Delete looks for the covering
	// rule only at depths that have rules.
	depths [33]int32
	cfg    Config
}

func ruleKey4(ip uint32, depth int) uint64 { return uint64(ip)<<8 | uint64(depth) }

// New maps a table with cfg's sizes.
func New(cfg Config) (*Table, error) {
	cfg, err := cfg.withDefaults(MaxGroups)
	if err != nil {
		return nil, err
	}
	mem, err := newTableMem(cfg.Name, cfg.NumGroups, cfg.Huge)
	if err != nil {
		return nil, err
	}
	return &Table{
		l1: baseOf(&mem.tbl24[0]), l2: baseOf(&mem.groups[0]),
		tbl24: mem.tbl24, groups: mem.groups, mem: mem, cfg: cfg,
		pool:  groupPool{total: uint32(cfg.NumGroups), qsbr: cfg.QSBR},
		rules: make(map[uint64]uint32),
	}, nil
}

// Close unmaps the table. No lookup may run during or after Close; one
// after it faults.
func (t *Table) Close() error {
	t.tbl24, t.groups, t.rules = nil, nil, nil
	t.l1, t.l2 = closedBase(), closedBase()
	return t.mem.close()
}

// Len returns the number of rules.
func (t *Table) Len() int { return len(t.rules) }

// Hugepages reports whether the table's memory is on hugepages.
func (t *Table) Hugepages() bool { return t.mem.arena != nil && t.mem.arena.Huge() }

// GroupsInUse returns the number of second-level groups linked in.
func (t *Table) GroupsInUse() int { return t.pool.inUse }

// TableBytes returns the size of the table's arena (first level plus every
// group, used or not); the rule map on the Go heap is not counted.
func (t *Table) TableBytes() int { return t.mem.bytes() }

func mask4(depth int) uint32 {
	if depth == 0 {
		return 0
	}
	return ^uint32(0) << (32 - depth)
}

func prefix4(p netip.Prefix) (ip uint32, depth int, err error) {
	if !p.IsValid() {
		return 0, 0, fmt.Errorf("%w: invalid prefix %v", ErrDepth, p)
	}
	if !p.Addr().Is4() {
		return 0, 0, fmt.Errorf("%w: %v is not IPv4", ErrFamily, p)
	}
	b := p.Addr().As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]), p.Bits(), nil
}

// Add inserts the route p -> nextHop, or changes the next hop of an
// existing route.
func (t *Table) Add(p netip.Prefix, nextHop uint32) error {
	ip, depth, err := prefix4(p)
	if err != nil {
		return err
	}
	return t.AddIP(ip, depth, nextHop)
}

// Delete removes the route p.
func (t *Table) Delete(p netip.Prefix) error {
	ip, depth, err := prefix4(p)
	if err != nil {
		return err
	}
	return t.DeleteIP(ip, depth)
}

// Get returns the next hop of exactly the route ip/depth, as
// rte_lpm_is_rule_present.
func (t *Table) Get(ip uint32, depth int) (uint32, bool) {
	if depth < 0 || depth > 32 || t.rules == nil {
		return 0, false
	}
	nh, ok := t.rules[ruleKey4(ip&mask4(depth), depth)]
	return nh, ok
}

// AddIP inserts ip/depth -> nextHop (ip in host order; bits beyond depth
// are ignored, as rte_lpm_add).
func (t *Table) AddIP(ip uint32, depth int, nextHop uint32) error {
	if t.rules == nil {
		return ErrClosed
	}
	if depth < 0 || depth > 32 {
		return fmt.Errorf("%w: /%d (want 0..32)", ErrDepth, depth)
	}
	if nextHop > MaxNextHop {
		return fmt.Errorf("%w: %d (max %d)", ErrNextHop, nextHop, MaxNextHop)
	}
	ip &= mask4(depth)
	key := ruleKey4(ip, depth)
	if _, ok := t.rules[key]; !ok && len(t.rules) >= t.cfg.MaxRules {
		return fmt.Errorf("%w: %d rules", ErrFull, t.cfg.MaxRules)
	}
	e := validBit | uint32(depth)<<depthSh | nextHop
	if depth <= 24 {
		first := ip >> 8
		for i := first; i < first+1<<(24-depth); i++ {
			t.fill(&t.tbl24[i], depth, e)
		}
	} else {
		slot := &t.tbl24[ip>>8]
		cur := atomic.LoadUint32(slot)
		var g []uint32
		if cur&extBit != 0 {
			g = t.group(cur)
		} else {
			// A new group starts as a copy of the /24's entry, then the
			// route is written into it, then it is linked: a reader that
			// sees the link sees a complete group.
			gi, fresh, ok := t.pool.get()
			if !ok {
				return fmt.Errorf("%w: %d groups in use", ErrNoGroups, t.cfg.NumGroups)
			}
			g = t.groups[gi*groupSize : (gi+1)*groupSize]
			if cur != 0 || !fresh { // a fresh group is all zeros (invalid)
				for i := range g {
					g[i] = cur // not linked yet: no reader sees it
				}
			}
			defer atomic.StoreUint32(slot, extBit|gi)
		}
		first := ip & 0xff
		for i := first; i < first+1<<(32-depth); i++ {
			t.fill(&g[i], depth, e)
		}
	}
	if _, ok := t.rules[key]; !ok {
		t.depths[depth]++
	}
	t.rules[key] = nextHop
	return nil
}

// group returns the group an ext entry points to.
func (t *Table) group(e uint32) []uint32 {
	gi := e & nhMask
	return t.groups[gi*groupSize : (gi+1)*groupSize]
}

// fill writes e (a route of depth depth) into *slot unless *slot holds a
// deeper route; a group is filled entry by entry.
func (t *Table) fill(slot *uint32, depth int, e uint32) {
	cur := atomic.LoadUint32(slot)
	if cur&extBit != 0 {
		g := t.group(cur)
		for i := range g {
			t.fill(&g[i], depth, e)
		}
		return
	}
	if cur&validBit == 0 || int(cur>>depthSh&depthMask) <= depth {
		setEntry(slot, e)
	}
}

// DeleteIP removes the route ip/depth; the addresses it covered fall back
// to the longest shorter route that covers them, if any.
func (t *Table) DeleteIP(ip uint32, depth int) error {
	if t.rules == nil {
		return ErrClosed
	}
	if depth < 0 || depth > 32 {
		return fmt.Errorf("%w: /%d (want 0..32)", ErrDepth, depth)
	}
	ip &= mask4(depth)
	key := ruleKey4(ip, depth)
	if _, ok := t.rules[key]; !ok {
		return fmt.Errorf("%w: %d.%d.%d.%d/%d", ErrNotFound, ip>>24, ip>>16&0xff, ip>>8&0xff, ip&0xff, depth)
	}
	delete(t.rules, key)
	t.depths[depth]--
	// The entries the route wrote are those in its range that still carry
	// its depth; they get the covering route (or become invalid).
	var repl uint32
	for d := depth - 1; d >= 0; d-- {
		if t.depths[d] == 0 {
			continue
		}
		if nh, ok := t.rules[ruleKey4(ip&mask4(d), d)]; ok {
			repl = validBit | uint32(d)<<depthSh | nh
			break
		}
	}
	if depth <= 24 {
		first := ip >> 8
		for i := first; i < first+1<<(24-depth); i++ {
			t.unfill(&t.tbl24[i], depth, repl)
		}
		return nil
	}
	slot := &t.tbl24[ip>>8]
	cur := atomic.LoadUint32(slot)
	if cur&extBit == 0 {
		panic("lpm: route deeper than /24 without a group") // invariant broken
	}
	g := t.group(cur)
	first := ip & 0xff
	for i := first; i < first+1<<(32-depth); i++ {
		t.unfill(&g[i], depth, repl)
	}
	t.collapse(slot)
	return nil
}

// unfill replaces the entries of depth depth under *slot by repl.
func (t *Table) unfill(slot *uint32, depth int, repl uint32) {
	cur := atomic.LoadUint32(slot)
	if cur&extBit != 0 {
		g := t.group(cur)
		for i := range g {
			t.unfill(&g[i], depth, repl)
		}
		t.collapse(slot)
		return
	}
	if cur&validBit != 0 && int(cur>>depthSh&depthMask) == depth {
		setEntry(slot, repl)
	}
}

// collapse unlinks the group *slot points to when all its entries are
// the same route of depth <= 24 (or all invalid), and frees it.
func (t *Table) collapse(slot *uint32) {
	cur := atomic.LoadUint32(slot)
	g := t.group(cur)
	e := atomic.LoadUint32(&g[0])
	if e&validBit != 0 && int(e>>depthSh&depthMask) > 24 {
		return
	}
	for i := 1; i < len(g); i++ {
		if atomic.LoadUint32(&g[i]) != e {
			return
		}
	}
	atomic.StoreUint32(slot, e)
	t.pool.put(cur & nhMask)
}

// Routes calls fn for every rule, in no particular order.
func (t *Table) Routes(fn func(p netip.Prefix, nextHop uint32) bool) {
	for k, nh := range t.rules {
		ip := uint32(k >> 8)
		a := netip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)})
		if !fn(netip.PrefixFrom(a, int(k&0xff)), nh) {
			return
		}
	}
}

// setEntry rewrites a live entry that holds a route (never a link to a
// group). An aligned 32-bit store is single-copy atomic on every platform
// Go supports, so a reader sees the old or the new route; the order among
// such stores does not matter, as each entry is right on its own. A plain
// store avoids the full barrier of atomic.StoreUint32 (XCHG on amd64),
// which made filling a /16 cost 256 barriers. Links to groups, whose
// contents must be visible first, use atomic.StoreUint32.
func setEntry(p *uint32, v uint32) { *p = v }
