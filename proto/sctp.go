package proto

import "encoding/binary"

// SCTP is a view of an SCTP packet: the common header and its chunks
// (RFC 9260):
//
//	0     2     4          8          12
//	|sport|dport| vtag     | checksum | chunks...
type SCTP []byte

// SCTPLen is the length of the common header.
const SCTPLen = 12

// SCTP chunk types (a few).
const (
	SCTPChunkData       uint8 = 0
	SCTPChunkInit       uint8 = 1
	SCTPChunkInitAck    uint8 = 2
	SCTPChunkSACK       uint8 = 3
	SCTPChunkHeartbeat  uint8 = 4
	SCTPChunkAbort      uint8 = 6
	SCTPChunkShutdown   uint8 = 7
	SCTPChunkCookieEcho uint8 = 10
	SCTPChunkCookieAck  uint8 = 11
)

// SCTPFields is what Encode writes.
type SCTPFields struct {
	SrcPort, DstPort uint16
	VerificationTag  uint32
}

// zero4 stands for the checksum field in the CRC (a package variable: a
// local one would escape through hash/crc32's indirect call).
var zero4 [4]byte

// IsValid reports whether b holds the common header.
func (b SCTP) IsValid() bool { return len(b) >= SCTPLen }

// SrcPort returns the source port.
func (b SCTP) SrcPort() uint16 { return binary.BigEndian.Uint16(b[0:2]) }

// DstPort returns the destination port.
func (b SCTP) DstPort() uint16 { return binary.BigEndian.Uint16(b[2:4]) }

// VerificationTag returns the verification tag.
func (b SCTP) VerificationTag() uint32 { return binary.BigEndian.Uint32(b[4:8]) }

// Checksum returns the CRC32C as the packet carries it. SCTP stores the
// CRC least significant byte first (RFC 9260 appendix B), so this is the
// value CalculateChecksum returns, not the big-endian reading of the bytes.
func (b SCTP) Checksum() uint32 { return binary.LittleEndian.Uint32(b[8:12]) }

// Chunks returns the chunks (use NextSCTPChunk).
func (b SCTP) Chunks() []byte { return b[SCTPLen:] }

// CalculateChecksum returns the CRC32C of the packet (all of b) with the
// checksum field taken as 0.
func (b SCTP) CalculateChecksum() uint32 {
	c := CRC32C(0, b[0:8])
	c = CRC32C(c, zero4[:])
	return CRC32C(c, b[12:])
}

// IsChecksumValid reports whether the checksum is right.
func (b SCTP) IsChecksumValid() bool { return b.CalculateChecksum() == b.Checksum() }

// SetChecksum stores c (as CalculateChecksum returns it).
func (b SCTP) SetChecksum(c uint32) { binary.LittleEndian.PutUint32(b[8:12], c) }

// SetSrcPort sets the source port (the CRC is not incremental: recompute
// it once the packet is final).
func (b SCTP) SetSrcPort(p uint16) { binary.BigEndian.PutUint16(b[0:2], p) }

// SetDstPort sets the destination port (see SetSrcPort).
func (b SCTP) SetDstPort(p uint16) { binary.BigEndian.PutUint16(b[2:4], p) }

// Encode writes the common header with a zero checksum.
func (b SCTP) Encode(f *SCTPFields) {
	b.SetSrcPort(f.SrcPort)
	b.SetDstPort(f.DstPort)
	binary.BigEndian.PutUint32(b[4:8], f.VerificationTag)
	clear(b[8:12])
}

// NextSCTPChunk reads the chunk at the start of chunks: its type, flags,
// value (after the 4-byte chunk header, to the chunk's length) and the
// chunks after it (chunks are padded to 4 bytes; the last one's padding
// may be missing). A length below 4 is ErrBadOption, past the end
// ErrTruncated.
func NextSCTPChunk(chunks []byte) (typ, flags uint8, value, rest []byte, err error) {
	if len(chunks) < 4 {
		return 0, 0, nil, nil, ErrTruncated
	}
	typ, flags = chunks[0], chunks[1]
	l := int(binary.BigEndian.Uint16(chunks[2:4]))
	if l < 4 {
		return typ, flags, nil, nil, ErrBadOption
	}
	if l > len(chunks) {
		return typ, flags, nil, nil, ErrTruncated
	}
	value = chunks[4:l]
	l = min((l+3)&^3, len(chunks))
	return typ, flags, value, chunks[l:], nil
}

// EncodeSCTPChunk writes a chunk header and value at the start of b and
// returns its padded length; b must hold it.
func EncodeSCTPChunk(b []byte, typ, flags uint8, value []byte) int {
	b[0], b[1] = typ, flags
	binary.BigEndian.PutUint16(b[2:4], uint16(4+len(value)))
	n := 4 + copy(b[4:], value)
	p := (n + 3) &^ 3
	clear(b[n:p])
	return p
}
