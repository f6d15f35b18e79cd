//go:build !purego

package hash

import "golang.org/x/sys/cpu"

var haveCRC32 = cpu.X86.HasSSE42

// crc32cAsm accumulates the CRC32-C of n > 0 bytes at p onto crc with the
// crc32 instruction, 8, 4, 2, then 1 byte at a time.
//
//go:noescape
func crc32cAsm(crc uint32, p *byte, n int) uint32

// scanBurst runs the first stages of a bulk lookup; see burstScan.
//
//go:noescape
func scanBurst(s *burstScan)

// find1 is the fast path of a lookup of the key of n bytes at key with
// hash: the first signature hit of its primary bucket (or of the
// secondary, if the primary has none) compared with the key. It returns
// the key index, or 0 if that was not the key (the caller searches the
// slow way). find1CRC hashes the key with CRC32C(key, seed) first, find1J
// with JHash(key, seed).
//
//go:noescape
func find1(h *tableHdr, key *byte, n int, hash uint32) uint32

//go:noescape
func find1CRC(h *tableHdr, key *byte, n int, seed uint32) uint32

//go:noescape
func find1J(h *tableHdr, key *byte, n int, seed uint32) uint32
