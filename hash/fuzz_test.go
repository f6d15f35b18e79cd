package hash

import (
	"errors"
	"testing"
)

// FuzzOps runs an operation sequence decoded from the input against a
// table and a map, comparing them after every operation. Keys come from a
// small universe and a weak hash, so collisions, displacement and overflow
// chains are common.
func FuzzOps(f *testing.F) {
	f.Add([]byte{0, 1, 0, 2, 0, 3, 1, 2, 0, 2, 2, 0})
	f.Add([]byte{0x10, 0x20, 0x30, 0x40, 0x51, 0x61, 0x72, 0x03, 0x83})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 4000 {
			return
		}
		ext := len(ops) > 0 && ops[0]&0x80 != 0
		weak := func(k []byte, _ uint32) uint32 { return uint32(k[0]&7)*0x00090001 + uint32(k[1]&3)<<16 }
		tb, err := New(Config{Entries: 24, KeyLen: 5, ExtendableBuckets: ext, Hash: weak})
		if err != nil {
			t.Fatal(err)
		}
		m := model{}
		for i, op := range ops {
			key := []byte{op & 0x3f, op >> 3, 0, byte(i & 1), 7}
			switch op >> 6 {
			case 0, 1:
				pos, err := tb.Add(key, uint64(i))
				if e, in := m[string(key)]; in {
					if err != nil || pos != e.pos {
						t.Fatalf("re-Add: %d, %v, want %d", pos, err, e.pos)
					}
				} else if err != nil {
					if !errors.Is(err, ErrNoSpace) || (ext && len(m) < 24) {
						t.Fatalf("Add with %d keys: %v", len(m), err)
					}
					continue
				}
				m[string(key)] = entry{pos, uint64(i)}
			case 2:
				pos, err := tb.Delete(key)
				e, in := m[string(key)]
				if in != (err == nil) || (in && pos != e.pos) {
					t.Fatalf("Delete: %d, %v; model %v %d", pos, err, in, e.pos)
				}
				delete(m, string(key))
			case 3:
				d, pos, ok := tb.LookupData(key)
				e, in := m[string(key)]
				if ok != in || (in && (pos != e.pos || d != e.data)) {
					t.Fatalf("LookupData: %d %d %v; model %v %+v", d, pos, ok, in, e)
				}
			}
		}
		check(t, tb, m, nil)
	})
}
