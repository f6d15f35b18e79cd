package proto

import "encoding/binary"

// GENEVE is a view of a Geneve header (RFC 8926), carried in UDP to port
// 6081:
//
//	0              1     2        4     7   8
//	|Ver|OptLen    |O|C| | proto  | VNI |res| options (OptLen*4) | payload
type GENEVE []byte

// GENEVELen is the length of the fixed header.
const GENEVELen = 8

// GENEVE flags (the byte at offset 1).
const (
	GENEVEFlagO uint8 = 0x80 // OAM
	GENEVEFlagC uint8 = 0x40 // critical options present
)

// GENEVEFields is what Encode writes.
type GENEVEFields struct {
	Flags    uint8 // GENEVEFlag*
	Protocol EtherType
	VNI      uint32
	Options  []byte // a multiple of 4 bytes, at most 252
}

// IsValid reports whether b holds the fixed header and its options.
func (g GENEVE) IsValid() bool { return len(g) >= GENEVELen && g.HeaderLen() <= len(g) }

// Version returns the 2-bit version (0).
func (g GENEVE) Version() uint8 { return g[0] >> 6 }

// HeaderLen returns the header length, options included.
func (g GENEVE) HeaderLen() int { return GENEVELen + int(g[0]&0x3f)*4 }

// Flags returns the O and C flags.
func (g GENEVE) Flags() uint8 { return g[1] & 0xc0 }

// Protocol returns the EtherType of the payload (EtherTypeTEB for
// Ethernet).
func (g GENEVE) Protocol() EtherType { return EtherType(binary.BigEndian.Uint16(g[2:4])) }

// VNI returns the 24-bit virtual network identifier.
func (g GENEVE) VNI() uint32 { return binary.BigEndian.Uint32(g[4:8]) >> 8 }

// Options returns the options (use NextGENEVEOption).
func (g GENEVE) Options() []byte { return g[GENEVELen:g.HeaderLen()] }

// Payload returns what follows the header and options.
func (g GENEVE) Payload() []byte { return g[g.HeaderLen():] }

// Encode writes the header and options; b must hold 8+len(f.Options).
func (g GENEVE) Encode(f *GENEVEFields) {
	g[0] = uint8(len(f.Options)/4) & 0x3f
	g[1] = f.Flags & 0xc0
	binary.BigEndian.PutUint16(g[2:4], uint16(f.Protocol))
	binary.BigEndian.PutUint32(g[4:8], f.VNI<<8)
	copy(g[GENEVELen:], f.Options[:len(f.Options)&^3])
}

// NextGENEVEOption reads the option at the start of opts: class, type,
// data (length*4 bytes) and the options after it.
func NextGENEVEOption(opts []byte) (class uint16, typ uint8, data, rest []byte, err error) {
	if len(opts) < 4 {
		return 0, 0, nil, nil, ErrTruncated
	}
	class, typ = binary.BigEndian.Uint16(opts[0:2]), opts[2]
	l := 4 + int(opts[3]&0x1f)*4
	if l > len(opts) {
		return class, typ, nil, nil, ErrTruncated
	}
	return class, typ, opts[4:l], opts[l:], nil
}
