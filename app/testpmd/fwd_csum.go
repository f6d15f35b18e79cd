package testpmd

import (
	"encoding/binary"

	"github.com/dpkit/dpkit/mbuf"
)

// csumEngine checks and sets the IPv4, UDP and TCP checksums of what it
// forwards, like the mac engine rewriting the Ethernet addresses. A
// checksum the receive side judged (RxIPCksum*/RxL4Cksum* flags) is
// counted bad from the flags; one it left unknown is verified in software.
// Checksums are then computed in software, or left to the tx port with the
// TxIPCksum/TxUDPCksum/TxTCPCksum offload flags (and the pseudo-header sum
// in the L4 checksum field, the convention for those offloads) for the
// kinds in Stream.TxCsum. Headers must be in the first segment.
var csumEngine = Engine{Name: "csum", Fwd: csumFwd, CsumStats: true}

func csumFwd(s *Stream) {
	pkts := s.rx()
	for _, m := range pkts {
		s.csumPacket(m)
	}
	s.send(pkts)
}

func (s *Stream) csumPacket(m *mbuf.Mbuf) {
	p := m.Data()
	if len(p) < 12 {
		return
	}
	copy(p[0:6], s.PeerMAC[:])
	copy(p[6:12], s.TxMAC[:])
	etype, l2, ok := l2Info(p)
	if !ok {
		return
	}
	l3len, proto, l4len, ok := l3Info(p, l2, etype)
	if !ok {
		return
	}
	fl := m.OlFlags()
	var tx uint64
	if etype == etherTypeIPv4 {
		ip := p[l2 : l2+l3len]
		switch fl & mbuf.RxIPCksumMask {
		case mbuf.RxIPCksumBad:
			add(&s.badIP, 1)
		case mbuf.RxIPCksumUnknown:
			if cksumFold(cksumAdd(0, ip)) != 0xffff {
				add(&s.badIP, 1)
			}
		}
		binary.BigEndian.PutUint16(ip[10:], 0)
		if s.TxCsum&CsumIP != 0 {
			tx |= mbuf.TxIPv4 | mbuf.TxIPCksum
		} else {
			binary.BigEndian.PutUint16(ip[10:], ipv4HdrCksum(ip))
		}
	}
	l4off := l2 + l3len
	l4hdr := 0
	switch proto {
	case protoUDP:
		if l4len < udpHdrLen {
			break
		}
		l4hdr = udpHdrLen
		tx |= s.csumL4(m, p, l2, etype, proto, p[l4off:l4off+l4len], 6, CsumUDP, mbuf.TxUDPCksum)
	case protoTCP:
		if l4len < tcpMinLen {
			break
		}
		l4hdr = int(p[l4off+12]>>4) * 4
		tx |= s.csumL4(m, p, l2, etype, proto, p[l4off:l4off+l4len], 16, CsumTCP, mbuf.TxTCPCksum)
	}
	if tx != 0 {
		if etype == etherTypeIPv4 {
			tx |= mbuf.TxIPv4
		} else {
			tx |= mbuf.TxIPv6
		}
		m.SetTxLens(l2, l3len, l4hdr, 0, 0, 0)
		m.SetOlFlags(fl&^mbuf.TxOffloadMask | tx)
	}
}

// csumL4 verifies and sets the checksum of the TCP or UDP segment l4
// whose checksum field is at l4[ck:]; it returns the offload flags to set.
func (s *Stream) csumL4(m *mbuf.Mbuf, p []byte, l2 int, etype uint16, proto uint8, l4 []byte, ck int, kind CsumOffload, flag uint64) uint64 {
	ps := pseudoSum(p, l2, etype, proto, len(l4))
	old := binary.BigEndian.Uint16(l4[ck:])
	switch m.OlFlags() & mbuf.RxL4CksumMask {
	case mbuf.RxL4CksumBad:
		add(&s.badL4, 1)
	case mbuf.RxL4CksumUnknown:
		// A zero UDP checksum over IPv4 means "none".
		if !(proto == protoUDP && old == 0 && etype == etherTypeIPv4) && cksumFold(cksumAdd(ps, l4)) != 0xffff {
			add(&s.badL4, 1)
		}
	}
	if s.TxCsum&kind != 0 {
		binary.BigEndian.PutUint16(l4[ck:], cksumFold(ps))
		return flag
	}
	binary.BigEndian.PutUint16(l4[ck:], l4Cksum(l4, ps, proto))
	return 0
}
