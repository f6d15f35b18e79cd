package eal

import (
	"errors"
	"fmt"
	"math/bits"
	"os"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// HugeMode says whether an arena must, may or must not use hugepages.
type HugeMode int

const (
	// HugeAuto tries hugepages and falls back to ordinary pages plus
	// MADV_HUGEPAGE, printing a one-line notice once per process. After
	// Init with NoHuge (--no-huge) it behaves as HugeNever.
	HugeAuto HugeMode = iota
	// HugeNever uses ordinary pages (plus MADV_HUGEPAGE, so transparent
	// hugepages are used where the kernel allows).
	HugeNever
	// HugeRequire fails with an error wrapping ErrNoHugepages when no
	// hugepage of the requested size can be mapped.
	HugeRequire
)

func (m HugeMode) String() string {
	switch m {
	case HugeAuto:
		return "auto"
	case HugeNever:
		return "never"
	case HugeRequire:
		return "require"
	}
	return fmt.Sprintf("HugeMode(%d)", int(m))
}

// Hugepage sizes accepted in ArenaConfig.PageSize.
const (
	PageSize2M = 2 << 20
	PageSize1G = 1 << 30
)

// ArenaConfig describes an arena to map; it is a plain value.
type ArenaConfig struct {
	Name string // shown in stats and, for Shared arenas, in /proc/PID/fd
	Size int    // bytes; rounded up to the page size used
	// Shared backs the arena with a memfd (MAP_SHARED) whose Fd can be
	// passed to another process over a Unix socket.
	Shared bool
	Huge   HugeMode
	// PageSize is the hugepage size: 0 or PageSize2M for 2 MiB, PageSize1G
	// for 1 GiB (HugeAuto falls back 1 GiB -> 2 MiB -> 4 KiB), or
	// os.Getpagesize() for ordinary pages (as HugeNever).
	PageSize int
}

// Arena is one mmap'd region off the Go heap, with a bump allocator.
// Memory is prefaulted when mapped and zero-filled. The garbage collector
// does not scan it: never store Go heap pointers in it.
//
// Close unmaps the memory: every slice obtained from Bytes or Alloc becomes
// invalid and touching it afterwards crashes the process.
type Arena struct {
	name     string
	size     int
	pageSize int
	huge     bool
	shared   bool
	base     uintptr

	closed atomic.Bool
	mu     sync.Mutex // guards mem, fd, used
	mem    []byte
	fd     int
	used   int
}

// global memory accounting
var memState struct {
	mu     sync.Mutex
	limit  int64
	total  int64
	arenas []*Arena // live, in creation order
	noHuge bool     // --no-huge: HugeAuto means HugeNever
	prefix string   // --file-prefix, for memfd names
}

var fallbackOnce sync.Once

// failHugeForTest makes every hugepage mapping fail, as on a host without
// hugepages.
var failHugeForTest atomic.Bool

// SetMemoryLimit caps the total size of all live arenas (like DPDK -m);
// 0 or a negative value removes the cap. Arenas already mapped are kept
// even when they exceed a new, lower limit.
func SetMemoryLimit(bytes int64) {
	memState.mu.Lock()
	defer memState.mu.Unlock()
	memState.limit = max(bytes, 0)
}

// ArenaStat describes one live arena.
type ArenaStat struct {
	Name     string
	Size     int
	Used     int
	PageSize int
	Huge     bool
	Shared   bool
}

// MemStats is a snapshot of the EAL's memory.
type MemStats struct {
	Arenas     int
	TotalBytes int64 // sum of the sizes of live arenas
	HugeBytes  int64 // the part of TotalBytes on hugepages
	LimitBytes int64 // 0 = no limit
	PerArena   []ArenaStat
}

// MemoryStats returns a snapshot of all live arenas.
func MemoryStats() MemStats {
	memState.mu.Lock()
	list := slices.Clone(memState.arenas)
	s := MemStats{Arenas: len(list), TotalBytes: memState.total, LimitBytes: memState.limit}
	memState.mu.Unlock()
	for _, a := range list {
		if a.huge {
			s.HugeBytes += int64(a.size)
		}
		s.PerArena = append(s.PerArena, ArenaStat{
			Name: a.name, Size: a.size, Used: a.Used(),
			PageSize: a.pageSize, Huge: a.huge, Shared: a.shared,
		})
	}
	return s
}

func reserveMemory(n int64) error {
	memState.mu.Lock()
	defer memState.mu.Unlock()
	if memState.limit > 0 && memState.total+n > memState.limit {
		return fmt.Errorf("%w: %d bytes requested, %d of %d in use (memory limit)",
			ErrNoMemory, n, memState.total, memState.limit)
	}
	memState.total += n
	return nil
}

func releaseMemory(n int64) {
	memState.mu.Lock()
	memState.total -= n
	memState.mu.Unlock()
}

// NewArena maps a new arena as cfg describes.
func NewArena(cfg ArenaConfig) (*Arena, error) {
	name := cfg.Name
	if name == "" {
		name = "arena"
	}
	if cfg.Size <= 0 {
		return nil, fmt.Errorf("eal: arena %q: size %d must be > 0", name, cfg.Size)
	}
	if uint64(cfg.Size) > 1<<46 {
		return nil, fmt.Errorf("eal: arena %q: size %d: %w", name, cfg.Size, ErrNoMemory)
	}
	small := os.Getpagesize()
	mode := cfg.Huge
	switch cfg.PageSize {
	case 0, PageSize2M, PageSize1G:
	case small:
		if mode == HugeRequire {
			return nil, fmt.Errorf("eal: arena %q: page size %d is not a hugepage size", name, small)
		}
		mode = HugeNever
	default:
		return nil, fmt.Errorf("eal: arena %q: page size %d: want 0, %d, %d or %d",
			name, cfg.PageSize, small, PageSize2M, PageSize1G)
	}
	want := cfg.PageSize
	if want == 0 || want == small {
		want = PageSize2M
	}
	memState.mu.Lock()
	noHuge, prefix := memState.noHuge, memState.prefix
	memState.mu.Unlock()

	var tries []int
	switch mode {
	case HugeNever:
		tries = []int{small}
	case HugeAuto:
		if noHuge {
			tries = []int{small}
		} else if want == PageSize1G {
			tries = []int{PageSize1G, PageSize2M, small}
		} else {
			tries = []int{PageSize2M, small}
		}
	case HugeRequire:
		if noHuge {
			return nil, fmt.Errorf("eal: arena %q: %w (disabled by --no-huge)", name, ErrNoHugepages)
		}
		tries = []int{want}
	default:
		return nil, fmt.Errorf("eal: arena %q: invalid %v", name, mode)
	}

	var hugeErr error
	for _, ps := range tries {
		huge := ps != small
		size := roundUp(cfg.Size, ps)
		if err := reserveMemory(int64(size)); err != nil {
			return nil, fmt.Errorf("eal: arena %q: %w", name, err)
		}
		var mem []byte
		fd := -1
		var err error
		if huge && failHugeForTest.Load() {
			err = fmt.Errorf("mmap: %w (test)", unix.ENOMEM)
		} else {
			mem, fd, err = mapMemory(memfdName(prefix, name), size, ps, huge, cfg.Shared)
		}
		if err != nil {
			releaseMemory(int64(size))
			if huge {
				if hugeErr == nil {
					hugeErr = fmt.Errorf("%d MiB of %s pages: %w", size>>20, sizeName(ps), err)
				}
				continue
			}
			return nil, fmt.Errorf("eal: arena %q: mapping %d bytes: %w: %w", name, size, ErrNoMemory, err)
		}
		if hugeErr != nil && !huge {
			fallbackOnce.Do(func() {
				notice("no hugepages (%v); using 4 KiB pages + MADV_HUGEPAGE (set vm.nr_hugepages, or --no-huge to silence)", hugeErr)
			})
		}
		a := &Arena{
			name: name, size: size, pageSize: ps, huge: huge, shared: cfg.Shared,
			mem: mem, fd: fd, base: sliceBase(mem),
		}
		memState.mu.Lock()
		memState.arenas = append(memState.arenas, a)
		memState.mu.Unlock()
		return a, nil
	}
	return nil, fmt.Errorf("eal: arena %q: %w: %w", name, ErrNoHugepages, hugeErr)
}

func memfdName(prefix, name string) string {
	if prefix == "" {
		prefix = "dpkit"
	}
	s := prefix + ":" + name
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

func sizeName(ps int) string {
	if ps >= 1<<30 {
		return fmt.Sprintf("%d GiB", ps>>30)
	}
	if ps >= 1<<20 {
		return fmt.Sprintf("%d MiB", ps>>20)
	}
	return fmt.Sprintf("%d KiB", ps>>10)
}

func roundUp(n, to int) int { return (n + to - 1) &^ (to - 1) }

// Name returns the arena's name.
func (a *Arena) Name() string { return a.name }

// Len returns the size of the mapping in bytes (a multiple of PageSize).
func (a *Arena) Len() int { return a.size }

// PageSize returns the page size backing the arena.
func (a *Arena) PageSize() int { return a.pageSize }

// Huge reports whether the arena is on hugepages.
func (a *Arena) Huge() bool { return a.huge }

// Shared reports whether the arena is memfd-backed.
func (a *Arena) Shared() bool { return a.shared }

// Bytes returns the whole mapping; nil once closed.
func (a *Arena) Bytes() []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.mem
}

// Base returns the address of the first byte; 0 once closed.
func (a *Arena) Base() uintptr {
	if a.closed.Load() {
		return 0
	}
	return a.base
}

// Fd returns the memfd of a Shared arena, -1 otherwise or once closed. The
// arena owns it: dup it to keep it past Close.
func (a *Arena) Fd() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.fd
}

// Contains reports whether p points into the (open) arena.
func (a *Arena) Contains(p uintptr) bool {
	return p >= a.base && p-a.base < uintptr(a.size) && !a.closed.Load()
}

// Alloc carves size bytes aligned to align (a power of two; 0 means 64,
// a cache line) from the arena. The memory is zero and is never given back
// before Close. It fails with an error wrapping ErrNoMemory when the arena
// has no room left.
func (a *Arena) Alloc(size, align int) ([]byte, error) {
	if align == 0 {
		align = 64
	}
	if align < 0 || bits.OnesCount(uint(align)) != 1 {
		return nil, fmt.Errorf("eal: arena %q: alignment %d is not a power of two", a.name, align)
	}
	if size <= 0 {
		return nil, fmt.Errorf("eal: arena %q: alloc size %d must be > 0", a.name, size)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.mem == nil {
		return nil, fmt.Errorf("eal: arena %q: %w", a.name, ErrClosed)
	}
	addr := (a.base + uintptr(a.used) + uintptr(align) - 1) &^ (uintptr(align) - 1)
	off := int(addr - a.base)
	if off > a.size || size > a.size-off {
		return nil, fmt.Errorf("eal: arena %q: alloc %d bytes (align %d), %d of %d used: %w",
			a.name, size, align, a.used, a.size, ErrNoMemory)
	}
	a.used = off + size
	return a.mem[off : off+size : off+size], nil
}

// Used returns the bytes consumed by Alloc, padding included.
func (a *Arena) Used() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.used
}

// Avail returns the bytes Alloc can still hand out (ignoring alignment).
func (a *Arena) Avail() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.mem == nil {
		return 0
	}
	return a.size - a.used
}

// Close unmaps the arena and closes its fd. It is idempotent; other
// methods report ErrClosed (or a zero value) afterwards.
func (a *Arena) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.mem == nil {
		return nil
	}
	a.closed.Store(true)
	err := unmapMemory(a.mem)
	a.mem = nil
	if a.fd >= 0 {
		err = errors.Join(err, unix.Close(a.fd))
		a.fd = -1
	}
	releaseMemory(int64(a.size))
	memState.mu.Lock()
	if i := slices.Index(memState.arenas, a); i >= 0 {
		memState.arenas = slices.Delete(memState.arenas, i, i+1)
	}
	memState.mu.Unlock()
	if err != nil {
		return fmt.Errorf("eal: arena %q: close: %w", a.name, err)
	}
	return nil
}

// memSettings are the process-wide memory options Init applies.
type memSettings struct {
	limit    int64
	setLimit bool // false: keep the current limit (no -m)
	noHuge   bool
	prefix   string
}

// applyMemSettings installs m and returns the settings it replaced, for
// Cleanup to put back.
func applyMemSettings(m memSettings) (prev memSettings) {
	memState.mu.Lock()
	defer memState.mu.Unlock()
	prev = memSettings{limit: memState.limit, setLimit: m.setLimit, noHuge: memState.noHuge, prefix: memState.prefix}
	if m.setLimit {
		memState.limit = max(m.limit, 0)
	}
	memState.noHuge, memState.prefix = m.noHuge, m.prefix
	return prev
}
