package proto

import (
	"encoding/binary"
	"net/netip"
)

// IPv6 is a view of an IPv6 fixed header and what follows (RFC 8200):
//
//	0              4       6    7    8     24    40
//	|ver|tc|  flow |paylen |next|hops| src | dst | extension headers, payload
type IPv6 []byte

// IPv6Len is the length of the fixed header.
const IPv6Len = 40

// IPv6Fields is what Encode writes (the fixed header only).
type IPv6Fields struct {
	TrafficClass uint8
	FlowLabel    uint32 // 20 bits
	PayloadLen   uint16
	NextHeader   uint8
	HopLimit     uint8
	Src, Dst     netip.Addr
}

// IsValid reports whether b holds the fixed header, version 6, and the
// payload its length announces.
func (b IPv6) IsValid() bool {
	return len(b) >= IPv6Len && b[0]>>4 == 6 && IPv6Len+b.PayloadLen() <= len(b)
}

// TrafficClass returns the traffic class.
func (b IPv6) TrafficClass() uint8 { return uint8(binary.BigEndian.Uint16(b[0:2]) >> 4) }

// FlowLabel returns the 20-bit flow label.
func (b IPv6) FlowLabel() uint32 { return binary.BigEndian.Uint32(b[0:4]) & 0xfffff }

// PayloadLen returns the payload length (extension headers included).
func (b IPv6) PayloadLen() int { return int(binary.BigEndian.Uint16(b[4:6])) }

// NextHeader returns the type of the first extension header or payload.
func (b IPv6) NextHeader() uint8 { return b[6] }

// HopLimit returns the hop limit.
func (b IPv6) HopLimit() uint8 { return b[7] }

// Src returns the source address.
func (b IPv6) Src() netip.Addr { return netip.AddrFrom16([16]byte(b[8:24])) }

// Dst returns the destination address.
func (b IPv6) Dst() netip.Addr { return netip.AddrFrom16([16]byte(b[24:40])) }

// Payload returns the PayloadLen bytes after the fixed header.
func (b IPv6) Payload() []byte { return b[IPv6Len : IPv6Len+b.PayloadLen()] }

// PseudoHeaderSum returns the sum of the upper-layer pseudo-header for
// protocol proto and l4len bytes of upper-layer data. Its destination is
// the final one (FinalDst): with a routing header, not the Dst field.
func (b IPv6) PseudoHeaderSum(proto uint8, l4len int) uint16 {
	if isIPv6Ext(b[6]) {
		dst := b.FinalDst()
		return PseudoHeaderSum6((*[16]byte)(b[8:24]), &dst, proto, l4len)
	}
	return PseudoHeaderSum6((*[16]byte)(b[8:24]), (*[16]byte)(b[24:40]), proto, l4len)
}

// Routing header types whose final destination FinalDst knows.
const (
	IPv6RoutingType0   uint8 = 0 // deprecated source route (RFC 5095)
	IPv6RoutingType2   uint8 = 2 // mobile IPv6
	IPv6RoutingTypeSRH uint8 = 4 // segment routing (RFC 8754)
)

// FinalDst returns the address the packet is finally bound for, which
// upper-layer checksums use (RFC 8200 §8.1): the Dst field, unless a
// routing header with segments left names a later one (the last address
// of a type 0 or 2 header, the first segment of an SRH).
func (b IPv6) FinalDst() [16]byte {
	dst := [16]byte(b[24:40])
	proto, ext := b[6], b[IPv6Len:]
	if IPv6Len+b.PayloadLen() <= len(b) {
		ext = b[IPv6Len : IPv6Len+b.PayloadLen()]
	}
	for range 8 {
		if !isIPv6Ext(proto) || proto == IPProtoFragment {
			break
		}
		l := ExtLen(proto, ext)
		if l == 0 || l > len(ext) {
			break
		}
		if e := IPv6Ext(ext[:l]); proto == IPProtoRouting && e.SegmentsLeft() > 0 {
			switch e.RoutingType() {
			case IPv6RoutingType0, IPv6RoutingType2:
				if l >= 24 {
					dst = [16]byte(ext[l-16 : l])
				}
			case IPv6RoutingTypeSRH:
				if l >= 24 {
					dst = [16]byte(ext[8:24])
				}
			}
		}
		proto, ext = ext[0], ext[l:]
	}
	return dst
}

// SetPayloadLen sets the payload length.
func (b IPv6) SetPayloadLen(n uint16) { binary.BigEndian.PutUint16(b[4:6], n) }

// SetNextHeader sets the next header.
func (b IPv6) SetNextHeader(p uint8) { b[6] = p }

// SetHopLimit sets the hop limit (IPv6 has no header checksum).
func (b IPv6) SetHopLimit(h uint8) { b[7] = h }

// SetSrc sets the source address; an IPv4 address is written mapped.
// Upper-layer checksums cover it: see TCP.UpdateChecksumAddr.
func (b IPv6) SetSrc(a netip.Addr) { put16(b[8:24], a) }

// SetDst sets the destination address.
func (b IPv6) SetDst(a netip.Addr) { put16(b[24:40], a) }

func put16(b []byte, a netip.Addr) {
	var v [16]byte
	if a.IsValid() {
		v = a.As16()
	}
	copy(b[:16], v[:])
}

// Encode writes the fixed header.
func (b IPv6) Encode(f *IPv6Fields) {
	binary.BigEndian.PutUint32(b[0:4], 6<<28|uint32(f.TrafficClass)<<20|f.FlowLabel&0xfffff)
	b.SetPayloadLen(f.PayloadLen)
	b[6] = f.NextHeader
	b[7] = f.HopLimit
	b.SetSrc(f.Src)
	b.SetDst(f.Dst)
}

// IPv6Ext is a view of an IPv6 extension header with the common layout
// of hop-by-hop options, routing and destination options (and of AH,
// whose length unit differs: see ExtLen):
//
//	0    1      2
//	|next|hdrlen| data ... (8*(hdrlen+1) bytes in all)
type IPv6Ext []byte

// IsValid reports whether the whole header is in b.
func (e IPv6Ext) IsValid() bool { return len(e) >= 8 && e.Len() <= len(e) }

// NextHeader returns the type of the next header.
func (e IPv6Ext) NextHeader() uint8 { return e[0] }

// Len returns the length of the header in bytes, 8*(hdrlen+1).
func (e IPv6Ext) Len() int { return (int(e[1]) + 1) * 8 }

// Options returns the options of a hop-by-hop or destination options
// header (use NextIPv6Option).
func (e IPv6Ext) Options() []byte { return e[2:e.Len()] }

// RoutingType returns the routing type of a routing header.
func (e IPv6Ext) RoutingType() uint8 { return e[2] }

// SegmentsLeft returns the segments left of a routing header.
func (e IPv6Ext) SegmentsLeft() uint8 { return e[3] }

// Encode writes the next header and length of an extension header of n
// bytes (a multiple of 8) and fills its data with opts then PadN/Pad1
// padding; opts must fit in n-2 bytes.
func (e IPv6Ext) Encode(next uint8, n int, opts []byte) {
	e[0] = next
	e[1] = uint8(n/8 - 1)
	k := 2 + copy(e[2:n], opts)
	switch pad := n - k; {
	case pad == 1:
		e[k] = 0 // Pad1
	case pad >= 2:
		e[k], e[k+1] = 1, uint8(pad-2) // PadN
		clear(e[k+2 : n])
	}
}

// ExtLen returns the length in bytes of the extension header of type
// proto at the start of b, or 0 if proto is not an extension header this
// package knows or b is too short to say. The fragment header is 8 bytes;
// AH counts 4-byte units, the others 8-byte units.
func ExtLen(proto uint8, b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch proto {
	case IPProtoHopOpts, IPProtoRouting, IPProtoDstOpts:
		return (int(b[1]) + 1) * 8
	case IPProtoFragment:
		return IPv6FragmentLen
	case IPProtoAH:
		return (int(b[1]) + 2) * 4
	}
	return 0
}

// IPv6 option types in hop-by-hop and destination options headers.
const (
	IPv6OptPad1        uint8 = 0
	IPv6OptPadN        uint8 = 1
	IPv6OptRouterAlert uint8 = 5
	IPv6OptJumbo       uint8 = 0xc2
)

// NextIPv6Option reads the option at the start of opts: its type, its
// data and the options after it. Pad1 is one byte; every other option is
// type, length, data. Unlike IPv4 there is no end-of-options: stop when
// opts is empty.
func NextIPv6Option(opts []byte) (typ uint8, data, rest []byte, err error) {
	if len(opts) == 0 {
		return 0, nil, nil, ErrTruncated
	}
	typ = opts[0]
	if typ == IPv6OptPad1 {
		return typ, nil, opts[1:], nil
	}
	if len(opts) < 2 {
		return typ, nil, nil, ErrTruncated
	}
	l := 2 + int(opts[1])
	if l > len(opts) {
		return typ, nil, nil, ErrTruncated
	}
	return typ, opts[2:l], opts[l:], nil
}

// IPv6Fragment is a view of the IPv6 fragment header:
//
//	0    1   2          4
//	|next|res|off|res|M| identification |
type IPv6Fragment []byte

// IPv6FragmentLen is the length of a fragment header.
const IPv6FragmentLen = 8

// IsValid reports whether b holds a fragment header.
func (f IPv6Fragment) IsValid() bool { return len(f) >= IPv6FragmentLen }

// NextHeader returns the type of the fragmentable part.
func (f IPv6Fragment) NextHeader() uint8 { return f[0] }

// FragmentOffset returns the offset of this fragment in bytes.
func (f IPv6Fragment) FragmentOffset() int { return int(binary.BigEndian.Uint16(f[2:4]) &^ 7) }

// MoreFragments reports the M flag.
func (f IPv6Fragment) MoreFragments() bool { return f[3]&1 != 0 }

// ID returns the identification.
func (f IPv6Fragment) ID() uint32 { return binary.BigEndian.Uint32(f[4:8]) }

// IsAtomic reports whether this is an atomic fragment (offset 0, M clear,
// RFC 6946): the whole datagram in one piece.
func (f IPv6Fragment) IsAtomic() bool { return binary.BigEndian.Uint16(f[2:4])&^6 == 0 }

// Encode writes the header; off is in bytes (a multiple of 8).
func (f IPv6Fragment) Encode(next uint8, off int, more bool, id uint32) {
	f[0], f[1] = next, 0
	v := uint16(off) &^ 7
	if more {
		v |= 1
	}
	binary.BigEndian.PutUint16(f[2:4], v)
	binary.BigEndian.PutUint32(f[4:8], id)
}

// SkipIPv6Ext walks the extension headers of an IPv6 packet that start
// at b with type proto (the fixed header's next header) and returns the
// upper-layer protocol, the bytes of extension headers skipped, and the
// fragment header if one was found (nil otherwise; the walk stops after
// a fragment header that is not the first fragment, as what follows is
// not a header). It stops at the first type that is not an extension
// header (ESP and no-next-header included), and fails with ErrTruncated
// if a header runs past b.
func SkipIPv6Ext(proto uint8, b []byte) (upper uint8, n int, frag IPv6Fragment, err error) {
	for range 8 { // more headers than that is an attack, not a packet
		l := ExtLen(proto, b[n:])
		if l == 0 {
			if isIPv6Ext(proto) {
				return proto, n, frag, ErrTruncated
			}
			return proto, n, frag, nil
		}
		if n+l > len(b) {
			return proto, n, frag, ErrTruncated
		}
		if proto == IPProtoFragment {
			frag = IPv6Fragment(b[n : n+l])
			if frag.FragmentOffset() != 0 {
				return frag.NextHeader(), n + l, frag, nil
			}
		}
		proto = b[n]
		n += l
	}
	return proto, n, frag, ErrBadOption
}

func isIPv6Ext(p uint8) bool {
	return p == IPProtoHopOpts || p == IPProtoRouting || p == IPProtoDstOpts ||
		p == IPProtoFragment || p == IPProtoAH
}
