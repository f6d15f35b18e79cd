package acl

import "unsafe"

// zeroKey stands in for keys shorter than KeyLen (their results are then
// overwritten with 0), so that the lookup loops need no length checks.
var zeroKey [MaxKeyLen]byte

// classifyBlock classifies up to c.blk keys. The table loads are unchecked:
// a chunk table has an entry for every chunk value, and a combination table
// of a x b classes is indexed by class numbers below a and b, which is all
// the tables that feed it can produce (Build guarantees both).
func (c *Classifier) classifyBlock(data [][]byte, results []uint32, cats int) {
	var scratch [scratchLen]uint32
	var best [maxBlock * MaxCategories]uint32
	var keys [maxBlock]unsafe.Pointer
	var short uint64
	n := len(data)
	blk := c.blk
	for i, d := range data {
		if len(d) < c.keyLen {
			keys[i] = unsafe.Pointer(&zeroKey)
			short |= 1 << i
		} else {
			keys[i] = unsafe.Pointer(unsafe.SliceData(d))
		}
	}
	for gi := range c.groups {
		g := &c.groups[gi]
		root := scratch[g.root*blk : g.root*blk+n]
		if g.constR {
			clear(root)
		}
		for si := range g.steps {
			s := &g.steps[si]
			dst := scratch[s.dst*blk : s.dst*blk+n]
			tbl := unsafe.Pointer(unsafe.SliceData(s.tbl))
			switch {
			case s.combine:
				a := scratch[s.a*blk : s.a*blk+n]
				b := scratch[s.b*blk : s.b*blk+n]
				a, b = a[:len(dst)], b[:len(dst)]
				nb := uintptr(s.nb)
				for i := range dst {
					dst[i] = *(*uint32)(unsafe.Add(tbl, (uintptr(a[i])*nb+uintptr(b[i]))*4))
				}
			case s.wide:
				off := uintptr(s.off)
				k := keys[:len(dst)]
				for i := range dst {
					p := unsafe.Add(k[i], off)
					v := uintptr(*(*byte)(p))<<8 | uintptr(*(*byte)(unsafe.Add(p, 1)))
					dst[i] = *(*uint32)(unsafe.Add(tbl, v*4))
				}
			default:
				off := uintptr(s.off)
				k := keys[:len(dst)]
				for i := range dst {
					v := uintptr(*(*byte)(unsafe.Add(k[i], off)))
					dst[i] = *(*uint32)(unsafe.Add(tbl, v*4))
				}
			}
		}
		res := g.res
		gc := g.cats
		if gi == 0 {
			for i, rc := range root {
				r := res[int(rc)*gc : int(rc)*gc+cats]
				copy(best[i*cats:i*cats+cats], r)
			}
			continue
		}
		for i, rc := range root {
			r := res[int(rc)*gc : int(rc)*gc+cats]
			b := best[i*cats : i*cats+cats]
			for k, x := range r {
				b[k] = min(b[k], x)
			}
		}
	}
	if len(c.groups) == 0 {
		for i := range best[:n*cats] {
			best[i] = c.none
		}
	}
	ud := c.ud
	for i := range results[:n*cats] {
		results[i] = ud[best[i]]
	}
	for short != 0 {
		i := 0
		for short&(1<<i) == 0 {
			i++
		}
		short &^= 1 << i
		clear(results[i*cats : i*cats+cats])
	}
}
