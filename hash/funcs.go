package hash

import (
	"hash/crc32"
	"hash/maphash"
	"math/bits"
	"unsafe"

	"github.com/dpkit/dpkit/internal/toeplitz"
)

// JHash is Bob Jenkins' lookup3 hash (hashlittle) of key with initial value
// seed: the same value as DPDK's rte_jhash(key, len, seed).
func JHash(key []byte, seed uint32) uint32 {
	n := len(key)
	a := 0xdeadbeef + uint32(n) + seed
	b, c := a, a
	if n == 0 {
		return c
	}
	// Unaligned 32-bit little-endian loads, within key[:n] (checked by the
	// loop bounds, so without the per-load bounds checks of
	// binary.LittleEndian on a subslice).
	p := unsafe.Pointer(unsafe.SliceData(key))
	i := 0
	for ; n-i > 12; i += 12 {
		a += ld32(p, i)
		b += ld32(p, i+4)
		c += ld32(p, i+8)
		a, b, c = jmix(a, b, c)
	}
	// The last 1..12 bytes, zero-padded to three words.
	switch r := n - i; {
	case r == 12:
		a += ld32(p, i)
		b += ld32(p, i+4)
		c += ld32(p, i+8)
	case r > 8:
		a += ld32(p, i)
		b += ld32(p, i+4)
		c += tail32(p, i+8, r-8)
	case r == 8:
		a += ld32(p, i)
		b += ld32(p, i+4)
	case r > 4:
		a += ld32(p, i)
		b += tail32(p, i+4, r-4)
	case r == 4:
		a += ld32(p, i)
	default:
		a += tail32(p, i, r)
	}
	return jfinal(a, b, c)
}

// ld32 reads the little-endian word at p+i (amd64 and arm64 load
// unaligned words; encoding/binary's form is what the compiler turns into
// one load).
func ld32(p unsafe.Pointer, i int) uint32 {
	b := (*[4]byte)(unsafe.Add(p, i))
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// tail32 reads n (1..3) bytes at p+i little-endian.
func tail32(p unsafe.Pointer, i, n int) uint32 {
	v := uint32(*(*byte)(unsafe.Add(p, i)))
	if n > 1 {
		v |= uint32(*(*byte)(unsafe.Add(p, i+1))) << 8
		if n > 2 {
			v |= uint32(*(*byte)(unsafe.Add(p, i+2))) << 16
		}
	}
	return v
}

func jmix(a, b, c uint32) (uint32, uint32, uint32) {
	a -= c
	a ^= bits.RotateLeft32(c, 4)
	c += b
	b -= a
	b ^= bits.RotateLeft32(a, 6)
	a += c
	c -= b
	c ^= bits.RotateLeft32(b, 8)
	b += a
	a -= c
	a ^= bits.RotateLeft32(c, 16)
	c += b
	b -= a
	b ^= bits.RotateLeft32(a, 19)
	a += c
	c -= b
	c ^= bits.RotateLeft32(b, 4)
	b += a
	return a, b, c
}

func jfinal(a, b, c uint32) uint32 {
	c ^= b
	c -= bits.RotateLeft32(b, 14)
	a ^= c
	a -= bits.RotateLeft32(c, 11)
	b ^= a
	b -= bits.RotateLeft32(a, 25)
	c ^= b
	c -= bits.RotateLeft32(b, 16)
	a ^= c
	a -= bits.RotateLeft32(c, 4)
	b ^= a
	b -= bits.RotateLeft32(a, 14)
	c ^= b
	c -= bits.RotateLeft32(b, 24)
	return c
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// CRC32C is the CRC32-C (Castagnoli) of key accumulated onto seed without
// the usual pre- and post-inversion: the same value as DPDK's
// rte_hash_crc(key, len, seed). On amd64 with SSE4.2 it runs the crc32
// instruction 8 bytes at a time.
func CRC32C(key []byte, seed uint32) uint32 {
	if haveCRC32 && len(key) > 0 {
		return crc32cAsm(seed, &key[0], len(key))
	}
	return ^crc32.Update(^seed, castagnoli, key)
}

// Toeplitz returns a Func computing the Toeplitz (RSS) hash of the key with
// rssKey (see internal/toeplitz; the seed is ignored), as DPDK's
// rte_softrss. Use toeplitz.DefaultKey for the NICs' default.
func Toeplitz(rssKey []byte) Func {
	t := toeplitz.New(rssKey)
	return func(key []byte, _ uint32) uint32 { return t.Hash(key) }
}

// MapHash returns a Func using Go's runtime hash (hash/maphash: AES-based
// where the CPU has AES-NI, the hash of Go's own maps) with a random seed
// chosen now. It is the fastest Func here, but its values differ from one
// process (and one MapHash call) to the next: do not use it for a table
// whose hashes must be reproduced elsewhere. The seed argument is mixed in.
func MapHash() Func {
	s := maphash.MakeSeed()
	return func(key []byte, seed uint32) uint32 {
		h := maphash.Bytes(s, key) ^ uint64(seed)*0x9e3779b97f4a7c15
		return uint32(h ^ h>>32)
	}
}
