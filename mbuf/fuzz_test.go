package mbuf

import (
	"bytes"
	"testing"
)

// FuzzOps applies a sequence of operations read from the input to one
// packet and to a plain []byte model of it: nothing panics, every
// operation succeeds exactly when the model says it must, the packet's
// contents always equal the model, Check never complains, and both pools
// are full at the end.
func FuzzOps(f *testing.F) {
	p := newPool(f, PoolConfig{Name: "fuzz", N: 64, DataRoomSize: 300})
	ip := newPool(f, PoolConfig{Name: "fuzz-indirect", N: 64, DataRoomSize: 8})
	f.Add([]byte{1, 100, 0, 20, 4, 150, 4, 30, 5, 10, 200, 6, 0})
	f.Add([]byte{1, 170, 4, 170, 4, 170, 7, 0, 0, 120, 3, 50, 2, 60, 5, 0, 255, 6, 0})
	f.Add([]byte{4, 10, 4, 10, 4, 10, 6, 0, 7, 0, 8, 0, 1, 5, 6, 0})
	f.Add([]byte{0, 128, 0, 1, 1, 172, 1, 1, 2, 255, 3, 255})
	f.Fuzz(func(t *testing.T, ops []byte) {
		m := p.Alloc(lc)
		if m == nil {
			t.Fatal("pool empty at start")
		}
		var model []byte
		seq := byte(0)
		fill := func(b []byte) {
			for i := range b {
				seq++
				b[i] = seq
			}
		}
		var got []byte
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i]%9, int(ops[i+1])
			switch op {
			case 0: // Prepend
				n := arg % 150
				ok := n <= m.Headroom()
				b := m.Prepend(n)
				if (b != nil) != ok || b != nil && len(b) != n {
					t.Fatalf("Prepend(%d) with headroom %d: %v", n, m.Headroom(), b != nil)
				}
				if ok {
					fill(b)
					model = append(bytes.Clone(b), model...)
				}
			case 1: // Append
				n := arg % 200
				ok := n <= m.LastSeg().Tailroom()
				b := m.Append(n)
				if (b != nil) != ok || b != nil && len(b) != n {
					t.Fatalf("Append(%d) with tailroom %d: %v", n, m.LastSeg().Tailroom(), b != nil)
				}
				if ok {
					fill(b)
					model = append(model, b...)
				}
			case 2: // Adj
				n := arg % 64
				ok := n <= m.Len()
				if m.Adj(n) != ok {
					t.Fatalf("Adj(%d) of a %d-byte first segment", n, m.Len())
				}
				if ok {
					model = model[n:]
				}
			case 3: // Trim
				n := arg % 64
				ok := n <= m.LastSeg().Len()
				if m.Trim(n) != ok {
					t.Fatalf("Trim(%d) of a %d-byte last segment", n, m.LastSeg().Len())
				}
				if ok {
					model = model[:len(model)-n]
				}
			case 4: // Chain a new segment
				s := p.Alloc(lc)
				if s == nil {
					continue
				}
				s.Adj(0)
				s.Prepend(arg % 16)
				fill(s.Data())
				fill(s.Append(min(arg, s.Tailroom())))
				model = append(model, s.Data()...)
				if err := Chain(m, s); err != nil {
					t.Fatal(err)
				}
			case 5: // Read
				off := arg
				n := 0
				if i+2 < len(ops) {
					n = int(ops[i+2])
					i++
				}
				r := m.Read(off, make([]byte, n))
				if off+n > len(model) {
					if r != nil {
						t.Fatalf("Read(%d, %d) of %d bytes succeeded", off, n, len(model))
					}
				} else if !bytes.Equal(r, model[off:off+n]) {
					t.Fatalf("Read(%d, %d) = %x, want %x", off, n, r, model[off:off+n])
				}
			case 6: // Linearize
				ok := m.NbSegs() == 1 || m.PktLen()-m.Len() <= m.Tailroom()
				if err := m.Linearize(lc); (err == nil) != ok {
					t.Fatalf("Linearize of %d segments, %d bytes, tailroom %d: %v", m.NbSegs(), m.PktLen(), m.Tailroom(), err)
				}
				if ok && m.NbSegs() != 1 {
					t.Fatal("Linearize left segments")
				}
			case 7: // replace the packet by a clone of it
				c := ip.Clone(m, lc)
				if c == nil {
					continue
				}
				if arg%2 == 0 {
					m.Free(lc)
					m = c
				} else {
					c.Free(lc)
				}
			case 8: // a clone freed with FreeBulk, then the original kept
				c := ip.Clone(m, lc)
				FreeBulk(lc, []*Mbuf{c, nil})
			}
			if err := m.Check(true); err != nil {
				t.Fatalf("after op %d: %v", op, err)
			}
			if m.PktLen() != len(model) {
				t.Fatalf("after op %d: PktLen %d, model %d", op, m.PktLen(), len(model))
			}
			got = append(got[:0], make([]byte, len(model))...)
			if m.CopyTo(got) != len(model) || !bytes.Equal(got, model) {
				t.Fatalf("after op %d:\n got %x\nwant %x", op, got, model)
			}
		}
		m.Free(lc)
		if p.InUse() != 0 || ip.InUse() != 0 {
			t.Fatalf("in use at the end: %d, %d", p.InUse(), ip.InUse())
		}
	})
}
