package mempool

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/dpkit/dpkit/eal"
)

// lcoreCache is one lcore's cache, rte_mempool_cache without the copies of
// size and flushthresh (they are the pool's). len has a cache line of its
// own; objs[:len] are free objects, the most recently put on top.
//
// rte_mempool_cache has room for 2*MaxCacheSize pointers: a refill of
// CacheSize plus a shortfall of up to MaxCacheSize lands at the bottom, over
// the objects just handed out. Here the caller's slice must stay untouched
// until the refill succeeded, so the refill lands above the cached objects
// (at most a flush threshold's worth): objs has room for that too. The top
// part is only touched by requests larger than MaxCacheSize, and only then
// backed by the kernel.
type lcoreCache struct {
	len  uint32
	_    [cacheLine - 4]byte
	objs [cacheObjs]unsafe.Pointer
}

// cacheObjs is the largest len+CacheSize+shortfall: a full cache
// (MaxCacheSize*3/2) plus a refill (MaxCacheSize plus a shortfall of up to
// MaxCacheSize).
const cacheObjs = MaxCacheSize*3/2 + 2*MaxCacheSize

const cacheStride = unsafe.Sizeof(lcoreCache{})

// The caches are laid end to end and each must start a cache line; the
// Try fast paths count on len at offset 0 and objs at cacheLine.
var (
	_ [0]struct{} = [cacheStride % cacheLine]struct{}{}
	_ [0]struct{} = [unsafe.Offsetof(lcoreCache{}.objs) - cacheLine]struct{}{}
	_ [0]struct{} = [unsafe.Offsetof(lcoreCache{}.len)]struct{}{}
)

// mapCaches maps the per-lcore caches: anonymous memory, not prefaulted,
// so the kernel backs an lcore's pages only once that lcore uses the pool.
// It is off the Go heap: the collector never scans the 128K pointers, and
// they only ever point into arenas.
func (p *Pool) mapCaches() error {
	size := int(cacheStride) * eal.MaxLcore
	mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return err
	}
	p.cacheMem = mem
	p.caches = unsafe.Pointer(unsafe.SliceData(mem))
	return nil
}

func (p *Pool) unmapCaches() error {
	if p.cacheMem == nil {
		return nil
	}
	p.caches, p.cacheLcores = nil, 0
	err := unix.Munmap(p.cacheMem)
	p.cacheMem = nil
	return err
}

// cacheOf returns lcore's cache; lcore < p.cacheLcores.
func (p *Pool) cacheOf(lcore uint) *lcoreCache {
	return (*lcoreCache)(unsafe.Add(p.caches, lcore*uint(cacheStride)))
}

// slot returns &c.objs[i] without a bounds check; i <= len(c.objs).
func (c *lcoreCache) slot(i uint) unsafe.Pointer {
	return unsafe.Add(unsafe.Pointer(&c.objs), i*8)
}

func sliceAddr(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }
