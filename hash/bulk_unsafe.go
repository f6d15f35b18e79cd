package hash

import (
	"math/bits"
	"sync/atomic"
	"unsafe"
)

// NotFound is the position LookupBulk stores for an absent key.
const NotFound = -1

// LookupBulk looks up keys (at most BulkMax) at once and stores the
// position of keys[i] in pos[i] (NotFound if absent); bit i of the result
// is set if keys[i] was found (rte_hash_lookup_bulk).
func (t *Table) LookupBulk(keys [][]byte, pos []int32) uint64 {
	return t.LookupBulkWithHash(keys, nil, pos)
}

// LookupBulkWithHash is LookupBulk with the keys' hashes given (hashes may
// be nil).
func (t *Table) LookupBulkWithHash(keys [][]byte, hashes []uint32, pos []int32) uint64 {
	return t.bulk(keys, hashes, pos[:len(keys)], nil)
}

// LookupBulkData looks up keys (at most BulkMax) and stores the data of
// each key found in data[i] (untouched for absent keys); bit i of the
// result is set if keys[i] was found (rte_hash_lookup_bulk_data).
func (t *Table) LookupBulkData(keys [][]byte, data []uint64) uint64 {
	return t.bulk(keys, nil, nil, data[:len(keys)])
}

// LookupBulkDataWithHash is LookupBulkData with the keys' hashes given
// (hashes may be nil).
func (t *Table) LookupBulkDataWithHash(keys [][]byte, hashes []uint32, data []uint64) uint64 {
	return t.bulk(keys, hashes, nil, data[:len(keys)])
}

// bulk runs lookupBulk over chunks of keys; pos or data is nil.
func (t *Table) bulk(keys [][]byte, hashes []uint32, pos []int32, data []uint64) uint64 {
	if len(keys) > BulkMax {
		panic("hash: LookupBulk of more than 64 keys")
	}
	if hashes != nil {
		hashes = hashes[:len(keys)]
	}
	var hits uint64
	for lo := 0; lo < len(keys); lo += chunk {
		hi := min(lo+chunk, len(keys))
		var hs []uint32
		if hashes != nil {
			hs = hashes[lo:hi]
		}
		var p []int32
		var d []uint64
		if pos != nil {
			p = pos[lo:hi]
		} else {
			d = data[lo:hi]
		}
		hits |= t.lookupBulk(keys[lo:hi], hs, p, d) << lo
	}
	return hits
}

// bucketMatch returns the entries of b whose signature is sig: entry s
// (lanes 0-3 of word 0, 4-7 of word 1) as bit 16*(s%4) + s/4.
func bucketMatch(b *bucket, sig uint16) uint64 {
	return sigMatch(atomic.LoadUint64(&b.sigs[0]), sig)>>15 | sigMatch(atomic.LoadUint64(&b.sigs[1]), sig)>>14
}

// secDone marks a secondary mask computed in pass 2 (bit 2 is never set
// by bucketMatch, whose bits are 16*lane and 16*lane+1).
const secDone = 1 << 2

// matchSlot is the entry named by bit n of a bucketMatch mask.
func matchSlot(n int) int { return n>>4 | (n&1)<<2 }

// chunk is how many keys lookupBulk takes: enough misses in flight to fill
// the core's miss buffers (2 buckets, then 1 key, per key), and small
// scratch arrays (Go zeroes them on every call).
const chunk = 16

// lookupBulk looks up len(keys) <= chunk keys in three passes so that
// the memory accesses of different keys overlap: hash every key; read
// every key's two buckets and compare signatures; then compare keys.
//
// It stores positions in pos (NotFound for misses) or, if pos is nil, the
// data of the hits in data.
func (t *Table) lookupBulk(keys [][]byte, hashes []uint32, pos []int32, data []uint64) uint64 {
	n := len(keys)
	var (
		idx          [chunk]uint32
		sig          [chunk]uint16
		prim, sec    [chunk]uint32
		pmask, smask [chunk]uint64
		cand         [chunk]uint32
		hits, miss   uint64
		addrs        [2 * chunk]uintptr
	)
	// Pass 1: hashes and bucket indices; prefetch both buckets of every
	// key.
	for i := 0; i < n; i++ {
		var h uint32
		if hashes != nil {
			h = hashes[i]
		} else {
			h = t.hash(keys[i], t.seed)
		}
		sig[i] = uint16(h >> 16)
		prim[i] = h & t.mask
		sec[i] = (prim[i] ^ uint32(sig[i])) & t.mask
		addrs[2*i] = t.bucketAddr(prim[i])
		addrs[2*i+1] = t.bucketAddr(sec[i])
	}
	prefetch(&addrs[0], 2*n)
	cnt := t.chg.Load()
	// Pass 2: signatures of both buckets of every key; prefetch the first
	// candidate key of each.
	np := 0
	for i := 0; i < n; i++ {
		// The secondary bucket's signatures are compared only when the
		// primary has no candidate (its line is prefetched all the same;
		// pass 3 compares it if the primary's candidates all fail).
		b := t.bucketAt(prim[i])
		m := bucketMatch(b, sig[i])
		pmask[i] = m
		if m == 0 {
			b = t.bucketAt(sec[i])
			m = bucketMatch(b, sig[i])
			smask[i] = m | secDone
		}
		if m != 0 {
			k := atomic.LoadUint32(&b.idx[matchSlot(bits.TrailingZeros64(m))])
			cand[i] = k
			addrs[np] = t.keyAddr(k)
			np++
		}
	}
	if np > 0 {
		prefetch(&addrs[0], np)
	}
	// Pass 3: keys. The first candidate (almost always the key) is
	// compared inline; anything else goes the long way.
	kbase := unsafe.Pointer(unsafe.SliceData(t.keys))
	stride := uintptr(t.stride) * 8
	for i := 0; i < n; i++ {
		key := keys[i]
		if len(key) != t.keyLen {
			continue
		}
		if k := cand[i]; k != 0 {
			p := unsafe.Add(kbase, uintptr(k)*stride+8)
			q := unsafe.Pointer(unsafe.SliceData(key))
			if wordsEqual(p, q, t.keyLen) {
				idx[i] = k
				hits |= 1 << i
				continue
			}
		}
		if k := t.matchKeys(t.bucketAt(prim[i]), pmask[i], key); k != 0 {
			idx[i] = k
			hits |= 1 << i
			continue
		}
		sm := smask[i]
		if sm == 0 {
			sm = bucketMatch(t.bucketAt(sec[i]), sig[i])
		}
		if k := t.matchKeys(t.bucketAt(sec[i]), sm&^secDone, key); k != 0 {
			idx[i] = k
			hits |= 1 << i
			continue
		}
		if t.useExt {
			pb := t.bucketAt(prim[i])
			for e := atomic.LoadUint32(&pb.next); e != 0; {
				eb := &t.ext[e-1]
				if k := t.search(eb, key, sig[i]); k != 0 {
					idx[i] = k
					hits |= 1 << i
					break
				}
				e = atomic.LoadUint32(&eb.next)
			}
			if idx[i] != 0 {
				continue
			}
		}
		miss |= 1 << i
	}
	// A key moved while we looked may have been missed: look the misses
	// up again, one by one (each retries until the table holds still).
	if miss != 0 && t.chg.Load() != cnt {
		for m := miss; m != 0; m &= m - 1 {
			i := bits.TrailingZeros64(m)
			if k := t.lookup(keys[i], uint32(sig[i])<<16|prim[i]); k != 0 {
				idx[i] = k
				hits |= 1 << i
			}
		}
	}
	if pos != nil {
		pos = pos[:n]
		for i := range pos {
			pos[i] = int32(idx[i]) - 1
		}
	} else {
		data = data[:n]
		for m := hits; m != 0; m &= m - 1 {
			i := bits.TrailingZeros64(m)
			data[i] = atomic.LoadUint64(&t.keys[idx[i]*t.stride])
		}
	}
	return hits
}
