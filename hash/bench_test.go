package hash

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"
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
	tb, err := New(Config{Entries: benchKeys, KeyLen: 16, Hash: f, ExtendableBuckets: true})
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
	}{{"crc32c", CRC32C}, {"jhash", JHash}} {
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
