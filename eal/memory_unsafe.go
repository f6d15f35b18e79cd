package eal

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mapMemory maps size bytes (a multiple of pageSize) read-write and
// prefaults them. Hugepage mappings use MAP_HUGETLB (or a MFD_HUGETLB
// memfd when shared) with the size encoded in the flags; ordinary mappings
// are aligned to 2 MiB when at least that large and advised
// MADV_HUGEPAGE so the kernel can back them with transparent hugepages.
// fd is -1 unless shared.
func mapMemory(name string, size, pageSize int, huge, shared bool) (mem []byte, fd int, err error) {
	fd = -1
	if shared {
		flags := unix.MFD_CLOEXEC
		if huge {
			flags |= unix.MFD_HUGETLB | hugeSizeFlag(pageSize)
		}
		fd, err = unix.MemfdCreate(name, flags)
		if err != nil {
			return nil, -1, fmt.Errorf("memfd_create: %w", err)
		}
		if err = unix.Ftruncate(fd, int64(size)); err != nil {
			unix.Close(fd)
			return nil, -1, fmt.Errorf("ftruncate memfd: %w", err)
		}
	}
	closeFd := func() {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	prot := unix.PROT_READ | unix.PROT_WRITE
	flags := unix.MAP_PRIVATE | unix.MAP_ANONYMOUS
	if shared {
		flags = unix.MAP_SHARED
	}

	if huge {
		if !shared {
			flags |= unix.MAP_HUGETLB | hugeSizeFlag(pageSize)
		}
		// The hugepages are reserved (or the call fails) at mmap time;
		// MAP_POPULATE faults them all in now.
		p, err := unix.MmapPtr(fd, 0, nil, uintptr(size), prot, flags|unix.MAP_POPULATE)
		if err != nil {
			closeFd()
			return nil, -1, fmt.Errorf("mmap: %w", err)
		}
		return unsafe.Slice((*byte)(p), size), fd, nil
	}

	// Ordinary pages: reserve size+2MiB of address space, put the mapping at
	// a 2 MiB boundary inside it and give the rest back, so THP can use
	// whole PMDs.
	var p unsafe.Pointer
	if size >= PageSize2M {
		slack := uintptr(PageSize2M)
		r, err := unix.MmapPtr(-1, 0, nil, uintptr(size)+slack, unix.PROT_NONE,
			unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
		if err != nil {
			closeFd()
			return nil, -1, fmt.Errorf("mmap reserve: %w", err)
		}
		start := uintptr(r)
		aligned := (start + slack - 1) &^ (slack - 1)
		end := start + uintptr(size) + slack
		ap := unsafe.Add(r, aligned-start)
		p, err = unix.MmapPtr(fd, 0, ap, uintptr(size), prot, flags|unix.MAP_FIXED)
		if err != nil {
			unix.MunmapPtr(r, uintptr(size)+slack)
			closeFd()
			return nil, -1, fmt.Errorf("mmap: %w", err)
		}
		if head := aligned - start; head > 0 {
			unix.MunmapPtr(r, head)
		}
		if tail := end - (aligned + uintptr(size)); tail > 0 {
			unix.MunmapPtr(unsafe.Add(ap, size), tail)
		}
	} else {
		p, err = unix.MmapPtr(fd, 0, nil, uintptr(size), prot, flags)
		if err != nil {
			closeFd()
			return nil, -1, fmt.Errorf("mmap: %w", err)
		}
	}
	mem = unsafe.Slice((*byte)(p), size)
	_ = unix.Madvise(mem, unix.MADV_HUGEPAGE) // best effort: THP may be off
	if err := prefault(mem); err != nil {
		unix.MunmapPtr(p, uintptr(size))
		closeFd()
		return nil, -1, err
	}
	return mem, fd, nil
}

// prefault faults every page in, so the data path never takes a page fault
// and a lack of memory shows now rather than as a SIGBUS later.
func prefault(mem []byte) error {
	err := unix.Madvise(mem, unix.MADV_POPULATE_WRITE)
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.EINVAL) { // EINVAL: kernel older than 5.14
		return fmt.Errorf("prefault: %w", err)
	}
	ps := os.Getpagesize()
	for i := 0; i < len(mem); i += ps {
		mem[i] = 0
	}
	return nil
}

func hugeSizeFlag(pageSize int) int {
	if pageSize == PageSize1G {
		return unix.MAP_HUGE_1GB // same encoding as MFD_HUGE_1GB
	}
	return unix.MAP_HUGE_2MB
}

func unmapMemory(mem []byte) error {
	return unix.MunmapPtr(unsafe.Pointer(unsafe.SliceData(mem)), uintptr(len(mem)))
}

func sliceBase(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }
