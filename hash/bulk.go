package hash

import (
	"math/bits"
	"sync/atomic"
)

// NotFound is the position LookupBulk stores for an absent key.
const NotFound = -1

// LookupBulk looks up keys (at most BulkMax) at once and stores the
// position of keys[i] in pos[i] (NotFound if absent); bit i of the result
// is set if keys[i] was found (rte_hash_lookup_bulk).
func (t *Table) LookupBulk(keys [][]byte, pos []int32) uint64 {
	var idx [BulkMax]uint32
	hits := t.lookupBulk(keys, nil, &idx)
	pos = pos[:len(keys)]
	for i := range pos {
		pos[i] = int32(idx[i]) - 1
	}
	return hits
}

// LookupBulkWithHash is LookupBulk with the keys' hashes given.
func (t *Table) LookupBulkWithHash(keys [][]byte, hashes []uint32, pos []int32) uint64 {
	var idx [BulkMax]uint32
	hits := t.lookupBulk(keys, hashes[:len(keys)], &idx)
	pos = pos[:len(keys)]
	for i := range pos {
		pos[i] = int32(idx[i]) - 1
	}
	return hits
}

// LookupBulkData looks up keys (at most BulkMax) and stores the data of
// each key found in data[i] (untouched for absent keys); bit i of the
// result is set if keys[i] was found (rte_hash_lookup_bulk_data).
func (t *Table) LookupBulkData(keys [][]byte, data []uint64) uint64 {
	return t.LookupBulkDataWithHash(keys, nil, data)
}

// LookupBulkDataWithHash is LookupBulkData with the keys' hashes given
// (hashes may be nil).
func (t *Table) LookupBulkDataWithHash(keys [][]byte, hashes []uint32, data []uint64) uint64 {
	var idx [BulkMax]uint32
	if hashes != nil {
		hashes = hashes[:len(keys)]
	}
	hits := t.lookupBulk(keys, hashes, &idx)
	data = data[:len(keys)]
	for m := hits; m != 0; m &= m - 1 {
		i := bits.TrailingZeros64(m)
		data[i] = atomic.LoadUint64(&t.keys[idx[i]*t.stride])
	}
	return hits
}

// bucketMatch returns the entries of b whose signature is sig: entry s
// (lanes 0-3 of word 0, 4-7 of word 1) as bit 16*(s%4) + s/4.
func bucketMatch(b *bucket, sig uint16) uint64 {
	return sigMatch(atomic.LoadUint64(&b.sigs[0]), sig)>>15 | sigMatch(atomic.LoadUint64(&b.sigs[1]), sig)>>14
}

// matchSlot is the entry named by bit n of a bucketMatch mask.
func matchSlot(n int) int { return n>>4 | (n&1)<<2 }

// lookupBulk looks up len(keys) <= BulkMax keys in three passes so that
// the memory accesses of different keys overlap: hash every key; read
// every key's two buckets and compare signatures; then compare keys.
func (t *Table) lookupBulk(keys [][]byte, hashes []uint32, idx *[BulkMax]uint32) uint64 {
	n := len(keys)
	if n > BulkMax {
		panic("hash: LookupBulk of more than 64 keys")
	}
	var (
		sig          [BulkMax]uint16
		prim, sec    [BulkMax]uint32
		pmask, smask [BulkMax]uint64
		hits, miss   uint64
	)
	var addrs [2 * BulkMax]uintptr
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
		pb, sb := &t.buckets[prim[i]], &t.buckets[sec[i]]
		pm, sm := bucketMatch(pb, sig[i]), bucketMatch(sb, sig[i])
		pmask[i], smask[i] = pm, sm
		b, m := pb, pm
		if m == 0 {
			b, m = sb, sm
		}
		if m != 0 {
			k := atomic.LoadUint32(&b.idx[matchSlot(bits.TrailingZeros64(m))])
			addrs[np] = t.keyAddr(k)
			np++
		}
	}
	if np > 0 {
		prefetch(&addrs[0], np)
	}
	// Pass 3: keys.
	for i := 0; i < n; i++ {
		key := keys[i]
		idx[i] = 0
		if len(key) != t.keyLen {
			continue
		}
		if k := t.matchKeys(&t.buckets[prim[i]], pmask[i], key); k != 0 {
			idx[i] = k
			hits |= 1 << i
			continue
		}
		if k := t.matchKeys(&t.buckets[sec[i]], smask[i], key); k != 0 {
			idx[i] = k
			hits |= 1 << i
			continue
		}
		if t.useExt {
			pb := &t.buckets[prim[i]]
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
	return hits
}
