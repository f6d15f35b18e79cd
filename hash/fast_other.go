//go:build !amd64 || purego || race

package hash

import "unsafe"

// The portable lookup fast paths (scan.go), used on other architectures,
// with -tags purego, and in race builds (see fast_amd64.go).

func scanBurst(s *burstScan) { scanBurstGo(s) }

func find1(h *tableHdr, key *byte, n int, hash uint32) uint32 { return find1Go(h, key, n, hash) }

func find1CRC(h *tableHdr, key *byte, n int, seed uint32) uint32 {
	return find1Go(h, key, n, CRC32C(unsafe.Slice(key, n), seed))
}

func find1J(h *tableHdr, key *byte, n int, seed uint32) uint32 {
	return find1Go(h, key, n, JHash(unsafe.Slice(key, n), seed))
}
