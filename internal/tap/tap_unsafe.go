package tap

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// writev writes bufs as one frame with iov as scratch (unix.Writev
// allocates its iovec array).
func writev(fd int, iov []unix.Iovec, bufs [][]byte) (int, unix.Errno) {
	n := 0
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		if n == len(iov) {
			return 0, unix.EMSGSIZE
		}
		iov[n].Base = &b[0]
		iov[n].SetLen(len(b))
		n++
	}
	if n == 0 {
		return 0, 0
	}
	r, _, e := unix.Syscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(n))
	clear(iov[:n]) // drop the references into the caller's buffers
	return int(r), e
}

// ReadIov reads one frame from queue q scattered over iov (readv); it
// returns 0 and no error when none is waiting. The caller fills iov with
// buffers it keeps alive across the call.
func (t *Tap) ReadIov(q int, iov []unix.Iovec) (int, error) {
	if len(iov) == 0 {
		return 0, nil
	}
	r, _, e := unix.Syscall(unix.SYS_READV, uintptr(t.fds[q]), uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
	switch e {
	case 0:
		return int(r), nil
	case unix.EAGAIN:
		return 0, nil
	}
	return 0, e
}
