package acl

import (
	"runtime"
	"unsafe"

	"github.com/dpkit/dpkit/eal"
)

// hugeMin is the table size from which Build moves the tables into an
// arena of hugepages (2 MiB pages, or transparent hugepages where none are
// reserved): lookups touch the tables at random, and with 4 KiB pages
// nearly every lookup of a large table misses the TLB as well as the cache.
const hugeMin = 1 << 20

// relocate copies the classifier's tables into one hugepage arena. It
// leaves them on the Go heap if the arena cannot be had.
func (c *Classifier) relocate() {
	if c.size < hugeMin {
		return
	}
	// Each table is 64-byte aligned: up to 63 bytes of padding each.
	tables := 0
	for _, g := range c.groups {
		tables += 2*len(g.steps) + 8
	}
	a, err := eal.NewArena(eal.ArenaConfig{Name: "acl", Size: c.size + 64*tables})
	if err != nil {
		return
	}
	ok := true
	u32 := func(s []uint32) []uint32 {
		if len(s) == 0 || !ok {
			return s
		}
		b, err := a.Alloc(4*len(s), 64)
		if err != nil {
			ok = false
			return s
		}
		d := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(b))), len(s))
		copy(d, s)
		return d
	}
	u16 := func(s []uint16) []uint16 {
		if len(s) == 0 || !ok {
			return s
		}
		b, err := a.Alloc(2*len(s), 64)
		if err != nil {
			ok = false
			return s
		}
		d := unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(b))), len(s))
		copy(d, s)
		return d
	}
	u64 := func(s []uint64) []uint64 {
		if len(s) == 0 || !ok {
			return s
		}
		b, err := a.Alloc(8*len(s), 64)
		if err != nil {
			ok = false
			return s
		}
		d := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(b))), len(s))
		copy(d, s)
		return d
	}
	groups := make([]group, len(c.groups))
	for gi, g := range c.groups {
		g.steps = append([]step(nil), g.steps...)
		for i := range g.steps {
			g.steps[i].tbl = u32(g.steps[i].tbl)
			g.steps[i].tbl16 = u16(g.steps[i].tbl16)
		}
		g.offs, g.list, g.check32, g.check64 = u32(g.offs), u32(g.list), u32(g.check32), u64(g.check64)
		g.fr = u32(g.fr)
		g.rank, g.cats = u32(g.rank), u32(g.cats)
		groups[gi] = g
	}
	if !ok {
		a.Close()
		return
	}
	c.groups = groups
	c.arena = a
	runtime.AddCleanup(c, func(a *eal.Arena) { a.Close() }, a)
}

// Close releases the classifier's hugepage memory now rather than when the
// garbage collector finds the Classifier unreachable. The Classifier must
// not be used afterwards.
func (c *Classifier) Close() {
	if c.arena != nil {
		a := c.arena
		c.arena = nil
		c.groups = nil
		a.Close()
	}
}
