package hash

import (
	"math/rand/v2"
	"testing"

	"github.com/dpkit/dpkit/eal"
)

// TestArena: a table whose buckets and keys live off the Go heap behaves
// as one on the heap.
func TestArena(t *testing.T) {
	a, err := eal.NewArena(eal.ArenaConfig{Name: "hash-test", Size: 1 << 20, Huge: eal.HugeNever})
	if err != nil {
		t.Skipf("SKIP: no arena: %v", err)
	}
	defer a.Close()
	tb, err := New(Config{Entries: 2000, KeyLen: 13, ExtendableBuckets: true, Arena: a})
	if err != nil {
		t.Fatal(err)
	}
	if a.Used() == 0 {
		t.Fatal("the table took nothing from the arena")
	}
	r := rand.New(rand.NewPCG(5, 5))
	m := model{}
	for len(m) < 2000 {
		k := randKey(r, 13, 0)
		pos, err := tb.Add(k, uint64(len(m)))
		if err != nil {
			t.Fatal(err)
		}
		m[string(k)] = entry{pos, uint64(len(m))}
	}
	check(t, tb, m, nil)
	// Too small an arena is an error, not a crash.
	small, _ := eal.NewArena(eal.ArenaConfig{Name: "hash-small", Size: 4096, Huge: eal.HugeNever})
	defer small.Close()
	if _, err := New(Config{Entries: 1 << 16, KeyLen: 16, Arena: small}); err == nil {
		t.Fatal("New in a 4 KiB arena succeeded")
	}
}

// TestArenaBytes: an arena of ArenaBytes(cfg) holds the table of cfg.
func TestArenaBytes(t *testing.T) {
	for _, cfg := range []Config{
		{Entries: 1, KeyLen: 1},
		{Entries: 100, KeyLen: 16, ExtendableBuckets: true},
		{Entries: 1000, KeyLen: 13},
		{Entries: 4096, KeyLen: 64, ExtendableBuckets: true},
	} {
		a, err := eal.NewArena(eal.ArenaConfig{Name: "hash-size", Size: ArenaBytes(cfg), Huge: eal.HugeNever})
		if err != nil {
			t.Skipf("SKIP: no arena: %v", err)
		}
		cfg.Arena = a
		if _, err := New(cfg); err != nil {
			t.Errorf("%+v: New in an arena of ArenaBytes = %d: %v", cfg, ArenaBytes(cfg), err)
		} else if u := a.Used(); u > ArenaBytes(cfg) {
			t.Errorf("%+v: used %d bytes, ArenaBytes %d", cfg, u, ArenaBytes(cfg))
		}
		a.Close()
	}
}
