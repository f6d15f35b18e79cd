//go:build !purego && !race

package hash

// The lookup fast paths in assembly (scan_amd64.s, find_amd64.s). Race
// builds use the Go versions (fast_other.go): the race detector does not
// see the assembly's loads of a bucket's key indices, which order a
// reader after the writer's stores of that key and its data, and would
// report those stores as racing with the reader's later loads.

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
