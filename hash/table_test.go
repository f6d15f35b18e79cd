package hash

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// model is the reference: a Go map from key to (position, data).
type model map[string]entry

type entry struct {
	pos  int
	data uint64
}

func randKey(r *rand.Rand, n int, universe int) []byte {
	k := make([]byte, n)
	if universe > 0 {
		// Keys from a small set, so adds, deletes and re-adds meet.
		v := r.IntN(universe)
		binary.LittleEndian.PutUint32(k[:min(4, n)], uint32(v)) // n >= 4 in callers
		return k
	}
	for i := range k {
		k[i] = byte(r.Uint32())
	}
	return k
}

// check compares every view of the table with the model.
func check(t *testing.T, tb *Table, m model, extra [][]byte) {
	t.Helper()
	if tb.Count() != len(m) {
		t.Fatalf("Count %d, model %d", tb.Count(), len(m))
	}
	var keys [][]byte
	for k, e := range m {
		key := []byte(k)
		keys = append(keys, key)
		pos, ok := tb.Lookup(key)
		if !ok || pos != e.pos {
			t.Fatalf("Lookup(%x) = %d, %v; want %d, true", key, pos, ok, e.pos)
		}
		d, pos, ok := tb.LookupData(key)
		if !ok || pos != e.pos || d != e.data {
			t.Fatalf("LookupData(%x) = %d, %d, %v; want %d, %d", key, d, pos, ok, e.data, e.pos)
		}
		got, err := tb.Key(pos)
		if err != nil || !bytes.Equal(got, key) {
			t.Fatalf("Key(%d) = %x, %v; want %x", pos, got, err, key)
		}
	}
	for _, key := range extra {
		if _, in := m[string(key)]; in {
			continue
		}
		keys = append(keys, key)
		if pos, ok := tb.Lookup(key); ok {
			t.Fatalf("Lookup(%x) of an absent key = %d, true", key, pos)
		}
	}
	// Bulk, in chunks of up to 64 with absent keys mixed in.
	for lo := 0; lo < len(keys); lo += BulkMax {
		chunk := keys[lo:min(lo+BulkMax, len(keys))]
		pos := make([]int32, len(chunk))
		data := make([]uint64, len(chunk))
		hits := tb.LookupBulk(chunk, pos)
		dhits := tb.LookupBulkData(chunk, data)
		hashes := make([]uint32, len(chunk))
		for i, k := range chunk {
			hashes[i] = tb.Hash(k)
		}
		pos2 := make([]int32, len(chunk))
		hhits := tb.LookupBulkWithHash(chunk, hashes, pos2)
		for i, k := range chunk {
			e, in := m[string(k)]
			if hits>>i&1 == 1 != in || dhits>>i&1 == 1 != in || hhits>>i&1 == 1 != in {
				t.Fatalf("bulk: key %x present %v, hit bits %v %v %v", k, in, hits>>i&1, dhits>>i&1, hhits>>i&1)
			}
			if in && (int(pos[i]) != e.pos || int(pos2[i]) != e.pos || data[i] != e.data) {
				t.Fatalf("bulk: key %x: pos %d/%d data %d; want %d, %d", k, pos[i], pos2[i], data[i], e.pos, e.data)
			}
			if !in && (pos[i] != NotFound || pos2[i] != NotFound) {
				t.Fatalf("bulk: absent key %x: pos %d", k, pos[i])
			}
		}
	}
	// Iterate yields each key once.
	seen := map[string]bool{}
	var next uint32
	for {
		key, data, pos, ok := tb.Iterate(&next)
		if !ok {
			break
		}
		e, in := m[string(key)]
		if !in || seen[string(key)] || e.pos != pos || e.data != data {
			t.Fatalf("Iterate: key %x pos %d data %d: in model %v (%+v), seen %v", key, pos, data, in, e, seen[string(key)])
		}
		seen[string(key)] = true
	}
	if len(seen) != len(m) {
		t.Fatalf("Iterate yielded %d keys, model has %d", len(seen), len(m))
	}
}

type diffCase struct {
	keyLen, entries int
	ext, deferred   bool
	hash            Func
	universe        int
}

func runDiff(t *testing.T, c diffCase, ops int, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 7))
	tb, err := New(Config{Name: "diff", Entries: c.entries, KeyLen: c.keyLen, ExtendableBuckets: c.ext, NoFreeOnDelete: c.deferred, Hash: c.hash})
	if err != nil {
		t.Fatal(err)
	}
	m := model{}
	var held []int // positions deleted, not yet freed
	var extra [][]byte
	for op := 0; op < ops; op++ {
		key := randKey(r, c.keyLen, c.universe)
		switch x := r.IntN(10); {
		case x < 6:
			data := r.Uint64()
			pos, err := tb.Add(key, data)
			if e, in := m[string(key)]; in {
				if err != nil || pos != e.pos {
					t.Fatalf("re-Add(%x) = %d, %v; want %d", key, pos, err, e.pos)
				}
				m[string(key)] = entry{pos, data}
				break
			}
			if err != nil {
				if !errors.Is(err, ErrNoSpace) {
					t.Fatalf("Add: %v", err)
				}
				if c.ext && len(m)+len(held) < c.entries {
					t.Fatalf("Add(%x) failed with %d keys present (%d held), capacity %d, extendable", key, len(m), len(held), c.entries)
				}
				break
			}
			for _, e := range m {
				if e.pos == pos {
					t.Fatalf("Add(%x) returned position %d, in use", key, pos)
				}
			}
			m[string(key)] = entry{pos, data}
		case x < 9:
			// Delete a present key most of the time.
			if len(m) > 0 && r.IntN(4) > 0 {
				for k := range m {
					key = []byte(k)
					break
				}
			}
			pos, err := tb.Delete(key)
			e, in := m[string(key)]
			if !in {
				if !errors.Is(err, ErrNotFound) {
					t.Fatalf("Delete of absent %x: %d, %v", key, pos, err)
				}
				break
			}
			if err != nil || pos != e.pos {
				t.Fatalf("Delete(%x) = %d, %v; want %d", key, pos, err, e.pos)
			}
			delete(m, string(key))
			if c.deferred {
				held = append(held, pos)
				if _, err := tb.Key(pos); err == nil {
					t.Fatalf("Key(%d) of a deleted key succeeded", pos)
				}
			}
		default:
			for _, p := range held {
				if err := tb.FreePosition(p); err != nil {
					t.Fatalf("FreePosition(%d): %v", p, err)
				}
			}
			held = held[:0]
		}
		if len(extra) < 64 {
			extra = append(extra, key)
		}
		if op%97 == 0 {
			check(t, tb, m, extra)
		}
	}
	check(t, tb, m, extra)
	tb.Reset()
	check(t, tb, model{}, extra)
}

func TestDifferential(t *testing.T) {
	cases := []diffCase{
		{keyLen: 4, entries: 64, universe: 200},
		{keyLen: 16, entries: 1000, universe: 1500},
		{keyLen: 13, entries: 500, ext: true, universe: 800},
		{keyLen: 37, entries: 300, ext: true, deferred: true, universe: 400},
		{keyLen: 8, entries: 256, deferred: true, hash: CRC32C, universe: 400},
		// Few distinct hashes: every key collides on signature and buckets.
		{keyLen: 8, entries: 200, ext: true, universe: 300, hash: func(k []byte, _ uint32) uint32 { return uint32(k[0]%3) * 0x10001 }},
		// Same signature everywhere, buckets spread.
		{keyLen: 6, entries: 400, ext: true, universe: 600, hash: func(k []byte, s uint32) uint32 { return 0xabcd0000 | JHash(k, s)&0xffff }},
		{keyLen: 64, entries: 2000, ext: true, universe: 0},
		{keyLen: 16, entries: 3000, ext: true, universe: 4000, hash: MapHash()},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("%d/key%d/entries%d/ext%v/deferred%v", i, c.keyLen, c.entries, c.ext, c.deferred), func(t *testing.T) {
			runDiff(t, c, 6000, uint64(i))
		})
	}
}

// TestFillToCapacity: with extendable buckets every insert below capacity
// succeeds, even for keys that all hash alike; without, most do.
func TestFillToCapacity(t *testing.T) {
	for _, adversarial := range []bool{false, true} {
		cfg := Config{Entries: 1024, KeyLen: 16, ExtendableBuckets: true}
		if adversarial {
			cfg.Hash = func(k []byte, _ uint32) uint32 { return 0x00070003 * uint32(k[0]&1) }
		}
		tb, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, 1))
		m := model{}
		for len(m) < cfg.Entries {
			key := randKey(r, 16, 0)
			pos, err := tb.Add(key, uint64(len(m)))
			if err != nil {
				t.Fatalf("adversarial %v: Add #%d: %v", adversarial, len(m), err)
			}
			m[string(key)] = entry{pos, uint64(len(m))}
		}
		if _, err := tb.Add(randKey(r, 16, 0), 0); !errors.Is(err, ErrNoSpace) {
			t.Fatalf("Add past capacity: %v, want ErrNoSpace", err)
		}
		check(t, tb, m, nil)
		// Empty it in random order (compaction of the overflow chains),
		// then fill it again: overflow buckets must have come back.
		for k := range m {
			if _, err := tb.Delete([]byte(k)); err != nil {
				t.Fatal(err)
			}
			delete(m, k)
			if len(m)%100 == 0 {
				check(t, tb, m, nil)
			}
		}
		for len(m) < cfg.Entries {
			key := randKey(r, 16, 0)
			pos, err := tb.Add(key, 1)
			if err != nil {
				t.Fatalf("adversarial %v: refill Add #%d: %v", adversarial, len(m), err)
			}
			m[string(key)] = entry{pos, 1}
		}
		check(t, tb, m, nil)
	}
	// Without extendable buckets, cuckoo displacement fills most of it.
	tb, _ := New(Config{Entries: 1 << 14, KeyLen: 8})
	r := rand.New(rand.NewPCG(2, 2))
	n := 0
	for ; n < 1<<14; n++ {
		if _, err := tb.Add(randKey(r, 8, 0), 0); err != nil {
			break
		}
	}
	if n < (1<<14)*90/100 {
		t.Fatalf("cuckoo filled only %d of %d entries", n, 1<<14)
	}
	t.Logf("without overflow buckets: first failure after %d of %d keys (%.1f%%)", n, 1<<14, 100*float64(n)/(1<<14))
}

func TestErrors(t *testing.T) {
	for _, c := range []Config{{Entries: 0, KeyLen: 4}, {Entries: 10, KeyLen: 0}} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) succeeded", c)
		}
	}
	tb, _ := New(Config{Entries: 8, KeyLen: 4})
	if _, err := tb.Add([]byte{1, 2, 3}, 0); !errors.Is(err, ErrKeyLen) {
		t.Errorf("Add of a short key: %v", err)
	}
	if _, ok := tb.Lookup([]byte{1, 2, 3, 4, 5}); ok {
		t.Error("Lookup of a long key found it")
	}
	if _, err := tb.Delete([]byte{1, 2, 3, 4}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delete of absent key: %v", err)
	}
	if err := tb.FreePosition(3); !errors.Is(err, ErrPosition) {
		t.Errorf("FreePosition of a free position: %v", err)
	}
	if _, err := tb.Key(100); !errors.Is(err, ErrPosition) {
		t.Errorf("Key(100): %v", err)
	}
}

func TestNoAllocs(t *testing.T) {
	tb, _ := New(Config{Entries: 4096, KeyLen: 16, ExtendableBuckets: true, Hash: CRC32C})
	r := rand.New(rand.NewPCG(3, 3))
	keys := make([][]byte, 64)
	for i := range keys {
		keys[i] = randKey(r, 16, 0)
		tb.Add(keys[i], uint64(i))
	}
	pos := make([]int32, 64)
	data := make([]uint64, 64)
	fresh := randKey(r, 16, 0)
	for name, f := range map[string]func(){
		"Lookup":         func() { tb.Lookup(keys[3]) },
		"LookupData":     func() { tb.LookupData(keys[3]) },
		"LookupBulk":     func() { tb.LookupBulk(keys, pos) },
		"LookupBulkData": func() { tb.LookupBulkData(keys, data) },
		"AddDelete": func() {
			tb.Add(fresh, 1)
			tb.Delete(fresh)
		},
		"JHash":  func() { JHash(keys[0], 1) },
		"CRC32C": func() { CRC32C(keys[0], 1) },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocs", name, n)
		}
	}
}
