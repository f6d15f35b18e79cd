package lpm

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"
	"syscall"
	"unsafe"

	"github.com/dpkit/dpkit/eal"
)

// tbl24 is the first level: one entry per /24 (IPv4) or per 24-bit IPv6
// prefix. A fixed-size array type lets the compiler drop the bounds check
// of an index that is a 24-bit shift.
type tbl24 = [1 << 24]uint32

// memBase is the base address of an array of uint32 entries off the Go
// heap, for the lookups: load(i) reads entry i with no nil or bounds
// check, which a Go slice or array pointer would cost on every lookup (an
// extra load and a compare; 15% of a lookup on a 1M-route table). Every
// index the lookups use is in range by construction: a first-level index
// is a 24-bit shift, a group index is one the writer linked.
type memBase struct{ p unsafe.Pointer }

// load reads entry i. It is a plain load, which an aligned 32-bit read
// is on every platform Go supports: single-copy atomic, as
// atomic.LoadUint32 (the same MOV on amd64), without the acquire barrier
// atomic.LoadUint32 is on arm64. A lookup needs no barrier: its second
// load's address depends on the first load's value, and processors keep
// such loads in order (as rte_lpm relies on); the writer links a group
// with atomic.StoreUint32 after filling it. It also keeps Table.Lookup
// within the inlining budget.
func (b memBase) load(i uint32) uint32 {
	return *(*uint32)(unsafe.Add(b.p, uintptr(i)*4))
}

func baseOf(p *uint32) memBase { return memBase{unsafe.Pointer(p)} }

// closedBase is where the bases of a closed table point: a reserved range
// without access, as big as a first level, so that a lookup on a closed
// table faults at once instead of reading whatever memory the unmapped
// arena's addresses now hold.
var closedBase = sync.OnceValue(func() memBase {
	m, err := syscall.Mmap(-1, 0, int(unsafe.Sizeof(tbl24{})), syscall.PROT_NONE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		return memBase{}
	}
	return memBase{unsafe.Pointer(&m[0])}
})

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

// addr4 returns the IPv4 address a holds, in host order; a.Is4() must be
// true. netip.Addr keeps an address as a 128-bit integer (hi, lo uint64)
// at the start of the struct, an IPv4 address as the IPv4-mapped IPv6
// one: the low 32 bits of lo. Reading them straight costs one load, where
// a.As4() (a byte array put together again) kept Table.Lookup from being
// inlined, and a.As16() copies through the stack in a way that stalls
// store-to-load forwarding (measured at 350 cycles a lookup: each lookup
// waited for the memory access of the one before). TestAddr4 checks the
// layout against As4 over many addresses, and init once.
func addr4(a *netip.Addr) uint32 {
	return uint32((*[2]uint64)(unsafe.Pointer(a))[1])
}

// addr16 returns the two 64-bit halves of the IPv6 address a holds, as
// netip.Addr keeps them (hi is bytes 0..7, big-endian); see addr4.
func addr16(a *netip.Addr) (hi, lo uint64) {
	p := (*[2]uint64)(unsafe.Pointer(a))
	return p[0], p[1]
}

// The layout addr4 and addr16 read is checked once: a Go release that changed it
// would otherwise make IPv4 lookups through netip.Addr silently wrong.
func init() {
	ok := unsafe.Sizeof(netip.Addr{}) == 24
	for _, s := range []string{"1.2.3.4", "255.254.253.252", "0.0.0.0", "10.0.0.255"} {
		a := netip.MustParseAddr(s)
		b := a.As4()
		ok = ok && addr4(&a) == uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3])
	}
	a := netip.MustParseAddr("2001:db8:102:304:506:708:90a:b0c")
	b := a.As16()
	hi, lo := addr16(&a)
	ok = ok && hi == binary.BigEndian.Uint64(b[:8]) && lo == binary.BigEndian.Uint64(b[8:])
	if !ok {
		panic("lpm: the layout of netip.Addr changed: addr4 in lpm/mem_unsafe.go must follow it")
	}
}
