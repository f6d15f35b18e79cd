package proto

import (
	"encoding/binary"
	"net/netip"
)

// TCP is a view of a TCP header and its payload (RFC 9293):
//
//	0     2     4     8     12      13    14  16   18  20
//	|sport|dport| seq | ack |off|res|flags|win|csum|urg| options...
type TCP []byte

// TCP header constants.
const (
	TCPMinLen = 20
	TCPMaxLen = 60
)

// TCP flags (the byte at offset 13).
const (
	TCPFlagFIN uint8 = 0x01
	TCPFlagSYN uint8 = 0x02
	TCPFlagRST uint8 = 0x04
	TCPFlagPSH uint8 = 0x08
	TCPFlagACK uint8 = 0x10
	TCPFlagURG uint8 = 0x20
	TCPFlagECE uint8 = 0x40
	TCPFlagCWR uint8 = 0x80
)

// TCP option kinds.
const (
	TCPOptEnd       uint8 = 0
	TCPOptNOP       uint8 = 1
	TCPOptMSS       uint8 = 2
	TCPOptWScale    uint8 = 3
	TCPOptSACKPerm  uint8 = 4
	TCPOptSACK      uint8 = 5
	TCPOptTimestamp uint8 = 8
)

// TCPFields is what Encode writes. The header is 20 bytes plus the
// options, padded with zeros (end of options) to a multiple of 4.
type TCPFields struct {
	SrcPort, DstPort uint16
	Seq, Ack         uint32
	Flags            uint8
	Window           uint16
	Urgent           uint16
	Options          []byte
}

// IsValid reports whether b holds the whole header its data offset
// announces (at least 20 bytes).
func (b TCP) IsValid() bool {
	if len(b) < TCPMinLen {
		return false
	}
	hl := b.HeaderLen()
	return hl >= TCPMinLen && hl <= len(b)
}

// SrcPort returns the source port.
func (b TCP) SrcPort() uint16 { return binary.BigEndian.Uint16(b[0:2]) }

// DstPort returns the destination port.
func (b TCP) DstPort() uint16 { return binary.BigEndian.Uint16(b[2:4]) }

// Seq returns the sequence number.
func (b TCP) Seq() uint32 { return binary.BigEndian.Uint32(b[4:8]) }

// Ack returns the acknowledgment number.
func (b TCP) Ack() uint32 { return binary.BigEndian.Uint32(b[8:12]) }

// HeaderLen returns the header length in bytes (data offset*4).
func (b TCP) HeaderLen() int { return int(b[12]>>4) * 4 }

// Flags returns the flags byte (TCPFlag*).
func (b TCP) Flags() uint8 { return b[13] }

// Window returns the window.
func (b TCP) Window() uint16 { return binary.BigEndian.Uint16(b[14:16]) }

// Checksum returns the checksum field.
func (b TCP) Checksum() uint16 { return binary.BigEndian.Uint16(b[16:18]) }

// Urgent returns the urgent pointer.
func (b TCP) Urgent() uint16 { return binary.BigEndian.Uint16(b[18:20]) }

// Options returns the options (use NextTCPOption).
func (b TCP) Options() []byte { return b[TCPMinLen:b.HeaderLen()] }

// Payload returns the data after the header.
func (b TCP) Payload() []byte { return b[b.HeaderLen():] }

// CalculateChecksum returns the checksum b (header and payload, the whole
// of b) should carry, given the pseudo-header sum (IPv4.PseudoHeaderSum
// or IPv6.PseudoHeaderSum with IPProtoTCP and len(b)). The checksum field
// is taken as 0.
func (b TCP) CalculateChecksum(pseudo uint16) uint16 {
	return ^Checksum(b[18:], Checksum(b[:16], pseudo))
}

// IsChecksumValid reports whether the checksum of b is right.
func (b TCP) IsChecksumValid(pseudo uint16) bool { return Checksum(b, pseudo) == 0xffff }

// SetChecksum sets the checksum field.
func (b TCP) SetChecksum(c uint16) { binary.BigEndian.PutUint16(b[16:18], c) }

// SetSrcPort sets the source port, updating the checksum.
func (b TCP) SetSrcPort(p uint16) {
	b.SetChecksum(UpdateChecksum16(b.Checksum(), b.SrcPort(), p))
	binary.BigEndian.PutUint16(b[0:2], p)
}

// SetDstPort sets the destination port, updating the checksum.
func (b TCP) SetDstPort(p uint16) {
	b.SetChecksum(UpdateChecksum16(b.Checksum(), b.DstPort(), p))
	binary.BigEndian.PutUint16(b[2:4], p)
}

// SetSeq sets the sequence number, updating the checksum.
func (b TCP) SetSeq(v uint32) {
	b.SetChecksum(UpdateChecksum32(b.Checksum(), b.Seq(), v))
	binary.BigEndian.PutUint32(b[4:8], v)
}

// SetAck sets the acknowledgment number, updating the checksum.
func (b TCP) SetAck(v uint32) {
	b.SetChecksum(UpdateChecksum32(b.Checksum(), b.Ack(), v))
	binary.BigEndian.PutUint32(b[8:12], v)
}

// SetFlags sets the flags byte, updating the checksum.
func (b TCP) SetFlags(f uint8) {
	old := binary.BigEndian.Uint16(b[12:14])
	b[13] = f
	b.SetChecksum(UpdateChecksum16(b.Checksum(), old, binary.BigEndian.Uint16(b[12:14])))
}

// SetWindow sets the window, updating the checksum.
func (b TCP) SetWindow(w uint16) {
	b.SetChecksum(UpdateChecksum16(b.Checksum(), b.Window(), w))
	binary.BigEndian.PutUint16(b[14:16], w)
}

// UpdateChecksumAddr updates the checksum for an address of the
// pseudo-header that changed from old to new (NAT): call it with the
// IPv4.SetSrc / IPv6.SetDst that changes the address.
func (b TCP) UpdateChecksumAddr(old, new netip.Addr) {
	b.SetChecksum(updateAddr(b.Checksum(), old, new))
}

func updateAddr(check uint16, old, new netip.Addr) uint16 {
	if old.Is4() && new.Is4() {
		o, n := old.As4(), new.As4()
		return UpdateChecksumBytes(check, o[:], n[:])
	}
	o, n := old.As16(), new.As16()
	return UpdateChecksumBytes(check, o[:], n[:])
}

// Encode writes the header (not the checksum: the payload must be in
// place first; then SetChecksum(CalculateChecksum(pseudo))).
func (b TCP) Encode(f *TCPFields) {
	hl := TCPMinLen + (len(f.Options)+3)&^3
	binary.BigEndian.PutUint16(b[0:2], f.SrcPort)
	binary.BigEndian.PutUint16(b[2:4], f.DstPort)
	binary.BigEndian.PutUint32(b[4:8], f.Seq)
	binary.BigEndian.PutUint32(b[8:12], f.Ack)
	b[12] = uint8(hl/4) << 4
	b[13] = f.Flags
	binary.BigEndian.PutUint16(b[14:16], f.Window)
	b[16], b[17] = 0, 0
	binary.BigEndian.PutUint16(b[18:20], f.Urgent)
	n := copy(b[TCPMinLen:hl], f.Options)
	clear(b[TCPMinLen+n : hl])
}

// NextTCPOption reads the option at the start of opts: its kind, its data
// (without kind and length) and the options after it. At End it returns
// kind TCPOptEnd and no rest. A length below 2 is ErrBadOption, one past
// the end ErrTruncated.
func NextTCPOption(opts []byte) (kind uint8, data, rest []byte, err error) {
	return nextTLVOption(opts)
}
