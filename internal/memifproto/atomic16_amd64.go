package memifproto

import "unsafe"

// load16 and store16 read and write a shared 16-bit ring index. On amd64
// an aligned 16-bit MOV is atomic and ordered (TSO: loads acquire, stores
// release); being assembly, the Go compiler neither reorders memory
// accesses across them nor caches the value in a register.

//go:noescape
func load16(p unsafe.Pointer) uint16

//go:noescape
func store16(p unsafe.Pointer, v uint16)
