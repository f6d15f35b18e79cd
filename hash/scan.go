package hash

import (
	"math/bits"
	"sync/atomic"
	"unsafe"
)

// burstScan is the work of the first stages of a bulk lookup, done for a
// whole chunk of keys by one call of scanBurst (assembly on amd64,
// scanBurstGo elsewhere):
//
//  1. from each key's hash, its primary and secondary bucket: prefetch
//     both, for every key, before reading any;
//  2. compare the key's signature with the 8 of each bucket, giving a hit
//     mask per key (out[i].mask: bit 2*s for slot s of the primary bucket,
//     bit 16+2*s for the secondary); the first hit's key index goes to
//     out[i].cand and its key-store line is prefetched;
//  3. compare each key with its first candidate; bit i of hits is set
//     when they are equal.
//
// Keys whose first candidate is not the key (a miss, a signature shared by
// another key, a key in an overflow bucket, a key of the wrong length)
// are finished in Go from the masks. The field order is known to the
// assembly: change both together.
type burstScan struct {
	buckets unsafe.Pointer // main bucket array
	keys    unsafe.Pointer // key of key index 0 (key k at keys + k*stride)
	query   *[]byte        // the keys looked up (n slice headers)
	hashes  *uint32        // their hashes
	n       int            // 1 <= n <= chunk
	mask    uint64         // bucket index mask
	keyLen  int
	stride  uintptr // bytes per key-store slot
	out     *scanOut
	hits    uint64 // result: keys equal to their first candidate
}

// scanOut is one key's result of the scan.
type scanOut struct {
	mask uint32 // signature hits: primary in bits 0-15, secondary 16-31
	cand uint32 // key index of the first hit (0: none)
}

// primHits and secHits select the two buckets' halves of a scanOut mask.
const (
	primHits = 0x00005555
	secHits  = 0x55550000
)

// scanSlot is the slot of the bucket entry named by bit n of a scanOut
// mask (within its half).
func scanSlot(n int) int { return (n & 15) >> 1 }

// scanBurstGo is scanBurst in Go: the portable version, and the reference
// the assembly is tested against. Signatures are compared 4 at a time in
// a 64-bit word (SWAR).
func scanBurstGo(s *burstScan) {
	query := unsafe.Slice(s.query, s.n)
	hashes := unsafe.Slice(s.hashes, s.n)
	out := unsafe.Slice(s.out, s.n)
	bucketAt := func(i uint32) *bucket {
		return (*bucket)(unsafe.Add(s.buckets, uintptr(i)*unsafe.Sizeof(bucket{})))
	}
	mask := uint32(s.mask)
	for _, h := range hashes {
		prim := h & mask
		sec := (prim ^ h>>16) & mask
		_ = bucketAt(prim).sigs[0] // (no prefetch in Go: a load it is not)
		_ = bucketAt(sec).sigs[0]
	}
	for i, h := range hashes {
		sig := uint16(h >> 16)
		prim := h & mask
		sec := (prim ^ uint32(sig)) & mask
		pb, sb := bucketAt(prim), bucketAt(sec)
		pm := sigMask(pb, sig)
		m := pm | sigMask(sb, sig)<<16
		out[i].mask = m
		out[i].cand = 0
		if m != 0 {
			b := pb
			if pm == 0 {
				b = sb
			}
			out[i].cand = atomic.LoadUint32(&b.idx[scanSlot(bits.TrailingZeros32(m))])
		}
	}
	var hits uint64
	for i := range out {
		k := out[i].cand
		if k == 0 || len(query[i]) != s.keyLen {
			continue
		}
		p := unsafe.Add(s.keys, uintptr(k)*s.stride)
		if keysEqual(p, unsafe.Pointer(unsafe.SliceData(query[i])), s.keyLen) {
			hits |= 1 << i
		}
	}
	s.hits = hits
}

// sigMask is bucketMatch in scanOut's layout: bit 2*s for each slot s of
// b whose signature is sig.
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
	k := atomic.LoadUint32(&b.idx[scanSlot(bits.TrailingZeros32(m))])
	if k != 0 && keysEqual(unsafe.Add(h.keys, uintptr(k)*h.stride), unsafe.Pointer(key), n) {
		return k
	}
	return 0
}
