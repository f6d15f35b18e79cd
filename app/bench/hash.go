package bench

import (
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/hash"
)

func init() {
	Register(Benchmark{
		Name:    "hash",
		Summary: "cuckoo hash table: DPDK hash_perf_autotest's cases, and 100k keys vs Go's map",
		Flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&hashOpt.heap, "hash-heap", false, "keep the tables on the Go heap instead of a hugepage arena")
			fs.IntVar(&hashOpt.entries, "hash-entries", 1<<19, "table size of the hash_perf cases (DPDK's is 2^19; a power of two)")
		},
		Run: Hash,
	})
}

var hashOpt struct {
	heap    bool
	entries int
}

// hashKeyLens are hash_perf_autotest's key sizes, in its order.
var hashKeyLens = []int{4, 8, 16, 32, 48, 64, 9, 13, 37, 40}

// Hash runs the cases of DPDK 22.11's hash_perf_autotest ("without locks"
// sections and the extendable-bucket section) on dpkit's hash.Table and
// reports cycles per operation:
//
//	hash_<primary|pushes|ext>_<nodata|data>_<hash|prehash>_key<N>_<add|lookup|lookup_bulk|delete>_cycles
//
// as DPDK does it: a table of 2^19 entries hashed with jhash, filled to 75%
// (100% with extendable buckets) with keys made of an incrementing counter
// ("primary": only keys whose primary bucket has room, so no key is
// displaced; "pushes": every key; "ext": overflow buckets on), then looked
// up 5 times over in shuffled order, one by one and in bursts of 16, and
// deleted. "prehash" passes the precomputed hash (the *WithHash calls).
//
// Then 100k random 16-byte keys, 1M random lookups: hash.Table single and
// bulk (bursts of 32) with each hash function, against Go's
// map[[16]byte]uint64 (each the best of 3 passes taking turns; the tables
// in hugepage arenas unless -hash-heap):
//
//	hash_100k_table_<crc32c|jhash|maphash>_<lookup|lookup_bulk>_cycles
//	hash_100k_gomap_lookup_cycles
func Hash(w io.Writer, opt Options) error {
	stop, err := startLcores(opt)
	if err != nil {
		return err
	}
	defer stop()
	Notice(w, "hash_perf: main lcore %d, TSC %.3f GHz", eal.MainLcore(), float64(eal.TSCHz())/1e9)
	entries := hashOpt.entries
	if entries == 0 {
		entries = 1 << 19
	}
	if entries < 64 || entries&(entries-1) != 0 {
		return fmt.Errorf("-hash-entries %d: want a power of two >= 64", entries)
	}
	if opt.Quick {
		entries = 1 << 14
	}
	hb := hashBench{w: w, opt: opt, entries: entries}
	defer hb.closeArena()
	if hashOpt.heap {
		Notice(w, "tables on the Go heap")
	} else {
		Notice(w, "tables in hugepage arenas (one per table, as DPDK's are in hugepage memory)")
	}
	for _, loc := range []string{"primary", "pushes", "ext"} {
		for _, data := range []bool{false, true} {
			for _, kl := range hashKeyLens {
				if err := hb.run(loc, data, kl); err != nil {
					return err
				}
			}
		}
	}
	return hashVsMap(w, opt)
}

type hashBench struct {
	w       io.Writer
	opt     Options
	entries int
	arena   *eal.Arena
	keys    []byte // keys at a 64-byte stride (DPDK's keys[][MAX_KEYSIZE])
	sigs    []uint32
	pos     []int32
}

func (hb *hashBench) closeArena() {
	if hb.arena != nil {
		hb.arena.Close()
		hb.arena = nil
	}
}

// newTable creates a table of hb.entries keys of kl bytes, in a new arena
// unless -hash-heap (the previous table's arena is closed).
func (hb *hashBench) newTable(kl int, ext bool) (*hash.Table, error) {
	hb.closeArena()
	cfg := hash.Config{Name: "perf", Entries: hb.entries, KeyLen: kl, Hash: hash.JHash, ExtendableBuckets: ext}
	if !hashOpt.heap {
		size := hash.ArenaBytes(cfg)
		a, err := eal.NewArena(eal.ArenaConfig{Name: "hash_perf", Size: size})
		if err != nil {
			return nil, err
		}
		hb.arena = a
		cfg.Arena = a
		if !a.Huge() {
			Notice(hb.w, "key %d: arena of %d MiB on ordinary pages (no hugepages left?)", kl, a.Len()>>20)
		}
	}
	return hash.New(cfg)
}

func (hb *hashBench) run(loc string, withData bool, kl int) error {
	prefix := fmt.Sprintf("hash_%s_%s", loc, map[bool]string{false: "nodata", true: "data"}[withData])
	want := false
	for _, h := range []string{"hash", "prehash"} {
		for _, op := range []string{"add", "lookup", "lookup_bulk", "delete"} {
			want = want || hb.opt.Want(fmt.Sprintf("%s_%s_key%d_%s_cycles", prefix, h, kl, op))
		}
	}
	if !want {
		return nil
	}
	ext := loc == "ext"
	n := hb.entries * 3 / 4
	if ext {
		n = hb.entries
	}
	tb, err := hb.newTable(kl, ext)
	if err != nil {
		return err
	}
	// Keys: an incrementing little-endian counter, kept if the table
	// takes it (and, for "primary", if its primary bucket has room).
	hb.keys = hb.keys[:0]
	hb.sigs = hb.sigs[:0]
	fill := make([]uint8, hb.entries/8)
	key := make([]byte, kl)
	var ctr uint64
	for len(hb.sigs) < n {
		ctr++
		for i := 0; i < min(8, kl); i++ { // kl >= 4: 2^32 keys is plenty
			key[i] = byte(ctr >> (8 * i))
		}
		h := tb.Hash(key)
		b := h & uint32(len(fill)-1)
		if loc == "primary" && fill[b] == 8 {
			continue
		}
		if _, err := tb.AddWithHash(key, h, 0); err != nil {
			continue
		}
		fill[b]++
		hb.keys = append(hb.keys, key...)
		hb.keys = append(hb.keys, make([]byte, keyStride-kl)...)
		hb.sigs = append(hb.sigs, h)
	}
	hb.pos = make([]int32, n)
	r := rand.New(rand.NewPCG(uint64(kl), 1))
	runtime.GC() // the garbage of building the key set, now rather than while timing
	for _, prehash := range []bool{false, true} {
		tb.Reset()
		name := func(op string) string {
			return fmt.Sprintf("%s_%s_key%d_%s_cycles", prefix, map[bool]string{false: "hash", true: "prehash"}[prehash], kl, op)
		}
		// Add.
		start := eal.Rdtsc()
		for i := 0; i < n; i++ {
			k := hb.key(i, kl)
			var p int
			if prehash {
				p, err = tb.AddWithHash(k, hb.sigs[i], uint64(hb.sigs[i]))
			} else {
				p, err = tb.Add(k, uint64(hb.sigs[i]))
			}
			if err != nil {
				return fmt.Errorf("%s: add of key %d: %w", name("add"), i, err)
			}
			hb.pos[i] = int32(p)
		}
		Report(hb.w, name("add"), float64(eal.Rdtsc()-start)/float64(n), "cycles")
		hb.shuffle(r, kl)
		// Lookup, 5 rounds.
		const rounds = 5
		start = eal.Rdtsc()
		for round := 0; round < rounds; round++ {
			for i := 0; i < n; i++ {
				k := hb.key(i, kl)
				if withData {
					var d uint64
					var ok bool
					if prehash {
						d, _, ok = tb.LookupDataWithHash(k, hb.sigs[i])
					} else {
						d, _, ok = tb.LookupData(k)
					}
					if !ok || d != uint64(hb.sigs[i]) {
						return fmt.Errorf("%s: key %d: data %d, %v", name("lookup"), i, d, ok)
					}
				} else {
					var p int
					var ok bool
					if prehash {
						p, ok = tb.LookupWithHash(k, hb.sigs[i])
					} else {
						p, ok = tb.Lookup(k)
					}
					if !ok || int32(p) != hb.pos[i] {
						return fmt.Errorf("%s: key %d at %d, %v; want %d", name("lookup"), i, p, ok, hb.pos[i])
					}
				}
			}
		}
		Report(hb.w, name("lookup"), float64(eal.Rdtsc()-start)/float64(rounds*n), "cycles")
		// Bulk lookup, bursts of 16.
		const burst = 16
		var kb [burst][]byte
		var pb [burst]int32
		var db [burst]uint64
		start = eal.Rdtsc()
		for round := 0; round < rounds; round++ {
			for j := 0; j+burst <= n; j += burst {
				for k := 0; k < burst; k++ {
					kb[k] = hb.key(j+k, kl)
				}
				var hs []uint32
				if prehash {
					hs = hb.sigs[j : j+burst]
				}
				if withData {
					hits := tb.LookupBulkDataWithHash(kb[:], hs, db[:])
					if hits != 1<<burst-1 {
						return fmt.Errorf("%s: hits %#x", name("lookup_bulk"), hits)
					}
					for k := 0; k < burst; k++ {
						if db[k] != uint64(hb.sigs[j+k]) {
							return fmt.Errorf("%s: key %d data %d", name("lookup_bulk"), j+k, db[k])
						}
					}
				} else {
					if prehash {
						tb.LookupBulkWithHash(kb[:], hs, pb[:])
					} else {
						tb.LookupBulk(kb[:], pb[:])
					}
					for k := 0; k < burst; k++ {
						if pb[k] != hb.pos[j+k] {
							return fmt.Errorf("%s: key %d at %d, want %d", name("lookup_bulk"), j+k, pb[k], hb.pos[j+k])
						}
					}
				}
			}
		}
		Report(hb.w, name("lookup_bulk"), float64(eal.Rdtsc()-start)/float64(rounds*(n/burst*burst)), "cycles")
		// Delete.
		start = eal.Rdtsc()
		for i := 0; i < n; i++ {
			k := hb.key(i, kl)
			if prehash {
				_, err = tb.DeleteWithHash(k, hb.sigs[i])
			} else {
				_, err = tb.Delete(k)
			}
			if err != nil {
				return fmt.Errorf("%s: key %d: %w", name("delete"), i, err)
			}
		}
		Report(hb.w, name("delete"), float64(eal.Rdtsc()-start)/float64(n), "cycles")
	}
	return nil
}

// keyStride is where the bench keeps its keys: 64 bytes apart, one cache
// line each, as hash_perf_autotest's keys[KEYS_TO_ADD][MAX_KEYSIZE].
const keyStride = 64

// key returns key i of the bench's keys.
func (hb *hashBench) key(i, kl int) []byte { return hb.keys[i*keyStride : i*keyStride+kl] }

// shuffle permutes keys, hashes and positions together.
func (hb *hashBench) shuffle(r *rand.Rand, kl int) {
	tmp := make([]byte, kl)
	n := len(hb.sigs)
	for i := n - 1; i > 0; i-- {
		j := r.IntN(i + 1)
		a, b := hb.key(i, kl), hb.key(j, kl)
		copy(tmp, a)
		copy(a, b)
		copy(b, tmp)
		hb.sigs[i], hb.sigs[j] = hb.sigs[j], hb.sigs[i]
		hb.pos[i], hb.pos[j] = hb.pos[j], hb.pos[i]
	}
}

// hashVsMap: 100k random 16-byte keys, 1M random lookups.
func hashVsMap(w io.Writer, opt Options) error {
	const nkeys = 100_000
	nlook := 1_000_000
	if opt.Quick {
		nlook = 100_000
	}
	r := rand.New(rand.NewPCG(100, 100))
	keys := make([][16]byte, nkeys)
	for i := range keys {
		binary.LittleEndian.PutUint64(keys[i][:], r.Uint64())
		binary.LittleEndian.PutUint64(keys[i][8:], r.Uint64())
	}
	order := make([]int32, nlook)
	for i := range order {
		order[i] = int32(r.IntN(nkeys))
	}
	m := make(map[[16]byte]uint64, nkeys)
	for i := range keys {
		m[keys[i]] = uint64(i)
	}
	type tcase struct {
		name string
		tb   *hash.Table
	}
	var tables []tcase
	for _, hf := range []struct {
		name string
		f    hash.Func
	}{{"crc32c", hash.CRC32C}, {"jhash", hash.JHash}, {"maphash", hash.MapHash()}} {
		cfg := hash.Config{Entries: nkeys, KeyLen: 16, Hash: hf.f, ExtendableBuckets: true}
		if !hashOpt.heap {
			// On hugepages, as dpkit's tables are meant to be (the map
			// cannot be).
			a, err := eal.NewArena(eal.ArenaConfig{Name: "hash_100k", Size: hash.ArenaBytes(cfg)})
			if err != nil {
				return err
			}
			defer a.Close()
			if !a.Huge() {
				Notice(w, "100k keys: arena on ordinary pages (no hugepages left?)")
			}
			cfg.Arena = a
		}
		tb, err := hash.New(cfg)
		if err != nil {
			return err
		}
		for i := range keys {
			if _, err := tb.Add(keys[i][:], uint64(i)); err != nil {
				return err
			}
		}
		tables = append(tables, tcase{hf.name, tb})
	}
	// Everything is built: collect the garbage of building it now, not
	// while timing. Each figure is the best of 3 passes, the passes
	// taking turns over the cases (the map's and the tables' lookups
	// alternate, so a busy minute hits all of them).
	runtime.GC()
	var sum uint64
	best := map[string]float64{}
	var names []string
	keep := func(name string, start uint64, n int) {
		v := float64(eal.Rdtsc()-start) / float64(n)
		if b, ok := best[name]; !ok || v < b {
			if !ok {
				names = append(names, name)
			}
			best[name] = v
		}
	}
	for pass := 0; pass < 3; pass++ {
		for _, tc := range tables {
			tb := tc.tb
			if name := "hash_100k_table_" + tc.name + "_lookup_cycles"; opt.Want(name) {
				start := eal.Rdtsc()
				for _, o := range order {
					d, _, _ := tb.LookupData(keys[o][:])
					sum += d
				}
				keep(name, start, nlook)
			}
			if name := "hash_100k_table_" + tc.name + "_lookup_bulk_cycles"; opt.Want(name) {
				var kb [32][]byte
				var db [32]uint64
				start := eal.Rdtsc()
				for j := 0; j+32 <= nlook; j += 32 {
					for k := range kb {
						kb[k] = keys[order[j+k]][:]
					}
					tb.LookupBulkData(kb[:], db[:])
					sum += db[0]
				}
				keep(name, start, nlook/32*32)
			}
		}
		if name := "hash_100k_gomap_lookup_cycles"; opt.Want(name) {
			start := eal.Rdtsc()
			for _, o := range order {
				sum += m[keys[o]]
			}
			keep(name, start, nlook)
		}
	}
	for _, name := range names {
		Report(w, name, best[name], "cycles")
	}
	if sum == 42 {
		Notice(w, "improbable")
	}
	return nil
}
