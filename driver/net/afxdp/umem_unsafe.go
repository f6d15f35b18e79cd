package afxdp

import (
	"fmt"
	"os"
	"unsafe"

	"github.com/dpkit/dpkit/mbuf"
)

// umem is an mbuf pool's memory seen as a UMEM: its objects
//
//	chunk (one pool object, size bytes, at UMEM address objOff + i*elt):
//	+--------------+------------+------------------------------------------+
//	| Mbuf header  | priv area  | data room                                |
//	| 128 B        | PrivSize   | XDP headroom 256 | packet ... | tailroom |
//	+--------------+------------+------------------------------------------+
//	 <-- hdr: the UMEM headroom -->
//
// are its unaligned chunks. The fill ring is given the address of an
// mbuf's object; the kernel leaves the first hdr bytes (the UMEM
// headroom) alone, so the mbuf header survives, and writes the packet
// after its own XDP headroom in the data room. The rx descriptor's address
// gives the object back by subtraction (no lookup), its offset the
// packet's data_off.
type umem struct {
	pool   *mbuf.Pool
	mem    []byte         // the UMEM: from the page of object 0 to the end of the last
	base   unsafe.Pointer // &mem[0]
	objOff uint64         // UMEM address of object 0
	elt    uint64         // object stride
	size   int            // object size (header, private area, data room): the chunk size
	n      int            // objects
	hdr    int            // header + private area: the UMEM headroom
	// hugePage is the page size of the pool's memory when on hugepages:
	// in zero-copy mode a chunk that crosses one is not given to the
	// kernel (its DMA pages may not be contiguous).
	hugePage uint64
}

// newUmem describes pool's objects as a UMEM, or says why they cannot be
// one: the kernel wants chunks of 2048 bytes up to a page.
func newUmem(pool *mbuf.Pool) (*umem, error) {
	mp := pool.Mempool()
	elt, size := mp.EltSize(), mp.ObjSize()
	page := os.Getpagesize()
	if size < 2048 || size > page {
		return nil, fmt.Errorf("pool %q objects of %d bytes (header, private area, data room %d) are not UMEM chunks: the kernel wants 2048..%d",
			pool.Name(), size, pool.DataRoomSize(), page)
	}
	hdr := mbuf.HeaderSize + pool.PrivSize()
	if room := size - hdr; room < xdpHeadroom+minFrame {
		return nil, fmt.Errorf("pool %q data room %d leaves no room for a frame after the kernel's %d-byte XDP headroom", pool.Name(), room, xdpHeadroom)
	}
	obj0 := mp.ObjAt(0)
	first := uintptr(obj0)
	start := first &^ uintptr(page-1)
	end := uintptr(mp.ObjAt(mp.Size()-1)) + uintptr(elt)
	base := unsafe.Add(obj0, -int(first-start))
	if a := mp.Arena(); a == nil || !a.Contains(start) {
		return nil, fmt.Errorf("pool %q: the page of its first object is not in its arena", pool.Name())
	}
	u := &umem{
		pool:   pool,
		mem:    unsafe.Slice((*byte)(base), end-start),
		base:   base,
		objOff: uint64(first - start),
		elt:    uint64(elt),
		size:   size,
		n:      mp.Size(),
		hdr:    hdr,
	}
	if a := mp.Arena(); a.Huge() {
		u.hugePage = uint64(a.PageSize())
	}
	return u, nil
}

// mbufOf is the mbuf of pool index i.
func (u *umem) mbufOf(i uint64) *mbuf.Mbuf {
	return (*mbuf.Mbuf)(unsafe.Add(u.base, u.objOff+i*u.elt))
}

// index is the pool index of the object that holds UMEM address a.
func (u *umem) index(a uint64) uint64 { return (a - u.objOff) / u.elt }

// chunk is the UMEM address of m's object (what the fill ring takes).
func (u *umem) chunk(m *mbuf.Mbuf) uint64 {
	return uint64(uintptr(unsafe.Pointer(m)) - uintptr(u.base))
}

// dataAddr is the UMEM address of m's first data byte.
func (u *umem) dataAddr(m *mbuf.Mbuf) uint64 {
	return uint64(uintptr(m.DataAddr()) - uintptr(u.base))
}

// crosses says whether [a, a+n) spans two hugepages (zero-copy only).
func (u *umem) crosses(a, n uint64) bool {
	if u.hugePage == 0 {
		return false
	}
	base := uint64(uintptr(u.base))
	return (base+a)/u.hugePage != (base+a+n-1)/u.hugePage
}

// bitset marks the mbufs (by pool index) a socket's rings hold: given to
// the kernel (fill, tx) and not yet taken back (rx, completion). Closing
// the socket gives them back to us; the set says which they are.
type bitset []uint64

func newBitset(n int) bitset        { return make(bitset, (n+63)/64) }
func (b bitset) set(i uint64)       { b[i/64] |= 1 << (i % 64) }
func (b bitset) clear(i uint64)     { b[i/64] &^= 1 << (i % 64) }
func (b bitset) test(i uint64) bool { return b[i/64]&(1<<(i%64)) != 0 }

// freeHeld frees every mbuf of u marked in held and clears it; it returns
// how many.
func (u *umem) freeHeld(held bitset, lcore uint) int {
	n := 0
	for w, bits := range held {
		for bits != 0 {
			b := uint64(0)
			for bits&(1<<b) == 0 {
				b++
			}
			bits &^= 1 << b
			i := uint64(w)*64 + b
			u.mbufOf(i).Free(lcore)
			n++
		}
		held[w] = 0
	}
	return n
}
