package acl

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"sort"
)

// A chunk is 8 or 16 bits of the key: the unit of the first lookup stage.
type chunk struct {
	off   int
	wide  bool
	field int
}

func (k chunk) max() uint16 {
	if k.wide {
		return 0xffff
	}
	return 0xff
}

// cons is a rule's constraint on one chunk: an interval [lo, hi], or, if
// bm, the values x with x&mask == val.
type cons struct {
	lo, hi    uint16
	val, mask uint16
	bm        bool
}

func (c cons) match(x uint16) bool {
	if c.bm {
		return x&c.mask == c.val
	}
	return c.lo <= x && x <= c.hi
}

// subrule is a rule, or one piece of a rule whose range over a 4- or 8-byte
// field was cut into chunk-aligned pieces (the pieces' key sets are
// disjoint and their union is the rule's).
type subrule struct {
	rank uint32 // index of the rule in priority order
	cats uint32
	cons []cons // one per chunk
}

// Build compiles rules under cfg into a Classifier. It checks cfg and every
// rule and fails with an error wrapping ErrConfig, ErrRule or ErrTooLarge;
// the rules slice is not kept.
func Build(cfg Config, rules []Rule) (*Classifier, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	for i := range rules {
		if err := validateRule(&cfg, i, &rules[i]); err != nil {
			return nil, err
		}
	}
	b := builder{cfg: cfg, maxSize: cfg.MaxSize, split: cfg.SplitSize, maxGroups: cfg.MaxGroups}
	if b.maxSize == 0 {
		b.maxSize = 1 << 30
	}
	if b.split == 0 {
		b.split = 64 << 20
	}
	if b.maxGroups == 0 {
		b.maxGroups = 8
	}
	for j, d := range cfg.Fields {
		if d.Size == 1 {
			b.chunks = append(b.chunks, chunk{off: d.Offset, field: j})
			continue
		}
		for k := 0; k < d.Size; k += 2 {
			b.chunks = append(b.chunks, chunk{off: d.Offset + k, wide: true, field: j})
		}
	}

	// Priority order: highest priority first, then the order of addition.
	order := make([]int, len(rules))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return rules[order[i]].Priority > rules[order[j]].Priority })

	c := &Classifier{
		fields: slices.Clone(cfg.Fields),
		keyLen: cfg.KeyLen(),
		cats:   cfg.Categories,
		nrules: len(rules),
		ud:     make([]uint32, len(rules)+1),
	}
	catAll := uint32(1)<<cfg.Categories - 1
	var subs []subrule
	for rank, i := range order {
		r := &rules[i]
		c.ud[rank] = r.Userdata
		cats := r.CategoryMask & catAll
		if cats == 0 {
			continue
		}
		var err error
		subs, err = b.expand(subs, uint32(rank), cats, r)
		if err != nil {
			return nil, err
		}
	}
	c.none = uint32(len(rules))
	c.ud[len(rules)] = 0

	b.none = c.none
	b.rules, b.order = rules, order
	var groups []group
	parts := b.partition(rules, order, subs)
	for k, p := range parts {
		gs, err := b.buildGroups(p, b.maxGroups-len(groups)-(len(parts)-1-k))
		if err != nil {
			return nil, err
		}
		groups = append(groups, gs...)
	}
	c.groups = groups
	for _, g := range groups {
		c.size += g.bytes()
		c.nslots = max(c.nslots, g.nslots)
	}
	c.size += 4 * len(c.ud)
	if c.size > b.maxSize {
		return nil, fmt.Errorf("%w: %d bytes > %d", ErrTooLarge, c.size, b.maxSize)
	}
	if c.nslots+MaxCategories > scratchLen {
		return nil, fmt.Errorf("%w: lookup needs %d table slots (more than %d)", ErrTooLarge, c.nslots, scratchLen-MaxCategories)
	}
	c.relocate()
	return c, nil
}

type builder struct {
	cfg       Config
	rules     []Rule
	order     []int // rank -> index in rules
	chunks    []chunk
	maxSize   int
	split     int
	maxGroups int
	total     int    // bytes of the groups built so far
	none      uint32 // the rank meaning "no rule"
}

// expand appends rule r's subrules to subs.
func (b *builder) expand(subs []subrule, rank, cats uint32, r *Rule) ([]subrule, error) {
	base := make([]cons, 0, len(b.chunks))
	// alts[f] lists, for a range field over several chunks, its pieces.
	type alt struct {
		first int // first chunk of the field
		ivs   [][]cons
	}
	var alts []alt
	for j, d := range b.cfg.Fields {
		f := r.Fields[j]
		n := 1
		if d.Size > 1 {
			n = d.Size / 2
		}
		if d.Type == FieldRange {
			if n == 1 {
				base = append(base, cons{lo: uint16(f.Value), hi: uint16(f.MaskRange)})
				continue
			}
			a := alt{first: len(base)}
			splitRange(f.Value, f.MaskRange, n, nil, func(ivs []cons) {
				a.ivs = append(a.ivs, slices.Clone(ivs))
			})
			alts = append(alts, a)
			for range n {
				base = append(base, cons{})
			}
			continue
		}
		v, m := f.bitmask(d)
		w := 8 * d.Size
		for k := range n {
			cw := 16
			if d.Size == 1 {
				cw = 8
			}
			shift := w - cw*(k+1)
			cv, cm := uint16(v>>shift), uint16(m>>shift)
			if d.Size == 1 {
				cv, cm = cv&0xff, cm&0xff
			}
			if isPrefixMask(uint64(cm), cw) {
				hi := cv | ^cm
				if d.Size == 1 {
					hi &= 0xff
				}
				base = append(base, cons{lo: cv, hi: hi})
			} else {
				base = append(base, cons{val: cv, mask: cm, bm: true})
			}
		}
	}
	// The cartesian product of the range pieces.
	total := 1
	for _, a := range alts {
		total *= len(a.ivs)
		if total+len(subs) > maxSubrules {
			return nil, fmt.Errorf("%w: more than %d rules after cutting ranges into pieces", ErrTooLarge, maxSubrules)
		}
	}
	for p := range total {
		cs := slices.Clone(base)
		q := p
		for _, a := range alts {
			copy(cs[a.first:], a.ivs[q%len(a.ivs)])
			q /= len(a.ivs)
		}
		subs = append(subs, subrule{rank: rank, cats: cats, cons: cs})
	}
	return subs, nil
}

// splitRange cuts [lo, hi] over n 16-bit chunks (most significant first)
// into pieces that are each a product of per-chunk intervals, calling emit
// with prefix+piece for each.
func splitRange(lo, hi uint64, n int, prefix []cons, emit func([]cons)) {
	if n == 1 {
		emit(append(prefix, cons{lo: uint16(lo), hi: uint16(hi)}))
		return
	}
	shift := uint(16 * (n - 1))
	restMax := uint64(1)<<shift - 1
	tl, th := lo>>shift, hi>>shift
	rl, rh := lo&restMax, hi&restMax
	pre := prefix[:len(prefix):len(prefix)]
	if tl == th {
		splitRange(rl, rh, n-1, append(pre, cons{lo: uint16(tl), hi: uint16(tl)}), emit)
		return
	}
	start, end := tl, th
	if rl != 0 {
		splitRange(rl, restMax, n-1, append(pre, cons{lo: uint16(tl), hi: uint16(tl)}), emit)
		start++
	}
	if rh != restMax {
		splitRange(0, rh, n-1, append(pre, cons{lo: uint16(th), hi: uint16(th)}), emit)
		end--
	}
	if start <= end {
		p := append(pre, cons{lo: uint16(start), hi: uint16(end)})
		for range n - 1 {
			p = append(p, cons{lo: 0, hi: 0xffff})
		}
		emit(p)
	}
}

var errSplit = errors.New("acl: group too large")

// buildGroups builds subs into at most budget groups.
func (b *builder) buildGroups(subs []subrule, budget int) ([]group, error) {
	g, err := b.buildGroup(subs)
	if err == nil {
		b.total += g.bytes()
		return []group{g}, nil
	}
	if !errors.Is(err, errSplit) {
		return nil, err
	}
	// Split in two, if the budget allows another group.
	if len(subs) < 2 || budget < 2 {
		// Build it whole against the overall limit.
		sp := b.split
		b.split = -1
		g, err := b.buildGroup(subs)
		b.split = sp
		if err != nil {
			if errors.Is(err, errSplit) {
				return nil, fmt.Errorf("%w: %d bytes at most, %d groups at most", ErrTooLarge, b.maxSize, b.maxGroups)
			}
			return nil, err
		}
		b.total += g.bytes()
		return []group{g}, nil
	}
	x, y := b.splitRules(subs)
	gx, err := b.buildGroups(x, budget-1)
	if err != nil {
		return nil, err
	}
	gy, err := b.buildGroups(y, budget-len(gx))
	if err != nil {
		return nil, err
	}
	return append(gx, gy...), nil
}

// partition groups the rules by the first of their fields that is narrow:
// the rules narrow in the field where most rules are narrow, then, of the
// others, those narrow in the field where most of them are, and so on, at
// most maxParts-1 (and MaxGroups-1) times. In a group every rule is narrow
// in one field, so every key's class in that field holds few rules: the
// list match walks.
func (b *builder) partition(rules []Rule, order []int, subs []subrule) [][]subrule {
	narrow := func(s *subrule, f int) bool {
		d := b.cfg.Fields[f]
		r := &rules[order[s.rank]]
		x := r.Fields[f]
		w := 8 * d.Size
		var logCover int
		switch d.Type {
		case FieldRange:
			logCover = bits.Len64(x.MaskRange - x.Value)
		case FieldPrefix:
			logCover = w - int(x.MaskRange)
		case FieldExact:
			logCover = 0
		default:
			logCover = w - bits.OnesCount64(x.MaskRange)
		}
		return logCover <= w*3/4
	}
	// overlap returns how many of the rules in ns (field f) a sample
	// of them intersects on average.
	overlap := func(ns []*subrule, f int) float64 {
		d := b.cfg.Fields[f]
		step := max(1, len(ns)/128)
		tot, cnt := 0, 0
		for i := 0; i < len(ns); i += step {
			x := rules[order[ns[i].rank]].Fields[f]
			for _, t := range ns {
				y := rules[order[t.rank]].Fields[f]
				if d.Type == FieldRange {
					if x.Value <= y.MaskRange && y.Value <= x.MaskRange {
						tot++
					}
					continue
				}
				xv, xm := x.bitmask(d)
				yv, ym := y.bitmask(d)
				if (xv^yv)&xm&ym == 0 {
					tot++
				}
			}
			cnt++
		}
		return float64(tot) / float64(max(cnt, 1))
	}
	var parts [][]subrule
	rest := subs
	for len(rest) > smallGroup && len(parts) < min(b.maxGroups, maxParts)-1 {
		// The field where the most rules are narrow and the narrow
		// ones overlap least.
		bestF, bestN, bestScore := -1, 0, 0.0
		for f := range b.cfg.Fields {
			var ns []*subrule
			for i := range rest {
				if narrow(&rest[i], f) {
					ns = append(ns, &rest[i])
				}
			}
			if len(ns) == 0 {
				continue
			}
			score := float64(len(ns)) / overlap(ns, f)
			if score > bestScore {
				bestF, bestN, bestScore = f, len(ns), score
			}
		}
		if bestF < 0 || bestN == len(rest) || bestN < len(rest)/16 || bestN < smallGroup/2 {
			break
		}
		var in, out []subrule
		for i := range rest {
			if narrow(&rest[i], bestF) {
				in = append(in, rest[i])
			} else {
				out = append(out, rest[i])
			}
		}
		if len(out) <= smallGroup {
			// Too few left for a group of their own (a pass of
			// its own for every key): they join this one.
			all := append(in, out...)
			sort.SliceStable(all, func(i, j int) bool { return all[i].rank < all[j].rank })
			return append(parts, all)
		}
		parts = append(parts, in)
		rest = out
	}
	return append(parts, rest)
}

// splitRules cuts subs in two: by whether the rules cover at least half of
// the values of the chunk that divides them most evenly (wide constraints
// against narrow ones are what makes the combined tables grow), or by
// priority halves if every chunk divides them the same.
func (b *builder) splitRules(subs []subrule) (x, y []subrule) {
	bestK, bestBal := -1, 0
	for k, ch := range b.chunks {
		n := 0
		for i := range subs {
			if wide(subs[i].cons[k], ch) {
				n++
			}
		}
		if bal := min(n, len(subs)-n); bal > bestBal {
			bestK, bestBal = k, bal
		}
	}
	if bestK < 0 {
		h := len(subs) / 2
		// Keep the pieces of one rule together.
		for h < len(subs) && subs[h].rank == subs[h-1].rank {
			h++
		}
		if h == len(subs) {
			h = len(subs) / 2
		}
		return slices.Clone(subs[:h]), slices.Clone(subs[h:])
	}
	for i := range subs {
		if wide(subs[i].cons[bestK], b.chunks[bestK]) {
			x = append(x, subs[i])
		} else {
			y = append(y, subs[i])
		}
	}
	return x, y
}

func wide(c cons, ch chunk) bool {
	width := 8
	if ch.wide {
		width = 16
	}
	if c.bm {
		return bits.OnesCount16(^c.mask&ch.max()) >= width-1
	}
	return int(c.hi)-int(c.lo)+1 >= (int(ch.max())+1)/2
}

// group is one compiled rule group. Its steps are table lookups that turn
// a key into a class of the group's lead dimension (a field, or fields
// combined: the one whose classes hold the fewest rules); each class has
// the list of the group's rules that its keys may match, in priority
// order. The group's answer is the first rule of the key's list that the
// key matches, checked field by field.
type group struct {
	steps  []step
	nslots int
	slot   int      // the slot holding the lead class
	offs   []uint32 // the rules of class c: list[offs[c]:offs[c+1]]
	list   []uint32
	// fr, with check32, holds for each of the first nfilt checked
	// fields two arrays of fstride words: per list entry, the lowest
	// value and the span (highest - lowest) of the field that the
	// entry's rule allows; filterPad zeros follow the last entry.
	fr      []uint32
	nfilt   int
	fstride int
	// linear: no steps, one class listing all the group's rules.
	linear bool
	// Per rule and field: mask, lo, hi-lo; a key's field x matches when
	// x&mask-lo <= hi-lo. check32 when every field is at most 4 bytes
	// (a 5-tuple rule in one 64-byte line), else check64; stride words
	// a rule.
	check32 []uint32
	check64 []uint64
	stride  int
	fields  []FieldDef // the key's fields in check record order
	rank    []uint32   // rank[r]: the rank of the group's rule r
	cats    []uint32   // cats[r]: the category mask of the group's rule r
	// constRank, when the group has no steps (every rule allows every
	// key), is the rank of the best rule per category.
	constRank []uint32
}

// step is one lookup stage over a block of keys: either a chunk load
// (slot[dst] = tbl[chunk value]) or a combination
// (slot[dst] = tbl[slot[a]*nb + slot[b]]).
type step struct {
	tbl     []uint32 // or tbl16, when every class number fits
	tbl16   []uint16
	off     int
	wide    bool
	combine bool
	a, b    int
	dst     int
	nb      uint32
}

// maxDims bounds a group's dimensions; crossLimit is the largest table
// that combines two different fields (beyond it a field stays a dimension
// of its own).
const (
	linearMax  = 4  // a group of at most this many rules is walked whole
	smallGroup = 64 // partition leaves the last this many rules together
	// maxParts bounds the groups partition makes (size splits may add
	// more): every group is a pass per key, and with the list filter a
	// longer list costs less than another pass. IPv6 rules as 4-byte
	// words went into 5 groups without it, 2 with it, at 0.55x the
	// time per key; IPv4 5-tuples make 2 either way.
	maxParts   = 2
	longList   = 40 // see finishLists
	leadLimit  = 1 << 21
	maxDims    = 8
	crossLimit = 1 << 16
)

func (g *group) bytes() int {
	n := 4*len(g.rank) + 4*len(g.cats) + 4*len(g.offs) + 4*len(g.list) + 4*len(g.fr) + 4*len(g.check32) + 8*len(g.check64)
	for _, s := range g.steps {
		n += 4*len(s.tbl) + 2*len(s.tbl16)
	}
	return n
}

// pnode is a node of the combination tree while building.
type pnode struct {
	sets  *setTab // the rule set of each class
	n     int     // number of classes
	chunk int     // chunk index, or -1 for a combination
	field int     // the field of the chunks below, or -1 if several
	fset  uint64  // the fields of the chunks below, a bit each
	a, b  *pnode
	tbl   []uint32
}

func (b *builder) limit() int {
	l := b.maxSize - b.total
	if b.split >= 0 {
		l = min(l, b.split)
	}
	return l
}

func (b *builder) buildGroup(subs []subrule) (group, error) {
	g := group{}
	words := (len(subs) + 63) / 64
	// The group's rules: its subrules' rules, once each (the pieces of a
	// rule are adjacent).
	ruleOf := make([]uint32, len(subs))
	var firstSub []int // the first subrule of each of the group's rules
	for i := range subs {
		if i == 0 || subs[i].rank != subs[i-1].rank {
			g.rank = append(g.rank, subs[i].rank)
			g.cats = append(g.cats, subs[i].cats)
			firstSub = append(firstSub, i)
		}
		ruleOf[i] = uint32(len(g.rank) - 1)
	}
	bytes := g.bytes()
	var nodes []*pnode
	for k, ch := range b.chunks {
		nd := b.phase0(subs, k, ch, words)
		if nd == nil {
			continue // every rule allows every value
		}
		bytes += 4 * len(nd.tbl)
		if bytes > b.limit() {
			return g, errSplit
		}
		nodes = append(nodes, nd)
	}
	if len(nodes) == 0 {
		// Every key matches every rule of the group: the best rule per
		// category is the first one that has it.
		g.constRank = make([]uint32, b.cfg.Categories)
		for c := range g.constRank {
			g.constRank[c] = b.none
			for i := range subs {
				if subs[i].cats&(1<<c) != 0 {
					g.constRank[c] = subs[i].rank
					break
				}
			}
		}
		return g, nil
	}
	if len(g.rank) <= linearMax {
		// So few rules that walking them all beats the table lookups.
		g.linear = true
		g.offs = []uint32{0, uint32(len(g.rank))}
		for r := range g.rank {
			g.list = append(g.list, uint32(r))
		}
		g.finishLists(b, subs, firstSub, 0)
		return g, nil
	}
	for len(nodes) > 1 {
		// Chunks of one field first (their classes are few: a field's
		// values), then the pair with the smallest table while it is
		// small, or while there are too many dimensions.
		bi, bj, best, bestSame := 0, 1, -1, false
		for i := range nodes {
			for j := i + 1; j < len(nodes); j++ {
				p := nodes[i].n * nodes[j].n
				same := nodes[i].field == nodes[j].field && nodes[i].field >= 0
				if best < 0 || same && !bestSame || same == bestSame && p < best {
					bi, bj, best, bestSame = i, j, p, same
				}
			}
		}
		if !bestSame && best > crossLimit && len(nodes) <= maxDims {
			break
		}
		if bytes+4*best > b.limit() {
			return g, errSplit
		}
		nd := combine(nodes[bi], nodes[bj], words)
		bytes += 4 * len(nd.tbl)
		nodes[bi] = nd
		nodes = slices.Delete(nodes, bj, bj+1)
	}
	// The lead: the dimension whose classes hold the fewest rules on
	// average, combined further with the other dimension that shortens
	// its lists most, while that pays and its table stays under
	// leadLimit entries. Only the lead's tables are kept.
	avgOf := func(nd *pnode) float64 {
		pop := 0
		for cl := range nd.n {
			for _, x := range nd.sets.set(cl) {
				pop += bits.OnesCount64(x)
			}
		}
		return float64(pop) / float64(nd.n)
	}
	lead, leadAvg := 0, -1.0
	for k, nd := range nodes {
		if avg := avgOf(nd); leadAvg < 0 || avg < leadAvg {
			lead, leadAvg = k, avg
		}
	}
	for len(nodes) > 1 && leadAvg > 2 {
		var bestNd *pnode
		bestK, bestAvg := -1, leadAvg*0.25
		for k, nd := range nodes {
			p := nodes[lead].n * nd.n
			if k == lead || p > leadLimit || bytes+4*p > b.limit() {
				continue
			}
			// Try it without consuming the children's sets.
			x := combineKeep(nodes[lead], nd, words)
			if avg := avgOf(x); avg < bestAvg {
				bestNd, bestK, bestAvg = x, k, avg
			}
		}
		if bestNd == nil {
			break
		}
		bytes += 4 * len(bestNd.tbl)
		nodes[lead] = bestNd
		nodes = slices.Delete(nodes, bestK, bestK+1)
		if bestK < lead {
			lead--
		}
		leadAvg = bestAvg
	}
	nd := nodes[lead]
	g.offs = make([]uint32, nd.n+1)
	for cl := range nd.n {
		last := -1
		for w, x := range nd.sets.set(cl) {
			for x != 0 {
				r := int(ruleOf[w*64+bits.TrailingZeros64(x)])
				x &= x - 1
				if r != last {
					g.list = append(g.list, uint32(r))
					last = r
				}
			}
		}
		g.offs[cl+1] = uint32(len(g.list))
	}
	g.slot = g.emit(nd, b.chunks)
	g.finishLists(b, subs, firstSub, nd.fset)
	if g.bytes() > b.limit() {
		return g, errSplit
	}
	for _, nd := range nodes {
		nd.sets = nil
	}
	return g, nil
}

// finishLists builds the check records and the list entries.
func (g *group) finishLists(b *builder, subs []subrule, firstSub []int, leadFields uint64) {
	g.records(b, subs, firstSub, leadFields)
	if g.check32 != nil {
		// The ranges of the first nfilt fields that match tests, per
		// list entry, field by field, lows then spans (highest -
		// lowest): the filter compares 16 entries at a time, so that
		// most rules of a list are passed over without touching their
		// records. A field with a mask that is not a prefix gives the
		// whole range: the record decides.
		// One field, two where the lists are long (more than
		// longList entries a class on average): on 20000 IPv4 rules
		// the group of wide-source rules (lists of 67 entries a key,
		// 26 passing the destination port, 12 passing it and the
		// protocol) ran 20% faster on two; groups with short lists,
		// and three fields anywhere, ran slower.
		g.nfilt = 1
		if len(g.list) > longList*(len(g.offs)-1) {
			g.nfilt = min(2, len(g.fields))
		}
		g.fstride = len(g.list) + filterPad
		g.fr = make([]uint32, 2*g.nfilt*g.fstride)
		for k := range g.nfilt {
			lo := g.fr[2*k*g.fstride:]
			span := g.fr[(2*k+1)*g.fstride:]
			for j, r := range g.list {
				ck := g.check32[int(r)*g.stride+3*k:]
				l, sp := uint32(0), ^uint32(0)
				if ck[0] == uint32(sizeMax(g.fields[k].Size)) {
					l, sp = ck[1], ck[2]
				}
				lo[j], span[j] = l, sp
			}
		}
	}
}

// emit appends the steps computing nd, in post-order, reusing the slots of
// consumed values; it returns nd's slot.
func (g *group) emit(root *pnode, chunks []chunk) int {
	var free []int
	alloc := func() int {
		if n := len(free); n > 0 {
			s := free[n-1]
			free = free[:n-1]
			return s
		}
		g.nslots++
		return g.nslots - 1
	}
	var walk func(nd *pnode) int
	walk = func(nd *pnode) int {
		if nd.chunk >= 0 {
			s := alloc()
			ch := chunks[nd.chunk]
			g.steps = append(g.steps, tableStep(step{dst: s, off: ch.off, wide: ch.wide}, nd))
			return s
		}
		a := walk(nd.a)
		bs := walk(nd.b)
		free = append(free, a, bs)
		s := alloc()
		g.steps = append(g.steps, tableStep(step{combine: true, a: a, b: bs, dst: s, nb: uint32(nd.b.n)}, nd))
		return s
	}
	return walk(root)
}

// records builds the rules' check records, the fields in the order match
// tests them: the fields the lead does not cover first, the most selective
// for this group's rules first (the one where a rule overlaps the fewest
// other rules of the group, on a sample), then the lead's (which a key of
// the list mostly passes). The first field is also the one list entries
// carry.
func (g *group) records(b *builder, subs []subrule, firstSub []int, leadFields uint64) {
	nf := len(b.cfg.Fields)
	perm := make([]int, nf)
	overlap := make([]int, nf)
	step := max(1, len(firstSub)/64)
	for i := range perm {
		perm[i] = i
		d := b.cfg.Fields[i]
		for x := 0; x < len(firstSub); x += step {
			fx := b.rules[b.order[subs[firstSub[x]].rank]].Fields[i]
			for y := 0; y < len(firstSub); y += step {
				fy := b.rules[b.order[subs[firstSub[y]].rank]].Fields[i]
				if d.Type == FieldRange {
					if fx.Value <= fy.MaskRange && fy.Value <= fx.MaskRange {
						overlap[i]++
					}
					continue
				}
				xv, xm := fx.bitmask(d)
				yv, ym := fy.bitmask(d)
				if (xv^yv)&xm&ym == 0 {
					overlap[i]++
				}
			}
		}
	}
	inLead := func(f int) bool { return leadFields&(1<<f) != 0 }
	sort.SliceStable(perm, func(i, j int) bool {
		fi, fj := perm[i], perm[j]
		if inLead(fi) != inLead(fj) {
			return !inLead(fi)
		}
		return overlap[fi] < overlap[fj]
	})
	g.fields = make([]FieldDef, nf)
	for j, f := range perm {
		g.fields[j] = b.cfg.Fields[f]
	}
	narrowKey := true
	for _, d := range b.cfg.Fields {
		narrowKey = narrowKey && d.Size <= 4
	}
	if narrowKey {
		g.stride = (3*nf + 15) &^ 15
		g.check32 = make([]uint32, len(firstSub)*g.stride)
	} else {
		g.stride = (3*nf + 7) &^ 7
		g.check64 = make([]uint64, len(firstSub)*g.stride)
	}
	for base, si := range firstSub {
		r := &b.rules[b.order[subs[si].rank]]
		for j, fi := range perm {
			d := b.cfg.Fields[fi]
			f := r.Fields[fi]
			var m, lo, hi uint64
			if d.Type == FieldRange {
				m, lo, hi = sizeMax(d.Size), f.Value, f.MaskRange
			} else {
				v, mm := f.bitmask(d)
				m, lo, hi = mm, v, v
				if isPrefixMask(mm, 8*d.Size) {
					// A prefix: the range of its addresses.
					m, hi = sizeMax(d.Size), v|(sizeMax(d.Size)&^mm)
				}
			}
			if narrowKey {
				copy(g.check32[base*g.stride+3*j:], []uint32{uint32(m), uint32(lo), uint32(hi - lo)})
			} else {
				copy(g.check64[base*g.stride+3*j:], []uint64{m, lo, hi - lo})
			}
		}
	}
}

// tableStep sets st's table to nd's, in 16 bits if nd's class numbers fit.
func tableStep(st step, nd *pnode) step {
	if nd.n > 1<<16 {
		st.tbl = nd.tbl
		return st
	}
	st.tbl16 = make([]uint16, len(nd.tbl))
	for i, v := range nd.tbl {
		st.tbl16[i] = uint16(v)
	}
	return st
}

// phase0 computes the classes of chunk k: the distinct sets of subrules
// that its values allow. It returns nil if every subrule allows every
// value.
func (b *builder) phase0(subs []subrule, k int, ch chunk, words int) *pnode {
	top := int(ch.max())
	wild := true
	type event struct {
		at  int
		sub int
		add bool
	}
	var evs []event
	var bms []int
	for i := range subs {
		c := subs[i].cons[k]
		if c.bm {
			bms = append(bms, i)
			wild = false
			continue
		}
		if c.lo != 0 || int(c.hi) != top {
			wild = false
		}
		evs = append(evs, event{at: int(c.lo), sub: i, add: true})
		if int(c.hi) < top {
			evs = append(evs, event{at: int(c.hi) + 1, sub: i})
		}
	}
	if wild {
		return nil
	}
	sort.Slice(evs, func(i, j int) bool { return evs[i].at < evs[j].at })
	nd := &pnode{sets: newSetTab(words), chunk: k, field: ch.field, fset: 1 << ch.field, tbl: make([]uint32, top+1)}
	cur := make([]uint64, words)
	tmp := make([]uint64, words)
	e := 0
	for x := 0; x <= top; {
		for e < len(evs) && evs[e].at == x {
			s := evs[e].sub
			if evs[e].add {
				cur[s/64] |= 1 << (s % 64)
			} else {
				cur[s/64] &^= 1 << (s % 64)
			}
			e++
		}
		end := top + 1
		if e < len(evs) {
			end = evs[e].at
		}
		if len(bms) == 0 {
			cl := nd.sets.intern(cur)
			for v := x; v < end; v++ {
				nd.tbl[v] = cl
			}
		} else {
			for v := x; v < end; v++ {
				copy(tmp, cur)
				for _, s := range bms {
					if subs[s].cons[k].match(uint16(v)) {
						tmp[s/64] |= 1 << (s % 64)
					}
				}
				nd.tbl[v] = nd.sets.intern(tmp)
			}
		}
		x = end
	}
	nd.n = nd.sets.len()
	return nd
}

// combine builds the table of a x b: the classes of the combination are
// the distinct intersections of a class of a and a class of b. a's and b's
// sets are dropped.
func combine(a, b *pnode, words int) *pnode {
	nd := combineKeep(a, b, words)
	a.sets, b.sets = nil, nil
	return nd
}

// combineKeep is combine keeping a's and b's sets.
func combineKeep(a, b *pnode, words int) *pnode {
	nd := &pnode{chunk: -1, field: -1, fset: a.fset | b.fset, a: a, b: b, tbl: make([]uint32, a.n*b.n), sets: newSetTab(words)}
	if a.field == b.field {
		nd.field = a.field
	}
	tmp := make([]uint64, words)
	for i := range a.n {
		sa := a.sets.set(i)
		alo, ahi := a.sets.span(i)
		row := nd.tbl[i*b.n : (i+1)*b.n]
		for j := range b.n {
			sb := b.sets.set(j)
			blo, bhi := b.sets.span(j)
			lo, hi := max(alo, blo), min(ahi, bhi)
			if lo >= hi {
				lo, hi = 0, 0
			}
			t, x, y := tmp[lo:hi], sa[lo:hi], sb[lo:hi]
			x, y = x[:len(t)], y[:len(t)]
			for w := range t {
				t[w] = x[w] & y[w]
			}
			row[j] = nd.sets.internSpan(tmp, lo, hi)
			clear(t)
		}
	}
	nd.n = nd.sets.len()
	return nd
}

// hashWords hashes ws from seed, four words at a time in four independent
// chains (a set of 20000 rules is 313 words, hashed once per class of
// every combination table, which is most of the build time).
func hashWords(ws []uint64, seed uint64) uint64 {
	const m1, m2 = 0xff51afd7ed558ccd, 0xc4ceb9fe1a85ec53
	h0, h1, h2, h3 := seed, seed^m1, seed^m2, seed+m1
	for len(ws) >= 4 {
		h0 = (h0 ^ ws[0]) * m1
		h1 = (h1 ^ ws[1]) * m2
		h2 = (h2 ^ ws[2]) * m1
		h3 = (h3 ^ ws[3]) * m2
		h0 ^= h0 >> 29
		h1 ^= h1 >> 31
		h2 ^= h2 >> 27
		h3 ^= h3 >> 33
		ws = ws[4:]
	}
	for _, x := range ws {
		h0 = (h0^x)*m1 + 0x2545f4914f6cdd1d
		h0 ^= h0 >> 29
	}
	h := h0 ^ bits.RotateLeft64(h1, 17) ^ bits.RotateLeft64(h2, 31) ^ bits.RotateLeft64(h3, 47)
	h *= m2
	return h ^ h>>32
}

// setTab interns bitsets of w words: equal sets get the same class number.
type setTab struct {
	w     int
	sets  []uint64
	spans []int32 // first and one past the last nonzero word, per set
	first map[uint64]int32
	next  []int32
}

func newSetTab(w int) *setTab {
	return &setTab{w: w, first: map[uint64]int32{}}
}

func (t *setTab) len() int { return len(t.next) }

func (t *setTab) set(i int) []uint64 { return t.sets[i*t.w : (i+1)*t.w] }

func (t *setTab) span(i int) (int, int) { return int(t.spans[2*i]), int(t.spans[2*i+1]) }

func (t *setTab) intern(s []uint64) uint32 {
	lo, hi := 0, len(s)
	for lo < hi && s[lo] == 0 {
		lo++
	}
	for hi > lo && s[hi-1] == 0 {
		hi--
	}
	return t.internSpan(s, lo, hi)
}

// internSpan interns s, whose words outside [lo, hi) are zero.
func (t *setTab) internSpan(s []uint64, lo, hi int) uint32 {
	for lo < hi && s[lo] == 0 {
		lo++
	}
	for hi > lo && s[hi-1] == 0 {
		hi--
	}
	if lo >= hi {
		lo, hi = 0, 0
	}
	h := hashWords(s[lo:hi], uint64(lo)*0x9e3779b97f4a7c15^uint64(hi))
	id, ok := t.first[h]
	if ok {
		for ; id >= 0; id = t.next[id] {
			if int(t.spans[2*id]) == lo && int(t.spans[2*id+1]) == hi && slices.Equal(t.set(int(id))[lo:hi], s[lo:hi]) {
				return uint32(id)
			}
		}
	}
	n := int32(len(t.next))
	prev, had := t.first[h]
	if !had {
		prev = -1
	}
	t.first[h] = n
	t.next = append(t.next, prev)
	off := len(t.sets)
	t.sets = append(t.sets, make([]uint64, t.w)...)
	copy(t.sets[off+lo:off+hi], s[lo:hi])
	t.spans = append(t.spans, int32(lo), int32(hi))
	return uint32(n)
}
