// Package hash is a cuckoo hash table like DPDK's rte_hash, and the hash
// functions DPDK offers for it (CRC32C, Bob Jenkins' lookup3 as rte_jhash,
// Toeplitz).
//
// A Table holds up to Config.Entries keys of Config.KeyLen bytes, each with
// a position (0..Entries-1, stable while the key is present: index your own
// per-flow arrays with it) and a uint64 of data. A key's 32-bit hash picks
// two candidate buckets of 8 entries (primary: the hash's low bits;
// secondary: the primary XOR the signature) and a 16-bit signature (the
// hash's high 16 bits) that is compared before any key: a lookup reads one
// or two 64-byte bucket lines and, almost always, one key. When both
// buckets are full an insert moves entries to their other bucket
// (cuckoo displacement, breadth first); when that fails too and
// ExtendableBuckets is set, the key goes to an overflow bucket chained to
// its primary, so inserts only fail when Entries keys are present.
//
// LookupBulk looks up to 64 keys at once in stages (hash all, read all
// buckets and compare signatures, then compare keys) so the memory accesses
// of different keys overlap, as rte_hash_lookup_bulk does.
//
// # Concurrency
//
// One writer (Add, Delete, Reset, FreePosition, Reclaim: the caller
// serialises them) and any number of lock-free readers (Lookup*,
// LookupBulk*, Key, Data) may run at the same time. Readers never see a torn
// entry: keys and data are written before the entry is published by the
// store of its index (a release store: see store_amd64.go), and readers
// load indices and signatures atomically. A key moved by cuckoo displacement is copied to its new
// place, then the table's change counter is incremented, then the old place
// is cleared; a reader that misses re-reads the counter and searches again
// if it moved, so a present key is never reported absent.
//
// A deleted key's position (and an emptied overflow bucket) must not be
// reused while a reader may still be comparing it. With ConcurrentReaders
// and no QSBR, Delete keeps the position until the caller, having waited
// for its readers, calls FreePosition (DPDK's NO_FREE_ON_DEL). With a QSBR
// (package hash/qsbr), Delete starts a grace period and the table reuses
// the position by itself once the readers have been quiescent (DPDK's
// rte_hash_rcu_qsbr_add in defer-queue mode). Without ConcurrentReaders,
// positions are free again at once.
//
// Iterate, Count and Reset are writer-side calls.
package hash

import (
	"errors"
	"fmt"
	"math/bits"
	"reflect"
	"sync/atomic"
	"unsafe"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/hash/qsbr"
)

// Func is a hash function over a key with a seed (DPDK's rte_hash_function).
type Func func(key []byte, seed uint32) uint32

// Config describes a table.
type Config struct {
	Name    string // for errors
	Entries int    // capacity in keys, at least 1
	KeyLen  int    // bytes per key, at least 1
	// Hash hashes keys; nil means JHash (rte_hash's default in DPDK's
	// tests; CRC32C is faster where the CPU has SSE4.2).
	Hash Func
	Seed uint32 // passed to Hash (DPDK's hash_func_init_val)
	// ExtendableBuckets chains overflow buckets to full ones so that
	// inserts never fail while fewer than Entries keys are present.
	ExtendableBuckets bool
	// ConcurrentReaders allows lookups while the writer runs (always
	// true in effect for the lookup paths; this flag governs the reuse of
	// deleted positions, see the package comment).
	ConcurrentReaders bool
	// NoFreeOnDelete keeps deleted positions until FreePosition even
	// without ConcurrentReaders.
	NoFreeOnDelete bool
	// QSBR, if set, reclaims deleted positions automatically once its
	// readers have passed a quiescent state.
	QSBR *qsbr.QSBR
	// Arena, if set, holds the buckets and keys (off the Go heap, on
	// hugepages if the arena is). The table does not free it.
	Arena *eal.Arena
}

// SlotBytes is the size of a key-store slot for keys of keyLen bytes: the
// 8-byte data word and the key, rounded up to 16 bytes (as rte_hash's key
// entries are), so that a 16-byte key and its data share one 32-byte half
// line and never straddle two cache lines. A table holds Entries+1 slots
// and Entries/8 64-byte buckets rounded up to a power of two (twice as many
// with ExtendableBuckets).
func SlotBytes(keyLen int) int { return (8 + keyLen + 15) / 16 * 16 }

// ArenaBytes is how many bytes New takes from Config.Arena for cfg (the
// buckets and the key store, 64-byte aligned).
func ArenaBytes(cfg Config) int {
	nb := 1
	for nb*bucketEntries < cfg.Entries {
		nb <<= 1
	}
	if cfg.ExtendableBuckets {
		nb *= 2
	}
	return 64 + nb*64 + (cfg.Entries+1)*SlotBytes(cfg.KeyLen)
}

// Errors returned by the table.
var (
	ErrNoSpace  = errors.New("hash: no space")      // table (or its buckets) full
	ErrNotFound = errors.New("hash: key not found") // delete of an absent key
	ErrKeyLen   = errors.New("hash: wrong key length")
	ErrPosition = errors.New("hash: bad position")
)

const (
	bucketEntries = 8
	// BulkMax is the most keys LookupBulk takes at once.
	BulkMax = 64
	// bfsMax bounds the breadth-first search for a cuckoo path.
	bfsMax = 1024
)

// bucket is one 64-byte line: 8 signatures, 8 key indices (0: empty) and
// the index+1 of the next overflow bucket (0: none). Readers access every
// field atomically.
type bucket struct {
	sigs [2]uint64 // 8 x uint16, lane i = entry i
	idx  [bucketEntries]uint32
	next uint32
	_    [12]byte
}

type bfsNode struct {
	b      uint32 // main bucket
	parent int32  // index in the queue, -1 for a root
	slot   uint8  // slot in the parent's bucket whose entry moves here
}

const (
	stateFree = iota
	stateLive
	stateDeleted
)

type pending struct {
	token uint64
	idx   uint32
}

// Table is a cuckoo hash table; see the package comment.
type Table struct {
	// Read-mostly fields.
	buckets   []bucket
	ext       []bucket
	keys      []uint64 // per key index: data word, then the key (SlotBytes)
	mask      uint32
	stride    uint32 // words per key slot: its data word, then the key, padded to 16 bytes
	keyLen    int
	hash      Func
	seed      uint32
	entries   int
	useExt    bool
	deferFree bool
	rcu       *qsbr.QSBR
	name      string
	hdr       tableHdr // for the assembly fast paths
	hashFn    uint64   // hash is CRC32C or JHash: the fast paths hash (burstScan.hashFn)
	_         [64]byte

	// chg counts cuckoo moves and compactions (readers re-check it).
	chg atomic.Uint32
	_   [60]byte

	// Writer state.
	count    int
	free     []uint32 // free key indices (stack)
	extFree  []uint32 // free overflow bucket indices
	extOf    []uint32 // per key index: overflow bucket+1 to free with it
	state    []uint8  // per key index: stateFree, stateLive, stateDeleted
	pend     []pending
	pendHead int
	bfs      []bfsNode
	arena    *eal.Arena
}

// New creates a table.
func New(cfg Config) (*Table, error) {
	if cfg.Entries < 1 || cfg.Entries > 1<<30 {
		return nil, fmt.Errorf("hash %q: entries %d out of range [1, 2^30]", cfg.Name, cfg.Entries)
	}
	if cfg.KeyLen < 1 || cfg.KeyLen > 1<<16 {
		return nil, fmt.Errorf("hash %q: key length %d out of range [1, 65536]", cfg.Name, cfg.KeyLen)
	}
	nb := 1
	for nb*bucketEntries < cfg.Entries {
		nb <<= 1
	}
	t := &Table{
		mask:      uint32(nb - 1),
		stride:    uint32(SlotBytes(cfg.KeyLen) / 8),
		keyLen:    cfg.KeyLen,
		hash:      cfg.Hash,
		seed:      cfg.Seed,
		entries:   cfg.Entries,
		useExt:    cfg.ExtendableBuckets,
		deferFree: cfg.ConcurrentReaders || cfg.NoFreeOnDelete || cfg.QSBR != nil,
		rcu:       cfg.QSBR,
		name:      cfg.Name,
		arena:     cfg.Arena,
		free:      make([]uint32, 0, cfg.Entries),
		state:     make([]uint8, cfg.Entries+1),
		bfs:       make([]bfsNode, 0, bfsMax),
	}
	if t.hash == nil {
		t.hash = JHash
	}
	switch reflect.ValueOf(t.hash).Pointer() {
	case reflect.ValueOf(CRC32C).Pointer():
		if haveCRC32 { // the assembly hashes with the crc32 instruction
			t.hashFn = hashCRC32C
		}
	case reflect.ValueOf(JHash).Pointer():
		t.hashFn = hashJHash
	}
	next := 0
	if t.useExt {
		next = nb
	}
	var err error
	if t.buckets, t.ext, t.keys, err = t.alloc(nb, next, (cfg.Entries+1)*int(t.stride)); err != nil {
		return nil, fmt.Errorf("hash %q: %w", cfg.Name, err)
	}
	t.initHdr()
	if t.useExt {
		t.extFree = make([]uint32, 0, nb)
		t.extOf = make([]uint32, cfg.Entries+1)
	}
	if t.rcu != nil {
		t.pend = make([]pending, 0, cfg.Entries)
	}
	t.resetWriter()
	return t, nil
}

func (t *Table) resetWriter() {
	t.count = 0
	t.free = t.free[:0]
	for i := t.entries; i >= 1; i-- {
		t.free = append(t.free, uint32(i))
	}
	t.extFree = t.extFree[:0]
	for i := len(t.ext) - 1; i >= 0; i-- {
		t.extFree = append(t.extFree, uint32(i))
	}
	clear(t.extOf)
	clear(t.state)
	t.pend = t.pend[:0]
	t.pendHead = 0
}

// Entries returns the capacity; KeyLen the key length.
func (t *Table) Entries() int { return t.entries }

// KeyLen returns the key length the table was created with.
func (t *Table) KeyLen() int { return t.keyLen }

// Count returns the number of keys present (writer side).
func (t *Table) Count() int { return t.count }

// Hash returns the table's hash of key (for the *WithHash calls).
func (t *Table) Hash(key []byte) uint32 { return t.hash(key, t.seed) }

func (t *Table) buckets2(h uint32) (sig uint16, prim, sec uint32) {
	sig = uint16(h >> 16)
	prim = h & t.mask
	sec = (prim ^ uint32(sig)) & t.mask
	return
}

// sigMatch returns bit 16*i+15 set for each lane i of s equal to sig.
func sigMatch(s uint64, sig uint16) uint64 {
	x := s ^ (uint64(sig) * 0x0001000100010001)
	y := ((x & 0x7fff7fff7fff7fff) + 0x7fff7fff7fff7fff) | x
	return ^y & 0x8000800080008000
}

// search returns the key index of key in b (0: absent).
func (t *Table) search(b *bucket, key []byte, sig uint16) uint32 {
	return t.matchKeys(b, bucketMatch(b, sig), key)
}

// lookup returns the key index of key with hash h (0: absent, or a key of
// the wrong length). A miss is only reported if no cuckoo move happened
// during the search (a moved key may have been missed).
func (t *Table) lookup(key []byte, h uint32) uint32 {
	if len(key) != t.keyLen {
		return 0
	}
	for {
		cnt := t.chg.Load()
		if k := t.search2(key, h); k != 0 {
			return k
		}
		if t.chg.Load() == cnt {
			return 0
		}
	}
}

// findRest returns the key index of key (0: absent) when find1CRC or
// find1J missed, or for tables hashed otherwise (Lookup and LookupData call
// those themselves: one call less on the fast path): the fast path find1,
// then the full search.
func (t *Table) findRest(key []byte) uint32 {
	h := t.hash(key, t.seed)
	if t.hashFn == hashGiven {
		if k := find1(&t.hdr, unsafe.SliceData(key), len(key), h); k != 0 {
			return k
		}
	}
	return t.lookup(key, h)
}

// findWithHash is find with the key's hash given.
func (t *Table) findWithHash(key []byte, h uint32) uint32 {
	if k := find1(&t.hdr, unsafe.SliceData(key), len(key), h); k != 0 {
		return k
	}
	return t.lookup(key, h)
}

// Lookup returns the position of key.
func (t *Table) Lookup(key []byte) (pos int, ok bool) {
	var k uint32
	switch t.hashFn {
	case hashCRC32C:
		k = find1CRC(&t.hdr, unsafe.SliceData(key), len(key), t.seed)
	case hashJHash:
		k = find1J(&t.hdr, unsafe.SliceData(key), len(key), t.seed)
	}
	if k == 0 {
		k = t.findRest(key)
	}
	return int(k) - 1, k != 0
}

// LookupWithHash is Lookup with the key's hash (Hash(key)) given.
func (t *Table) LookupWithHash(key []byte, h uint32) (pos int, ok bool) {
	k := t.findWithHash(key, h)
	return int(k) - 1, k != 0
}

// LookupData returns the position and data of key.
func (t *Table) LookupData(key []byte) (data uint64, pos int, ok bool) {
	var k uint32
	switch t.hashFn {
	case hashCRC32C:
		k = find1CRC(&t.hdr, unsafe.SliceData(key), len(key), t.seed)
	case hashJHash:
		k = find1J(&t.hdr, unsafe.SliceData(key), len(key), t.seed)
	}
	if k == 0 {
		k = t.findRest(key)
	}
	// Key index 0 is never used: its data word stays 0, the miss's data.
	return t.dataOf(k), int(k) - 1, k != 0
}

// LookupDataWithHash is LookupData with the key's hash given.
func (t *Table) LookupDataWithHash(key []byte, h uint32) (data uint64, pos int, ok bool) {
	k := t.findWithHash(key, h)
	return t.dataOf(k), int(k) - 1, k != 0
}

// Data returns the data stored with the key at pos (a reader may race with
// its deletion: the value is then the last one stored).
func (t *Table) Data(pos int) uint64 {
	if pos < 0 || pos >= t.entries {
		return 0
	}
	return atomic.LoadUint64(&t.keys[uint32(pos+1)*t.stride])
}

// Key returns the key stored at pos, or ErrPosition if no key is present
// there (rte_hash_get_key_with_position). Writer side. The slice aliases
// the table: copy it to keep it past the key's deletion.
func (t *Table) Key(pos int) ([]byte, error) {
	if pos < 0 || pos >= t.entries || t.state[pos+1] != stateLive {
		return nil, ErrPosition
	}
	return t.keyBytes(uint32(pos + 1)), nil
}

// slotRef names one entry: a bucket and a slot in it.
type slotRef struct {
	b    *bucket
	slot int
}

func (t *Table) findIn(b *bucket, key []byte, sig uint16) int {
	for m := bucketMatch(b, sig); m != 0; m &= m - 1 {
		i := matchSlot(bits.TrailingZeros64(m))
		if k := b.idx[i]; k != 0 && t.keyEq(k, key) {
			return i
		}
	}
	return -1
}

// findRef returns the key index and place of key (writer side).
func (t *Table) findRef(key []byte, h uint32) (uint32, slotRef) {
	sig, prim, sec := t.buckets2(h)
	for _, bi := range [2]uint32{prim, sec} {
		b := &t.buckets[bi]
		if i := t.findIn(b, key, sig); i >= 0 {
			return b.idx[i], slotRef{b, i}
		}
	}
	if t.useExt {
		for n := t.buckets[prim].next; n != 0; n = t.ext[n-1].next {
			b := &t.ext[n-1]
			if i := t.findIn(b, key, sig); i >= 0 {
				return b.idx[i], slotRef{b, i}
			}
		}
	}
	return 0, slotRef{}
}

func (t *Table) sig(b *bucket, i int) uint16 {
	return uint16(b.sigs[i>>2] >> (16 * (i & 3)))
}

// setEntry publishes (sig, k) in slot i of b: signature first, then index.
func setEntry(b *bucket, i int, sig uint16, k uint32) {
	w := &b.sigs[i>>2]
	sh := 16 * uint(i&3)
	storeSigs(w, *w&^(0xffff<<sh)|uint64(sig)<<sh)
	storeIdx(&b.idx[i], k)
}

func emptySlot(b *bucket) int {
	for i := 0; i < bucketEntries; i++ {
		if b.idx[i] == 0 {
			return i
		}
	}
	return -1
}

// Add inserts key with data, or sets the data of key if present, and
// returns its position.
func (t *Table) Add(key []byte, data uint64) (int, error) {
	if len(key) != t.keyLen {
		return -1, ErrKeyLen
	}
	return t.add(key, t.hash(key, t.seed), data)
}

// AddWithHash is Add with the key's hash (Hash(key)) given.
func (t *Table) AddWithHash(key []byte, h uint32, data uint64) (int, error) {
	if len(key) != t.keyLen {
		return -1, ErrKeyLen
	}
	return t.add(key, h, data)
}

func (t *Table) add(key []byte, h uint32, data uint64) (int, error) {
	if k, _ := t.findRef(key, h); k != 0 {
		atomic.StoreUint64(&t.keys[k*t.stride], data)
		return int(k) - 1, nil
	}
	if len(t.free) == 0 {
		t.Reclaim()
		if len(t.free) == 0 {
			return -1, ErrNoSpace
		}
	}
	k := t.free[len(t.free)-1]
	// The slot is unreachable for readers: write the key and data, then
	// publish the index.
	t.setKey(k, key)
	t.keys[k*t.stride] = data // published by the index store below

	sig, prim, sec := t.buckets2(h)
	pb, sb := &t.buckets[prim], &t.buckets[sec]
	if i := emptySlot(pb); i >= 0 {
		setEntry(pb, i, sig, k)
	} else if i := emptySlot(sb); i >= 0 {
		setEntry(sb, i, sig, k)
	} else if b, i := t.makeSpace(prim, sec); b != nil {
		setEntry(b, i, sig, k)
	} else if !t.addExt(prim, sig, k) {
		return -1, ErrNoSpace
	}
	t.free = t.free[:len(t.free)-1]
	t.state[k] = stateLive
	t.count++
	return int(k) - 1, nil
}

// addExt puts (sig, k) in the overflow chain of main bucket prim.
func (t *Table) addExt(prim uint32, sig uint16, k uint32) bool {
	if !t.useExt {
		return false
	}
	last := &t.buckets[prim]
	for n := last.next; n != 0; n = last.next {
		last = &t.ext[n-1]
		if i := emptySlot(last); i >= 0 {
			setEntry(last, i, sig, k)
			return true
		}
	}
	if len(t.extFree) == 0 {
		return false
	}
	e := t.extFree[len(t.extFree)-1]
	t.extFree = t.extFree[:len(t.extFree)-1]
	eb := &t.ext[e]
	// eb is unreachable: clear it, fill slot 0, then link it.
	for i := range eb.idx {
		atomic.StoreUint32(&eb.idx[i], 0)
	}
	atomic.StoreUint32(&eb.next, 0)
	setEntry(eb, 0, sig, k)
	atomic.StoreUint32(&last.next, e+1)
	return true
}

// makeSpace frees a slot in main bucket prim or sec by moving entries to
// their alternative buckets along the shortest path found breadth first,
// and returns it (nil if no path was found).
func (t *Table) makeSpace(prim, sec uint32) (*bucket, int) {
	q := t.bfs[:0]
	q = append(q, bfsNode{b: prim, parent: -1}, bfsNode{b: sec, parent: -1})
	if prim == sec {
		q = q[:1]
	}
	for head := 0; head < len(q); head++ {
		n := q[head]
		b := &t.buckets[n.b]
		for i := 0; i < bucketEntries; i++ {
			if len(q) == cap(q) {
				t.bfs = q
				return nil, -1
			}
			alt := (n.b ^ uint32(t.sig(b, i))) & t.mask
			if alt == n.b || onPath(q, int32(head), alt) {
				continue
			}
			q = append(q, bfsNode{b: alt, parent: int32(head), slot: uint8(i)})
			if j := emptySlot(&t.buckets[alt]); j >= 0 {
				t.bfs = q
				return t.shift(q, int32(len(q)-1), j)
			}
		}
	}
	t.bfs = q
	return nil, -1
}

// onPath reports whether bucket alt is already on the path from the root
// to node at. Paths through distinct buckets move each entry once.
func onPath(q []bfsNode, at int32, alt uint32) bool {
	for n := at; n >= 0; n = q[n].parent {
		if q[n].b == alt {
			return true
		}
	}
	return false
}

// shift moves the entries along the path ending at node leaf, whose bucket
// has slot free empty, from the leaf up; it returns the slot freed in the
// root bucket.
func (t *Table) shift(q []bfsNode, leaf int32, free int) (*bucket, int) {
	n := leaf
	for q[n].parent >= 0 {
		p := q[n].parent
		from, to := &t.buckets[q[p].b], &t.buckets[q[n].b]
		s := int(q[n].slot)
		// Copy, count the change, then clear: a reader that missed the
		// key in both places sees the counter move and searches again.
		setEntry(to, free, t.sig(from, s), from.idx[s])
		t.chg.Add(1)
		atomic.StoreUint32(&from.idx[s], 0)
		free = s
		n = p
	}
	return &t.buckets[q[n].b], free
}

// Delete removes key and returns the position it had.
func (t *Table) Delete(key []byte) (int, error) {
	if len(key) != t.keyLen {
		return -1, ErrKeyLen
	}
	return t.del(key, t.hash(key, t.seed))
}

// DeleteWithHash is Delete with the key's hash given.
func (t *Table) DeleteWithHash(key []byte, h uint32) (int, error) {
	if len(key) != t.keyLen {
		return -1, ErrKeyLen
	}
	return t.del(key, h)
}

func (t *Table) del(key []byte, h uint32) (int, error) {
	k, ref := t.findRef(key, h)
	if k == 0 {
		return -1, ErrNotFound
	}
	storeIdx(&ref.b.idx[ref.slot], 0)
	t.count--
	var extFreed uint32
	if t.useExt {
		extFreed = t.compact(ref, h)
	}
	switch {
	case t.rcu != nil:
		t.state[k] = stateDeleted
		if extFreed != 0 {
			t.extOf[k] = extFreed
		}
		if len(t.pend) == cap(t.pend) {
			t.Reclaim()
		}
		t.pend = append(t.pend, pending{token: t.rcu.Start(), idx: k})
	case t.deferFree:
		t.state[k] = stateDeleted
		if extFreed != 0 {
			t.extOf[k] = extFreed
		}
	default:
		t.state[k] = stateFree
		t.free = append(t.free, k)
		if extFreed != 0 {
			t.extFree = append(t.extFree, extFreed-1)
		}
	}
	return int(k) - 1, nil
}

// compact refills the slot just emptied in the chain of a main bucket with
// the last entry of that chain's last overflow bucket, and unlinks that
// bucket if it is left empty; it returns the unlinked bucket's index+1.
// The emptied slot may be in a main bucket that is the key's secondary:
// the chain hanging from it holds keys whose primary it is, which may move
// into it all the same.
func (t *Table) compact(ref slotRef, h uint32) uint32 {
	_, prim, sec := t.buckets2(h)
	var head *bucket
	if ref.b == &t.buckets[sec] {
		head = ref.b
	} else {
		head = &t.buckets[prim]
	}
	if head.next == 0 {
		return 0
	}
	pred, li := head, head.next-1
	for t.ext[li].next != 0 {
		pred, li = &t.ext[li], t.ext[li].next-1
	}
	last := &t.ext[li]
	ls := -1
	for i := bucketEntries - 1; i >= 0; i-- {
		if last.idx[i] != 0 {
			ls = i
			break
		}
	}
	if ls >= 0 && last != ref.b {
		setEntry(ref.b, ref.slot, t.sig(last, ls), last.idx[ls])
		t.chg.Add(1)
		atomic.StoreUint32(&last.idx[ls], 0)
	}
	if allEmpty(last) {
		atomic.StoreUint32(&pred.next, 0)
		return li + 1
	}
	return 0
}

func allEmpty(b *bucket) bool {
	for i := range b.idx {
		if b.idx[i] != 0 {
			return false
		}
	}
	return true
}

// FreePosition makes a position deleted with a deferred free reusable
// (rte_hash_free_key_with_position). The caller guarantees no reader still
// holds it.
func (t *Table) FreePosition(pos int) error {
	if pos < 0 || pos >= t.entries || t.state[pos+1] != stateDeleted {
		return ErrPosition
	}
	t.release(uint32(pos + 1))
	return nil
}

func (t *Table) release(k uint32) {
	t.state[k] = stateFree
	t.free = append(t.free, k)
	if t.useExt && t.extOf[k] != 0 {
		t.extFree = append(t.extFree, t.extOf[k]-1)
		t.extOf[k] = 0
	}
}

// Reclaim frees the positions whose grace period has ended (with a QSBR;
// Add calls it when it runs out of free positions). It returns how many.
func (t *Table) Reclaim() int {
	n := 0
	for t.pendHead < len(t.pend) {
		p := t.pend[t.pendHead]
		if !t.rcu.Check(p.token, false) {
			break
		}
		t.release(p.idx)
		t.pendHead++
		n++
	}
	if t.pendHead == len(t.pend) {
		t.pend, t.pendHead = t.pend[:0], 0
	} else if t.pendHead > len(t.pend)/2 {
		m := copy(t.pend, t.pend[t.pendHead:])
		t.pend, t.pendHead = t.pend[:m], 0
	}
	return n
}

// Reset removes every key. No reader may run during Reset.
func (t *Table) Reset() {
	clear(t.buckets)
	clear(t.ext)
	t.chg.Add(1)
	t.resetWriter()
}

// Iterate returns the next key at or after *next in bucket order, its data
// and position, and advances *next; ok is false at the end. Start with
// *next = 0 (rte_hash_iterate). Writer side: do not modify the table
// between calls.
func (t *Table) Iterate(next *uint32) (key []byte, data uint64, pos int, ok bool) {
	total := uint32(len(t.buckets)+len(t.ext)) * bucketEntries
	for ; *next < total; *next++ {
		bi, s := *next/bucketEntries, *next%bucketEntries
		var b *bucket
		if bi < uint32(len(t.buckets)) {
			b = &t.buckets[bi]
		} else {
			b = &t.ext[bi-uint32(len(t.buckets))]
		}
		if k := b.idx[s]; k != 0 {
			*next++
			return t.keyBytes(k), t.keys[k*t.stride], int(k) - 1, true
		}
	}
	return nil, 0, -1, false
}
