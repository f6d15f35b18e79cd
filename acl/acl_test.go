package acl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// refClassify is the reference: a linear scan of every rule for every key
// and category, highest priority first, ties to the first added.
func refClassify(cfg *Config, rules []Rule, keys [][]byte, cats int) []uint32 {
	out := make([]uint32, len(keys)*cats)
	for i, k := range keys {
		for c := range cats {
			best := -1
			for j := range rules {
				r := &rules[j]
				if r.CategoryMask&(1<<c) == 0 || !cfg.Match(r, k) {
					continue
				}
				if best < 0 || r.Priority > rules[best].Priority {
					best = j
				}
			}
			if best >= 0 {
				out[i*cats+c] = rules[best].Userdata
			}
		}
	}
	return out
}

func checkSame(t *testing.T, cfg *Config, rules []Rule, keys [][]byte) {
	t.Helper()
	c, err := Build(*cfg, rules)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	for _, cats := range []int{1, cfg.Categories} {
		want := refClassify(cfg, rules, keys, cats)
		got := make([]uint32, len(keys)*cats)
		if err := c.Classify(keys, got, cats); err != nil {
			t.Fatalf("Classify: %v", err)
		}
		for i := range want {
			if got[i] != want[i] {
				k := i / cats
				t.Fatalf("key %d %x category %d: got rule %d, want %d (%d rules, %d groups, fields %+v)",
					k, keys[k], i%cats, got[i], want[i], len(rules), c.Groups(), cfg.Fields)
			}
		}
	}
}

// randConfig returns a random key layout of up to 6 fields.
func randConfig(r *rand.Rand) Config {
	n := 1 + r.IntN(6)
	cfg := Config{Categories: 1 + r.IntN(MaxCategories)}
	for range n {
		size := []int{1, 2, 4, 8}[r.IntN(4)]
		cfg.Fields = append(cfg.Fields, FieldDef{
			Type:   FieldType(1 + r.IntN(4)),
			Size:   size,
			Offset: r.IntN(12),
		})
	}
	return cfg
}

// pool holds few distinct "interesting" values per field so that rules
// overlap, nest and share boundaries.
type pool struct {
	vals [][]uint64
}

func newPool(r *rand.Rand, cfg *Config) *pool {
	p := &pool{}
	for _, d := range cfg.Fields {
		m := sizeMax(d.Size)
		vs := []uint64{0, m, m / 2, m/2 + 1}
		for range 4 {
			vs = append(vs, r.Uint64()&m)
		}
		// Values near each other.
		base := r.Uint64() & m
		for k := range uint64(4) {
			vs = append(vs, (base+k)&m)
		}
		p.vals = append(p.vals, vs)
	}
	return p
}

func (p *pool) value(r *rand.Rand, j int) uint64 { return p.vals[j][r.IntN(len(p.vals[j]))] }

func randRule(r *rand.Rand, cfg *Config, p *pool, ud uint32) Rule {
	ru := Rule{
		Priority:     int32(r.IntN(4)), // many ties
		CategoryMask: uint32(r.IntN(1 << MaxCategories)),
		Userdata:     ud,
	}
	if r.IntN(3) == 0 {
		ru.CategoryMask = 0xffff
	}
	for j, d := range cfg.Fields {
		m := sizeMax(d.Size)
		var f Field
		wild := r.IntN(4) == 0
		switch d.Type {
		case FieldBitmask:
			f.Value = p.value(r, j)
			if !wild {
				f.MaskRange = r.Uint64() & m
				if r.IntN(2) == 0 {
					f.MaskRange = m &^ (m >> uint(r.IntN(8*d.Size+1)))
				}
			}
		case FieldPrefix:
			f.Value = p.value(r, j)
			if !wild {
				f.MaskRange = uint64(r.IntN(8*d.Size + 1))
			}
		case FieldRange:
			a, b := p.value(r, j), p.value(r, j)
			if r.IntN(3) == 0 {
				a, b = r.Uint64()&m, r.Uint64()&m
			}
			if a > b {
				a, b = b, a
			}
			if wild {
				a, b = 0, m
			}
			f.Value, f.MaskRange = a, b
		case FieldExact:
			f.Value = p.value(r, j)
		}
		ru.Fields = append(ru.Fields, f)
	}
	return ru
}

// randKey returns a key that often hits rule boundaries: each field taken
// from a random rule's edge (value, range end, +-1) or at random.
func randKey(r *rand.Rand, cfg *Config, rules []Rule, p *pool) []byte {
	k := make([]byte, cfg.KeyLen())
	for j, d := range cfg.Fields {
		m := sizeMax(d.Size)
		var x uint64
		switch r.IntN(4) {
		case 0:
			x = r.Uint64() & m
		case 1:
			x = p.value(r, j)
		default:
			if len(rules) == 0 {
				break
			}
			f := rules[r.IntN(len(rules))].Fields[j]
			switch d.Type {
			case FieldRange:
				x = []uint64{f.Value, f.MaskRange, f.Value - 1, f.MaskRange + 1}[r.IntN(4)] & m
			case FieldBitmask:
				x = (f.Value & f.MaskRange) | (r.Uint64() & m &^ f.MaskRange)
			case FieldPrefix:
				x = f.Value ^ (r.Uint64() & m & (m >> f.MaskRange))
				if f.MaskRange == 0 {
					x = r.Uint64() & m
				}
			default:
				x = f.Value
			}
		}
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], x)
		copy(k[d.Offset:d.Offset+d.Size], b[8-d.Size:])
	}
	return k
}

func TestRandomAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	iters := 300
	if testing.Short() {
		iters = 60
	}
	for it := range iters {
		cfg := randConfig(r)
		p := newPool(r, &cfg)
		n := r.IntN(60)
		rules := make([]Rule, n)
		for i := range rules {
			rules[i] = randRule(r, &cfg, p, uint32(i+1))
		}
		if r.IntN(4) == 0 {
			cfg.SplitSize = 1 // force splitting into groups
		}
		keys := make([][]byte, 200)
		for i := range keys {
			keys[i] = randKey(r, &cfg, rules, p)
		}
		t.Run(fmt.Sprint(it), func(t *testing.T) { checkSame(t, &cfg, rules, keys) })
	}
}

func TestTiesGoToFirstAdded(t *testing.T) {
	cfg := Config{Categories: 2, Fields: []FieldDef{{Type: FieldRange, Size: 2, Offset: 0}}}
	rules := []Rule{
		{Fields: []Field{{0, 100}}, Priority: 5, CategoryMask: 1, Userdata: 1},
		{Fields: []Field{{50, 60}}, Priority: 5, CategoryMask: 3, Userdata: 2},
		{Fields: []Field{{50, 60}}, Priority: 7, CategoryMask: 2, Userdata: 3},
		{Fields: []Field{{55, 55}}, Priority: 7, CategoryMask: 2, Userdata: 4},
	}
	c, err := Build(cfg, rules)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		x    uint16
		want [2]uint32
	}{
		{10, [2]uint32{1, 0}},
		{50, [2]uint32{1, 3}}, // 1 and 2 tie at 5 in category 0: 1 was first
		{55, [2]uint32{1, 3}}, // 3 and 4 tie at 7 in category 1: 3 was first
		{61, [2]uint32{1, 0}},
		{101, [2]uint32{0, 0}},
	} {
		var res [2]uint32
		if err := c.Classify([][]byte{{byte(tc.x >> 8), byte(tc.x)}}, res[:], 2); err != nil {
			t.Fatal(err)
		}
		if res != tc.want {
			t.Errorf("key %d: got %v, want %v", tc.x, res, tc.want)
		}
	}
}

func TestWideRanges(t *testing.T) {
	// Ranges over 4- and 8-byte fields are cut into chunk pieces.
	r := rand.New(rand.NewPCG(3, 4))
	for _, size := range []int{4, 8} {
		cfg := Config{Categories: 1, Fields: []FieldDef{{Type: FieldRange, Size: size, Offset: 1}, {Type: FieldRange, Size: size, Offset: 1 + size}}}
		m := sizeMax(size)
		var rules []Rule
		for i := range 40 {
			var fs []Field
			for range 2 {
				a, b := r.Uint64()&m, r.Uint64()&m
				if a > b {
					a, b = b, a
				}
				fs = append(fs, Field{a, b})
			}
			rules = append(rules, Rule{Fields: fs, Priority: int32(r.IntN(10)), CategoryMask: 1, Userdata: uint32(i + 1)})
		}
		p := &pool{vals: [][]uint64{{0, m}, {0, m}}}
		var keys [][]byte
		for range 2000 {
			keys = append(keys, randKey(r, &cfg, rules, p))
		}
		checkSame(t, &cfg, rules, keys)
	}
}

func TestSplitRange(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 2000 {
		n := 1 + r.IntN(4)
		m := ^uint64(0) >> (64 - 16*n)
		lo, hi := r.Uint64()&m, r.Uint64()&m
		if r.IntN(3) == 0 {
			hi = lo + uint64(r.IntN(3))&m
		}
		if lo > hi {
			lo, hi = hi, lo
		}
		var pieces [][]cons
		splitRange(lo, hi, n, nil, func(c []cons) { pieces = append(pieces, append([]cons(nil), c...)) })
		if len(pieces) > 2*n-1 {
			t.Fatalf("[%#x,%#x] over %d chunks: %d pieces", lo, hi, n, len(pieces))
		}
		in := func(x uint64) int {
			cnt := 0
			for _, p := range pieces {
				ok := true
				for k, c := range p {
					if !c.match(uint16(x >> (16 * uint(n-1-k)))) {
						ok = false
					}
				}
				if ok {
					cnt++
				}
			}
			return cnt
		}
		for _, x := range []uint64{lo, hi, lo - 1, hi + 1, r.Uint64() & m, lo + (hi-lo)/2} {
			x &= m
			want := 0
			if lo <= x && x <= hi {
				want = 1
			}
			if got := in(x); got != want {
				t.Fatalf("[%#x,%#x] over %d chunks: %#x in %d pieces, want %d", lo, hi, n, x, got, want)
			}
		}
	}
}

func TestShortKeysMatchNothing(t *testing.T) {
	cfg := Config{Categories: 1, Fields: []FieldDef{{Type: FieldBitmask, Size: 1, Offset: 3}}}
	c, err := Build(cfg, []Rule{{Fields: []Field{{0, 0}}, CategoryMask: 1, Userdata: 9}})
	if err != nil {
		t.Fatal(err)
	}
	res := make([]uint32, 3)
	if err := c.Classify([][]byte{{1, 2, 3, 4}, {1, 2, 3}, nil}, res, 1); err != nil {
		t.Fatal(err)
	}
	if res[0] != 9 || res[1] != 0 || res[2] != 0 {
		t.Fatalf("got %v, want [9 0 0]", res)
	}
}

func TestBadInput(t *testing.T) {
	good := Config{Categories: 1, Fields: []FieldDef{{Type: FieldRange, Size: 2, Offset: 0}}}
	rule := func(fs ...Field) []Rule { return []Rule{{Fields: fs, CategoryMask: 1, Userdata: 1}} }
	for _, tc := range []struct {
		name  string
		cfg   Config
		rules []Rule
		want  error
	}{
		{"no fields", Config{Categories: 1}, nil, ErrConfig},
		{"too many fields", Config{Categories: 1, Fields: make([]FieldDef, MaxFields+1)}, nil, ErrConfig},
		{"zero categories", Config{Fields: good.Fields}, nil, ErrConfig},
		{"17 categories", Config{Categories: 17, Fields: good.Fields}, nil, ErrConfig},
		{"size 3", Config{Categories: 1, Fields: []FieldDef{{Type: FieldRange, Size: 3}}}, nil, ErrConfig},
		{"bad type", Config{Categories: 1, Fields: []FieldDef{{Type: 9, Size: 1}}}, nil, ErrConfig},
		{"negative offset", Config{Categories: 1, Fields: []FieldDef{{Type: FieldExact, Size: 1, Offset: -1}}}, nil, ErrConfig},
		{"huge offset", Config{Categories: 1, Fields: []FieldDef{{Type: FieldExact, Size: 8, Offset: MaxKeyLen - 7}}}, nil, ErrConfig},
		{"field count", good, rule(Field{}, Field{}), ErrRule},
		{"userdata 0", good, []Rule{{Fields: []Field{{0, 1}}, CategoryMask: 1}}, ErrRule},
		{"empty range", good, rule(Field{5, 4}), ErrRule},
		{"range too wide", good, rule(Field{0, 0x10000}), ErrRule},
		{"prefix too long", Config{Categories: 1, Fields: []FieldDef{{Type: FieldPrefix, Size: 4}}}, rule(Field{0, 33}), ErrRule},
		{"mask too wide", Config{Categories: 1, Fields: []FieldDef{{Type: FieldBitmask, Size: 1}}}, rule(Field{0, 0x100}), ErrRule},
		{"too large", Config{Categories: 1, MaxSize: 1000, Fields: good.Fields}, rule(Field{5, 9}), ErrTooLarge},
	} {
		_, err := Build(tc.cfg, tc.rules)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	c, err := Build(good, rule(Field{1, 2}))
	if err != nil {
		t.Fatal(err)
	}
	keys := [][]byte{{0, 1}, {0, 2}}
	for _, tc := range []struct {
		res  int
		cats int
	}{{1, 1}, {2, 0}, {4, 2}} {
		if err := c.Classify(keys, make([]uint32, tc.res), tc.cats); !errors.Is(err, ErrClassify) {
			t.Errorf("Classify(%d results, %d categories): got %v, want ErrClassify", tc.res, tc.cats, err)
		}
	}
}

func TestNoAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	cfg := Config{Categories: 4, Fields: FormatIPv4.Fields(), SplitSize: 1}
	p := newPool(r, &cfg)
	var rules []Rule
	for i := range 100 {
		rules = append(rules, randRule(r, &cfg, p, uint32(i+1)))
	}
	c, err := Build(cfg, rules)
	if err != nil {
		t.Fatal(err)
	}
	keys := make([][]byte, 256)
	for i := range keys {
		keys[i] = randKey(r, &cfg, rules, p)
	}
	res := make([]uint32, len(keys)*4)
	if a := testing.AllocsPerRun(100, func() { _ = c.Classify(keys, res, 4) }); a != 0 {
		t.Fatalf("Classify allocates %v times per burst", a)
	}
}

// TestConcurrentClassify: many goroutines classify with one Classifier (it
// is immutable); run with -race.
func TestConcurrentClassify(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	cfg := Config{Categories: 2, Fields: FormatIPv4.Fields()}
	p := newPool(r, &cfg)
	var rules []Rule
	for i := range 200 {
		rules = append(rules, randRule(r, &cfg, p, uint32(i+1)))
	}
	c, err := Build(cfg, rules)
	if err != nil {
		t.Fatal(err)
	}
	keys := make([][]byte, 500)
	for i := range keys {
		keys[i] = randKey(r, &cfg, rules, p)
	}
	want := refClassify(&cfg, rules, keys, 2)
	done := make(chan error)
	for g := range 4 {
		go func() {
			res := make([]uint32, len(keys)*2)
			for it := range 20 {
				lo := (g*7 + it) % len(keys)
				if err := c.Classify(keys[lo:], res[:(len(keys)-lo)*2], 2); err != nil {
					done <- err
					return
				}
				for i := range res[:(len(keys)-lo)*2] {
					if res[i] != want[lo*2+i] {
						done <- fmt.Errorf("goroutine %d: key %d: got %d, want %d", g, lo+i/2, res[i], want[lo*2+i])
						return
					}
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestLargeRuleSets checks sets large enough for the rule grouping (ACL
// files of a few hundred to a few thousand rules, IPv4 and IPv6), with the
// file's priorities and with few distinct priorities (many ties across
// groups), against the reference.
func TestLargeRuleSets(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	dir := t.TempDir()
	sizes := []int{150, 700, 2000}
	if testing.Short() {
		sizes = []int{150, 700}
	}
	for _, f := range []Format{FormatIPv4, FormatIPv6} {
		for _, n := range sizes {
			rf, tf := writeRuleFiles(t, r, dir, f != FormatIPv4, n, 1500)
			rules := mustParseRules(t, rf, f)
			raw := mustParseTrace(t, tf, f)
			kl := f.KeyLen()
			var keys [][]byte
			for i := 0; i < len(raw); i += kl {
				keys = append(keys, raw[i:i+kl])
			}
			cfg := Config{Fields: f.Fields(), Categories: 4}
			checkSame(t, &cfg, rules, keys)
			for i := range rules {
				rules[i].Priority = int32(r.IntN(3))
				rules[i].CategoryMask = uint32(1 + r.IntN(15))
			}
			checkSame(t, &cfg, rules, keys)
		}
	}
}
