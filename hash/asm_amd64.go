package hash

import "golang.org/x/sys/cpu"

var haveCRC32 = cpu.X86.HasSSE42

// crc32cAsm accumulates the CRC32-C of n > 0 bytes at p onto crc with the
// crc32 instruction, 8, 4, 2, then 1 byte at a time.
//
//go:noescape
func crc32cAsm(crc uint32, p *byte, n int) uint32

// prefetch issues a PREFETCHT0 for each of the n addresses at addrs (a
// hint: it never faults, so stale addresses are harmless).
//
//go:noescape
func prefetch(addrs *uintptr, n int)

// scanBurst runs the first stages of a bulk lookup; see burstScan.
//
//go:noescape
func scanBurst(s *burstScan)
