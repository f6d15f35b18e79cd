package lpm

import (
	"fmt"
	"unsafe"

	"github.com/dpkit/dpkit/eal"
)

// tbl24 is the first level: one entry per /24 (IPv4) or per 24-bit IPv6
// prefix. A fixed-size array type lets the compiler drop the bounds check
// of an index that is a 24-bit shift.
type tbl24 = [1 << 24]uint32

// tableMem is the off-heap memory of one table: the first level and the
// groups, in one arena.
type tableMem struct {
	arena  *eal.Arena
	tbl24  *tbl24
	groups []uint32 // ngroups * 256 entries
}

// newTableMem maps an arena for the first level and ngroups groups of 256
// entries. The memory is zero: every entry invalid.
func newTableMem(name string, ngroups int, huge eal.HugeMode) (tableMem, error) {
	l1 := int(unsafe.Sizeof(tbl24{}))
	// At least one group, so that the group slice is never empty.
	ngroups = max(ngroups, 1)
	l2 := ngroups * groupSize * 4
	a, err := eal.NewArena(eal.ArenaConfig{Name: name, Size: l1 + l2, Huge: huge})
	if err != nil {
		return tableMem{}, fmt.Errorf("lpm: mapping %d bytes: %w", l1+l2, err)
	}
	mem := a.Bytes()
	m := tableMem{arena: a, tbl24: (*tbl24)(unsafe.Pointer(&mem[0]))}
	m.groups = unsafe.Slice((*uint32)(unsafe.Pointer(&mem[l1])), ngroups*groupSize)
	return m, nil
}

// bytes returns the size of the mapping.
func (m *tableMem) bytes() int {
	if m.arena == nil {
		return 0
	}
	return m.arena.Len()
}

func (m *tableMem) close() error {
	if m.arena == nil {
		return nil
	}
	err := m.arena.Close()
	*m = tableMem{}
	return err
}
