package hash

import (
	"encoding/binary"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dpkit/dpkit/hash/qsbr"
)

func valueOf(key []byte) uint64 { return binary.LittleEndian.Uint64(key) * 0x9e3779b97f4a7c15 }

// TestConcurrentReaders runs lock-free readers against one writer that
// adds and deletes keys in a nearly full table (so cuckoo moves and
// overflow-chain compaction happen all the time) and reclaims positions
// through a QSBR. Keys that stay present must always be found, at their
// position, with their data; any key found must carry its own data (a
// reused position would show another key's).
func TestConcurrentReaders(t *testing.T) {
	// Each hash function takes its own fast path: JHash and CRC32C are
	// hashed in assembly on amd64, any other function in Go.
	type hcase struct {
		name string
		f    Func
	}
	for _, tc := range []struct {
		ext bool
		h   hcase
	}{{false, hcase{"jhash", nil}}, {true, hcase{"jhash", nil}}, {false, hcase{"crc32c", CRC32C}}, {true, hcase{"crc32c", CRC32C}}, {true, hcase{"maphash", MapHash()}}} {
		ext := tc.ext
		const readers = 2
		q, _ := qsbr.New(readers)
		tb, err := New(Config{Entries: 2048, KeyLen: 16, ExtendableBuckets: ext, ConcurrentReaders: true, QSBR: q, Hash: tc.h.f})
		if err != nil {
			t.Fatal(err)
		}
		mk := func(i int) []byte {
			k := make([]byte, 16)
			binary.LittleEndian.PutUint64(k, uint64(i)+1)
			binary.LittleEndian.PutUint64(k[8:], uint64(i)*7)
			return k
		}
		stable := make([][]byte, 1500)
		spos := make([]int, len(stable))
		for i := range stable {
			stable[i] = mk(i)
			if spos[i], err = tb.Add(stable[i], valueOf(stable[i])); err != nil {
				t.Fatal(err)
			}
		}
		churn := make([][]byte, 2000)
		for i := range churn {
			churn[i] = mk(100000 + i)
		}
		var stop atomic.Bool
		var wg sync.WaitGroup
		errs := make(chan string, readers)
		var lookups atomic.Int64
		for id := 0; id < readers; id++ {
			wg.Add(1)
			go func(id int) {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(id), 1))
				q.Online(id)
				defer q.Offline(id)
				keys := make([][]byte, BulkMax)
				data := make([]uint64, BulkMax)
				pos := make([]int32, BulkMax)
				fail := func(s string) {
					select {
					case errs <- s:
					default:
					}
					stop.Store(true)
				}
				for !stop.Load() {
					i := r.IntN(len(stable))
					if p, ok := tb.Lookup(stable[i]); !ok || p != spos[i] {
						fail("Lookup missed a present key")
						return
					}
					if c := churn[r.IntN(len(churn))]; true {
						if d, _, ok := tb.LookupData(c); ok && d != valueOf(c) {
							fail("LookupData returned another key's data")
							return
						}
					}
					stIdx := make([]int, 0, BulkMax)
					for j := range keys {
						if j%2 == 0 {
							k := r.IntN(len(stable))
							keys[j] = stable[k]
							stIdx = append(stIdx, k)
						} else {
							keys[j] = churn[r.IntN(len(churn))]
						}
					}
					hits := tb.LookupBulkData(keys, data)
					phits := tb.LookupBulk(keys, pos)
					for j := range keys {
						if j%2 == 0 {
							if hits>>j&1 == 0 || phits>>j&1 == 0 || data[j] != valueOf(keys[j]) || int(pos[j]) != spos[stIdx[j/2]] {
								fail("bulk lookup missed or misreported a present key")
								return
							}
						} else if hits>>j&1 == 1 && data[j] != valueOf(keys[j]) {
							fail("bulk lookup returned another key's data")
							return
						}
					}
					lookups.Add(1)
					q.Quiescent(id)
				}
			}(id)
		}
		r := rand.New(rand.NewPCG(42, 42))
		present := make([]bool, len(churn))
		deadline := time.Now().Add(400 * time.Millisecond)
		ops := 0
		for ; time.Now().Before(deadline) && !stop.Load(); ops++ {
			i := r.IntN(len(churn))
			if present[i] {
				if _, err := tb.Delete(churn[i]); err != nil {
					t.Fatalf("Delete: %v", err)
				}
				present[i] = false
			} else if _, err := tb.Add(churn[i], valueOf(churn[i])); err == nil {
				present[i] = true
			} else if err != ErrNoSpace {
				t.Fatalf("Add: %v", err)
			}
		}
		stop.Store(true)
		wg.Wait()
		select {
		case e := <-errs:
			t.Fatalf("ext %v, %s: %s", ext, tc.h.name, e)
		default:
		}
		if tb.chg.Load() == 0 {
			t.Fatalf("ext %v, %s: no key was ever moved: the test did not exercise displacement", ext, tc.h.name)
		}
		t.Logf("ext %v, %s: %d writer ops, %d reader rounds, %d moves", ext, tc.h.name, ops, lookups.Load(), tb.chg.Load())
	}
}

func TestQSBRReclaim(t *testing.T) {
	q, _ := qsbr.New(1)
	tb, _ := New(Config{Entries: 8, KeyLen: 4, QSBR: q})
	q.Online(0)
	for i := 0; i < 8; i++ {
		if _, err := tb.Add([]byte{byte(i), 0, 0, 0}, 0); err != nil {
			t.Fatal(err)
		}
	}
	pos, _ := tb.Delete([]byte{3, 0, 0, 0})
	// The reader has not been quiescent: the position is held.
	if _, err := tb.Add([]byte{9, 0, 0, 0}, 0); err != ErrNoSpace {
		t.Fatalf("Add while the only free position is in its grace period: %v", err)
	}
	q.Quiescent(0)
	p, err := tb.Add([]byte{9, 0, 0, 0}, 0)
	if err != nil || p != pos {
		t.Fatalf("Add after the grace period: %d, %v; want position %d", p, err, pos)
	}
	// An offline reader is not waited for.
	q.Offline(0)
	tb.Delete([]byte{9, 0, 0, 0})
	if n := tb.Reclaim(); n != 1 {
		t.Fatalf("Reclaim with the reader offline freed %d", n)
	}
}

// TestMoveDuringSearch: a key that the writer moves while a reader
// searches for it (here: out of an overflow bucket into its main bucket,
// after the reader looked there and before it walks the chain) is still
// found, by Lookup and by LookupBulk: the reader sees the change counter
// move and searches again. Deterministic, where TestConcurrentReaders
// depends on the scheduler to hit the window.
func TestMoveDuringSearch(t *testing.T) {
	defer func() { testHookSearch = nil }()
	for _, bulk := range []bool{false, true} {
		// One hash for every key: 8 keys fill the primary bucket, 8 the
		// secondary, the 17th goes to an overflow bucket.
		tb, err := New(Config{Entries: 64, KeyLen: 8, ExtendableBuckets: true, Hash: func([]byte, uint32) uint32 { return 0x00050003 }})
		if err != nil {
			t.Fatal(err)
		}
		var keys [][]byte
		var pos []int
		for i := 0; i < 17; i++ {
			k := make([]byte, 8)
			binary.LittleEndian.PutUint64(k, uint64(i)+1)
			p, err := tb.Add(k, uint64(i))
			if err != nil {
				t.Fatal(err)
			}
			keys, pos = append(keys, k), append(pos, p)
		}
		moved := tb.chg.Load()
		fired := false
		testHookSearch = func() {
			if fired {
				return
			}
			fired = true
			// Deleting a key of the primary bucket refills its slot with
			// the chain's last entry, key 16, and unlinks the emptied
			// overflow bucket.
			if _, err := tb.Delete(keys[0]); err != nil {
				t.Fatal(err)
			}
		}
		var got int
		var ok bool
		if bulk {
			var p [1]int32
			ok = tb.LookupBulk(keys[16:], p[:]) == 1
			got = int(p[0])
		} else {
			got, ok = tb.Lookup(keys[16])
		}
		if !fired || tb.chg.Load() == moved {
			t.Fatalf("bulk %v: the hook did not move the key (fired %v)", bulk, fired)
		}
		if !ok || got != pos[16] {
			t.Fatalf("bulk %v: key moved during the search: found %v at %d, want %d", bulk, ok, got, pos[16])
		}
	}
}
