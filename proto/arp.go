package proto

import (
	"encoding/binary"
	"net/netip"
)

// ARP is a view of an ARP packet (RFC 826). The address accessors assume
// Ethernet and IPv4 (IsEthernetIPv4); the header accessors do not.
//
//	0     2     4    5    6   8    14   18   24   28
//	|htype|ptype|hlen|plen| op| sha| spa| tha| tpa|
type ARP []byte

// ARPLen is the length of an Ethernet/IPv4 ARP packet.
const ARPLen = 28

// ARP operations.
const (
	ARPRequest uint16 = 1
	ARPReply   uint16 = 2
)

// ARPFields is what Encode writes (Ethernet/IPv4 ARP).
type ARPFields struct {
	Op                     uint16
	SenderMAC, TargetMAC   MAC
	SenderAddr, TargetAddr netip.Addr // IPv4
}

// IsValid reports whether a holds the fixed header and the addresses its
// hlen and plen announce.
func (a ARP) IsValid() bool {
	return len(a) >= 8 && len(a) >= 8+2*int(a[4])+2*int(a[5])
}

// IsEthernetIPv4 reports whether a is a valid Ethernet/IPv4 ARP packet.
func (a ARP) IsEthernetIPv4() bool {
	return len(a) >= ARPLen && a.HardwareType() == 1 && a.ProtocolType() == EtherTypeIPv4 &&
		a[4] == 6 && a[5] == 4
}

// HardwareType returns htype (1: Ethernet).
func (a ARP) HardwareType() uint16 { return binary.BigEndian.Uint16(a[0:2]) }

// ProtocolType returns ptype.
func (a ARP) ProtocolType() EtherType { return EtherType(binary.BigEndian.Uint16(a[2:4])) }

// HardwareLen returns hlen.
func (a ARP) HardwareLen() int { return int(a[4]) }

// ProtocolLen returns plen.
func (a ARP) ProtocolLen() int { return int(a[5]) }

// Op returns the operation.
func (a ARP) Op() uint16 { return binary.BigEndian.Uint16(a[6:8]) }

// SenderMAC returns sha.
func (a ARP) SenderMAC() MAC { return MAC(a[8:14]) }

// SenderAddr returns spa.
func (a ARP) SenderAddr() netip.Addr { return netip.AddrFrom4([4]byte(a[14:18])) }

// TargetMAC returns tha.
func (a ARP) TargetMAC() MAC { return MAC(a[18:24]) }

// TargetAddr returns tpa.
func (a ARP) TargetAddr() netip.Addr { return netip.AddrFrom4([4]byte(a[24:28])) }

// SetOp sets the operation.
func (a ARP) SetOp(op uint16) { binary.BigEndian.PutUint16(a[6:8], op) }

// Encode writes an Ethernet/IPv4 ARP packet (ARPLen bytes). Addresses
// that are not IPv4 are written as 0.0.0.0.
func (a ARP) Encode(f *ARPFields) {
	binary.BigEndian.PutUint16(a[0:2], 1)
	binary.BigEndian.PutUint16(a[2:4], uint16(EtherTypeIPv4))
	a[4], a[5] = 6, 4
	a.SetOp(f.Op)
	copy(a[8:14], f.SenderMAC[:])
	put4(a[14:18], f.SenderAddr)
	copy(a[18:24], f.TargetMAC[:])
	put4(a[24:28], f.TargetAddr)
}

// put4 writes an IPv4 address (0.0.0.0 for anything else).
func put4(b []byte, a netip.Addr) {
	var v [4]byte
	if a.Is4() || a.Is4In6() {
		v = a.Unmap().As4()
	}
	copy(b[:4], v[:])
}
