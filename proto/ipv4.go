package proto

import (
	"encoding/binary"
	"net/netip"
)

// IP protocol numbers (IANA), as found in IPv4's protocol and IPv6's next
// header fields.
const (
	IPProtoHopOpts  uint8 = 0
	IPProtoICMP     uint8 = 1
	IPProtoIGMP     uint8 = 2
	IPProtoIPIP     uint8 = 4 // IPv4 in IP
	IPProtoTCP      uint8 = 6
	IPProtoUDP      uint8 = 17
	IPProtoIPv6     uint8 = 41 // IPv6 in IP
	IPProtoRouting  uint8 = 43
	IPProtoFragment uint8 = 44
	IPProtoGRE      uint8 = 47
	IPProtoESP      uint8 = 50
	IPProtoAH       uint8 = 51
	IPProtoICMPv6   uint8 = 58
	IPProtoNoNext   uint8 = 59
	IPProtoDstOpts  uint8 = 60
	IPProtoSCTP     uint8 = 132
	IPProtoMPLS     uint8 = 137 // MPLS in IP
)

// IPv4 is a view of an IPv4 header and what follows (RFC 791):
//
//	0       1       2       4       6       8   9    10     12    16    20
//	|ver|ihl| tos   |totlen | id    |fl|off |ttl|prot| csum | src | dst | options...
type IPv4 []byte

// IPv4 header constants.
const (
	IPv4MinLen = 20
	IPv4MaxLen = 60

	IPv4FlagDF = 0x4000 // don't fragment, in FlagsFragOff
	IPv4FlagMF = 0x2000 // more fragments, in FlagsFragOff
	// IPv4FragOffMask is the 13-bit fragment offset (units of 8 bytes).
	IPv4FragOffMask = 0x1fff
)

// IPv4Fields is what Encode writes. The header length is 20 plus the
// options, which Encode pads with zeros (end of options) to a multiple of 4.
type IPv4Fields struct {
	TOS      uint8
	TotalLen uint16
	ID       uint16
	Flags    uint16 // IPv4FlagDF | IPv4FlagMF
	FragOff  uint16 // in bytes; a multiple of 8
	TTL      uint8
	Protocol uint8
	Src, Dst netip.Addr
	Options  []byte
}

// IsValid reports whether b holds a whole IPv4 header: version 4, a header
// length of at least 20 bytes inside b, and a total length that covers the
// header and fits in b (b may be longer: Ethernet padding).
func (b IPv4) IsValid() bool {
	if len(b) < IPv4MinLen || b[0]>>4 != 4 {
		return false
	}
	hl := int(b[0]&0xf) * 4
	tl := int(binary.BigEndian.Uint16(b[2:4]))
	return hl >= IPv4MinLen && tl >= hl && tl <= len(b)
}

// HeaderLen returns the header length in bytes (IHL*4).
func (b IPv4) HeaderLen() int { return int(b[0]&0xf) * 4 }

// TOS returns the type of service (DSCP and ECN) byte.
func (b IPv4) TOS() uint8 { return b[1] }

// TotalLen returns the total length of the datagram.
func (b IPv4) TotalLen() int { return int(binary.BigEndian.Uint16(b[2:4])) }

// ID returns the identification.
func (b IPv4) ID() uint16 { return binary.BigEndian.Uint16(b[4:6]) }

// FlagsFragOff returns the flags and fragment offset word.
func (b IPv4) FlagsFragOff() uint16 { return binary.BigEndian.Uint16(b[6:8]) }

// FragmentOffset returns the fragment offset in bytes.
func (b IPv4) FragmentOffset() int { return int(b.FlagsFragOff()&IPv4FragOffMask) * 8 }

// MoreFragments reports the MF flag.
func (b IPv4) MoreFragments() bool { return b.FlagsFragOff()&IPv4FlagMF != 0 }

// DontFragment reports the DF flag.
func (b IPv4) DontFragment() bool { return b.FlagsFragOff()&IPv4FlagDF != 0 }

// IsFragment reports whether the datagram is a fragment (MF set or a
// non-zero offset).
func (b IPv4) IsFragment() bool { return b.FlagsFragOff()&(IPv4FlagMF|IPv4FragOffMask) != 0 }

// TTL returns the time to live.
func (b IPv4) TTL() uint8 { return b[8] }

// Protocol returns the protocol of the payload.
func (b IPv4) Protocol() uint8 { return b[9] }

// Checksum returns the header checksum field.
func (b IPv4) Checksum() uint16 { return binary.BigEndian.Uint16(b[10:12]) }

// Src returns the source address.
func (b IPv4) Src() netip.Addr { return netip.AddrFrom4([4]byte(b[12:16])) }

// Dst returns the destination address.
func (b IPv4) Dst() netip.Addr { return netip.AddrFrom4([4]byte(b[16:20])) }

// SrcBytes returns the source address as 4 bytes.
func (b IPv4) SrcBytes() [4]byte { return [4]byte(b[12:16]) }

// DstBytes returns the destination address as 4 bytes.
func (b IPv4) DstBytes() [4]byte { return [4]byte(b[16:20]) }

// Options returns the options (HeaderLen-20 bytes; use NextIPv4Option).
func (b IPv4) Options() []byte { return b[IPv4MinLen:b.HeaderLen()] }

// Payload returns the payload: from the end of the header to TotalLen.
func (b IPv4) Payload() []byte { return b[b.HeaderLen():b.TotalLen()] }

// CalculateChecksum returns the checksum the header should carry: the
// complement of the sum of the header with its checksum field as 0.
func (b IPv4) CalculateChecksum() uint16 {
	hl := b.HeaderLen()
	s := Checksum(b[0:10], 0)
	return ^Checksum(b[12:hl], s)
}

// IsChecksumValid reports whether the header checksum is right.
func (b IPv4) IsChecksumValid() bool { return Checksum(b[:b.HeaderLen()], 0) == 0xffff }

// PseudoHeaderSum returns the sum of the TCP/UDP pseudo-header of the
// datagram for an L4 length of l4len bytes.
func (b IPv4) PseudoHeaderSum(proto uint8, l4len int) uint16 {
	return PseudoHeaderSum4([4]byte(b[12:16]), [4]byte(b[16:20]), proto, l4len)
}

// SetChecksum sets the header checksum field.
func (b IPv4) SetChecksum(c uint16) { binary.BigEndian.PutUint16(b[10:12], c) }

// SetTOS sets the TOS byte, updating the header checksum.
func (b IPv4) SetTOS(tos uint8) {
	old := binary.BigEndian.Uint16(b[0:2])
	b[1] = tos
	b.SetChecksum(UpdateChecksum16(b.Checksum(), old, binary.BigEndian.Uint16(b[0:2])))
}

// SetTotalLen sets the total length, updating the header checksum.
func (b IPv4) SetTotalLen(n uint16) {
	old := binary.BigEndian.Uint16(b[2:4])
	binary.BigEndian.PutUint16(b[2:4], n)
	b.SetChecksum(UpdateChecksum16(b.Checksum(), old, n))
}

// SetID sets the identification, updating the header checksum.
func (b IPv4) SetID(id uint16) {
	old := binary.BigEndian.Uint16(b[4:6])
	binary.BigEndian.PutUint16(b[4:6], id)
	b.SetChecksum(UpdateChecksum16(b.Checksum(), old, id))
}

// SetFlagsFragOff sets the flags and fragment offset word (offset in
// units of 8 bytes), updating the header checksum.
func (b IPv4) SetFlagsFragOff(v uint16) {
	old := binary.BigEndian.Uint16(b[6:8])
	binary.BigEndian.PutUint16(b[6:8], v)
	b.SetChecksum(UpdateChecksum16(b.Checksum(), old, v))
}

// SetTTL sets the time to live, updating the header checksum.
// The TTL is the high byte of the word it shares with the protocol, which
// does not change: the checksum update needs only the TTLs.
func (b IPv4) SetTTL(ttl uint8) {
	c := UpdateChecksum16(binary.BigEndian.Uint16(b[10:12]), uint16(b[8])<<8, uint16(ttl)<<8)
	b[8] = ttl
	binary.BigEndian.PutUint16(b[10:12], c)
}

// SetSrc sets the source address (IPv4), updating the header checksum.
// The TCP/UDP checksum covers it too: see TCP.UpdateChecksumAddr.
func (b IPv4) SetSrc(a netip.Addr) { b.setAddr(b[12:16], a) }

// SetDst sets the destination address (IPv4), updating the header
// checksum.
func (b IPv4) SetDst(a netip.Addr) { b.setAddr(b[16:20], a) }

func (b IPv4) setAddr(f []byte, a netip.Addr) {
	old := binary.BigEndian.Uint32(f)
	put4(f, a)
	b.SetChecksum(UpdateChecksum32(b.Checksum(), old, binary.BigEndian.Uint32(f)))
}

// Encode writes the header (20 bytes plus the padded options) and its
// checksum. b must hold the header.
func (b IPv4) Encode(f *IPv4Fields) {
	hl := IPv4MinLen + (len(f.Options)+3)&^3
	b[0] = 0x40 | uint8(hl/4)
	b[1] = f.TOS
	binary.BigEndian.PutUint16(b[2:4], f.TotalLen)
	binary.BigEndian.PutUint16(b[4:6], f.ID)
	binary.BigEndian.PutUint16(b[6:8], f.Flags&(IPv4FlagDF|IPv4FlagMF)|f.FragOff/8&IPv4FragOffMask)
	b[8] = f.TTL
	b[9] = f.Protocol
	b[10], b[11] = 0, 0
	put4(b[12:16], f.Src)
	put4(b[16:20], f.Dst)
	n := copy(b[IPv4MinLen:hl], f.Options)
	clear(b[IPv4MinLen+n : hl])
	b.SetChecksum(b.CalculateChecksum())
}

// IPv4 option types.
const (
	IPv4OptEnd         uint8 = 0
	IPv4OptNOP         uint8 = 1
	IPv4OptRR          uint8 = 7
	IPv4OptTimestamp   uint8 = 68
	IPv4OptLSRR        uint8 = 131
	IPv4OptSSRR        uint8 = 137
	IPv4OptRouterAlert uint8 = 148
)

// NextIPv4Option reads the option at the start of opts (IPv4 options are
// the same TLVs as TCP's: End and NOP are one byte, the others carry a
// length that counts kind and length bytes). It returns the kind, the
// option's data (without kind and length) and the options after it. At
// End it returns kind IPv4OptEnd and no rest. A length below 2 or past
// the end is ErrBadOption or ErrTruncated.
func NextIPv4Option(opts []byte) (kind uint8, data, rest []byte, err error) {
	return nextTLVOption(opts)
}

func nextTLVOption(opts []byte) (kind uint8, data, rest []byte, err error) {
	if len(opts) == 0 {
		return 0, nil, nil, ErrTruncated
	}
	kind = opts[0]
	switch kind {
	case 0:
		return 0, nil, nil, nil
	case 1:
		return 1, nil, opts[1:], nil
	}
	if len(opts) < 2 {
		return kind, nil, nil, ErrTruncated
	}
	l := int(opts[1])
	if l < 2 {
		return kind, nil, nil, ErrBadOption
	}
	if l > len(opts) {
		return kind, nil, nil, ErrTruncated
	}
	return kind, opts[2:l], opts[l:], nil
}
