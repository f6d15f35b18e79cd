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

// matchSlot is the entry named by bit n of a bucketMatch mask.
func matchSlot(n int) int { return n>>4 | (n&1)<<2 }

// chunk is how many keys lookupBulk takes: enough misses in flight to fill
// the core's miss buffers (2 buckets, then 1 key, per key), and small
// scratch arrays (Go zeroes them on every call).
const chunk = 32

// lookupBulk looks up 1 <= len(keys) <= chunk keys in stages so that the
// memory accesses of different keys overlap (see burstScan: hash and
// prefetch both buckets of every key, then compare signatures and prefetch
// candidate keys, then compare keys), in one call of scanBurst; the keys
// that leaves undecided are finished here, one by one.
//
// It stores positions in pos (NotFound for misses) or, if pos is nil, the
// data of the hits in data.
func (t *Table) lookupBulk(keys [][]byte, hashes []uint32, pos []int32, data []uint64) uint64 {
	n := len(keys)
	var cand [chunk]uint32 // candidates; the hashes too if computed here
	// Field by field: a composite literal is built aside and copied in
	// 16-byte moves that stall on the 8-byte stores just made.
	var s burstScan
	s.buckets = t.hdr.buckets
	s.keys = t.hdr.keys
	s.query = unsafe.SliceData(keys)
	s.n = n
	s.mask = t.hdr.mask
	s.keyLen = t.keyLen
	s.stride = t.hdr.stride
	s.cand = &cand[0]
	s.seed = uint64(t.seed)
	switch {
	case hashes != nil:
		s.hashes = unsafe.SliceData(hashes)
	case t.hashFn != hashGiven:
		s.hashes, s.hashFn = &cand[0], t.hashFn
	default:
		for i, k := range keys {
			cand[i] = t.hash(k, t.seed)
		}
		s.hashes = &cand[0]
	}
	if pos != nil {
		s.pos = unsafe.SliceData(pos)
	} else {
		s.data = unsafe.SliceData(data)
	}
	cnt := t.chg.Load()
	scanBurst(&s)
	hits := s.hits
	if all := uint64(1)<<n - 1; hits != all { // n <= chunk < 64
		hits = t.bulkRest(keys, hashes, pos, data, hits, all, cnt)
	}
	return hits
}

// bulkRest finishes the keys of a bulk lookup that scanBurst left
// undecided (not in hits): every signature hit of both buckets, then the
// overflow chain. It stores their positions or data and returns the hits.
func (t *Table) bulkRest(keys [][]byte, hashes []uint32, pos []int32, data []uint64, hits, all uint64, cnt uint32) uint64 {
	var miss uint64
	for m := all &^ hits; m != 0; m &= m - 1 {
		i := bits.TrailingZeros64(m)
		key := keys[i]
		if len(key) != t.keyLen {
			miss |= 1 << i
			continue
		}
		var h uint32
		if hashes != nil {
			h = hashes[i]
		} else {
			h = t.hash(key, t.seed)
		}
		k := t.search2(key, h)
		if k == 0 {
			miss |= 1 << i
			continue
		}
		t.bulkSet(i, k, pos, data)
		hits |= 1 << i
	}
	// A key moved while we looked may have been missed: look the misses
	// up again, one by one (each retries until the table holds still).
	if miss != 0 && t.chg.Load() != cnt {
		for m := miss; m != 0; m &= m - 1 {
			i := bits.TrailingZeros64(m)
			if k := t.lookup(keys[i], t.hash(keys[i], t.seed)); k != 0 {
				t.bulkSet(i, k, pos, data)
				hits |= 1 << i
			}
		}
	}
	return hits
}

// bulkSet stores the result of key i, found at key index k.
func (t *Table) bulkSet(i int, k uint32, pos []int32, data []uint64) {
	if pos != nil {
		pos[i] = int32(k) - 1
	} else {
		data[i] = atomic.LoadUint64(&t.keys[k*t.stride])
	}
}

// testHookSearch, if set (by tests), runs in search2 between the main
// buckets and the overflow chain: where a writer's move can make a reader
// miss a present key.
var testHookSearch func()

// search2 looks key (with hash h) up once, without the retry of lookup:
// every signature hit of its two buckets, then its overflow chain.
func (t *Table) search2(key []byte, h uint32) uint32 {
	sig, prim, sec := t.buckets2(h)
	pb := t.bucketAt(prim)
	if k := t.matchKeys(pb, bucketMatch(pb, sig), key); k != 0 {
		return k
	}
	if k := t.matchKeys(t.bucketAt(sec), bucketMatch(t.bucketAt(sec), sig), key); k != 0 {
		return k
	}
	if testHookSearch != nil {
		testHookSearch()
	}
	if t.useExt {
		for e := atomic.LoadUint32(&pb.next); e != 0; {
			eb := &t.ext[e-1]
			if k := t.search(eb, key, sig); k != 0 {
				return k
			}
			e = atomic.LoadUint32(&eb.next)
		}
	}
	return 0
}
