package hash

import (
	"math/rand/v2"
	"testing"
	"unsafe"
)

// TestScanBurst: the assembly scan (amd64) and the Go one agree on every
// key length 1..70 and burst size 1..chunk, over tables with many shared
// signatures, with present, absent and wrong-length keys, and keys that
// differ from a stored one in a single byte.
func TestScanBurst(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	hitsSeen := 0
	defer func() {
		if hitsSeen == 0 {
			t.Error("no hits at all")
		}
	}()
	for kl := 1; kl <= 70; kl++ {
		for _, sigs := range []int{0, 3} {
			hf := JHash
			if sigs > 0 {
				// Few signatures: many candidates per bucket.
				hf = func(k []byte, s uint32) uint32 { return uint32(JHash(k, s)%uint32(sigs))<<16 | JHash(k, s+1)&0xffff }
			}
			tb, err := New(Config{Entries: 256, KeyLen: kl, Hash: hf, Seed: 5, ExtendableBuckets: true})
			if err != nil {
				t.Fatal(err)
			}
			var stored [][]byte
			for i := 0; i < 200; i++ {
				k := randKey(r, kl, 0)
				if _, err := tb.Add(k, uint64(i)); err == nil {
					stored = append(stored, k)
				}
			}
			for round := 0; round < 40; round++ {
				n := 1 + r.IntN(chunk)
				keys := make([][]byte, n)
				hs := make([]uint32, n)
				for i := range keys {
					x := r.IntN(10)
					switch {
					case x < 6:
						keys[i] = stored[r.IntN(len(stored))]
					case x < 8: // one byte off a stored key
						k := append([]byte(nil), stored[r.IntN(len(stored))]...)
						k[r.IntN(kl)] ^= 1 << r.IntN(8)
						keys[i] = k
					case x < 9:
						keys[i] = randKey(r, kl, 0)
					default:
						keys[i] = randKey(r, kl+1, 0)
					}
					hs[i] = tb.Hash(keys[i][:min(kl, len(keys[i]))])
					if x < 8 && r.IntN(2) == 0 {
						// Use a stored key's hash for an absent key: its
						// first candidate is a different key.
						hs[i] = tb.Hash(stored[0])
					}
				}
				for _, hfn := range []uint64{hashGiven, hashCRC32C, hashJHash} {
					for _, wantPos := range []bool{true, false} {
						type res struct {
							cand   [chunk]uint32
							hashes [chunk]uint32
							pos    [chunk]int32
							data   [chunk]uint64
							hits   uint64
						}
						run := func(scan func(*burstScan)) *res {
							r := &res{}
							for i := range r.data {
								r.data[i] = 0xdead // misses keep it
							}
							s := burstScan{
								buckets: tb.hdr.buckets,
								keys:    tb.hdr.keys,
								query:   unsafe.SliceData(keys),
								hashes:  unsafe.SliceData(hs),
								n:       n,
								mask:    tb.hdr.mask,
								keyLen:  kl,
								stride:  tb.hdr.stride,
								cand:    &r.cand[0],
								seed:    5,
							}
							if hfn != hashGiven {
								s.hashFn, s.hashes = hfn, &r.hashes[0]
							}
							if wantPos {
								s.pos = &r.pos[0]
							} else {
								s.data = &r.data[0]
							}
							scan(&s)
							r.hits = s.hits
							return r
						}
						a, g := run(scanBurst), run(scanBurstGo)
						if *a != *g {
							t.Fatalf("key %d, %d sigs, n %d, hash fn %d, pos %v: asm and Go differ\nasm %+v\nGo  %+v", kl, sigs, n, hfn, wantPos, *a, *g)
						}
						for i := 0; i < n; i++ {
							if want := [...]func([]byte, uint32) uint32{nil, CRC32C, JHash}[hfn]; want != nil && g.hashes[i] != want(keys[i], 5) {
								t.Fatalf("key %d, hash fn %d: hash %#x, want %#x", kl, hfn, g.hashes[i], want(keys[i], 5))
							}
							if g.hits>>i&1 == 0 {
								if wantPos && g.pos[i] != NotFound || !wantPos && g.data[i] != 0xdead {
									t.Fatalf("key %d: miss %d: pos %d data %#x", kl, i, g.pos[i], g.data[i])
								}
								continue
							}
							hitsSeen++
							if got := tb.keyBytes(g.cand[i]); string(got) != string(keys[i]) {
								t.Fatalf("key %d: hit %d names key %x, looked up %x", kl, i, got, keys[i])
							}
							if wantPos && g.pos[i] != int32(g.cand[i])-1 || !wantPos && g.data[i] != tb.Data(int(g.cand[i])-1) {
								t.Fatalf("key %d: hit %d: pos %d data %d, key index %d", kl, i, g.pos[i], g.data[i], g.cand[i])
							}
						}
					}
				}
			}
			if testing.Short() && kl > 20 {
				break
			}
		}
	}
}

func TestKeysEqual(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	for n := 1; n <= 80; n++ {
		a := randKey(r, n, 0)
		b := append([]byte(nil), a...)
		if !keysEqual(unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0]), n) {
			t.Fatalf("%d bytes: equal keys differ", n)
		}
		for i := 0; i < n; i++ {
			b[i] ^= 0x80
			if keysEqual(unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0]), n) {
				t.Fatalf("%d bytes: keys differing in byte %d equal", n, i)
			}
			b[i] ^= 0x80
		}
	}
}

// TestFind1: the assembly single-lookup fast path (amd64) and the Go one
// agree on every key length 1..70, for present keys, keys one byte off a
// present one, absent keys and keys of the wrong length, and find1CRC and
// find1J hash as CRC32C and JHash do.
func TestFind1(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for kl := 1; kl <= 70; kl++ {
		for _, hf := range []Func{CRC32C, JHash, func(k []byte, s uint32) uint32 { return JHash(k, s) & 0x0003ffff }} {
			tb, err := New(Config{Entries: 512, KeyLen: kl, Hash: hf, Seed: 99})
			if err != nil {
				t.Fatal(err)
			}
			var stored [][]byte
			for i := 0; i < 450; i++ {
				k := randKey(r, kl, 0)
				if _, err := tb.Add(k, uint64(i)); err == nil {
					stored = append(stored, k)
				}
			}
			found := 0
			for i := 0; i < 400; i++ {
				var key []byte
				switch x := r.IntN(8); {
				case x < 5:
					key = stored[r.IntN(len(stored))]
				case x < 6:
					key = append([]byte(nil), stored[r.IntN(len(stored))]...)
					key[r.IntN(kl)] ^= 1 << r.IntN(8)
				case x < 7:
					key = randKey(r, kl, 0)
				default:
					key = randKey(r, kl+1-2*r.IntN(2), 0)
				}
				h := tb.Hash(key)
				kp, n := unsafe.SliceData(key), len(key)
				want := find1Go(&tb.hdr, kp, n, h)
				if got := find1(&tb.hdr, kp, n, h); got != want {
					t.Fatalf("key %d: find1(%x) = %d, Go %d", kl, key, got, want)
				}
				if want != 0 {
					found++
					if string(tb.keyBytes(want)) != string(key) {
						t.Fatalf("key %d: find1Go(%x) = %d, a different key", kl, key, want)
					}
				}
				switch tb.hashFn {
				case hashCRC32C:
					if got := find1CRC(&tb.hdr, kp, n, 99); got != want {
						t.Fatalf("key %d: find1CRC(%x) = %d, find1Go %d", kl, key, got, want)
					}
				case hashJHash:
					if got := find1J(&tb.hdr, kp, n, 99); got != want {
						t.Fatalf("key %d: find1J(%x) = %d, find1Go %d", kl, key, got, want)
					}
				}
			}
			if found == 0 {
				t.Fatalf("key %d: the fast path found nothing", kl)
			}
		}
	}
}
