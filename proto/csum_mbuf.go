package proto

import (
	"encoding/binary"
	"errors"
	"math/bits"

	"github.com/dpkit/dpkit/mbuf"
)

// ErrRange reports an offset or length outside the packet.
var ErrRange = errors.New("proto: range outside the packet")

// ChecksumMbuf returns the one's complement sum (as Checksum) of n bytes
// of the packet m from byte off, across segments, added to initial
// (rte_raw_cksum_mbuf). It fails with ErrRange if the range is not inside
// the packet.
func ChecksumMbuf(m *mbuf.Mbuf, off, n int, initial uint16) (uint16, error) {
	if off < 0 || n < 0 || off+n > m.PktLen() {
		return 0, ErrRange
	}
	var acc uint64
	done := 0 // bytes summed so far: their parity says how the next ones fall
	for s := m; s != nil && done < n; s = s.Next() {
		d := s.Data()
		if off >= len(d) {
			off -= len(d)
			continue
		}
		d = d[off:]
		off = 0
		if len(d) > n-done {
			d = d[:n-done]
		}
		part := uint64(fold64(sumLE(d, 0)))
		if done&1 != 0 {
			part = uint64(bits.ReverseBytes16(uint16(part)))
		}
		acc += part
		done += len(d)
	}
	return Combine(initial, bits.ReverseBytes16(fold64(acc))), nil
}

// CRC32CMbuf returns the CRC32C of n bytes of the packet m from byte
// off, continuing from crc, across segments.
func CRC32CMbuf(m *mbuf.Mbuf, off, n int, crc uint32) (uint32, error) {
	if off < 0 || n < 0 || off+n > m.PktLen() {
		return 0, ErrRange
	}
	for s := m; s != nil && n > 0; s = s.Next() {
		d := s.Data()
		if off >= len(d) {
			off -= len(d)
			continue
		}
		d = d[off:]
		off = 0
		if len(d) > n {
			d = d[:n]
		}
		crc = CRC32C(crc, d)
		n -= len(d)
	}
	return crc, nil
}

// L4 errors.
var (
	// ErrNotIP reports an L3 header that is neither IPv4 nor IPv6.
	ErrNotIP = errors.New("proto: not an IP header")
	// ErrSplitHeader reports an L4 checksum field that straddles two
	// segments, which SetL4ChecksumMbuf cannot write in place.
	ErrSplitHeader = errors.New("proto: checksum field split across segments")
)

// l4Span returns the L4 length of the packet m whose IP header is at l3
// and L4 header at l4 (from the IP length fields), and the pseudo-header
// sum for proto.
func l4Span(m *mbuf.Mbuf, l3, l4 int, proto uint8) (int, uint16, error) {
	var buf [IPv4MinLen]byte
	v := m.Read(l3, buf[:1])
	if v == nil {
		return 0, 0, ErrRange
	}
	switch v[0] >> 4 {
	case 4:
		ip := IPv4(m.Read(l3, buf[:IPv4MinLen]))
		if ip == nil {
			return 0, 0, ErrRange
		}
		n := l3 + ip.TotalLen() - l4
		if n < 0 || l4+n > m.PktLen() {
			return 0, 0, ErrRange
		}
		return n, ip.PseudoHeaderSum(proto, n), nil
	case 6:
		// The extension headers too: a routing header names the final
		// destination the pseudo-header holds (IPv6.FinalDst).
		var ext [maxChainHdr]byte
		hl := min(max(l4-l3, IPv6Len), len(ext))
		ip := IPv6(m.Read(l3, ext[:hl]))
		if ip == nil {
			return 0, 0, ErrRange
		}
		n := l3 + IPv6Len + ip.PayloadLen() - l4
		if n < 0 || l4+n > m.PktLen() {
			return 0, 0, ErrRange
		}
		return n, ip.PseudoHeaderSum(proto, n), nil
	}
	return 0, 0, ErrNotIP
}

// l4CsumOff is where the checksum field of proto lies in its header.
func l4CsumOff(proto uint8) int {
	switch proto {
	case IPProtoTCP:
		return 16
	case IPProtoUDP:
		return 6
	case IPProtoSCTP:
		return 8
	}
	return 2 // ICMP, ICMPv6
}

// VerifyL4ChecksumMbuf checks the TCP, UDP, ICMPv6 (pseudo-header) or
// SCTP (CRC32C) checksum of the packet m, whose IP header starts at byte
// l3 and whose L4 header (of protocol proto) starts at byte l4, across
// segments. The L4 length comes from the IP header. A UDP checksum of 0
// over IPv4 is reported valid (none sent).
func VerifyL4ChecksumMbuf(m *mbuf.Mbuf, l3, l4 int, proto uint8) (bool, error) {
	n, pseudo, err := l4Span(m, l3, l4, proto)
	if err != nil {
		return false, err
	}
	var buf [4]byte
	f := m.Read(l4+l4CsumOff(proto), buf[:4])
	if f == nil {
		return false, ErrRange
	}
	switch proto {
	case IPProtoSCTP:
		c, err := sctpCRCMbuf(m, l4, n)
		return err == nil && c == binary.LittleEndian.Uint32(f), err
	case IPProtoUDP:
		if binary.BigEndian.Uint16(f) == 0 {
			return true, nil
		}
	case IPProtoICMP:
		pseudo = 0
	}
	s, err := ChecksumMbuf(m, l4, n, pseudo)
	return s == 0xffff, err
}

// SetL4ChecksumMbuf computes and writes the checksum of the TCP, UDP,
// ICMP, ICMPv6 or SCTP header at byte l4 of m (see VerifyL4ChecksumMbuf).
// The checksum field must lie in one segment (ErrSplitHeader otherwise).
func SetL4ChecksumMbuf(m *mbuf.Mbuf, l3, l4 int, proto uint8) error {
	n, pseudo, err := l4Span(m, l3, l4, proto)
	if err != nil {
		return err
	}
	fl := 2
	if proto == IPProtoSCTP {
		fl = 4
	}
	var buf [4]byte
	f := m.Read(l4+l4CsumOff(proto), buf[:fl])
	if f == nil {
		return ErrRange
	}
	if &f[0] == &buf[0] {
		return ErrSplitHeader
	}
	clear(f)
	if proto == IPProtoSCTP {
		c, err := sctpCRCMbuf(m, l4, n)
		binary.LittleEndian.PutUint32(f, c)
		return err
	}
	if proto == IPProtoICMP {
		pseudo = 0
	}
	s, err := ChecksumMbuf(m, l4, n, pseudo)
	c := ^s
	if c == 0 && proto == IPProtoUDP {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(f, c)
	return err
}

// sctpCRCMbuf is the CRC32C of the SCTP packet of n bytes at off, its
// checksum field taken as 0.
func sctpCRCMbuf(m *mbuf.Mbuf, off, n int) (uint32, error) {
	if n < SCTPLen {
		return 0, ErrRange
	}
	c, err := CRC32CMbuf(m, off, 8, 0)
	if err != nil {
		return 0, err
	}
	c = CRC32C(c, zero4[:])
	return CRC32CMbuf(m, off+12, n-12, c)
}
