package proto

import "encoding/binary"

// GRE is a view of a GRE header (RFC 2784, RFC 2890) and of NVGRE (RFC
// 7637: GRE with the key present, protocol EtherTypeTEB, the key holding
// a 24-bit VSID and an 8-bit flow id):
//
//	0            2      4                 +4     +4
//	|C|R|K|S|..|ver|proto| [csum|reserved] [key] [seq] | payload
type GRE []byte

// GRE flag bits (in the first 16-bit word).
const (
	GREFlagC uint16 = 0x8000 // checksum present
	GREFlagK uint16 = 0x2000 // key present
	GREFlagS uint16 = 0x1000 // sequence number present

	GREMinLen = 4
)

// GREFields is what Encode writes; the optional fields are written when
// their flag is set in Flags.
type GREFields struct {
	Flags    uint16 // GREFlagC | GREFlagK | GREFlagS
	Protocol EtherType
	Key      uint32
	Seq      uint32
}

// IsValid reports whether b holds the header its flags announce, version 0.
func (g GRE) IsValid() bool {
	return len(g) >= GREMinLen && g.Version() == 0 && g.HeaderLen() <= len(g)
}

// Flags returns the flag bits (GREFlag*).
func (g GRE) Flags() uint16 { return binary.BigEndian.Uint16(g[0:2]) & 0xf000 }

// Version returns the version (0 for GRE; 1 is PPTP's enhanced GRE).
func (g GRE) Version() uint8 { return g[1] & 7 }

// Protocol returns the EtherType of the payload.
func (g GRE) Protocol() EtherType { return EtherType(binary.BigEndian.Uint16(g[2:4])) }

// HeaderLen returns the header length: 4, plus 4 for each of checksum,
// key and sequence present.
func (g GRE) HeaderLen() int { return GRELen(binary.BigEndian.Uint16(g[0:2])) }

// GRELen returns the length of a GRE header with the given first word.
func GRELen(flags uint16) int {
	n := GREMinLen
	if flags&GREFlagC != 0 {
		n += 4
	}
	if flags&GREFlagK != 0 {
		n += 4
	}
	if flags&GREFlagS != 0 {
		n += 4
	}
	return n
}

// Checksum returns the checksum field (if GREFlagC).
func (g GRE) Checksum() uint16 { return binary.BigEndian.Uint16(g[4:6]) }

// Key returns the key (0 without GREFlagK).
func (g GRE) Key() uint32 {
	if g.Flags()&GREFlagK == 0 {
		return 0
	}
	off := 4
	if g.Flags()&GREFlagC != 0 {
		off += 4
	}
	return binary.BigEndian.Uint32(g[off : off+4])
}

// Seq returns the sequence number (0 without GREFlagS).
func (g GRE) Seq() uint32 {
	if g.Flags()&GREFlagS == 0 {
		return 0
	}
	off := g.HeaderLen() - 4
	return binary.BigEndian.Uint32(g[off : off+4])
}

// VSID returns the NVGRE virtual subnet id (the key's top 24 bits).
func (g GRE) VSID() uint32 { return g.Key() >> 8 }

// FlowID returns the NVGRE flow id (the key's low 8 bits).
func (g GRE) FlowID() uint8 { return uint8(g.Key()) }

// IsNVGRE reports whether g has the key present and carries Ethernet.
func (g GRE) IsNVGRE() bool { return g.Flags()&GREFlagK != 0 && g.Protocol() == EtherTypeTEB }

// Payload returns what follows the header.
func (g GRE) Payload() []byte { return g[g.HeaderLen():] }

// CalculateChecksum returns the checksum of the GRE header and payload
// (all of g), the checksum field taken as 0.
func (g GRE) CalculateChecksum() uint16 { return ^Checksum(g[6:], Checksum(g[:4], 0)) }

// IsChecksumValid reports whether the checksum (if present) is right.
func (g GRE) IsChecksumValid() bool {
	return g.Flags()&GREFlagC == 0 || Checksum(g, 0) == 0xffff
}

// SetChecksum sets the checksum field (GREFlagC must be set).
func (g GRE) SetChecksum(c uint16) { binary.BigEndian.PutUint16(g[4:6], c) }

// Encode writes the header (a zero checksum if GREFlagC: compute it once
// the payload is in place).
func (g GRE) Encode(f *GREFields) {
	fl := f.Flags & (GREFlagC | GREFlagK | GREFlagS)
	binary.BigEndian.PutUint16(g[0:2], fl)
	binary.BigEndian.PutUint16(g[2:4], uint16(f.Protocol))
	off := 4
	if fl&GREFlagC != 0 {
		binary.BigEndian.PutUint32(g[off:off+4], 0)
		off += 4
	}
	if fl&GREFlagK != 0 {
		binary.BigEndian.PutUint32(g[off:off+4], f.Key)
		off += 4
	}
	if fl&GREFlagS != 0 {
		binary.BigEndian.PutUint32(g[off:off+4], f.Seq)
	}
}
