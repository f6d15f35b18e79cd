//go:build !purego

package hash

import "golang.org/x/sys/cpu"

var haveCRC32 = cpu.X86.HasSSE42

// crc32cAsm accumulates the CRC32-C of n > 0 bytes at p onto crc with the
// crc32 instruction, 8, 4, 2, then 1 byte at a time.
//
//go:noescape
func crc32cAsm(crc uint32, p *byte, n int) uint32
