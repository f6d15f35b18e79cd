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

// putElem copies one element of size bytes (a multiple of 4) from s to
// d: a single load and store for the common sizes.
func putElem(d, s unsafe.Pointer, size uintptr) {
	switch size {
	case 8:
		*(*uint64)(d) = *(*uint64)(s)
	case 16:
		*(*[2]uint64)(d) = *(*[2]uint64)(s)
	case 4:
		*(*uint32)(d) = *(*uint32)(s)
	default:
		for i := uintptr(0); i < size; i += 4 {
			*(*uint32)(unsafe.Add(d, i)) = *(*uint32)(unsafe.Add(s, i))
		}
	}
}
