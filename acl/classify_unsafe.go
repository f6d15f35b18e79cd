package acl

import (
	"math/bits"
	"unsafe"
)

// zeroKey stands in for keys shorter than KeyLen (their results are then
// overwritten with 0), so that the lookup loops need no length checks.
var zeroKey [MaxKeyLen]byte

// classifyBlock classifies up to c.blk keys. The table loads are unchecked:
// a chunk table has an entry for every chunk value, a combination table of
// a x b classes is indexed by class numbers below a and b, and a
// dimension's vectors exist for every class its last table produces, which
// is all the tables can produce (Build guarantees it).
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
	bst := best[:n*cats]
	for i := range bst {
		bst[i] = c.none
	}
	for gi := range c.groups {
		g := &c.groups[gi]
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
		if g.constRank != nil {
			for i := range n {
				b := bst[i*cats : i*cats+cats]
				for k := range b {
					b[k] = min(b[k], g.constRank[k])
				}
			}
			continue
		}
		g.match(scratch[:], blk, n, bst, cats)
	}
	ud := c.ud
	for i := range results[:n*cats] {
		results[i] = ud[bst[i]]
	}
	for short != 0 {
		i := bits.TrailingZeros64(short)
		short &= short - 1
		clear(results[i*cats : i*cats+cats])
	}
}

// match finds, for each of the n keys whose dimension classes are in
// scratch, the first rule of the group (in priority order) that every
// dimension's class holds, per category, and lowers best to its rank. It
// walks the shortest rule list of the key's classes and tests each rule's
// bit in every dimension.
func (g *group) match(scratch []uint32, blk, n int, best []uint32, cats int) {
	var base [maxDims]unsafe.Pointer
	var cls [maxDims][]uint32
	nd := len(g.dims)
	for d := range g.dims {
		cls[d] = scratch[g.dims[d].slot*blk : g.dims[d].slot*blk+n]
	}
	stride := uintptr(g.sumW+g.words) * 8
	sumW := uintptr(g.sumW) * 8
	all := uint32(1)<<cats - 1
	rank, gcats := g.rank, g.cats
	for i := range n {
		for d := range nd {
			base[d] = unsafe.Add(unsafe.Pointer(unsafe.SliceData(g.dims[d].bits)), uintptr(cls[d][i])*stride+sumW)
		}
		var rs []uint32
		for j, d := range g.listDims {
			dm := &g.dims[d]
			c := cls[d][i]
			l := dm.list[dm.offs[c]:dm.offs[c+1]]
			if j == 0 || len(l) < len(rs) {
				rs = l
			}
		}
		left := all
		b := best[i*cats : i*cats+cats]
	rules:
		for _, r := range rs {
			wo := uintptr(r/64) * 8
			bit := uint64(1) << (r % 64)
			for d := range nd {
				if *(*uint64)(unsafe.Add(base[d], wo))&bit == 0 {
					continue rules
				}
			}
			rc := gcats[r] & left
			if rc == 0 {
				continue
			}
			left &^= rc
			rk := rank[r]
			for rc != 0 {
				k := bits.TrailingZeros32(rc)
				rc &= rc - 1
				b[k] = min(b[k], rk)
			}
			if left == 0 {
				break
			}
		}
	}
}
