package proto

import "encoding/binary"

// VXLAN is a view of a VXLAN header (RFC 7348), carried in UDP to port
// 4789 and followed by an Ethernet frame:
//
//	0     1        4     7   8
//	|flags|reserved| VNI |res| inner Ethernet
type VXLAN []byte

// VXLANLen is the length of a VXLAN or VXLAN-GPE header.
const VXLANLen = 8

// VXLANFlagI is the "VNI valid" flag of VXLAN and VXLAN-GPE.
const VXLANFlagI uint8 = 0x08

// IsValid reports whether b holds the header.
func (v VXLAN) IsValid() bool { return len(v) >= VXLANLen }

// Flags returns the flags byte.
func (v VXLAN) Flags() uint8 { return v[0] }

// VNI returns the 24-bit VXLAN network identifier.
func (v VXLAN) VNI() uint32 { return binary.BigEndian.Uint32(v[4:8]) >> 8 }

// Payload returns the inner frame.
func (v VXLAN) Payload() []byte { return v[VXLANLen:] }

// SetVNI sets the VNI.
func (v VXLAN) SetVNI(vni uint32) { binary.BigEndian.PutUint32(v[4:8], vni<<8|uint32(v[7])) }

// Encode writes a header with the I flag and vni.
func (v VXLAN) Encode(vni uint32) {
	binary.BigEndian.PutUint32(v[0:4], uint32(VXLANFlagI)<<24)
	binary.BigEndian.PutUint32(v[4:8], vni<<8)
}

// VXLANGPE is a view of a VXLAN Generic Protocol Extension header
// (draft-ietf-nvo3-vxlan-gpe), carried in UDP to port 4790:
//
//	0              1      3    4     7   8
//	|R|R|Ver|I|P|B|O| res |next| VNI |res| payload
type VXLANGPE []byte

// VXLAN-GPE flag bits and next protocols.
const (
	VXLANGPEFlagP uint8 = 0x04 // next protocol present
	VXLANGPEFlagB uint8 = 0x02 // BUM traffic
	VXLANGPEFlagO uint8 = 0x01 // OAM

	VXLANGPEIPv4     uint8 = 1
	VXLANGPEIPv6     uint8 = 2
	VXLANGPEEthernet uint8 = 3
	VXLANGPENSH      uint8 = 4
	VXLANGPEMPLS     uint8 = 5
)

// IsValid reports whether b holds the header.
func (v VXLANGPE) IsValid() bool { return len(v) >= VXLANLen }

// Flags returns the flags byte.
func (v VXLANGPE) Flags() uint8 { return v[0] }

// Version returns the 2-bit version.
func (v VXLANGPE) Version() uint8 { return v[0] >> 4 & 3 }

// NextProtocol returns the protocol of the payload (VXLANGPE*).
func (v VXLANGPE) NextProtocol() uint8 { return v[3] }

// VNI returns the 24-bit network identifier.
func (v VXLANGPE) VNI() uint32 { return binary.BigEndian.Uint32(v[4:8]) >> 8 }

// Payload returns what follows the header.
func (v VXLANGPE) Payload() []byte { return v[VXLANLen:] }

// Encode writes a header with the I and P flags, next and vni.
func (v VXLANGPE) Encode(next uint8, vni uint32) {
	v[0], v[1], v[2], v[3] = VXLANFlagI|VXLANGPEFlagP, 0, 0, next
	binary.BigEndian.PutUint32(v[4:8], vni<<8)
}
