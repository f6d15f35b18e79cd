package memifproto

import (
	"errors"
	"fmt"
	"unsafe"
)

// Shared memory layout. A ring is a 128-byte header followed by 2^log2
// descriptors of 16 bytes:
//
//	offset 0   cookie  uint32  (Cookie)
//	offset 4   flags   uint16  (RingFlagMaskInt: the receiver polls)
//	offset 6   head    uint16  written by the client
//	offset 64  tail    uint16  written by the server
//	offset 128 desc[]  {flags uint16, region uint16, length uint32, offset uint32, metadata uint32}
//
// All memory belongs to the client. On a client-to-server (C2S) ring the
// client fills descriptors at head and the server consumes up to head and
// hands them back by moving tail. On a server-to-client (S2C) ring the
// client offers empty buffers by moving head, the server fills them at
// tail and moves tail, and the client consumes up to tail.
const (
	RingHeaderSize = 128
	DescSize       = 16
	offFlags       = 4
	offHead        = 6
	offTail        = 64
)

// RingSize is the bytes a ring of 2^log2 descriptors takes in a region.
func RingSize(log2 uint8) int { return RingHeaderSize + DescSize<<log2 }

// Desc is a buffer descriptor as laid out in shared memory. The peer may
// change it at any time: copy it out once (Ring.Desc returns a copy) and
// validate the copy.
type Desc struct {
	Flags    uint16
	Region   uint16
	Length   uint32
	Offset   uint32
	Metadata uint32
}

var _ [0]struct{} = [unsafe.Sizeof(Desc{}) - DescSize]struct{}{}

// Ring is a view of a ring header and its descriptors in a mapped region.
// Its methods do not check the slot: it is masked by the ring size.
type Ring struct {
	hdr  unsafe.Pointer
	mask uint16
	log2 uint8
}

// ErrLayout reports a ring or buffer outside its region, or a bad size.
var ErrLayout = errors.New("memif: shared memory layout")

// RingAt returns the ring of 2^log2 descriptors at off in region, checking
// that it lies inside the region and is 8-byte aligned. It does not check
// the cookie (a ring the client is about to initialise has none yet).
func RingAt(region []byte, off uint32, log2 uint8) (Ring, error) {
	if log2 > MaxLog2RingSize {
		return Ring{}, fmt.Errorf("%w: ring size 2^%d is over the 2^%d limit", ErrLayout, log2, MaxLog2RingSize)
	}
	end := uint64(off) + uint64(RingSize(log2))
	if end > uint64(len(region)) {
		return Ring{}, fmt.Errorf("%w: ring at %d..%d is past the region's end %d", ErrLayout, off, end, len(region))
	}
	if off%8 != 0 {
		return Ring{}, fmt.Errorf("%w: ring offset %d is not 8-byte aligned", ErrLayout, off)
	}
	return Ring{hdr: unsafe.Pointer(&region[off]), mask: uint16(1)<<log2 - 1, log2: log2}, nil
}

// Size is the number of descriptors.
func (r Ring) Size() int { return int(r.mask) + 1 }

// Log2Size is log2 of the number of descriptors.
func (r Ring) Log2Size() uint8 { return r.log2 }

// Init writes a fresh header: cookie, flags 0, head and tail 0.
func (r Ring) Init() {
	*(*uint32)(r.hdr) = Cookie
	store16(unsafe.Add(r.hdr, offFlags), 0)
	store16(unsafe.Add(r.hdr, offHead), 0)
	store16(unsafe.Add(r.hdr, offTail), 0)
}

// Cookie reads the cookie.
func (r Ring) Cookie() uint32 { return *(*uint32)(r.hdr) }

// Flags reads the flags word.
func (r Ring) Flags() uint16 { return load16(unsafe.Add(r.hdr, offFlags)) }

// SetFlags writes the flags word.
func (r Ring) SetFlags(f uint16) { store16(unsafe.Add(r.hdr, offFlags), f) }

// Head loads head with acquire semantics.
func (r Ring) Head() uint16 { return load16(unsafe.Add(r.hdr, offHead)) }

// SetHead stores head with release semantics.
func (r Ring) SetHead(v uint16) { store16(unsafe.Add(r.hdr, offHead), v) }

// Tail loads tail with acquire semantics.
func (r Ring) Tail() uint16 { return load16(unsafe.Add(r.hdr, offTail)) }

// SetTail stores tail with release semantics.
func (r Ring) SetTail(v uint16) { store16(unsafe.Add(r.hdr, offTail), v) }

// desc returns the descriptor of slot (masked).
func (r Ring) desc(slot uint16) *Desc {
	return (*Desc)(unsafe.Add(r.hdr, RingHeaderSize+uintptr(slot&r.mask)*DescSize))
}

// Desc returns a copy of slot's descriptor.
func (r Ring) Desc(slot uint16) Desc { return *r.desc(slot) }

// SetDesc writes slot's descriptor.
func (r Ring) SetDesc(slot uint16, d Desc) { *r.desc(slot) = d }

// SetDescLen writes the length and flags of slot's descriptor, leaving its
// region and offset.
func (r Ring) SetDescLen(slot uint16, length uint32, flags uint16) {
	d := r.desc(slot)
	d.Length, d.Flags = length, flags
}

// Regions are the mapped regions of one connection, by index.
type Regions [][]byte

// Buf returns the n bytes at (region, off), or ok false if any of them lies
// outside the regions: the check every descriptor from the peer passes.
func (rs Regions) Buf(region uint16, off, n uint32) (b []byte, ok bool) {
	if int(region) >= len(rs) {
		return nil, false
	}
	r := rs[region]
	if uint64(off)+uint64(n) > uint64(len(r)) {
		return nil, false
	}
	return r[off : off+n : off+n], true
}

// Layout is how a client lays out region 0 in copy mode, as DPDK does:
// the C2S rings, then the S2C rings, then one buffer per descriptor of
// each ring in the same order.
type Layout struct {
	NumC2S, NumS2C int
	Log2RingSize   uint8
	BufSize        uint32
}

func (l Layout) rings() int { return l.NumC2S + l.NumS2C }

func (l Layout) ringIndex(c2s bool, i int) int {
	if c2s {
		return i
	}
	return l.NumC2S + i
}

// RingOffset is the offset of ring i of the direction in region 0.
func (l Layout) RingOffset(c2s bool, i int) uint32 {
	return uint32(l.ringIndex(c2s, i) * RingSize(l.Log2RingSize))
}

// BufOffset is the offset of the buffer behind slot of ring i.
func (l Layout) BufOffset(c2s bool, i int, slot uint16) uint32 {
	n := l.ringIndex(c2s, i)<<l.Log2RingSize + int(slot&(1<<l.Log2RingSize-1))
	return uint32(l.rings()*RingSize(l.Log2RingSize)) + uint32(n)*l.BufSize
}

// RegionSize is the size of region 0, or an error if it does not fit the
// 32-bit offsets of the protocol. BufSize 0 (zero-copy) is rings only.
func (l Layout) RegionSize() (uint64, error) {
	if l.NumC2S < 1 || l.NumS2C < 1 || l.Log2RingSize > MaxLog2RingSize || l.BufSize%8 != 0 {
		return 0, fmt.Errorf("%w: bad layout %+v", ErrLayout, l)
	}
	n := uint64(l.rings()) * (uint64(RingSize(l.Log2RingSize)) + uint64(l.BufSize)<<l.Log2RingSize)
	if n > 1<<32 {
		return 0, fmt.Errorf("%w: region of %d bytes is over the protocol's 4 GiB", ErrLayout, n)
	}
	return n, nil
}
