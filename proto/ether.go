package proto

import "encoding/binary"

// EtherType is the 16-bit protocol field of Ethernet and VLAN headers.
type EtherType uint16

// EtherTypes (IEEE registry).
const (
	EtherTypeIPv4     EtherType = 0x0800
	EtherTypeARP      EtherType = 0x0806
	EtherTypeTEB      EtherType = 0x6558 // transparent Ethernet bridging (NVGRE, GENEVE)
	EtherTypeVLAN     EtherType = 0x8100 // 802.1Q C-tag
	EtherTypeIPv6     EtherType = 0x86dd
	EtherTypeMPLS     EtherType = 0x8847
	EtherTypeMPLSMC   EtherType = 0x8848
	EtherTypePPPoED   EtherType = 0x8863
	EtherTypePPPoE    EtherType = 0x8864
	EtherTypeQinQ     EtherType = 0x88a8 // 802.1ad S-tag
	EtherTypeLLDP     EtherType = 0x88cc
	EtherType1588     EtherType = 0x88f7 // PTP over Ethernet
	EtherTypeFCoE     EtherType = 0x8906
	EtherTypeNSH      EtherType = 0x894f
	EtherTypeQinQ9100 EtherType = 0x9100 // pre-standard S-tag
)

// Ethernet is a view of an Ethernet II header:
//
//	0      6      12   14
//	| dst  | src  |type| payload
type Ethernet []byte

// EthernetLen is the length of an Ethernet header without tags.
const EthernetLen = 14

// EthernetFields is what Encode writes.
type EthernetFields struct {
	Dst, Src MAC
	Type     EtherType
}

// IsValid reports whether e holds a whole header.
func (e Ethernet) IsValid() bool { return len(e) >= EthernetLen }

// Dst returns the destination address.
func (e Ethernet) Dst() MAC { return MAC(e[0:6]) }

// Src returns the source address.
func (e Ethernet) Src() MAC { return MAC(e[6:12]) }

// Type returns the EtherType (the first tag's TPID on a tagged frame).
func (e Ethernet) Type() EtherType { return EtherType(binary.BigEndian.Uint16(e[12:14])) }

// Payload returns what follows the 14-byte header.
func (e Ethernet) Payload() []byte { return e[EthernetLen:] }

// SetDst sets the destination address.
func (e Ethernet) SetDst(m MAC) { copy(e[0:6], m[:]) }

// SetSrc sets the source address.
func (e Ethernet) SetSrc(m MAC) { copy(e[6:12], m[:]) }

// SetType sets the EtherType.
func (e Ethernet) SetType(t EtherType) { binary.BigEndian.PutUint16(e[12:14], uint16(t)) }

// Encode writes the header.
func (e Ethernet) Encode(f *EthernetFields) {
	e.SetDst(f.Dst)
	e.SetSrc(f.Src)
	e.SetType(f.Type)
}

// VLAN is a view of an 802.1Q tag as it sits after an Ethernet header's
// TPID (which is the Ethernet Type, 0x8100 or 0x88a8): the TCI, then the
// EtherType of what follows.
//
//	0          2      4
//	|PCP|D| VID| type | payload
type VLAN []byte

// VLANLen is the length of a tag after its TPID.
const VLANLen = 4

// VLANFields is what VLAN.Encode writes.
type VLANFields struct {
	PCP  uint8 // priority code point, 3 bits
	DEI  bool  // drop eligible
	ID   uint16
	Type EtherType // of the payload
}

// IsValid reports whether v holds a whole tag.
func (v VLAN) IsValid() bool { return len(v) >= VLANLen }

// TCI returns the tag control information (PCP, DEI, VID).
func (v VLAN) TCI() uint16 { return binary.BigEndian.Uint16(v[0:2]) }

// PCP returns the priority code point.
func (v VLAN) PCP() uint8 { return v[0] >> 5 }

// DEI reports the drop eligible indicator.
func (v VLAN) DEI() bool { return v[0]&0x10 != 0 }

// ID returns the 12-bit VLAN identifier.
func (v VLAN) ID() uint16 { return v.TCI() & 0x0fff }

// Type returns the EtherType of the payload (another TPID for QinQ).
func (v VLAN) Type() EtherType { return EtherType(binary.BigEndian.Uint16(v[2:4])) }

// Payload returns what follows the tag.
func (v VLAN) Payload() []byte { return v[VLANLen:] }

// SetTCI sets the tag control information.
func (v VLAN) SetTCI(tci uint16) { binary.BigEndian.PutUint16(v[0:2], tci) }

// SetType sets the payload's EtherType.
func (v VLAN) SetType(t EtherType) { binary.BigEndian.PutUint16(v[2:4], uint16(t)) }

// Encode writes the tag.
func (v VLAN) Encode(f *VLANFields) {
	tci := uint16(f.PCP&7)<<13 | f.ID&0x0fff
	if f.DEI {
		tci |= 0x1000
	}
	v.SetTCI(tci)
	v.SetType(f.Type)
}

// QinQ is a view of two stacked tags after an Ethernet header whose Type
// is an S-tag TPID (0x88a8, or 0x9100, or 0x8100 for double C-tags): the
// outer (service) tag, whose Type is the inner TPID, then the inner
// (customer) tag.
type QinQ []byte

// QinQLen is the length of two tags after the Ethernet header.
const QinQLen = 2 * VLANLen

// IsValid reports whether q holds two tags and the outer one announces
// another tag.
func (q QinQ) IsValid() bool { return len(q) >= QinQLen && IsVLANType(q.Outer().Type()) }

// Outer returns the outer (service) tag.
func (q QinQ) Outer() VLAN { return VLAN(q[0:VLANLen]) }

// Inner returns the inner (customer) tag.
func (q QinQ) Inner() VLAN { return VLAN(q[VLANLen:]) }

// Type returns the EtherType of the payload.
func (q QinQ) Type() EtherType { return VLAN(q[VLANLen:]).Type() }

// Payload returns what follows both tags.
func (q QinQ) Payload() []byte { return q[QinQLen:] }

// IsVLANType reports whether t is a VLAN tag's TPID (0x8100, 0x88a8,
// 0x9100).
func IsVLANType(t EtherType) bool {
	return t == EtherTypeVLAN || t == EtherTypeQinQ || t == EtherTypeQinQ9100
}
