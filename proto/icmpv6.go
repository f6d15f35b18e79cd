package proto

import (
	"encoding/binary"
	"net/netip"
)

// ICMPv6 is a view of an ICMPv6 message (RFC 4443) and of the neighbour
// discovery messages (RFC 4861) it carries:
//
//	0    1    2    4       8
//	|type|code|csum| body  ...
//
// Echo: identifier, sequence at 4. NS/NA: flags at 4, target address at
// 8, options at 24. RS: options at 8. RA: hop limit, flags, lifetime,
// reachable, retransmit timer, options at 16. Redirect: target at 8,
// destination at 24, options at 40.
type ICMPv6 []byte

// ICMPv6 types.
const (
	ICMPv6DestUnreach     uint8 = 1
	ICMPv6PacketTooBig    uint8 = 2
	ICMPv6TimeExceeded    uint8 = 3
	ICMPv6ParamProblem    uint8 = 4
	ICMPv6EchoRequest     uint8 = 128
	ICMPv6EchoReply       uint8 = 129
	ICMPv6RouterSolicit   uint8 = 133
	ICMPv6RouterAdvert    uint8 = 134
	ICMPv6NeighborSolicit uint8 = 135
	ICMPv6NeighborAdvert  uint8 = 136
	ICMPv6Redirect        uint8 = 137
)

// Neighbour advertisement flags (the byte at offset 4).
const (
	NAFlagRouter    uint8 = 0x80
	NAFlagSolicited uint8 = 0x40
	NAFlagOverride  uint8 = 0x20
)

// Neighbour discovery option types.
const (
	NDOptSourceLLAddr uint8 = 1
	NDOptTargetLLAddr uint8 = 2
	NDOptPrefixInfo   uint8 = 3
	NDOptRedirected   uint8 = 4
	NDOptMTU          uint8 = 5
)

// ICMPv6 lengths.
const (
	ICMPv6Len   = 8  // header and the first 4 bytes of the body
	ICMPv6NSLen = 24 // neighbour solicitation/advertisement without options
	ICMPv6RALen = 16 // router advertisement without options
)

// ICMPv6Fields is what Encode writes.
type ICMPv6Fields struct {
	Type, Code uint8
	Rest       uint32     // identifier<<16|sequence (echo), flags<<24 (NA)
	Target     netip.Addr // NS, NA, redirect; written when valid
}

// IsValid reports whether b holds the header and the fixed part of the
// message its type announces.
func (b ICMPv6) IsValid() bool {
	if len(b) < ICMPv6Len {
		return false
	}
	return len(b) >= b.fixedLen()
}

func (b ICMPv6) fixedLen() int {
	switch b[0] {
	case ICMPv6NeighborSolicit, ICMPv6NeighborAdvert:
		return ICMPv6NSLen
	case ICMPv6RouterAdvert:
		return ICMPv6RALen
	case ICMPv6Redirect:
		return 40
	}
	return ICMPv6Len
}

// Type returns the type.
func (b ICMPv6) Type() uint8 { return b[0] }

// Code returns the code.
func (b ICMPv6) Code() uint8 { return b[1] }

// Checksum returns the checksum field.
func (b ICMPv6) Checksum() uint16 { return binary.BigEndian.Uint16(b[2:4]) }

// Ident returns the identifier of an echo message.
func (b ICMPv6) Ident() uint16 { return binary.BigEndian.Uint16(b[4:6]) }

// Seq returns the sequence number of an echo message.
func (b ICMPv6) Seq() uint16 { return binary.BigEndian.Uint16(b[6:8]) }

// NAFlags returns the flags of a neighbour advertisement (NAFlag*).
func (b ICMPv6) NAFlags() uint8 { return b[4] }

// Target returns the target address of NS, NA or redirect.
func (b ICMPv6) Target() netip.Addr { return netip.AddrFrom16([16]byte(b[8:24])) }

// NDOptions returns the neighbour discovery options of an RS, RA, NS, NA
// or redirect message (use NextNDOption), nil for other types.
func (b ICMPv6) NDOptions() []byte {
	switch b[0] {
	case ICMPv6RouterSolicit:
		return b[8:]
	case ICMPv6RouterAdvert, ICMPv6NeighborSolicit, ICMPv6NeighborAdvert, ICMPv6Redirect:
		return b[b.fixedLen():]
	}
	return nil
}

// Payload returns the bytes after the 8-byte header.
func (b ICMPv6) Payload() []byte { return b[ICMPv6Len:] }

// CalculateChecksum returns the checksum the message (all of b) should
// carry given the pseudo-header sum (IPv6.PseudoHeaderSum with
// IPProtoICMPv6 and len(b)), the checksum field taken as 0.
func (b ICMPv6) CalculateChecksum(pseudo uint16) uint16 {
	return ^Checksum(b[4:], Checksum(b[:2], pseudo))
}

// IsChecksumValid reports whether the checksum is right.
func (b ICMPv6) IsChecksumValid(pseudo uint16) bool { return Checksum(b, pseudo) == 0xffff }

// SetChecksum sets the checksum field.
func (b ICMPv6) SetChecksum(c uint16) { binary.BigEndian.PutUint16(b[2:4], c) }

// SetType sets the type, updating the checksum.
func (b ICMPv6) SetType(t uint8) {
	old := binary.BigEndian.Uint16(b[0:2])
	b[0] = t
	b.SetChecksum(UpdateChecksum16(b.Checksum(), old, binary.BigEndian.Uint16(b[0:2])))
}

// Encode writes the header, rest and (for NS, NA, redirect) the target,
// with a zero checksum; once options and data are in place,
// SetChecksum(CalculateChecksum(pseudo)).
func (b ICMPv6) Encode(f *ICMPv6Fields) {
	b[0], b[1], b[2], b[3] = f.Type, f.Code, 0, 0
	binary.BigEndian.PutUint32(b[4:8], f.Rest)
	switch f.Type {
	case ICMPv6NeighborSolicit, ICMPv6NeighborAdvert, ICMPv6Redirect:
		put16(b[8:24], f.Target)
	}
}

// NextNDOption reads the neighbour discovery option at the start of opts:
// its type, its data (after type and length, to 8*length bytes) and the
// options after it. A length of 0 is ErrBadOption (RFC 4861 §4.6), one
// past the end ErrTruncated.
func NextNDOption(opts []byte) (typ uint8, data, rest []byte, err error) {
	if len(opts) < 2 {
		return 0, nil, nil, ErrTruncated
	}
	typ = opts[0]
	l := int(opts[1]) * 8
	if l == 0 {
		return typ, nil, nil, ErrBadOption
	}
	if l > len(opts) {
		return typ, nil, nil, ErrTruncated
	}
	return typ, opts[2:l], opts[l:], nil
}

// EncodeNDLinkAddr writes a source or target link-layer address option
// (8 bytes) at the start of b and returns 8.
func EncodeNDLinkAddr(b []byte, typ uint8, m MAC) int {
	b[0], b[1] = typ, 1
	copy(b[2:8], m[:])
	return 8
}
