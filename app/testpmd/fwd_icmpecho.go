package testpmd

import "encoding/binary"

// icmpechoEngine answers ARP requests (with the rx port's address) and
// ICMP echo requests, sending the answers back on the tx port, and frees
// every other packet: a port that answers ping.
var icmpechoEngine = Engine{Name: "icmpecho", Fwd: icmpechoFwd}

func icmpechoFwd(s *Stream) {
	pkts := s.rx()
	n := 0
	for _, m := range pkts {
		if s.echoReply(m.Data()) {
			pkts[n] = m
			n++
		} else {
			m.Free(s.Lcore)
		}
	}
	s.send(pkts[:n])
}

const (
	arpOpRequest = 1
	arpOpReply   = 2
	icmpEcho     = 8
	icmpEchoRepl = 0
)

// echoReply turns frame p into the answer to it and reports true, or
// reports false (p unchanged) if it is not an ARP or ICMP echo request.
func (s *Stream) echoReply(p []byte) bool {
	etype, l2, ok := l2Info(p)
	if !ok {
		return false
	}
	switch etype {
	case etherTypeARP:
		if len(p) < l2+arpLen {
			return false
		}
		a := p[l2:]
		if binary.BigEndian.Uint16(a[0:]) != 1 || binary.BigEndian.Uint16(a[2:]) != etherTypeIPv4 ||
			a[4] != 6 || a[5] != 4 || binary.BigEndian.Uint16(a[6:]) != arpOpRequest {
			return false
		}
		copy(p[0:6], a[8:14]) // to the requester
		copy(p[6:12], s.RxMAC[:])
		binary.BigEndian.PutUint16(a[6:], arpOpReply)
		var spa, tpa [4]byte
		copy(spa[:], a[14:18])
		copy(tpa[:], a[24:28])
		copy(a[18:24], a[8:14]) // target hardware address: the requester
		copy(a[8:14], s.RxMAC[:])
		copy(a[14:18], tpa[:])
		copy(a[24:28], spa[:])
		return true
	case etherTypeIPv4:
		l3len, proto, l4len, ok := l3Info(p, l2, etype)
		if !ok || proto != protoICMP || l4len < 8 {
			return false
		}
		ip := p[l2:]
		icmp := ip[l3len:]
		if icmp[0] != icmpEcho || icmp[1] != 0 || ip[16]&0xf0 == 0xe0 { // multicast destinations are not answered
			return false
		}
		swapMACs(p)
		a, b := binary.LittleEndian.Uint32(ip[12:]), binary.LittleEndian.Uint32(ip[16:])
		binary.LittleEndian.PutUint32(ip[12:], b)
		binary.LittleEndian.PutUint32(ip[16:], a)
		icmp[0] = icmpEchoRepl
		ck := binary.BigEndian.Uint16(icmp[2:])
		binary.BigEndian.PutUint16(icmp[2:], cksumUpdate16(ck, icmpEcho<<8, icmpEchoRepl<<8))
		return true
	}
	return false
}
