package proto

import (
	"encoding/binary"
	"net/netip"
)

// UDP is a view of a UDP header and its payload (RFC 768):
//
//	0     2     4     6     8
//	|sport|dport| len |csum | payload
type UDP []byte

// UDPLen is the length of a UDP header.
const UDPLen = 8

// Well-known UDP ports of the tunnels GetPtype follows.
const (
	PortVXLAN    uint16 = 4789
	PortVXLANGPE uint16 = 4790
	PortGENEVE   uint16 = 6081
)

// UDPFields is what Encode writes.
type UDPFields struct {
	SrcPort, DstPort uint16
	Length           uint16 // header and payload
}

// IsValid reports whether b holds the header and a length field that
// covers the header and fits in b.
func (b UDP) IsValid() bool {
	if len(b) < UDPLen {
		return false
	}
	l := b.Length()
	return l >= UDPLen && l <= len(b)
}

// SrcPort returns the source port.
func (b UDP) SrcPort() uint16 { return binary.BigEndian.Uint16(b[0:2]) }

// DstPort returns the destination port.
func (b UDP) DstPort() uint16 { return binary.BigEndian.Uint16(b[2:4]) }

// Length returns the length field (header and payload).
func (b UDP) Length() int { return int(binary.BigEndian.Uint16(b[4:6])) }

// Checksum returns the checksum field (0: none, IPv4 only).
func (b UDP) Checksum() uint16 { return binary.BigEndian.Uint16(b[6:8]) }

// Payload returns the payload: from the header to Length.
func (b UDP) Payload() []byte { return b[UDPLen:b.Length()] }

// CalculateChecksum returns the checksum b[:Length] should carry given the
// pseudo-header sum, the checksum field taken as 0. A computed 0 is sent
// as 0xffff (0 means "no checksum").
func (b UDP) CalculateChecksum(pseudo uint16) uint16 {
	c := ^Checksum(b[8:b.Length()], Checksum(b[:6], pseudo))
	if c == 0 {
		c = 0xffff
	}
	return c
}

// IsChecksumValid reports whether the checksum is right; a zero checksum
// (none, allowed over IPv4 only) is reported valid: check Checksum()==0
// yourself where it is not allowed.
func (b UDP) IsChecksumValid(pseudo uint16) bool {
	return b.Checksum() == 0 || Checksum(b[:b.Length()], pseudo) == 0xffff
}

// SetChecksum sets the checksum field.
func (b UDP) SetChecksum(c uint16) { binary.BigEndian.PutUint16(b[6:8], c) }

// SetSrcPort sets the source port, updating a non-zero checksum.
func (b UDP) SetSrcPort(p uint16) {
	b.update(b.SrcPort(), p)
	binary.BigEndian.PutUint16(b[0:2], p)
}

// SetDstPort sets the destination port, updating a non-zero checksum.
func (b UDP) SetDstPort(p uint16) {
	b.update(b.DstPort(), p)
	binary.BigEndian.PutUint16(b[2:4], p)
}

func (b UDP) update(old, new uint16) {
	if c := b.Checksum(); c != 0 {
		c = UpdateChecksum16(c, old, new)
		if c == 0 {
			c = 0xffff
		}
		b.SetChecksum(c)
	}
}

// UpdateChecksumAddr updates a non-zero checksum for a pseudo-header
// address that changed from old to new.
func (b UDP) UpdateChecksumAddr(old, new netip.Addr) {
	if c := b.Checksum(); c != 0 {
		c = updateAddr(c, old, new)
		if c == 0 {
			c = 0xffff
		}
		b.SetChecksum(c)
	}
}

// Encode writes the header with a zero checksum; once the payload is in
// place, SetChecksum(CalculateChecksum(pseudo)).
func (b UDP) Encode(f *UDPFields) {
	binary.BigEndian.PutUint16(b[0:2], f.SrcPort)
	binary.BigEndian.PutUint16(b[2:4], f.DstPort)
	binary.BigEndian.PutUint16(b[4:6], f.Length)
	b[6], b[7] = 0, 0
}
