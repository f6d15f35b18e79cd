package eal

import (
	"bufio"
	"bytes"
	"errors"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// noHugeForTest pretends the host has no hugepages (EAL_TEST_NOHUGE=1),
// to exercise the fallback paths on a host that has some.
var noHugeForTest = os.Getenv("EAL_TEST_NOHUGE") == "1"

// freeHugepages returns the free hugepages of size kb (KiB), from sysfs.
func freeHugepages(kb int) int {
	if noHugeForTest {
		return 0
	}
	b, err := os.ReadFile("/sys/kernel/mm/hugepages/hugepages-" + strconv.Itoa(kb) + "kB/free_hugepages")
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// meminfoFreeHuge returns the default-size hugepages free and not reserved
// (HugePages_Free - HugePages_Rsvd in /proc/meminfo).
func meminfoFreeHuge() int {
	if noHugeForTest {
		return 0
	}
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	var free, rsvd int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "HugePages_Free:"); ok {
			free, _ = strconv.Atoi(strings.TrimSpace(v))
		}
		if v, ok := strings.CutPrefix(sc.Text(), "HugePages_Rsvd:"); ok {
			rsvd, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return free - rsvd
}

func requireHuge(t *testing.T, pages int) {
	t.Helper()
	if n := meminfoFreeHuge(); n < pages || freeHugepages(2048) < pages {
		t.Skipf("SKIPPED: needs %d free 2 MiB hugepages, HugePages_Free is %d (echo 1024 > /proc/sys/vm/nr_hugepages)", pages, n)
	}
}

func newArena(t *testing.T, cfg ArenaConfig) *Arena {
	t.Helper()
	a, err := NewArena(cfg)
	if err != nil {
		t.Fatalf("NewArena(%+v): %v", cfg, err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func checkArena(t *testing.T, a *Arena, cfg ArenaConfig, huge bool) {
	t.Helper()
	ps := os.Getpagesize()
	if huge {
		ps = PageSize2M
	}
	if a.Huge() != huge || a.PageSize() != ps || a.Shared() != cfg.Shared || a.Name() != cfg.Name {
		t.Errorf("arena: huge %v page %d shared %v name %q; want %v %d %v %q",
			a.Huge(), a.PageSize(), a.Shared(), a.Name(), huge, ps, cfg.Shared, cfg.Name)
	}
	if a.Len() < cfg.Size || a.Len()%ps != 0 || len(a.Bytes()) != a.Len() {
		t.Errorf("arena len %d (bytes %d) for size %d, page %d", a.Len(), len(a.Bytes()), cfg.Size, ps)
	}
	if a.Base()%uintptr(ps) != 0 {
		t.Errorf("arena base %#x not aligned to its page size %d", a.Base(), ps)
	}
	if (a.Fd() >= 0) != cfg.Shared {
		t.Errorf("Fd() = %d for shared=%v", a.Fd(), cfg.Shared)
	}
	b := a.Bytes()
	for i := 0; i < len(b); i += 4096 {
		if b[i] != 0 {
			t.Fatalf("arena byte %d = %d, want zero memory", i, b[i])
		}
	}
	b[0], b[len(b)-1] = 1, 2
	if !a.Contains(a.Base()) || !a.Contains(a.Base()+uintptr(a.Len()-1)) ||
		a.Contains(a.Base()+uintptr(a.Len())) || a.Contains(a.Base()-1) {
		t.Error("Contains gets the arena bounds wrong")
	}
}

func TestArenaNoHuge(t *testing.T) {
	for _, shared := range []bool{false, true} {
		for _, size := range []int{1, 5000, 3 << 20} {
			cfg := ArenaConfig{Name: "t-nohuge", Size: size, Shared: shared, Huge: HugeNever}
			a := newArena(t, cfg)
			checkArena(t, a, cfg, false)
			if size >= PageSize2M && a.Base()%PageSize2M != 0 {
				t.Errorf("%d-byte arena at %#x: not 2 MiB aligned for THP", size, a.Base())
			}
			a.Close()
		}
	}
	// PageSize = the small page size is the same as HugeNever.
	a := newArena(t, ArenaConfig{Name: "t-small", Size: 100, PageSize: os.Getpagesize()})
	checkArena(t, a, ArenaConfig{Name: "t-small", Size: 100}, false)
}

func TestArenaHuge(t *testing.T) {
	requireHuge(t, 4)
	for _, mode := range []HugeMode{HugeAuto, HugeRequire} {
		for _, shared := range []bool{false, true} {
			cfg := ArenaConfig{Name: "t-huge", Size: 3 << 20, Shared: shared, Huge: mode}
			a := newArena(t, cfg)
			checkArena(t, a, cfg, true)
			if a.Len() != 4<<20 {
				t.Errorf("Len() = %d, want 4 MiB", a.Len())
			}
			s := MemoryStats()
			if s.HugeBytes < int64(a.Len()) {
				t.Errorf("HugeBytes %d < arena %d", s.HugeBytes, a.Len())
			}
			a.Close()
		}
	}
}

func TestArenaHuge1G(t *testing.T) {
	if freeHugepages(1048576) > 0 {
		a := newArena(t, ArenaConfig{Name: "t-1g", Size: 1, PageSize: PageSize1G, Huge: HugeRequire})
		if a.PageSize() != PageSize1G || !a.Huge() {
			t.Errorf("1G arena: page %d huge %v", a.PageSize(), a.Huge())
		}
		return
	}
	_, err := NewArena(ArenaConfig{Name: "t-1g", Size: 1, PageSize: PageSize1G, Huge: HugeRequire})
	if !errors.Is(err, ErrNoHugepages) {
		t.Errorf("HugeRequire 1G without 1G pages: %v, want ErrNoHugepages", err)
	}
	// HugeAuto falls back to 2 MiB or 4 KiB pages.
	a := newArena(t, ArenaConfig{Name: "t-1g-auto", Size: 1, PageSize: PageSize1G})
	if a.PageSize() == PageSize1G {
		t.Errorf("got 1 GiB pages though none are free")
	}
}

func TestArenaHugeFallback(t *testing.T) {
	var buf syncBuffer
	SetLogOutput(&buf)
	defer SetLogOutput(os.Stderr)
	fallbackOnce = sync.Once{}
	failHugeForTest.Store(true)
	defer failHugeForTest.Store(noHugeForTest)

	for range 3 {
		a := newArena(t, ArenaConfig{Name: "t-fallback", Size: 4096, Shared: true})
		if a.Huge() || a.PageSize() != os.Getpagesize() {
			t.Errorf("fallback arena: huge %v page %d", a.Huge(), a.PageSize())
		}
		a.Close()
	}
	out := buf.String()
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, "hugepages") {
		t.Errorf("want one notice line about hugepages, got %q", out)
	}
	_, err := NewArena(ArenaConfig{Name: "t-require", Size: 4096, Huge: HugeRequire})
	if !errors.Is(err, ErrNoHugepages) {
		t.Errorf("HugeRequire without hugepages: %v, want ErrNoHugepages", err)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestArenaBadConfig(t *testing.T) {
	for _, cfg := range []ArenaConfig{
		{Size: 0},
		{Size: -1},
		{Size: math.MaxInt},
		{Size: 1, PageSize: 12345},
		{Size: 1, PageSize: os.Getpagesize(), Huge: HugeRequire},
		{Size: 1, Huge: HugeMode(9)},
	} {
		if a, err := NewArena(cfg); err == nil {
			a.Close()
			t.Errorf("NewArena(%+v) succeeded", cfg)
		}
	}
}

func TestArenaSharedFd(t *testing.T) {
	modes := []HugeMode{HugeNever}
	if meminfoFreeHuge() >= 2 {
		modes = append(modes, HugeRequire)
	} else {
		t.Log("SKIPPED huge sub-case: no free hugepages")
	}
	for _, mode := range modes {
		a := newArena(t, ArenaConfig{Name: "t-shared", Size: 8192, Shared: true, Huge: mode})
		copy(a.Bytes()[100:], "hello from the first mapping")
		m, err := unix.Mmap(a.Fd(), 0, a.Len(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
		if err != nil {
			t.Fatalf("%v: mmap of the arena fd: %v", mode, err)
		}
		if got := string(m[100:128]); got != "hello from the first mapping" {
			t.Errorf("%v: second mapping reads %q", mode, got)
		}
		copy(m[a.Len()-5:], "back!")
		if got := string(a.Bytes()[a.Len()-5:]); got != "back!" {
			t.Errorf("%v: first mapping reads %q", mode, got)
		}
		if err := unix.Munmap(m); err != nil {
			t.Fatal(err)
		}
		var st unix.Stat_t
		if err := unix.Fstat(a.Fd(), &st); err != nil || st.Size != int64(a.Len()) {
			t.Errorf("%v: fstat size %d, %v; want %d", mode, st.Size, err, a.Len())
		}
		link, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(a.Fd()))
		if !strings.Contains(link, "t-shared") {
			t.Errorf("memfd name %q does not contain the arena name", link)
		}
		a.Close()
	}
}

func TestArenaAlloc(t *testing.T) {
	a := newArena(t, ArenaConfig{Name: "t-alloc", Size: 64 << 10, Huge: HugeNever})
	for _, tc := range []struct{ size, align int }{
		{1, 1}, {3, 2}, {100, 64}, {1, 0}, {7, 4096}, {10, 8}, {64, 128}, {1, 1 << 14},
	} {
		b, err := a.Alloc(tc.size, tc.align)
		if err != nil {
			t.Fatalf("Alloc(%d, %d): %v", tc.size, tc.align, err)
		}
		align := max(tc.align, 1)
		if tc.align == 0 {
			align = 64
		}
		if p := sliceBase(b); p%uintptr(align) != 0 || !a.Contains(p) || !a.Contains(p+uintptr(tc.size)-1) {
			t.Errorf("Alloc(%d, %d) at %#x: misaligned or outside the arena", tc.size, tc.align, p)
		}
		if len(b) != tc.size || cap(b) != tc.size {
			t.Errorf("Alloc(%d, %d): len %d cap %d", tc.size, tc.align, len(b), cap(b))
		}
		for i := range b {
			if b[i] != 0 {
				t.Fatal("Alloc returned non-zero memory")
			}
			b[i] = 0xff
		}
	}
	for _, align := range []int{-1, 3, 6, 100} {
		if _, err := a.Alloc(8, align); err == nil {
			t.Errorf("Alloc(8, %d) succeeded", align)
		}
	}
	for _, size := range []int{0, -1} {
		if _, err := a.Alloc(size, 8); err == nil {
			t.Errorf("Alloc(%d, 8) succeeded", size)
		}
	}
	used := a.Used()
	if _, err := a.Alloc(a.Len(), 1); !errors.Is(err, ErrNoMemory) {
		t.Errorf("oversized Alloc: %v, want ErrNoMemory", err)
	}
	if a.Used() != used {
		t.Error("a failed Alloc consumed memory")
	}
	// Fill exactly to the end, then one more byte fails.
	if _, err := a.Alloc(a.Avail(), 1); err != nil {
		t.Fatalf("Alloc of the rest: %v", err)
	}
	if a.Used() != a.Len() || a.Avail() != 0 {
		t.Errorf("Used %d Avail %d after filling %d", a.Used(), a.Avail(), a.Len())
	}
	if _, err := a.Alloc(1, 1); !errors.Is(err, ErrNoMemory) {
		t.Errorf("Alloc in a full arena: %v, want ErrNoMemory", err)
	}
	if _, err := a.Alloc(1, 1<<30); !errors.Is(err, ErrNoMemory) {
		t.Errorf("Alloc with a huge alignment: %v, want ErrNoMemory", err)
	}
}

func TestArenaAllocConcurrent(t *testing.T) {
	a := newArena(t, ArenaConfig{Name: "t-conc", Size: 1 << 20, Huge: HugeNever})
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[uintptr]bool{}
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			for i := 0; i < 100; i++ {
				b, err := a.Alloc(64, 64)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[sliceBase(b)] {
					t.Errorf("address %#x handed out twice", sliceBase(b))
				}
				seen[sliceBase(b)] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if a.Used() != 400*64 {
		t.Errorf("Used() = %d, want %d", a.Used(), 400*64)
	}
}

func TestArenaClose(t *testing.T) {
	a, err := NewArena(ArenaConfig{Name: "t-close", Size: 4096, Shared: true, Huge: HugeNever})
	if err != nil {
		t.Fatal(err)
	}
	fd := a.Fd()
	before := MemoryStats()
	for i := 0; i < 3; i++ {
		if err := a.Close(); err != nil {
			t.Fatalf("Close #%d: %v", i+1, err)
		}
	}
	if _, err := a.Alloc(8, 8); !errors.Is(err, ErrClosed) {
		t.Errorf("Alloc after Close: %v, want ErrClosed", err)
	}
	if a.Bytes() != nil || a.Base() != 0 || a.Fd() != -1 || a.Contains(a.base) || a.Avail() != 0 {
		t.Error("closed arena still exposes its memory")
	}
	if err := unix.Close(fd); !errors.Is(err, unix.EBADF) {
		t.Errorf("memfd %d still open after Close", fd)
	}
	after := MemoryStats()
	if after.Arenas != before.Arenas-1 || after.TotalBytes != before.TotalBytes-4096 {
		t.Errorf("stats after Close: %d arenas %d bytes; before %d, %d", after.Arenas, after.TotalBytes, before.Arenas, before.TotalBytes)
	}
}

func TestMemoryLimit(t *testing.T) {
	base := MemoryStats().TotalBytes
	SetMemoryLimit(base + 8<<20)
	defer SetMemoryLimit(0)
	if got := MemoryStats().LimitBytes; got != base+8<<20 {
		t.Errorf("LimitBytes = %d", got)
	}
	a := newArena(t, ArenaConfig{Name: "t-lim1", Size: 4 << 20, Huge: HugeNever})
	b := newArena(t, ArenaConfig{Name: "t-lim2", Size: 4 << 20, Huge: HugeNever})
	_, err := NewArena(ArenaConfig{Name: "t-lim3", Size: 1, Huge: HugeNever})
	if !errors.Is(err, ErrNoMemory) || !strings.Contains(err.Error(), "memory limit") {
		t.Fatalf("arena over the limit: %v, want ErrNoMemory", err)
	}
	if MemoryStats().TotalBytes != base+8<<20 {
		t.Errorf("a refused arena was counted")
	}
	a.Close()
	c := newArena(t, ArenaConfig{Name: "t-lim3", Size: 1, Huge: HugeNever})
	c.Close()
	b.Close()
	SetMemoryLimit(-5)
	if MemoryStats().LimitBytes != 0 {
		t.Error("a negative limit is not 'no limit'")
	}
}

func TestMemoryStats(t *testing.T) {
	before := MemoryStats()
	a := newArena(t, ArenaConfig{Name: "t-stats", Size: 10000, Shared: true, Huge: HugeNever})
	a.Alloc(100, 64)
	s := MemoryStats()
	if s.Arenas != before.Arenas+1 || s.TotalBytes != before.TotalBytes+int64(a.Len()) {
		t.Errorf("stats %+v after one arena of %d bytes; before %+v", s, a.Len(), before)
	}
	var found bool
	for _, st := range s.PerArena {
		if st.Name == "t-stats" {
			found = true
			want := ArenaStat{Name: "t-stats", Size: a.Len(), Used: 100, PageSize: os.Getpagesize(), Shared: true}
			if st != want {
				t.Errorf("ArenaStat = %+v, want %+v", st, want)
			}
		}
	}
	if !found {
		t.Error("arena missing from MemoryStats")
	}
}

func TestHugeModeString(t *testing.T) {
	if HugeAuto.String() != "auto" || HugeNever.String() != "never" || HugeRequire.String() != "require" || HugeMode(7).String() != "HugeMode(7)" {
		t.Error("HugeMode.String")
	}
}
