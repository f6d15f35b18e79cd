package acl

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

const sinkMagic = 0x5eed_ac10_0000_5eed

// zeroClasses are the classes of a linear group's keys.
var zeroClasses [maxBlock]uint32

// zeroKey stands in for keys shorter than KeyLen (their results are then
// overwritten with 0), so that the lookup loops need no length checks.
var zeroKey [MaxKeyLen]byte

// classifyBlock classifies up to c.blk keys. The table loads are unchecked:
// a chunk table has an entry for every chunk value, a combination table of
// a x b classes is indexed by class numbers below a and b, and a
// dimension's vectors exist for every class its last table produces, which
// is all the tables can produce (Build guarantees it).
func (c *Classifier) classifyBlock(data [][]byte, results []uint32, cats, blk int) {
	var scratch [scratchLen]uint32
	var keys [maxBlock]unsafe.Pointer
	var short, sink uint64
	n := len(data)
	for i, d := range data {
		if len(d) < c.keyLen {
			keys[i] = unsafe.Pointer(&zeroKey)
			short |= 1 << i
		} else {
			keys[i] = unsafe.Pointer(unsafe.SliceData(d))
		}
	}
	bst := scratch[c.nslots*blk : c.nslots*blk+n*cats]
	for i := range bst {
		bst[i] = c.none
	}
	for gi := range c.groups {
		g := &c.groups[gi]
		for si := range g.steps {
			s := &g.steps[si]
			dst := scratch[s.dst*blk : s.dst*blk+n]
			if s.tbl16 != nil {
				runStep(s, s.tbl16, dst, scratch[:], blk, keys[:n])
			} else {
				runStep(s, s.tbl, dst, scratch[:], blk, keys[:n])
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
		sink += g.match(c, keys[:n], scratch[:], blk, n, bst, cats)
	}
	if sink == sinkMagic {
		// Never in practice: this only keeps the touching loads of
		// match, whose sum is sink, from being optimised away.
		c.sinkHits.Add(1)
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

// runStep runs step s for the keys of a block: dst[i] is the table entry
// for key i's chunk, or for the classes of key i in slots a and b.
func runStep[T uint16 | uint32](s *step, tab []T, dst []uint32, scratch []uint32, blk int, keys []unsafe.Pointer) {
	tbl := unsafe.Pointer(unsafe.SliceData(tab))
	size := unsafe.Sizeof(T(0))
	switch {
	case s.combine:
		a := scratch[s.a*blk : s.a*blk+len(dst)]
		b := scratch[s.b*blk : s.b*blk+len(dst)]
		a, b = a[:len(dst)], b[:len(dst)]
		nb := uintptr(s.nb)
		for i := range dst {
			dst[i] = uint32(*(*T)(unsafe.Add(tbl, (uintptr(a[i])*nb+uintptr(b[i]))*size)))
		}
	case s.wide:
		off := uintptr(s.off)
		k := keys[:len(dst)]
		for i := range dst {
			p := unsafe.Add(k[i], off)
			v := uintptr(*(*byte)(p))<<8 | uintptr(*(*byte)(unsafe.Add(p, 1)))
			dst[i] = uint32(*(*T)(unsafe.Add(tbl, v*size)))
		}
	default:
		off := uintptr(s.off)
		k := keys[:len(dst)]
		for i := range dst {
			v := uintptr(*(*byte)(unsafe.Add(k[i], off)))
			dst[i] = uint32(*(*T)(unsafe.Add(tbl, v*size)))
		}
	}
}

// match finds, for each of the n keys whose lead classes are in scratch,
// the first rule of its class's list that the key matches, per category,
// and lowers best to its rank.
func (g *group) match(c *Classifier, keys []unsafe.Pointer, scratch []uint32, blk, n int, best []uint32, cats int) (sink uint64) {
	cls := scratch[g.slot*blk : g.slot*blk+n]
	if g.linear {
		cls = zeroClasses[:n]
	}
	offs := g.offs
	if g.check32 != nil {
		// The filter fields (the first nfilt of the records) of every
		// key against its whole list, 16 entries a compare, for all the
		// block's keys before any walk: their list loads overlap, and
		// the walk then visits only the entries that pass.
		var fl [maxBlock]filt
		fds := g.fields[:g.nfilt]
		for i, cl := range cls {
			lo, hi := offs[cl], offs[cl+1]
			f := &fl[i]
			f.start, f.cnt, f.end = lo, min(hi-lo, filterMax), hi
			for k := range fds {
				f.f[k] = uint32(loadField(keys[i], &fds[k]))
			}
		}
		filter(fl[:n], g.fr, g.nfilt, g.fstride)
		// Touch the record of every key's first candidate, so that
		// those misses overlap too. (Touching the next candidates' as
		// well was no faster on 4000 and 20000 IPv4 rules.)
		check, list := g.check32, g.list
		for i := range fl[:n] {
			f := &fl[i]
			for w := range f.mask {
				c := uint32(64 * w)
				if c >= f.cnt {
					break
				}
				m := f.mask[w] & lowMask(min(f.cnt-c, 64))
				if m != 0 {
					r := list[f.start+c+uint32(bits.TrailingZeros64(m))]
					sink += uint64(check[int(r)*g.stride])
					break
				}
			}
		}
		if len(g.fields) <= 5 {
			g.walk5(keys, fl[:n], best, cats)
		} else {
			g.walk32(keys, fl[:n], best, cats)
		}
		return sink
	}
	var rng [maxBlock]uint64 // list start | end<<32
	list := g.list
	for i, cl := range cls {
		lo, hi := offs[cl], offs[cl+1]
		rng[i] = uint64(lo) | uint64(hi)<<32
		if lo < hi {
			sink += g.check64[int(list[lo])*g.stride]
		}
	}
	matchRules(g, g.check64, keys, rng[:n], best, cats)
	return sink
}

// filt is one key's input to and output of the filter. Its layout is
// known to filterAVX512.
type filt struct {
	f     [maxFilt]uint32 // the key's first nfilt checked fields
	start uint32          // its list's first entry
	cnt   uint32          // entries to filter: min(list length, filterMax)
	end   uint32          // one past its list's last entry
	_     uint32
	// Bit j%64 of mask[j/64]: entry start+j passes the filter (j < cnt;
	// the bits from cnt on are garbage).
	mask [filterMax / 64]uint64
}

// maxFilt is the most fields a filter compares.
const maxFilt = 4

// filterMax is the most entries of a list the block filter compares; a
// walk filters the rest 64 at a time when it gets there.
const filterMax = 256

// filterPad is the number of entries after the last of each fr array, so
// that a filter may compare 16 entries from any entry of a list.
const filterPad = 16

// lowMask returns a mask of the low n bits, n <= 64.
func lowMask(n uint32) uint64 { return ^uint64(0) >> (64 - n) & -uint64(min(n, 1)) }

// filterGo is the filter in Go: the mask of the entries lo[a:b] (at most
// 64) of the nfilt fields of fr (stride words apart) whose ranges hold the
// key's fields f.
func filterGo(f *[maxFilt]uint32, fr []uint32, nfilt, stride int, a, b uint32) uint64 {
	m := ^uint64(0)
	for k := range nfilt {
		lo := fr[2*k*stride+int(a) : 2*k*stride+int(b)]
		span := fr[(2*k+1)*stride+int(a) : (2*k+1)*stride+int(b)]
		span = span[:len(lo)]
		x, mk := f[k], uint64(0)
		for j, l := range lo {
			// span - (x-lo) is negative exactly when x is out of range.
			d := uint64(span[j]) - uint64(x-l)
			mk |= (^d >> 63) << uint(j)
		}
		m &= mk
	}
	return m
}

// filterBlockGo is filter without assembly.
func filterBlockGo(fl []filt, fr []uint32, nfilt, stride int) {
	for i := range fl {
		f := &fl[i]
		for w := range f.mask {
			c := uint32(64 * w)
			if c >= f.cnt {
				break
			}
			f.mask[w] = filterGo(&f.f, fr, nfilt, stride, f.start+c, f.start+min(f.cnt, c+64))
		}
	}
}

// matchRules walks each key's list (rng: start | end<<32 in g.list) until
// every category has a rule, or the list's ranks can no longer beat what
// earlier groups found.
func matchRules[W uint32 | uint64](g *group, check []W, keys []unsafe.Pointer, rng []uint64, best []uint32, cats int) {
	all := uint32(1)<<cats - 1
	rank, gcats, list := g.rank, g.cats, g.list
	fields := g.fields
	nf := len(fields)
	stride := g.stride
	var fv [MaxFields]W
	for i, rg := range rng {
		rs := list[uint32(rg):uint32(rg>>32)]
		if len(rs) == 0 {
			continue
		}
		p := keys[i]
		for f := range fields {
			fv[f] = W(loadField(p, &fields[f]))
		}
		left := all
		b := best[i*cats : i*cats+cats]
		worst := b[0]
		for _, x := range b[1:] {
			worst = max(worst, x)
		}
	rules:
		for _, r := range rs {
			if rank[r] >= worst {
				break // ranks only grow along the list
			}
			ck := check[int(r)*stride : int(r)*stride+3*nf]
			for f := range nf {
				if fv[f]&ck[3*f]-ck[3*f+1] > ck[3*f+2] {
					continue rules
				}
			}
			rc := gcats[r] & left
			if rc == 0 {
				continue
			}
			left &^= rc
			rk := rank[r]
			record(b, rc, rk)
			if left == 0 {
				break
			}
		}
	}
}

// walk5 walks, for every key of fl, the entries of its list that passed
// the filter, in priority order: the first rule whose record the key
// passes gives the categories it has and that no earlier rule gave, until
// every category has a rule or the ranks can no longer beat what earlier
// groups found. It is for keys of at most 5 fields of at most 4 bytes
// (the IPv4 5-tuple): the field tests unrolled, the key's fields in
// registers. Absent fields have a record (0, 0, 0) that every key passes.
func (g *group) walk5(keys []unsafe.Pointer, fl []filt, best []uint32, cats int) {
	all := uint32(1)<<cats - 1
	gcats, rank, list := g.cats, g.rank, g.list
	check := unsafe.Pointer(unsafe.SliceData(g.check32))
	stride := uintptr(g.stride) * 4
	var fd [5]FieldDef
	nf := copy(fd[:], g.fields)
	for i := range fl {
		f := &fl[i]
		m := f.mask[0] & lowMask(min(f.cnt, 64))
		if m == 0 && f.cnt <= 64 && f.end-f.start <= 64 {
			continue
		}
		p := keys[i]
		f0 := f.f[0]
		var f1, f2, f3, f4 uint32
		switch nf {
		case 5:
			f4 = uint32(loadField(p, &fd[4]))
			fallthrough
		case 4:
			f3 = uint32(loadField(p, &fd[3]))
			fallthrough
		case 3:
			f2 = uint32(loadField(p, &fd[2]))
			fallthrough
		case 2:
			f1 = uint32(loadField(p, &fd[1]))
		}
		left := all
		b := best[i*cats : i*cats+cats]
		worst := b[0]
		if cats > 1 {
			for _, x := range b[1:] {
				worst = max(worst, x)
			}
		}
		base := f.start
	walk:
		for {
			for m != 0 {
				r := list[base+uint32(bits.TrailingZeros64(m))]
				m &= m - 1
				rk := rank[r]
				if rk >= worst {
					break walk // ranks only grow along the list
				}
				ck := (*[15]uint32)(unsafe.Add(check, uintptr(r)*stride))
				if f0&ck[0]-ck[1] > ck[2] || f1&ck[3]-ck[4] > ck[5] || f2&ck[6]-ck[7] > ck[8] ||
					f3&ck[9]-ck[10] > ck[11] || f4&ck[12]-ck[13] > ck[14] {
					continue
				}
				rc := gcats[r] & left
				if rc == 0 {
					continue
				}
				left &^= rc
				record(b, rc, rk)
				if left == 0 {
					break walk
				}
			}
			// Lists longer than 64 entries: the next 64, filtered
			// already up to filterMax.
			base += 64
			if base >= f.end {
				break
			}
			m = g.nextMask(f, base)
		}
	}
}

// walk32 is walk5 for keys of more than 5 fields of at most 4 bytes
// (IPv6 as 4-byte words).
func (g *group) walk32(keys []unsafe.Pointer, fl []filt, best []uint32, cats int) {
	all := uint32(1)<<cats - 1
	gcats, rank, list, check := g.cats, g.rank, g.list, g.check32
	fields := g.fields
	nf := len(fields)
	stride := g.stride
	var fv [MaxFields]uint32
	for i := range fl {
		f := &fl[i]
		m := f.mask[0] & lowMask(min(f.cnt, 64))
		if m == 0 && f.cnt <= 64 && f.end-f.start <= 64 {
			continue
		}
		p := keys[i]
		for k := range nf {
			fv[k] = uint32(loadField(p, &fields[k]))
		}
		left := all
		b := best[i*cats : i*cats+cats]
		worst := b[0]
		if cats > 1 {
			for _, x := range b[1:] {
				worst = max(worst, x)
			}
		}
		base := f.start
	walk:
		for {
		rules:
			for m != 0 {
				r := list[base+uint32(bits.TrailingZeros64(m))]
				m &= m - 1
				rk := rank[r]
				if rk >= worst {
					break walk // ranks only grow along the list
				}
				ck := check[int(r)*stride : int(r)*stride+3*nf]
				for k := range nf {
					if fv[k]&ck[3*k]-ck[3*k+1] > ck[3*k+2] {
						continue rules
					}
				}
				rc := gcats[r] & left
				if rc == 0 {
					continue
				}
				left &^= rc
				record(b, rc, rk)
				if left == 0 {
					break walk
				}
			}
			base += 64
			if base >= f.end {
				break
			}
			m = g.nextMask(f, base)
		}
	}
}

// loadField reads field d of the key at p, big-endian.
func loadField(p unsafe.Pointer, d *FieldDef) uint64 {
	q := unsafe.Add(p, d.Offset)
	switch d.Size {
	case 1:
		return uint64(*(*byte)(q))
	case 2:
		return uint64(binary.BigEndian.Uint16(unsafe.Slice((*byte)(q), 2)))
	case 4:
		return uint64(binary.BigEndian.Uint32(unsafe.Slice((*byte)(q), 4)))
	default:
		return binary.BigEndian.Uint64(unsafe.Slice((*byte)(q), 8))
	}
}

// record lowers the best rank of every category in rc to rk.
func record(b []uint32, rc, rk uint32) {
	for rc != 0 {
		k := bits.TrailingZeros32(rc)
		rc &= rc - 1
		b[k] = min(b[k], rk)
	}
}

// nextMask is the filter mask of f's list entries base..base+63: the
// mask filtered ahead of the walks up to filterMax entries, the Go
// filter's beyond.
func (g *group) nextMask(f *filt, base uint32) uint64 {
	if c := base - f.start; c < f.cnt {
		return f.mask[c/64] & lowMask(min(f.cnt-c, 64))
	}
	return filterGo(&f.f, g.fr, g.nfilt, g.fstride, base, min(f.end, base+64))
}
