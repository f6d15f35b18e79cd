package hash

import (
	"math/bits"
	"sync/atomic"
	"unsafe"
)

// alloc returns nb main and ne overflow buckets, 64-byte aligned, and the
// key store of nw words, from the arena if the table has one.
func (t *Table) alloc(nb, ne, nw int) ([]bucket, []bucket, []uint64, error) {
	bsz := int(unsafe.Sizeof(bucket{}))
	if t.arena != nil {
		mem, err := t.arena.Alloc((nb+ne)*bsz+nw*8, 64)
		if err != nil {
			return nil, nil, nil, err
		}
		clear(mem)
		all := unsafe.Slice((*bucket)(unsafe.Pointer(&mem[0])), nb+ne)
		keys := unsafe.Slice((*uint64)(unsafe.Pointer(&mem[(nb+ne)*bsz])), nw)
		return all[:nb:nb], all[nb:], keys, nil
	}
	raw := make([]bucket, nb+ne+1)
	off := 0
	if a := uintptr(unsafe.Pointer(&raw[0])) % 64; a != 0 {
		off = int(64-a) / 8 // bucket is 8-byte aligned: shift by words
	}
	base := unsafe.Add(unsafe.Pointer(&raw[0]), off*8)
	all := unsafe.Slice((*bucket)(base), nb+ne)
	return all[:nb:nb], all[nb:], make([]uint64, nw), nil
}

// keyPtr returns the address of the key of key index k.
func (t *Table) keyPtr(k uint32) unsafe.Pointer {
	return unsafe.Pointer(&t.keys[k*t.stride+1])
}

func (t *Table) keyBytes(k uint32) []byte {
	return unsafe.Slice((*byte)(t.keyPtr(k)), t.keyLen)
}

// setKey copies key into key index k (padding stays zero).
func (t *Table) setKey(k uint32, key []byte) {
	copy(t.keyBytes(k), key)
}

// keyEq compares key (t.keyLen bytes) with the key of index k.
func (t *Table) keyEq(k uint32, key []byte) bool {
	return keysEqual(t.keyPtr(k), unsafe.Pointer(unsafe.SliceData(key)), t.keyLen)
}

// matchKeys compares key with the entries of b named by mask (a
// bucketMatch result) and returns the key index of the one equal (0: none).
// Keys are compared with keysEqual (inlined: no call per key).
func (t *Table) matchKeys(b *bucket, mask uint64, key []byte) uint32 {
	q := unsafe.Pointer(unsafe.SliceData(key))
	base := unsafe.Pointer(unsafe.SliceData(t.keys))
	stride := uintptr(t.stride) * 8
	for ; mask != 0; mask &= mask - 1 {
		k := atomic.LoadUint32(&b.idx[matchSlot(bits.TrailingZeros64(mask))])
		if k == 0 {
			continue
		}
		// k < len(t.keys)/t.stride: it came from the table.
		p := unsafe.Add(base, uintptr(k)*stride+8)
		if keysEqual(p, q, t.keyLen) {
			return k
		}
	}
	return 0
}

// bucketAt returns main bucket i without a bounds check: i is always a
// hash masked with t.mask.
func (t *Table) bucketAt(i uint32) *bucket {
	return (*bucket)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(t.buckets)), uintptr(i)*unsafe.Sizeof(bucket{})))
}

// initHdr fills in t.hdr once the table's memory is allocated.
func (t *Table) initHdr() {
	t.hdr = tableHdr{
		buckets: unsafe.Pointer(unsafe.SliceData(t.buckets)),
		keys:    unsafe.Pointer(&t.keys[1]),
		mask:    uint64(t.mask),
		stride:  uintptr(t.stride) * 8,
		keyLen:  t.keyLen,
	}
}

// dataOf loads the data word of key index k (0 <= k <= Entries: it came
// from the table), 8 bytes before its key.
func (t *Table) dataOf(k uint32) uint64 {
	return atomic.LoadUint64((*uint64)(unsafe.Add(t.hdr.keys, uintptr(k)*t.hdr.stride-8)))
}
