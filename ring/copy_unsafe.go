package ring

import (
	"fmt"
	"reflect"
	"unsafe"
)

// elemSize checks that a ring may carry T and returns its size. Elements
// are moved as raw memory (see OffHeap), in steps of at least 4 bytes.
func elemSize[T any](offHeap bool) (uintptr, error) {
	var zero T
	size, align := unsafe.Sizeof(zero), unsafe.Alignof(zero)
	t := reflect.TypeFor[T]()
	if size == 0 || size%4 != 0 || align%4 != 0 {
		return 0, fmt.Errorf("%w: %v is %d bytes aligned to %d; want a multiple of 4 bytes, aligned to 4", ErrElem, t, size, align)
	}
	if !offHeap && hasPointers(t) {
		return 0, fmt.Errorf("%w: %v holds pointers; create the ring OffHeap if they point outside the Go heap (arenas), or pass Go objects over a channel", ErrElem, t)
	}
	return size, nil
}

func hasPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.UnsafePointer, reflect.Map, reflect.Chan, reflect.Func,
		reflect.Interface, reflect.Slice, reflect.String:
		return true
	case reflect.Array:
		return t.Len() > 0 && hasPointers(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if hasPointers(t.Field(i).Type) {
				return true
			}
		}
	}
	return false
}

// copyBytes copies n bytes (a multiple of 4) from s to d. The compiler
// moves a [2]uint64 as one 16-byte vector load and store but turns larger
// unsafe block moves into runtime.memmove calls, and a call would cost
// the burst functions their frameless leaf form; two 16-byte moves a turn
// keeps this within the inlining budget.
func copyBytes(d, s unsafe.Pointer, n uintptr) {
	// Offsets, not advancing pointers: a pointer one past the end of an
	// allocation is invalid even if never dereferenced (checkptr).
	i := uintptr(0)
	for ; i+32 <= n; i += 32 {
		*(*[2]uint64)(unsafe.Add(d, i)) = *(*[2]uint64)(unsafe.Add(s, i))
		*(*[2]uint64)(unsafe.Add(d, i+16)) = *(*[2]uint64)(unsafe.Add(s, i+16))
	}
	for ; i+8 <= n; i += 8 {
		*(*uint64)(unsafe.Add(d, i)) = *(*uint64)(unsafe.Add(s, i))
	}
	if i < n {
		*(*uint32)(unsafe.Add(d, i)) = *(*uint32)(unsafe.Add(s, i))
	}
}
