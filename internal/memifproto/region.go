package memifproto

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// MaxRegionSize bounds a region a peer may ask us to map.
const MaxRegionSize = 1 << 36

// Region is a mapped shared memory region.
type Region struct {
	Mem []byte
	Fd  int // -1 once closed
	// Sealed reports that the file cannot shrink (F_SEAL_SHRINK): a peer
	// that truncates an unsealed file under the mapping makes accesses
	// past the new end fault (SIGBUS).
	Sealed bool
	own    bool // we created the fd
	// borrowed: memory of the caller's (a zero-copy client's mbuf arena),
	// announced but neither unmapped nor closed by the session.
	borrowed bool
}

// BorrowRegion wraps memory the caller owns and shares by fd (an
// eal.Arena made with Shared): a zero-copy client announces it as a
// region. Close leaves it alone.
func BorrowRegion(mem []byte, fd int) *Region {
	return &Region{Mem: mem, Fd: fd, Sealed: true, borrowed: true}
}

// CreateRegion makes a memfd of size bytes, sealed against shrinking, and
// maps it: the client's region 0 in copy mode.
func CreateRegion(name string, size uint64) (*Region, error) {
	if size == 0 || size > MaxRegionSize {
		return nil, fmt.Errorf("%w: region size %d", ErrLayout, size)
	}
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("memif: memfd_create: %w", err)
	}
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("memif: ftruncate region to %d: %w", size, err)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_SHRINK); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("memif: sealing region: %w", err)
	}
	mem, err := unix.Mmap(fd, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("memif: mmap region of %d bytes: %w", size, err)
	}
	return &Region{Mem: mem, Fd: fd, Sealed: true, own: true}, nil
}

// MapRegion maps size bytes of a peer's fd (ADD_REGION). The fd must be a
// file at least size bytes long: mapping past its end would fault on
// access. MapRegion takes ownership of fd: it is closed on error and by
// Close.
func MapRegion(fd int, size uint64) (*Region, error) {
	if size == 0 || size > MaxRegionSize {
		unix.Close(fd)
		return nil, fmt.Errorf("%w: region size %d out of range (1..%d)", ErrLayout, size, uint64(MaxRegionSize))
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("memif: fstat region fd: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || uint64(st.Size) < size {
		unix.Close(fd)
		return nil, fmt.Errorf("%w: region fd is %d bytes (mode %o), the peer says %d", ErrLayout, st.Size, st.Mode&unix.S_IFMT, size)
	}
	seals, err := unix.FcntlInt(uintptr(fd), unix.F_GET_SEALS, 0)
	sealed := err == nil && seals&unix.F_SEAL_SHRINK != 0
	mem, err := unix.Mmap(fd, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("memif: mmap peer region of %d bytes: %w", size, err)
	}
	return &Region{Mem: mem, Fd: fd, Sealed: sealed}, nil
}

// Close unmaps the region and closes its fd.
func (r *Region) Close() error {
	if r == nil || r.Fd < 0 || r.borrowed {
		return nil
	}
	err := unix.Munmap(r.Mem)
	if cerr := unix.Close(r.Fd); err == nil {
		err = cerr
	}
	r.Mem, r.Fd = nil, -1
	return err
}
