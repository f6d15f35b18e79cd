package hash

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/dpkit/dpkit/eal"
)

// The 100k-key / 1M-lookup case: random 16-byte keys, looked up in random
// order, against Go's map.
const benchKeys = 100_000

func benchSetup(b *testing.B, f Func) (*Table, map[[16]byte]uint64, [][16]byte, []int32) {
	r := rand.New(rand.NewPCG(100, 100))
	keys := make([][16]byte, benchKeys)
	for i := range keys {
		binary.LittleEndian.PutUint64(keys[i][:], r.Uint64())
		binary.LittleEndian.PutUint64(keys[i][8:], r.Uint64())
	}
	order := make([]int32, 1<<20)
	for i := range order {
		order[i] = int32(r.IntN(benchKeys))
	}
	cfg := Config{Entries: benchKeys, KeyLen: 16, Hash: f, ExtendableBuckets: true}
	// On hugepages where there are some, as dpkit's tables are meant to
	// be (Go's map cannot be).
	if a, err := eal.NewArena(eal.ArenaConfig{Name: "hash-bench", Size: ArenaBytes(cfg)}); err == nil {
		b.Cleanup(func() { a.Close() })
		cfg.Arena = a
	}
	tb, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	m := make(map[[16]byte]uint64, benchKeys)
	for i := range keys {
		tb.Add(keys[i][:], uint64(i))
		m[keys[i]] = uint64(i)
	}
	return tb, m, keys, order
}

func BenchmarkLookup100k(b *testing.B) {
	for _, hf := range []struct {
		name string
		f    Func
	}{{"crc32c", CRC32C}, {"jhash", JHash}, {"maphash", MapHash()}} {
		tb, _, keys, order := benchSetup(b, hf.f)
		b.Run("table/"+hf.name, func(b *testing.B) {
			b.ReportAllocs()
			var sum uint64
			for i := 0; i < b.N; i++ {
				d, _, _ := tb.LookupData(keys[order[i&(len(order)-1)]][:])
				sum += d
			}
			_ = sum
		})
		b.Run("table_bulk32/"+hf.name, func(b *testing.B) {
			b.ReportAllocs()
			var kb [32][]byte
			var db [32]uint64
			var sum uint64
			for i := 0; i < b.N; i += 32 {
				for k := range kb {
					kb[k] = keys[order[(i+k)&(len(order)-1)]][:]
				}
				tb.LookupBulkData(kb[:], db[:])
				sum += db[0]
			}
			_ = sum
		})
	}
	_, m, keys, order := benchSetup(b, CRC32C)
	b.Run("gomap", func(b *testing.B) {
		b.ReportAllocs()
		var sum uint64
		for i := 0; i < b.N; i++ {
			sum += m[keys[order[i&(len(order)-1)]]]
		}
		_ = sum
	})
}

func BenchmarkAddDelete(b *testing.B) {
	tb, _, keys, _ := benchSetup(b, CRC32C)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		k := keys[i%benchKeys][:]
		tb.Delete(k)
		tb.Add(k, 1)
	}
}

func BenchmarkHashFuncs(b *testing.B) {
	for _, n := range []int{4, 13, 16, 40, 64} {
		key := make([]byte, n)
		for name, f := range map[string]Func{"jhash": JHash, "crc32c": CRC32C} {
			b.Run(fmt.Sprintf("%s/%dB", name, n), func(b *testing.B) {
				b.ReportAllocs()
				var h uint32
				for i := 0; i < b.N; i++ {
					key[0] = byte(i)
					h += f(key, h)
				}
			})
		}
	}
}

// BenchmarkBulkSmall: bursts of 16 against a cache-resident table (6k keys
// of 16 bytes, precomputed hashes): the compute cost of LookupBulk.
func BenchmarkBulkSmall(b *testing.B) {
	tb, _ := New(Config{Entries: 8192, KeyLen: 16, Hash: JHash})
	r := rand.New(rand.NewPCG(1, 1))
	const n = 6144
	keys := make([][]byte, n)
	hs := make([]uint32, n)
	for i := range keys {
		keys[i] = randKey(r, 16, 0)
		hs[i] = tb.Hash(keys[i])
		tb.Add(keys[i], uint64(i))
	}
	var pos [16]int32
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := (i * 16) % n
		tb.LookupBulkWithHash(keys[j:j+16], hs[j:j+16], pos[:])
	}
}

// BenchmarkLookupBig: DPDK's hash_perf table (2^19 entries, 75% full) of
// keyLen-byte counter keys, looked up in random order.
func BenchmarkLookupBig(b *testing.B) {
	for _, kl := range []int{16, 40} {
		tb, _ := New(Config{Entries: 1 << 19, KeyLen: kl, Hash: JHash})
		n := (1 << 19) * 3 / 4
		keys := make([][]byte, 0, n)
		hs := make([]uint32, 0, n)
		for c := uint64(1); len(keys) < n; c++ {
			k := make([]byte, kl)
			binary.LittleEndian.PutUint64(k, c)
			if _, err := tb.Add(k, c); err == nil {
				keys = append(keys, k)
				hs = append(hs, tb.Hash(k))
			}
		}
		r := rand.New(rand.NewPCG(1, 2))
		r.Shuffle(n, func(i, j int) { keys[i], keys[j] = keys[j], keys[i]; hs[i], hs[j] = hs[j], hs[i] })
		b.Run(fmt.Sprintf("key%d/hash", kl), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				tb.Lookup(keys[i%n])
			}
		})
		b.Run(fmt.Sprintf("key%d/prehash", kl), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				tb.LookupWithHash(keys[i%n], hs[i%n])
			}
		})
		b.Run(fmt.Sprintf("key%d/jhash-only", kl), func(b *testing.B) {
			var s uint32
			for i := 0; i < b.N; i++ {
				s += JHash(keys[i%n], 0)
			}
		})
	}
}
