//go:build !amd64 || purego

package hash

import "unsafe"

const haveCRC32 = false

func crc32cAsm(crc uint32, p *byte, n int) uint32 { panic("unreachable") }

func scanBurst(s *burstScan) { scanBurstGo(s) }

func find1(h *tableHdr, key *byte, n int, hash uint32) uint32 { return find1Go(h, key, n, hash) }

func find1CRC(h *tableHdr, key *byte, n int, seed uint32) uint32 {
	return find1Go(h, key, n, CRC32C(unsafe.Slice(key, n), seed))
}

func find1J(h *tableHdr, key *byte, n int, seed uint32) uint32 {
	return find1Go(h, key, n, JHash(unsafe.Slice(key, n), seed))
}
