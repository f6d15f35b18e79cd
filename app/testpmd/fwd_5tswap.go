package testpmd

import "encoding/binary"

// fiveTupleSwapEngine swaps the Ethernet addresses, the IPv4 or IPv6
// addresses and the TCP or UDP ports: a reflector that a stateful peer
// sees as the other end of its flows. Checksums stay valid (a swap does not
// change a ones-complement sum).
var fiveTupleSwapEngine = Engine{Name: "5tswap", Fwd: fiveTupleSwapFwd}

func fiveTupleSwapFwd(s *Stream) {
	pkts := s.rx()
	for _, m := range pkts {
		swap5Tuple(m.Data())
	}
	s.send(pkts)
}

// swap5Tuple swaps what it finds of the 5-tuple of frame p.
func swap5Tuple(p []byte) {
	etype, l2, ok := l2Info(p)
	if !ok {
		return
	}
	swapMACs(p)
	var l3len int
	var proto uint8
	switch etype {
	case etherTypeIPv4:
		if len(p) < l2+ipv4MinLen || p[l2]>>4 != 4 {
			return
		}
		h := p[l2:]
		a, b := binary.LittleEndian.Uint32(h[12:]), binary.LittleEndian.Uint32(h[16:])
		binary.LittleEndian.PutUint32(h[12:], b)
		binary.LittleEndian.PutUint32(h[16:], a)
		l3len, proto = int(h[0]&0xf)*4, h[9]
		if binary.BigEndian.Uint16(h[6:])&0x1fff != 0 { // not the first fragment: no ports
			return
		}
	case etherTypeIPv6:
		if len(p) < l2+ipv6HdrLen || p[l2]>>4 != 6 {
			return
		}
		h := p[l2:]
		for i := 8; i < 24; i += 8 {
			a, b := binary.LittleEndian.Uint64(h[i:]), binary.LittleEndian.Uint64(h[i+16:])
			binary.LittleEndian.PutUint64(h[i:], b)
			binary.LittleEndian.PutUint64(h[i+16:], a)
		}
		l3len, proto = ipv6HdrLen, h[6]
	default:
		return
	}
	if proto != protoTCP && proto != protoUDP {
		return
	}
	off := l2 + l3len
	if len(p) < off+4 {
		return
	}
	a, b := binary.LittleEndian.Uint16(p[off:]), binary.LittleEndian.Uint16(p[off+2:])
	binary.LittleEndian.PutUint16(p[off:], b)
	binary.LittleEndian.PutUint16(p[off+2:], a)
}
