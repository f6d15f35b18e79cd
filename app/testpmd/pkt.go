package testpmd

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// This file holds the little header knowledge the forwarding engines need:
// Ethernet, VLAN, ARP, IPv4, IPv6, UDP, TCP and ICMP offsets, and the
// Internet checksum. Engines work on the first segment's bytes (m.Data()):
// every header they touch must be in it, or the packet is left alone.

// MAC is an Ethernet address.
type MAC [6]byte

// String formats the address as DPDK's testpmd does: upper-case hex.
func (a MAC) String() string {
	return fmt.Sprintf("%02X:%02X:%02X:%02X:%02X:%02X", a[0], a[1], a[2], a[3], a[4], a[5])
}

// ParseMAC parses "xx:xx:xx:xx:xx:xx" (':' or '-' separated hex pairs).
func ParseMAC(s string) (MAC, error) {
	var a MAC
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == '-' })
	if len(f) != 6 || len(s) != 17 {
		return a, fmt.Errorf("bad MAC address %q", s)
	}
	for i, x := range f {
		if len(x) != 2 {
			return a, fmt.Errorf("bad MAC address %q", s)
		}
		v, err := strconv.ParseUint(x, 16, 8)
		if err != nil {
			return a, fmt.Errorf("bad MAC address %q", s)
		}
		a[i] = byte(v)
	}
	return a, nil
}

const (
	etherHdrLen = 14
	vlanHdrLen  = 4
	ipv4MinLen  = 20
	ipv6HdrLen  = 40
	udpHdrLen   = 8
	tcpMinLen   = 20
	arpLen      = 28

	etherTypeIPv4 = 0x0800
	etherTypeARP  = 0x0806
	etherTypeVLAN = 0x8100
	etherTypeQinQ = 0x88a8
	etherTypeIPv6 = 0x86dd

	protoICMP = 1
	protoTCP  = 6
	protoUDP  = 17
)

// l2Info finds the L3 header: its EtherType and the L2 length (Ethernet
// plus up to two VLAN tags). ok is false if the frame is too short.
func l2Info(p []byte) (etype uint16, l2len int, ok bool) {
	if len(p) < etherHdrLen {
		return 0, 0, false
	}
	etype = binary.BigEndian.Uint16(p[12:])
	l2len = etherHdrLen
	for i := 0; i < 2 && (etype == etherTypeVLAN || etype == etherTypeQinQ); i++ {
		if len(p) < l2len+vlanHdrLen {
			return 0, 0, false
		}
		etype = binary.BigEndian.Uint16(p[l2len+2:])
		l2len += vlanHdrLen
	}
	return etype, l2len, true
}

// l3Info describes the IP header at p[off:]: its length, the L4 protocol
// and the L4 length the IP header announces. ok is false for anything that
// is not a whole IPv4 (no fragment) or IPv6 header with its payload in p.
// IPv6 extension headers are not walked: their next header is not TCP/UDP.
func l3Info(p []byte, off int, etype uint16) (l3len int, proto uint8, l4len int, ok bool) {
	switch etype {
	case etherTypeIPv4:
		if len(p) < off+ipv4MinLen || p[off]>>4 != 4 {
			return 0, 0, 0, false
		}
		l3len = int(p[off]&0xf) * 4
		tot := int(binary.BigEndian.Uint16(p[off+2:]))
		if l3len < ipv4MinLen || tot < l3len || len(p) < off+tot {
			return 0, 0, 0, false
		}
		if binary.BigEndian.Uint16(p[off+6:])&0x3fff != 0 { // MF or offset: a fragment
			return l3len, p[off+9], 0, false
		}
		return l3len, p[off+9], tot - l3len, true
	case etherTypeIPv6:
		if len(p) < off+ipv6HdrLen || p[off]>>4 != 6 {
			return 0, 0, 0, false
		}
		pl := int(binary.BigEndian.Uint16(p[off+4:]))
		if len(p) < off+ipv6HdrLen+pl {
			return 0, 0, 0, false
		}
		return ipv6HdrLen, p[off+6], pl, true
	}
	return 0, 0, 0, false
}

// cksumAdd adds b to a ones-complement running sum (big-endian 16-bit
// words; an odd last byte is padded with zero).
func cksumAdd(sum uint64, b []byte) uint64 {
	var c uint64
	for len(b) >= 8 {
		sum, c = bits.Add64(sum, binary.BigEndian.Uint64(b), 0)
		sum += c
		b = b[8:]
	}
	for len(b) >= 2 {
		sum, c = bits.Add64(sum, uint64(binary.BigEndian.Uint16(b)), 0)
		sum += c
		b = b[2:]
	}
	if len(b) == 1 {
		sum, c = bits.Add64(sum, uint64(b[0])<<8, 0)
		sum += c
	}
	return sum
}

// cksumFold folds a running sum to 16 bits (not complemented).
func cksumFold(sum uint64) uint16 {
	sum = (sum >> 32) + (sum & 0xffffffff)
	sum = (sum >> 32) + (sum & 0xffffffff)
	sum = (sum >> 16) + (sum & 0xffff)
	sum = (sum >> 16) + (sum & 0xffff)
	sum = (sum >> 16) + (sum & 0xffff)
	return uint16(sum)
}

// ipv4HdrCksum returns the checksum field value for the IPv4 header h
// (whose checksum field is taken as zero).
func ipv4HdrCksum(h []byte) uint16 {
	s := cksumAdd(0, h[:10])
	s = cksumAdd(s, h[12:])
	return ^cksumFold(s)
}

// pseudoSum is the ones-complement sum of the pseudo-header of the L4
// segment of length l4len after the IP header at p[off:].
func pseudoSum(p []byte, off int, etype uint16, proto uint8, l4len int) uint64 {
	var s uint64
	if etype == etherTypeIPv4 {
		s = cksumAdd(0, p[off+12:off+20])
	} else {
		s = cksumAdd(0, p[off+8:off+40])
	}
	return s + uint64(proto) + uint64(l4len)
}

// l4Cksum returns the checksum field value of the TCP or UDP segment
// l4 (its checksum field taken as zero) with pseudo-header sum ps. A UDP
// result of 0 is sent as 0xffff.
func l4Cksum(l4 []byte, ps uint64, proto uint8) uint16 {
	ck := 16
	if proto == protoUDP {
		ck = 6
	}
	s := cksumAdd(ps, l4[:ck])
	s = cksumAdd(s, l4[ck+2:])
	r := ^cksumFold(s)
	if r == 0 && proto == protoUDP {
		r = 0xffff
	}
	return r
}

// cksumUpdate16 updates checksum field value ck for a 16-bit word of the
// covered data changing from old to new (RFC 1624, eqn. 3).
func cksumUpdate16(ck, old, new uint16) uint16 {
	s := uint32(^ck) + uint32(^old) + uint32(new)
	s = (s >> 16) + (s & 0xffff)
	s = (s >> 16) + (s & 0xffff)
	return ^uint16(s)
}
