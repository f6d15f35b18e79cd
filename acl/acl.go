// Package acl is a multi-field packet classifier in the manner of DPDK's
// rte_acl: the caller defines the fields of a search key (each 1, 2, 4 or 8
// bytes at an offset in the input, matched as a bitmask, a prefix, a range
// or an exact value), adds rules with a priority, up to 16 category bits and
// a user value, and builds them into an immutable Classifier. Classify then
// looks up a burst of keys and writes, for every key and category, the user
// value of the best matching rule.
//
// # Matching
//
// A key matches a rule when every field matches. A field's bytes in the key
// are read as a big-endian (network order) unsigned integer x of the
// field's size; the rule's values are plain host integers:
//
//	FieldBitmask  x & MaskRange == Value & MaskRange
//	FieldPrefix   the top MaskRange bits of x equal those of Value
//	FieldRange    Value <= x <= MaskRange
//	FieldExact    x == Value
//
// For each category the result is the user value of the matching rule with
// the highest Priority among the rules whose CategoryMask has that category.
// Ties are broken deterministically: among matching rules of equal priority
// the one added first (lowest index in the slice given to Build) wins.
// (DPDK leaves ties unspecified.) No match gives 0, which is why a rule's
// Userdata must not be 0.
//
// # How it works
//
// Build sorts the rules by priority and splits them in two groups by the
// field in which they are narrow: the rules narrow in the field where most
// rules are narrow and overlap least (for a 5-tuple ACL, a specific source
// prefix), and the others, as rte_acl splits its tries by which fields are
// wild. (A group whose tables grow past SplitSize is split further, up to
// MaxGroups groups.) For each group it cuts the fields into 8- and 16-bit
// chunks and builds, as in Recursive Flow Classification,
//
//   - per chunk a 256- or 65536-entry table from the chunk's value to an
//     equivalence class: the set of the group's rules that value allows;
//   - tables combining two classes into the class of their intersection
//     (the chunks of one field first), up to the "lead" dimension: the
//     field, or fields combined, whose classes hold the fewest rules;
//   - per class of the lead, the list of its rules in priority order, with
//     per entry the range of the most selective other field (the filter
//     field), and per rule a record of (mask, low, span) per field (one
//     64-byte line for a 5-tuple).
//
// A lookup loads one table entry per chunk and per combination of the lead
// (3 for an IPv4 source address), compares its filter field with the
// ranges of its whole list, 16 entries an AVX-512 compare (a Go loop on
// CPUs without AVX-512), then walks only the entries that passed: the
// first rule whose record the key passes, field by field, is the group's
// answer, and the walk stops early at ranks an earlier group already beat.
// (Keys with an 8-byte field have no filter: they walk every entry.)
// A group of at most 4 rules has no tables: its one list is taken whole.
// Classify runs every stage over a block of up to 64 keys, so that the
// table, list and record loads of many keys are in flight together, then
// keeps the best rule over the groups. Tables over 1 MiB live in a
// hugepage arena (eal.NewArena), as rte_acl's do, so that random lookups
// do not also miss the TLB.
//
// A Classifier is immutable: any number of goroutines may call Classify on
// it at the same time.
package acl

import (
	"errors"
	"fmt"
	"math/bits"
)

// Limits.
const (
	// MaxCategories is the largest number of categories (result slots per
	// key), as RTE_ACL_MAX_CATEGORIES.
	MaxCategories = 16
	// MaxFields is the largest number of fields in a Config, as
	// RTE_ACL_MAX_FIELDS.
	MaxFields = 64
	// MaxKeyLen bounds Offset+Size of a field.
	MaxKeyLen = 4096
	// MaxPriority is the priority the rule-file parser gives its first rule
	// (RTE_ACL_MAX_PRIORITY); any int32 is a valid Priority.
	MaxPriority = 0x1fffffff
	// maxSubrules bounds the rules after ranges over 4- and 8-byte fields
	// are cut into chunk-aligned pieces.
	maxSubrules = 1 << 20
)

// Errors. Build and the parsers wrap them with the details.
var (
	// ErrConfig reports a bad Config or field definition.
	ErrConfig = errors.New("acl: bad config")
	// ErrRule reports a rule that does not fit the Config.
	ErrRule = errors.New("acl: bad rule")
	// ErrTooLarge reports a rule set whose compiled tables would exceed
	// Config.MaxSize even when split into MaxGroups groups.
	ErrTooLarge = errors.New("acl: compiled rule set exceeds the size limit")
	// ErrClassify reports bad arguments to Classify (categories out of
	// range or a results slice too short).
	ErrClassify = errors.New("acl: bad classify arguments")
)

// FieldType says how a field of a rule matches the key.
type FieldType uint8

// Field types.
const (
	// FieldBitmask matches when x & MaskRange == Value & MaskRange
	// (RTE_ACL_FIELD_TYPE_BITMASK).
	FieldBitmask FieldType = iota + 1
	// FieldPrefix matches when the top MaskRange bits of x equal those of
	// Value (RTE_ACL_FIELD_TYPE_MASK: an address prefix).
	FieldPrefix
	// FieldRange matches when Value <= x <= MaskRange
	// (RTE_ACL_FIELD_TYPE_RANGE).
	FieldRange
	// FieldExact matches when x == Value.
	FieldExact
)

func (t FieldType) String() string {
	switch t {
	case FieldBitmask:
		return "bitmask"
	case FieldPrefix:
		return "prefix"
	case FieldRange:
		return "range"
	case FieldExact:
		return "exact"
	}
	return fmt.Sprintf("FieldType(%d)", uint8(t))
}

// FieldDef defines one field of the key: Size bytes (1, 2, 4 or 8) at
// Offset, read big-endian.
type FieldDef struct {
	Type   FieldType
	Size   int
	Offset int
}

// Config defines the key and the build.
type Config struct {
	// Fields are the key's fields; rules give one Field per FieldDef, in
	// the same order. Fields may overlap and come in any order.
	Fields []FieldDef
	// Categories is the number of categories (1..MaxCategories) the rules
	// are built for; Classify may ask for fewer.
	Categories int
	// MaxSize bounds the bytes of the compiled tables; 0 means 1 GiB.
	// Build fails with ErrTooLarge when it cannot stay under it.
	MaxSize int
	// SplitSize is the table size in bytes past which a rule group is
	// split in two (a trade of lookup time, one pass per group, against
	// table size and build time); 0 means 64 MiB, negative never splits
	// (but for MaxSize).
	SplitSize int
	// MaxGroups bounds the number of rule groups (the field partition
	// makes at most 2, size splits the rest); 0 means 8 (rte_acl's
	// RTE_ACL_MAX_TRIES).
	MaxGroups int
}

// Field is one field of a rule; what Value and MaskRange mean depends on
// the field's type (see FieldType).
type Field struct {
	Value     uint64
	MaskRange uint64
}

// Rule is one classification rule.
type Rule struct {
	// Fields holds one Field per Config.Fields entry.
	Fields []Field
	// Priority: the highest matching priority wins; ties go to the rule
	// added first.
	Priority int32
	// CategoryMask has bit c set if the rule gives a result in category
	// c. Bits at or above Config.Categories are ignored (dpdk-test-acl sets
	// all 16), so a rule may end up in no category and never win.
	CategoryMask uint32
	// Userdata is what Classify returns for this rule; it must not be 0
	// (0 means no match).
	Userdata uint32
}

func (c *Config) validate() error {
	if len(c.Fields) == 0 || len(c.Fields) > MaxFields {
		return fmt.Errorf("%w: %d fields (want 1..%d)", ErrConfig, len(c.Fields), MaxFields)
	}
	if c.Categories < 1 || c.Categories > MaxCategories {
		return fmt.Errorf("%w: %d categories (want 1..%d)", ErrConfig, c.Categories, MaxCategories)
	}
	if c.MaxSize < 0 || c.MaxGroups < 0 {
		return fmt.Errorf("%w: negative MaxSize or MaxGroups", ErrConfig)
	}
	for i, f := range c.Fields {
		switch f.Type {
		case FieldBitmask, FieldPrefix, FieldRange, FieldExact:
		default:
			return fmt.Errorf("%w: field %d: unknown type %d", ErrConfig, i, f.Type)
		}
		switch f.Size {
		case 1, 2, 4, 8:
		default:
			return fmt.Errorf("%w: field %d: size %d (want 1, 2, 4 or 8)", ErrConfig, i, f.Size)
		}
		if f.Offset < 0 || f.Offset+f.Size > MaxKeyLen {
			return fmt.Errorf("%w: field %d: offset %d size %d outside a %d-byte key", ErrConfig, i, f.Offset, f.Size, MaxKeyLen)
		}
	}
	return nil
}

func sizeMax(size int) uint64 {
	return ^uint64(0) >> (64 - 8*size)
}

func validateRule(c *Config, i int, r *Rule) error {
	if len(r.Fields) != len(c.Fields) {
		return fmt.Errorf("%w %d: %d fields, config has %d", ErrRule, i, len(r.Fields), len(c.Fields))
	}
	if r.Userdata == 0 {
		return fmt.Errorf("%w %d: userdata 0 (reserved for no match)", ErrRule, i)
	}
	for j, f := range r.Fields {
		d := c.Fields[j]
		m := sizeMax(d.Size)
		switch d.Type {
		case FieldBitmask, FieldExact:
			if f.Value > m || (d.Type == FieldBitmask && f.MaskRange > m) {
				return fmt.Errorf("%w %d: field %d: value %#x or mask %#x wider than %d bytes", ErrRule, i, j, f.Value, f.MaskRange, d.Size)
			}
		case FieldPrefix:
			if f.Value > m || f.MaskRange > uint64(8*d.Size) {
				return fmt.Errorf("%w %d: field %d: value %#x or prefix length %d too large for %d bytes", ErrRule, i, j, f.Value, f.MaskRange, d.Size)
			}
		case FieldRange:
			if f.Value > f.MaskRange || f.MaskRange > m {
				return fmt.Errorf("%w %d: field %d: range %#x..%#x empty or wider than %d bytes", ErrRule, i, j, f.Value, f.MaskRange, d.Size)
			}
		}
	}
	return nil
}

// bitmask returns the rule field as (value, mask) for the bitmask-like
// types.
func (f Field) bitmask(d FieldDef) (v, m uint64) {
	switch d.Type {
	case FieldBitmask:
		return f.Value & f.MaskRange, f.MaskRange
	case FieldExact:
		return f.Value, sizeMax(d.Size)
	default: // FieldPrefix
		if f.MaskRange == 0 {
			return 0, 0
		}
		m = sizeMax(d.Size) &^ (sizeMax(d.Size) >> f.MaskRange)
		return f.Value & m, m
	}
}

// Match reports whether key matches rule r under cfg: the plain definition
// of a match, field by field, used by tests as the reference. A key too
// short for a field matches nothing.
func (c *Config) Match(r *Rule, key []byte) bool {
	for j, d := range c.Fields {
		if d.Offset+d.Size > len(key) {
			return false
		}
		var x uint64
		for _, b := range key[d.Offset : d.Offset+d.Size] {
			x = x<<8 | uint64(b)
		}
		f := r.Fields[j]
		if d.Type == FieldRange {
			if x < f.Value || x > f.MaskRange {
				return false
			}
			continue
		}
		v, m := f.bitmask(d)
		if x&m != v {
			return false
		}
	}
	return true
}

// KeyLen returns the bytes a key needs for every field: Classify gives no
// match to shorter keys.
func (c *Config) KeyLen() int {
	n := 0
	for _, d := range c.Fields {
		n = max(n, d.Offset+d.Size)
	}
	return n
}

func isPrefixMask(m uint64, width int) bool {
	// m's set bits are the top bits of a width-bit word.
	inv := ^m & (^uint64(0) >> (64 - width))
	return inv&(inv+1) == 0 && bits.Len64(m) <= width
}
