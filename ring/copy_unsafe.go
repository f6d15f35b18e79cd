package ring

import (
	"reflect"
	"unsafe"
)

// Elements are moved either as raw 64-bit words (wpe > 0, "words per
// element") or with Go's typed copy. Raw words are used when T holds no
// pointers, or when the ring was created OffHeap (its pointers lead only to
// memory the garbage collector does not manage, so skipping the write
// barrier is safe). Generic code cannot give the compiler a constant size,
// so the word copies live in non-generic functions where fixed-size block
// moves become inline vector instructions.

// rawWords returns the number of 64-bit words per element when T may be
// moved as raw words, or 0.
func rawWords[T any](offHeap bool) int {
	var zero T
	size, align := unsafe.Sizeof(zero), unsafe.Alignof(zero)
	if size == 0 || size%8 != 0 || align%8 != 0 {
		return 0
	}
	if !offHeap && hasPointers(reflect.TypeFor[T]()) {
		return 0
	}
	return int(size / 8)
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

// copyPairs copies n 64-bit words from s to d. The compiler moves a
// [2]uint64 as one 16-byte vector load and store (larger unsafe block moves
// become runtime.memmove calls); two of them a turn keeps the loop within
// the inlining budget, and inlined into the burst functions is where it
// must be for 8..32 elements.
func copyPairs(d, s unsafe.Pointer, n uint) {
	// Offsets, not advancing pointers: a pointer one past the end of an
	// allocation is invalid even if never dereferenced (checkptr).
	i, end := uintptr(0), uintptr(n)*8
	for ; i+32 <= end; i += 32 {
		*(*[2]uint64)(unsafe.Add(d, i)) = *(*[2]uint64)(unsafe.Add(s, i))
		*(*[2]uint64)(unsafe.Add(d, i+16)) = *(*[2]uint64)(unsafe.Add(s, i+16))
	}
	for ; i < end; i += 8 {
		*(*uint64)(unsafe.Add(d, i)) = *(*uint64)(unsafe.Add(s, i))
	}
}

// peekOut copies len(objs) elements starting at index idx into objs
// without consuming them (control path: Peek).
func (r *Ring[T]) peekOut(objs []T, idx uint32) {
	r.typedOut(objs, idx)
}
