package eal

import (
	"fmt"
	"math/bits"
	"slices"
	"sync"
)

// MemzoneFlags choose how a memzone's memory is backed.
type MemzoneFlags uint32

const (
	// MemzoneShared backs the zone with a memfd: Arena().Fd() can be passed
	// to another process.
	MemzoneShared MemzoneFlags = 1 << iota
	// Memzone2MB requires 2 MiB hugepages (the default only prefers them).
	Memzone2MB
	// Memzone1GB requires 1 GiB hugepages.
	Memzone1GB
	// MemzoneSizeHintOnly turns Memzone2MB/Memzone1GB into a preference:
	// fall back to other page sizes when unavailable.
	MemzoneSizeHintOnly
	// MemzoneNoHuge uses ordinary pages.
	MemzoneNoHuge
)

// MaxMemzoneName is the longest memzone name accepted.
const MaxMemzoneName = 64

// Memzone is a named, aligned reservation, like rte_memzone. Each memzone
// has an arena of its own (so Free really returns the memory and a shared
// zone's fd exposes that zone only); small zones therefore still take a
// whole page of the size used. The memory is zero-filled.
type Memzone struct {
	name  string
	arena *Arena
	mem   []byte
	size  int
	flags MemzoneFlags
}

var zones struct {
	mu     sync.Mutex
	byName map[string]*Memzone
	order  []*Memzone // reservation order, for MemzoneWalk
}

// MemzoneReserve reserves size bytes aligned to align (a power of two; 0
// means a 64-byte cache line) under a unique name. It fails with ErrExists
// for a name in use.
func MemzoneReserve(name string, size, align int, flags MemzoneFlags) (*Memzone, error) {
	switch {
	case name == "":
		return nil, fmt.Errorf("eal: memzone: empty name")
	case len(name) > MaxMemzoneName:
		return nil, fmt.Errorf("eal: memzone %q: name longer than %d bytes", name, MaxMemzoneName)
	case size <= 0:
		return nil, fmt.Errorf("eal: memzone %q: size %d must be > 0", name, size)
	case align < 0 || (align != 0 && bits.OnesCount(uint(align)) != 1):
		return nil, fmt.Errorf("eal: memzone %q: alignment %d is not a power of two", name, align)
	case flags&Memzone2MB != 0 && flags&Memzone1GB != 0:
		return nil, fmt.Errorf("eal: memzone %q: Memzone2MB and Memzone1GB together", name)
	case flags&MemzoneNoHuge != 0 && flags&(Memzone2MB|Memzone1GB) != 0:
		return nil, fmt.Errorf("eal: memzone %q: MemzoneNoHuge with a hugepage size", name)
	}
	if align == 0 {
		align = 64
	}
	cfg := ArenaConfig{Name: "memzone:" + name, Shared: flags&MemzoneShared != 0}
	switch {
	case flags&MemzoneNoHuge != 0:
		cfg.Huge = HugeNever
	case flags&(Memzone2MB|Memzone1GB) != 0:
		cfg.Huge = HugeRequire
		if flags&MemzoneSizeHintOnly != 0 {
			cfg.Huge = HugeAuto
		}
		if flags&Memzone1GB != 0 {
			cfg.PageSize = PageSize1G
		}
	}
	// Arenas start on a page boundary (>= 4 KiB); a larger alignment needs
	// slack so Alloc can align inside the arena.
	cfg.Size = size
	if align > 4096 {
		cfg.Size += align - 4096
	}

	zones.mu.Lock()
	defer zones.mu.Unlock()
	if _, ok := zones.byName[name]; ok {
		return nil, fmt.Errorf("eal: memzone %q: %w", name, ErrExists)
	}
	a, err := NewArena(cfg)
	if err != nil {
		return nil, fmt.Errorf("eal: memzone %q: %w", name, err)
	}
	mem, err := a.Alloc(size, align)
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("eal: memzone %q: %w", name, err)
	}
	z := &Memzone{name: name, arena: a, mem: mem, size: size, flags: flags}
	if zones.byName == nil {
		zones.byName = make(map[string]*Memzone)
	}
	zones.byName[name] = z
	zones.order = append(zones.order, z)
	return z, nil
}

// MemzoneLookup returns the live memzone of that name, or an error
// wrapping ErrNotFound.
func MemzoneLookup(name string) (*Memzone, error) {
	zones.mu.Lock()
	defer zones.mu.Unlock()
	if z, ok := zones.byName[name]; ok {
		return z, nil
	}
	return nil, fmt.Errorf("eal: memzone %q: %w", name, ErrNotFound)
}

// MemzoneWalk calls fn for every live memzone in reservation order. fn may
// reserve or free memzones; it sees the set as it was when the walk began.
func MemzoneWalk(fn func(*Memzone)) {
	zones.mu.Lock()
	list := slices.Clone(zones.order)
	zones.mu.Unlock()
	for _, z := range list {
		fn(z)
	}
}

// Name returns the memzone's name.
func (z *Memzone) Name() string { return z.name }

// Bytes returns the zone's memory (len == cap == Len()); nil once freed.
func (z *Memzone) Bytes() []byte {
	zones.mu.Lock()
	defer zones.mu.Unlock()
	return z.mem
}

// Addr returns the address of the first byte (aligned as requested); 0
// once freed.
func (z *Memzone) Addr() uintptr {
	if b := z.Bytes(); b != nil {
		return sliceBase(b)
	}
	return 0
}

// Len returns the size asked for (also after Free).
func (z *Memzone) Len() int { return z.size }

// Flags returns the flags the zone was reserved with.
func (z *Memzone) Flags() MemzoneFlags { return z.flags }

// Arena returns the arena backing the zone (its Fd for a shared zone,
// its page size, whether it is huge).
func (z *Memzone) Arena() *Arena { return z.arena }

// Free releases the zone and unmaps its memory: slices from Bytes become
// invalid. Freeing twice returns an error wrapping ErrClosed.
func (z *Memzone) Free() error {
	zones.mu.Lock()
	defer zones.mu.Unlock()
	if z.mem == nil {
		return fmt.Errorf("eal: memzone %q: %w", z.name, ErrClosed)
	}
	z.mem = nil
	if zones.byName[z.name] == z {
		delete(zones.byName, z.name)
	}
	if i := slices.Index(zones.order, z); i >= 0 {
		zones.order = slices.Delete(zones.order, i, i+1)
	}
	return z.arena.Close()
}
