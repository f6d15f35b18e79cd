package hash

import (
	"encoding/binary"
	"hash/crc32"
	"math/bits"

	"github.com/dpkit/dpkit/internal/toeplitz"
)

// JHash is Bob Jenkins' lookup3 hash (hashlittle) of key with initial value
// seed: the same value as DPDK's rte_jhash(key, len, seed).
func JHash(key []byte, seed uint32) uint32 {
	a := 0xdeadbeef + uint32(len(key)) + seed
	b, c := a, a
	k := key
	for len(k) > 12 {
		a += binary.LittleEndian.Uint32(k)
		b += binary.LittleEndian.Uint32(k[4:])
		c += binary.LittleEndian.Uint32(k[8:])
		a, b, c = jmix(a, b, c)
		k = k[12:]
	}
	switch {
	case len(k) == 0:
		return c
	case len(k) == 12:
		a += binary.LittleEndian.Uint32(k)
		b += binary.LittleEndian.Uint32(k[4:])
		c += binary.LittleEndian.Uint32(k[8:])
	default:
		var tail [12]byte
		copy(tail[:], k)
		a += binary.LittleEndian.Uint32(tail[:])
		b += binary.LittleEndian.Uint32(tail[4:])
		c += binary.LittleEndian.Uint32(tail[8:])
	}
	return jfinal(a, b, c)
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
