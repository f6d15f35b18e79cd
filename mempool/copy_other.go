//go:build !amd64

package mempool

import "unsafe"

// copyLarge copies n >= 16 words with memmove. Not inlined: the fast paths
// that call it keep a smaller frame.
//
//go:noinline
func copyLarge(d, s unsafe.Pointer, n uint) {
	copy(unsafe.Slice((*uint64)(d), n), unsafe.Slice((*uint64)(s), n))
}
