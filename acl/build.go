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
	off  int
	wide bool
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
		b.split = 8 << 20
	}
	if b.maxGroups == 0 {
		b.maxGroups = 8
	}
	for _, d := range cfg.Fields {
		if d.Size == 1 {
			b.chunks = append(b.chunks, chunk{off: d.Offset})
			continue
		}
		for k := 0; k < d.Size; k += 2 {
			b.chunks = append(b.chunks, chunk{off: d.Offset + k, wide: true})
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
	groups, err := b.buildGroups(subs, b.maxGroups)
	if err != nil {
		return nil, err
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
	c.blk = min(maxBlock, scratchLen/max(1, c.nslots))
	return c, nil
}

type builder struct {
	cfg       Config
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

// group is one compiled rule group: a program of table lookups that ends in
// a result class, and the rank of the best rule per category of each result
// class.
type group struct {
	steps  []step
	nslots int
	root   int      // slot holding the result class
	res    []uint32 // res[class*cats+c]: rank of the best rule in category c
	cats   int
	constR bool // no steps: every key is in result class 0
}

// step is one lookup stage over a block of keys: either a chunk load
// (slot[dst] = tbl[chunk value]) or a combination
// (slot[dst] = tbl[slot[a]*nb + slot[b]]).
type step struct {
	tbl     []uint32
	off     int
	wide    bool
	combine bool
	a, b    int
	dst     int
	nb      uint32
}

func (g *group) bytes() int {
	n := 4 * len(g.res)
	for _, s := range g.steps {
		n += 4 * len(s.tbl)
	}
	return n
}

// pnode is a node of the combination tree while building.
type pnode struct {
	sets  *setTab // the rule set of each class
	n     int     // number of classes
	chunk int     // chunk index, or -1 for a combination
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
	cats := b.cfg.Categories
	g := group{cats: cats}
	words := (len(subs) + 63) / 64
	// Category bitsets (nil if every subrule has every category).
	allCats := uint32(1)<<cats - 1
	var catSets [][]uint64
	for i := range subs {
		if subs[i].cats != allCats {
			catSets = make([][]uint64, cats)
			for c := range catSets {
				catSets[c] = make([]uint64, words)
			}
			for i := range subs {
				for c := range cats {
					if subs[i].cats&(1<<c) != 0 {
						catSets[c][i/64] |= 1 << (i % 64)
					}
				}
			}
			break
		}
	}
	bytes := 0
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
	results := newSetTab((cats + 1) / 2)
	resultOf := func(set []uint64, lo, hi int, out []uint64) {
		for c := range cats {
			var cs []uint64
			if catSets != nil {
				cs = catSets[c]
			}
			r := uint32(len(subs)) // none, fixed below
			for w := lo; w < hi; w++ {
				x := set[w]
				if cs != nil {
					x &= cs[w]
				}
				if x != 0 {
					r = uint32(w*64 + bits.TrailingZeros64(x))
					break
				}
			}
			putRes(out, c, r)
		}
	}
	if len(nodes) == 0 {
		// Every key matches every rule of the group.
		all := make([]uint64, words)
		for i := range subs {
			all[i/64] |= 1 << (i % 64)
		}
		out := make([]uint64, results.w)
		resultOf(all, 0, words, out)
		results.intern(out)
		g.constR = true
	} else {
		for len(nodes) > 1 {
			// Combine the pair with the smallest table.
			bi, bj, best := 0, 1, -1
			for i := range nodes {
				for j := i + 1; j < len(nodes); j++ {
					if p := nodes[i].n * nodes[j].n; best < 0 || p < best {
						bi, bj, best = i, j, p
					}
				}
			}
			if bytes+4*best > b.limit() {
				return g, errSplit
			}
			final := len(nodes) == 2
			nd := combine(nodes[bi], nodes[bj], final, words, results, resultOf)
			bytes += 4 * len(nd.tbl)
			nodes[bi] = nd
			nodes = slices.Delete(nodes, bj, bj+1)
		}
		root := nodes[0]
		if root.chunk >= 0 {
			// A single chunk: map its classes to result classes.
			out := make([]uint64, results.w)
			m := make([]uint32, root.n)
			for cl := range root.n {
				s := root.sets.set(cl)
				resultOf(s, 0, words, out)
				m[cl] = results.intern(out)
			}
			for i, v := range root.tbl {
				root.tbl[i] = m[v]
			}
		}
		g.emit(root, b.chunks)
	}
	// Result table: ranks per category.
	g.res = make([]uint32, results.len()*cats)
	for rc := range results.len() {
		s := results.set(rc)
		for c := range cats {
			r := getRes(s, c)
			rank := b.none
			if int(r) < len(subs) {
				rank = subs[r].rank
			}
			g.res[rc*cats+c] = rank
		}
	}
	if bytes+4*len(g.res) > b.limit() {
		return g, errSplit
	}
	return g, nil
}

func putRes(out []uint64, c int, r uint32) {
	sh := uint(32 * (c % 2))
	out[c/2] = out[c/2]&^(0xffffffff<<sh) | uint64(r)<<sh
}

func getRes(s []uint64, c int) uint32 {
	return uint32(s[c/2] >> (32 * (c % 2)))
}

// emit appends the steps computing nd, in post-order, reusing the slots of
// consumed values; it returns nd's slot.
func (g *group) emit(root *pnode, chunks []chunk) {
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
			g.steps = append(g.steps, step{tbl: nd.tbl, dst: s, off: ch.off, wide: ch.wide})
			return s
		}
		a := walk(nd.a)
		bs := walk(nd.b)
		free = append(free, a, bs)
		s := alloc()
		g.steps = append(g.steps, step{tbl: nd.tbl, combine: true, a: a, b: bs, dst: s, nb: uint32(nd.b.n)})
		return s
	}
	g.root = walk(root)
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
	nd := &pnode{sets: newSetTab(words), chunk: k, tbl: make([]uint32, top+1)}
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

// combine builds the table of a x b. If final, the classes are result
// classes interned in results (by resultOf) instead of rule sets.
func combine(a, b *pnode, final bool, words int, results *setTab, resultOf func(set []uint64, lo, hi int, out []uint64)) *pnode {
	nd := &pnode{chunk: -1, a: a, b: b, tbl: make([]uint32, a.n*b.n)}
	if !final {
		nd.sets = newSetTab(words)
	}
	tmp := make([]uint64, words)
	out := make([]uint64, results.w)
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
			if final {
				for w := lo; w < hi; w++ {
					tmp[w] = sa[w] & sb[w]
				}
				resultOf(tmp, lo, hi, out)
				row[j] = results.intern(out)
				continue
			}
			for w := lo; w < hi; w++ {
				tmp[w] = sa[w] & sb[w]
			}
			row[j] = nd.sets.internSpan(tmp, lo, hi)
			for w := lo; w < hi; w++ {
				tmp[w] = 0
			}
		}
	}
	if !final {
		nd.n = nd.sets.len()
	}
	// The children's sets are no longer needed.
	a.sets, b.sets = nil, nil
	return nd
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
	h := uint64(lo)*0x9e3779b97f4a7c15 ^ uint64(hi)
	for _, x := range s[lo:hi] {
		h = (h^x)*0xff51afd7ed558ccd + 0x2545f4914f6cdd1d
		h ^= h >> 29
	}
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
