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
const chunk = 32

// lookupBulk looks up 1 <= len(keys) <= chunk keys in stages so that the
// memory accesses of different keys overlap: hash every key; then
// scanBurst prefetches every key's two buckets, compares signatures and
// each key with its first candidate (see burstScan); what that leaves
// undecided is finished here, key by key.
//
// It stores positions in pos (NotFound for misses) or, if pos is nil, the
// data of the hits in data.
func (t *Table) lookupBulk(keys [][]byte, hashes []uint32, pos []int32, data []uint64) uint64 {
	n := len(keys)
	var (
		hs  [chunk]uint32
		out [chunk]scanOut
	)
	if hashes == nil {
		for i, k := range keys {
			hs[i] = t.hash(k, t.seed)
		}
		hashes = hs[:n]
	}
	cnt := t.chg.Load()
	s := burstScan{
		buckets: unsafe.Pointer(unsafe.SliceData(t.buckets)),
		keys:    unsafe.Pointer(&t.keys[1]),
		query:   unsafe.SliceData(keys),
		hashes:  unsafe.SliceData(hashes),
		n:       n,
		mask:    uint64(t.mask),
		keyLen:  t.keyLen,
		stride:  uintptr(t.stride) * 8,
		out:     &out[0],
	}
	scanBurst(&s)
	hits := s.hits
	all := uint64(1)<<n - 1 // n <= chunk < 64
	if hits != all {
		hits = t.bulkRest(keys, hashes, out[:n], hits, all, cnt)
	}
	if pos != nil {
		pos = pos[:n]
		for i := range pos {
			pos[i] = NotFound
			if hits>>i&1 != 0 {
				pos[i] = int32(out[i].cand) - 1
			}
		}
	} else {
		data = data[:n]
		for m := hits; m != 0; m &= m - 1 {
			i := bits.TrailingZeros64(m)
			data[i] = atomic.LoadUint64(&t.keys[out[i].cand*t.stride])
		}
	}
	return hits
}

// bulkRest finishes the keys of a bulk lookup that scanBurst left
// undecided (not in hits): every signature hit of both buckets, then the
// overflow chain. It stores each key index found in out[i].cand and
// returns the hits.
func (t *Table) bulkRest(keys [][]byte, hashes []uint32, out []scanOut, hits, all uint64, cnt uint32) uint64 {
	var miss uint64
	for m := all &^ hits; m != 0; m &= m - 1 {
		i := bits.TrailingZeros64(m)
		key := keys[i]
		if len(key) != t.keyLen {
			miss |= 1 << i
			continue
		}
		sig, prim, sec := t.buckets2(hashes[i])
		if k := t.scanKeys(prim, sec, out[i].mask, key); k != 0 {
			out[i].cand = k
			hits |= 1 << i
			continue
		}
		found := false
		if t.useExt {
			for e := atomic.LoadUint32(&t.bucketAt(prim).next); e != 0; {
				eb := &t.ext[e-1]
				if k := t.search(eb, key, sig); k != 0 {
					out[i].cand = k
					hits |= 1 << i
					found = true
					break
				}
				e = atomic.LoadUint32(&eb.next)
			}
		}
		if !found {
			miss |= 1 << i
		}
	}
	// A key moved while we looked may have been missed: look the misses
	// up again, one by one (each retries until the table holds still).
	if miss != 0 && t.chg.Load() != cnt {
		for m := miss; m != 0; m &= m - 1 {
			i := bits.TrailingZeros64(m)
			if k := t.lookup(keys[i], hashes[i]); k != 0 {
				out[i].cand = k
				hits |= 1 << i
			}
		}
	}
	return hits
}

// scanKeys compares key with every entry of main buckets prim and sec
// named by mask (a scanOut mask) and returns the key index of the one
// equal (0: none).
func (t *Table) scanKeys(prim, sec uint32, mask uint32, key []byte) uint32 {
	q := unsafe.Pointer(unsafe.SliceData(key))
	base := unsafe.Pointer(&t.keys[1])
	stride := uintptr(t.stride) * 8
	for ; mask != 0; mask &= mask - 1 {
		n := bits.TrailingZeros32(mask)
		b := t.bucketAt(prim)
		if n >= 16 {
			b = t.bucketAt(sec)
		}
		k := atomic.LoadUint32(&b.idx[scanSlot(n)])
		if k != 0 && keysEqual(unsafe.Add(base, uintptr(k)*stride), q, t.keyLen) {
			return k
		}
	}
	return 0
}
