package proto

import "encoding/binary"

// ICMP is a view of an ICMPv4 message (RFC 792):
//
//	0    1    2    4        8
//	|type|code|csum| rest   | data
//
// For echo messages the rest of the header is identifier and sequence.
type ICMP []byte

// ICMPLen is the length of the ICMP header.
const ICMPLen = 8

// ICMP types (a few).
const (
	ICMPEchoReply      uint8 = 0
	ICMPDestUnreach    uint8 = 3
	ICMPRedirect       uint8 = 5
	ICMPEchoRequest    uint8 = 8
	ICMPTimeExceeded   uint8 = 11
	ICMPParamProblem   uint8 = 12
	ICMPTimestamp      uint8 = 13
	ICMPTimestampReply uint8 = 14
)

// ICMPFields is what Encode writes.
type ICMPFields struct {
	Type, Code uint8
	Rest       uint32 // identifier<<16 | sequence for echo
}

// IsValid reports whether b holds the 8-byte header.
func (b ICMP) IsValid() bool { return len(b) >= ICMPLen }

// Type returns the type.
func (b ICMP) Type() uint8 { return b[0] }

// Code returns the code.
func (b ICMP) Code() uint8 { return b[1] }

// Checksum returns the checksum field.
func (b ICMP) Checksum() uint16 { return binary.BigEndian.Uint16(b[2:4]) }

// Rest returns the 4 type-dependent bytes after the checksum.
func (b ICMP) Rest() uint32 { return binary.BigEndian.Uint32(b[4:8]) }

// Ident returns the identifier of an echo message.
func (b ICMP) Ident() uint16 { return binary.BigEndian.Uint16(b[4:6]) }

// Seq returns the sequence number of an echo message.
func (b ICMP) Seq() uint16 { return binary.BigEndian.Uint16(b[6:8]) }

// Payload returns the data after the header.
func (b ICMP) Payload() []byte { return b[ICMPLen:] }

// CalculateChecksum returns the checksum the message (all of b) should
// carry, the checksum field taken as 0. ICMPv4 has no pseudo-header.
func (b ICMP) CalculateChecksum() uint16 { return ^Checksum(b[4:], Checksum(b[:2], 0)) }

// IsChecksumValid reports whether the checksum is right.
func (b ICMP) IsChecksumValid() bool { return Checksum(b, 0) == 0xffff }

// SetChecksum sets the checksum field.
func (b ICMP) SetChecksum(c uint16) { binary.BigEndian.PutUint16(b[2:4], c) }

// SetType sets the type, updating the checksum (echo request to reply).
func (b ICMP) SetType(t uint8) {
	old := binary.BigEndian.Uint16(b[0:2])
	b[0] = t
	b.SetChecksum(UpdateChecksum16(b.Checksum(), old, binary.BigEndian.Uint16(b[0:2])))
}

// SetIdent sets the echo identifier, updating the checksum.
func (b ICMP) SetIdent(id uint16) {
	b.SetChecksum(UpdateChecksum16(b.Checksum(), b.Ident(), id))
	binary.BigEndian.PutUint16(b[4:6], id)
}

// SetSeq sets the echo sequence number, updating the checksum.
func (b ICMP) SetSeq(s uint16) {
	b.SetChecksum(UpdateChecksum16(b.Checksum(), b.Seq(), s))
	binary.BigEndian.PutUint16(b[6:8], s)
}

// Encode writes the header with a zero checksum; once the data is in
// place, SetChecksum(CalculateChecksum()).
func (b ICMP) Encode(f *ICMPFields) {
	b[0], b[1], b[2], b[3] = f.Type, f.Code, 0, 0
	binary.BigEndian.PutUint32(b[4:8], f.Rest)
}
