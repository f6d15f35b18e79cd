package mempool

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/dpkit/dpkit/eal"
)

// lcoreCache is one lcore's cache, rte_mempool_cache without the copies of
// size and flushthresh (they are the pool's). len has a cache line of its
// own; objs[:len] are free objects, the most recently put on top. objs has
// room for what the 22.11 algorithm can hold: CacheSize after a refill plus
// a shortfall of up to MaxCacheSize, or a flush threshold's worth.
type lcoreCache struct {
	len  uint32
	_    [cacheLine - 4]byte
	objs [2 * MaxCacheSize]unsafe.Pointer
}

const cacheStride = unsafe.Sizeof(lcoreCache{})

// The caches are laid end to end and each must start a cache line.
var _ [0]struct{} = [cacheStride % cacheLine]struct{}{}

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

func sliceAddr(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }
