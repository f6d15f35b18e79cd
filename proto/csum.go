package proto

import (
	"encoding/binary"
	"hash/crc32"
	"math/bits"
)

// The Internet checksum (RFC 1071) is the one's complement of the one's
// complement sum of the data taken as big-endian 16-bit words. In this
// package a "sum" is the folded, NOT complemented, 16-bit one's complement
// sum (what DPDK's rte_raw_cksum returns); a "checksum" is its complement,
// the value written into a header.
//
// The sum is byte-order independent (RFC 1071 §2(B)): Checksum adds the
// data as little-endian 64-bit words with add-with-carry (ADCQ chains from
// math/bits.Add64) and swaps the folded result once at the end.

// Checksum returns the one's complement sum of b, folded to 16 bits and
// added to initial, which is the sum of data that came before b (0 for
// none). b is taken to start at an even offset of the summed data; see
// SumAt for data that does not.
func Checksum(b []byte, initial uint16) uint16 {
	var s uint64
	if len(b) < 32 {
		s = sumSmall(b, uint64(bits.ReverseBytes16(initial)))
	} else {
		s = sumLE(b, uint64(bits.ReverseBytes16(initial)))
	}
	return bits.ReverseBytes16(fold64(s))
}

// sumSmall is sumLE for fewer than 32 bytes (an IPv4 header, a pseudo
// header, an L4 header): 32-bit words added into 64 bits cannot carry out,
// and independent additions need no carry chain.
func sumSmall(b []byte, acc uint64) uint64 {
	if len(b) >= 16 {
		acc += uint64(binary.LittleEndian.Uint32(b[0:4])) + uint64(binary.LittleEndian.Uint32(b[4:8])) +
			uint64(binary.LittleEndian.Uint32(b[8:12])) + uint64(binary.LittleEndian.Uint32(b[12:16]))
		b = b[16:]
	}
	if len(b) >= 8 {
		acc += uint64(binary.LittleEndian.Uint32(b[0:4])) + uint64(binary.LittleEndian.Uint32(b[4:8]))
		b = b[8:]
	}
	if len(b) >= 4 {
		acc += uint64(binary.LittleEndian.Uint32(b[0:4]))
		b = b[4:]
	}
	if len(b) >= 2 {
		acc += uint64(binary.LittleEndian.Uint16(b[0:2]))
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint64(b[0])
	}
	return acc
}

// SumAt is Checksum for b lying at offset off of the summed data: when off
// is odd, b's bytes fall in the other half of each 16-bit word, so its sum
// is byte-swapped before it is added to initial.
func SumAt(b []byte, off int, initial uint16) uint16 {
	s := Checksum(b, 0)
	if off&1 != 0 {
		s = bits.ReverseBytes16(s)
	}
	return Combine(initial, s)
}

// Combine adds two one's complement sums.
func Combine(a, b uint16) uint16 {
	s := uint32(a) + uint32(b)
	return uint16(s + s>>16)
}

// Fold folds a 32-bit accumulation of 16-bit words to a 16-bit sum.
func Fold(s uint32) uint16 {
	s = s&0xffff + s>>16
	s = s&0xffff + s>>16
	return uint16(s)
}

func fold64(s uint64) uint16 {
	s = s&0xffffffff + s>>32 // at most 33 bits
	s = s&0xffffffff + s>>32 // at most 32 bits
	return Fold(uint32(s))
}

// sumLE returns a 64-bit one's complement accumulation of b taken as
// little-endian words, plus acc.
func sumLE(b []byte, acc uint64) uint64 {
	var c uint64
	for len(b) >= 64 {
		acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b[0:8]), 0)
		acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b[8:16]), c)
		acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b[16:24]), c)
		acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b[24:32]), c)
		acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b[32:40]), c)
		acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b[40:48]), c)
		acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b[48:56]), c)
		acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b[56:64]), c)
		acc += c
		b = b[64:]
	}
	if len(b) >= 32 {
		acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b[0:8]), 0)
		acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b[8:16]), c)
		acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b[16:24]), c)
		acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b[24:32]), c)
		acc += c
		b = b[32:]
	}
	for len(b) >= 8 {
		acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b[0:8]), 0)
		acc += c
		b = b[8:]
	}
	// At most 7 bytes left: gathered into one word t (no overflow: at
	// most 32+16+8 bits of value), added with carry.
	var t uint64
	if len(b) >= 4 {
		t = uint64(binary.LittleEndian.Uint32(b))
		b = b[4:]
	}
	if len(b) >= 2 {
		t += uint64(binary.LittleEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		t += uint64(b[0]) // low byte of a little-endian word
	}
	acc, c = bits.Add64(acc, t, 0)
	return acc + c
}

// checksumRef is the plain RFC 1071 loop, the reference the tests hold
// Checksum to.
func checksumRef(b []byte, initial uint16) uint16 {
	s := uint32(initial)
	for len(b) >= 2 {
		s += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	return Fold(s)
}

// UpdateChecksum16 returns the header checksum (the complemented value
// found in the packet) after a 16-bit field changed from old to new
// (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')).
func UpdateChecksum16(check, old, new uint16) uint16 {
	s := uint32(^check) + uint32(^old) + uint32(new)
	return ^Fold(s)
}

// UpdateChecksum32 is UpdateChecksum16 for a 32-bit field.
func UpdateChecksum32(check uint16, old, new uint32) uint16 {
	s := uint32(^check) + uint32(^uint16(old>>16)) + uint32(^uint16(old)) +
		uint32(uint16(new>>16)) + uint32(uint16(new))
	return ^Fold(s)
}

// UpdateChecksumBytes is UpdateChecksum16 for a field of even length whose
// bytes change from old to new (an address, say); old and new have the
// same even length.
func UpdateChecksumBytes(check uint16, old, new []byte) uint16 {
	s := uint32(^check)
	for i := 0; i+1 < len(old) && i+1 < len(new); i += 2 {
		s += uint32(^(uint16(old[i])<<8 | uint16(old[i+1])))
		s += uint32(uint16(new[i])<<8 | uint16(new[i+1]))
	}
	return ^Fold(s)
}

// PseudoHeaderSum4 returns the sum of the IPv4 pseudo-header (RFC 793,
// RFC 768): source, destination, protocol and L4 length.
func PseudoHeaderSum4(src, dst [4]byte, proto uint8, l4len int) uint16 {
	s := uint32(src[0])<<8 | uint32(src[1])
	s += uint32(src[2])<<8 | uint32(src[3])
	s += uint32(dst[0])<<8 | uint32(dst[1])
	s += uint32(dst[2])<<8 | uint32(dst[3])
	s += uint32(proto) + uint32(l4len)&0xffff + uint32(l4len)>>16
	return Fold(s)
}

// PseudoHeaderSum6 returns the sum of the IPv6 pseudo-header (RFC 8200
// §8.1): source, destination, upper-layer length and next header.
func PseudoHeaderSum6(src, dst *[16]byte, proto uint8, l4len int) uint16 {
	s := uint64(proto) + uint64(uint32(l4len))
	s += uint64(binary.BigEndian.Uint32(src[0:])) + uint64(binary.BigEndian.Uint32(src[4:]))
	s += uint64(binary.BigEndian.Uint32(src[8:])) + uint64(binary.BigEndian.Uint32(src[12:]))
	s += uint64(binary.BigEndian.Uint32(dst[0:])) + uint64(binary.BigEndian.Uint32(dst[4:]))
	s += uint64(binary.BigEndian.Uint32(dst[8:])) + uint64(binary.BigEndian.Uint32(dst[12:]))
	s = s&0xffffffff + s>>32
	s = s&0xffffffff + s>>32
	return Fold(uint32(s))
}

// castagnoli is the CRC32C table; hash/crc32 uses the SSE4.2 CRC32
// instruction for it on amd64 and the CRC instructions on arm64.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// CRC32C returns the CRC32C (Castagnoli) of b continuing from crc (0 to
// start), as SCTP uses it (RFC 9260 appendix B).
func CRC32C(crc uint32, b []byte) uint32 { return crc32.Update(crc, castagnoli, b) }
