package mempool

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// copyWordsAVX2 copies n 8-byte words from s to d with AVX2 moves.
//
//go:noescape
func copyWordsAVX2(d, s unsafe.Pointer, n uint)

var useAVX2 = cpu.X86.HasAVX2

// copyLarge copies n >= 16 words: AVX2 moves where the CPU has them (Go's
// memmove uses 16-byte moves below 2 KiB), else memmove. Not inlined: the
// fast paths that call it keep a smaller frame (measured: bursts of 1-4
// are faster).
//
//go:noinline
func copyLarge(d, s unsafe.Pointer, n uint) {
	if useAVX2 {
		copyWordsAVX2(d, s, n)
		return
	}
	copy(unsafe.Slice((*uint64)(d), n), unsafe.Slice((*uint64)(s), n))
}
