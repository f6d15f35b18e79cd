package hash

import (
	"math/bits"
	"sync/atomic"
	"unsafe"
)

// burstScan is the work of a bulk lookup, done for a whole chunk of keys
// by one call of scanBurst (assembly on amd64, scanBurstGo elsewhere):
//
//  1. hash each key with CRC32C or JHash if hashFn says so (else hashes
//     holds the hashes), and prefetch the key's primary and secondary buckets, for
//     every key before reading any bucket;
//  2. compare the key's signature with the 8 of each bucket (8 at once);
//     the first hit (primary before secondary) names a candidate key index
//     (cand[i], 0 if none), whose key-store line is prefetched;
//  3. compare each key with its candidate: hits gets bit i when equal;
//  4. store the results: pos[i] = cand[i]-1 for hits and NotFound for the
//     others if pos is set, else data[i] = the hits' data.
//
// The keys whose candidate was not the key (a miss, a signature shared
// with another key, a key in an overflow bucket or of the wrong length)
// are finished in Go. hashes may be cand (the hashes are overwritten).
// The field order is known to the assembly: change both together.
type burstScan struct {
	buckets unsafe.Pointer // main bucket array
	keys    unsafe.Pointer // key of key index 0 (key k at keys + k*stride, its data 8 bytes before)
	query   *[]byte        // the keys looked up (n slice headers)
	hashes  *uint32        // their hashes (computed here if hashFn != 0)
	n       int            // 1 <= n <= chunk
	mask    uint64         // bucket index mask
	keyLen  int
	stride  uintptr // bytes per key-store slot
	cand    *uint32 // n candidates (out)
	pos     *int32  // n positions (out), or nil
	data    *uint64 // n data words (out, hits only) if pos is nil
	hashFn  uint64  // hashes[i] computed here: 1: CRC32C(query[i], seed), 2: JHash
	seed    uint64
	hits    uint64 // result: keys equal to their candidate
}

// burstScan.hashFn values.
const (
	hashGiven  = 0
	hashCRC32C = 1
	hashJHash  = 2
)

// scanBurstGo is scanBurst in Go: the portable version, and the reference
// the assembly is tested against. Signatures are compared 4 at a time in
// a 64-bit word (SWAR).
func scanBurstGo(s *burstScan) {
	query := unsafe.Slice(s.query, s.n)
	hashes := unsafe.Slice(s.hashes, s.n)
	cand := unsafe.Slice(s.cand, s.n)
	bucketAt := func(i uint32) *bucket {
		return (*bucket)(unsafe.Add(s.buckets, uintptr(i)*unsafe.Sizeof(bucket{})))
	}
	mask := uint32(s.mask)
	switch s.hashFn {
	case hashCRC32C:
		for i, q := range query {
			hashes[i] = CRC32C(q, uint32(s.seed))
		}
	case hashJHash:
		for i, q := range query {
			hashes[i] = JHash(q, uint32(s.seed))
		}
	}
	for i, h := range hashes {
		sig := uint16(h >> 16)
		prim := h & mask
		sec := (prim ^ uint32(sig)) & mask
		pb, sb := bucketAt(prim), bucketAt(sec)
		b, m := pb, sigMask(pb, sig)
		if m == 0 {
			b, m = sb, sigMask(sb, sig)
		}
		cand[i] = 0
		if m != 0 {
			cand[i] = atomic.LoadUint32(&b.idx[bits.TrailingZeros32(m)>>1])
		}
	}
	var hits uint64
	for i, k := range cand {
		if k == 0 || len(query[i]) != s.keyLen {
			continue
		}
		p := unsafe.Add(s.keys, uintptr(k)*s.stride)
		if keysEqual(p, unsafe.Pointer(unsafe.SliceData(query[i])), s.keyLen) {
			hits |= 1 << i
		}
	}
	s.hits = hits
	if s.pos != nil {
		pos := unsafe.Slice(s.pos, s.n)
		for i := range pos {
			pos[i] = NotFound
			if hits>>i&1 != 0 {
				pos[i] = int32(cand[i]) - 1
			}
		}
	} else {
		data := unsafe.Slice(s.data, s.n)
		for m := hits; m != 0; m &= m - 1 {
			i := bits.TrailingZeros64(m)
			data[i] = atomic.LoadUint64((*uint64)(unsafe.Add(s.keys, uintptr(cand[i])*s.stride-8)))
		}
	}
}

// sigMask returns bit 2*s for each slot s of b whose signature is sig
// (PMOVMSKB's layout, one of its two bits per 16-bit lane).
func sigMask(b *bucket, sig uint16) uint32 {
	var m uint32
	for w := 0; w < 2; w++ {
		x := sigMatch(atomic.LoadUint64(&b.sigs[w]), sig) // bits 15, 31, 47, 63
		m |= uint32(x>>15&1|x>>29&4|x>>43&16|x>>57&64) << (8 * w)
	}
	return m
}

// keysEqual compares n bytes at p and q with as few loads as possible:
// whole words, then one word overlapping the last ones.
func keysEqual(p, q unsafe.Pointer, n int) bool {
	switch {
	case n >= 8:
		var d uint64
		i := 0
		for ; i+8 <= n; i += 8 {
			d |= *(*uint64)(unsafe.Add(p, i)) ^ *(*uint64)(unsafe.Add(q, i))
		}
		if i < n {
			d |= *(*uint64)(unsafe.Add(p, n-8)) ^ *(*uint64)(unsafe.Add(q, n-8))
		}
		return d == 0
	case n >= 4:
		return *(*uint32)(p) == *(*uint32)(q) &&
			*(*uint32)(unsafe.Add(p, n-4)) == *(*uint32)(unsafe.Add(q, n-4))
	}
	// 1..3 bytes: the first, the middle and the last cover them.
	return *(*byte)(p) == *(*byte)(q) &&
		*(*byte)(unsafe.Add(p, n/2)) == *(*byte)(unsafe.Add(q, n/2)) &&
		*(*byte)(unsafe.Add(p, n-1)) == *(*byte)(unsafe.Add(q, n-1))
}

// tableHdr is what the lookup fast paths (find1, find1CRC) need of a
// table. The field order is known to the assembly.
type tableHdr struct {
	buckets unsafe.Pointer // main bucket array
	keys    unsafe.Pointer // key of key index 0 (key k at keys + k*stride)
	mask    uint64         // bucket index mask
	stride  uintptr        // bytes per key-store slot
	keyLen  int
}

// find1Go is find1 in Go: the portable version and the assembly's
// reference.
func find1Go(h *tableHdr, key *byte, n int, hash uint32) uint32 {
	if n != h.keyLen {
		return 0
	}
	sig := uint16(hash >> 16)
	prim := hash & uint32(h.mask)
	sec := (prim ^ uint32(sig)) & uint32(h.mask)
	b := (*bucket)(unsafe.Add(h.buckets, uintptr(prim)*unsafe.Sizeof(bucket{})))
	m := sigMask(b, sig)
	if m == 0 {
		b = (*bucket)(unsafe.Add(h.buckets, uintptr(sec)*unsafe.Sizeof(bucket{})))
		if m = sigMask(b, sig); m == 0 {
			return 0
		}
	}
	k := atomic.LoadUint32(&b.idx[bits.TrailingZeros32(m)>>1])
	if k != 0 && keysEqual(unsafe.Add(h.keys, uintptr(k)*h.stride), unsafe.Pointer(key), n) {
		return k
	}
	return 0
}
