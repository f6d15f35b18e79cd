//go:build !amd64

package memifproto

import (
	"sync/atomic"
	"unsafe"
)

// On other architectures the 16-bit index is read and written through the
// aligned 32-bit word around it with sync/atomic (a CAS for the store, so
// the other half, which the peer may write, is kept).

var bigEndian = func() bool { x := uint16(1); return *(*byte)(unsafe.Pointer(&x)) == 0 }()

func word16(p unsafe.Pointer) (*uint32, uint) {
	a := uintptr(p)
	shift := uint(a&3) * 8
	if bigEndian {
		shift = 16 - shift
	}
	return (*uint32)(unsafe.Add(p, -int(a&3))), shift
}

func load16(p unsafe.Pointer) uint16 {
	w, s := word16(p)
	return uint16(atomic.LoadUint32(w) >> s)
}

func store16(p unsafe.Pointer, v uint16) {
	w, s := word16(p)
	for {
		old := atomic.LoadUint32(w)
		nw := old&^(0xffff<<s) | uint32(v)<<s
		if atomic.CompareAndSwapUint32(w, old, nw) {
			return
		}
	}
}
