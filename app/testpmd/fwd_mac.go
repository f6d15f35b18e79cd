package testpmd

import "encoding/binary"

// macEngine rewrites the Ethernet addresses: destination the tx port's
// peer (--eth-peer), source the tx port's own address.
var macEngine = Engine{Name: "mac", Fwd: macFwd}

func macFwd(s *Stream) {
	pkts := s.rx()
	dst, src := s.PeerMAC, s.TxMAC
	for _, m := range pkts {
		p := m.Data()
		if len(p) < 12 {
			continue
		}
		copy(p[0:6], dst[:])
		copy(p[6:12], src[:])
	}
	s.send(pkts)
}

// swapMACs exchanges the destination and source addresses of frame p
// (at least 12 bytes).
func swapMACs(p []byte) {
	_ = p[11]
	d0, d1 := binary.LittleEndian.Uint32(p[0:]), binary.LittleEndian.Uint16(p[4:])
	s0, s1 := binary.LittleEndian.Uint32(p[6:]), binary.LittleEndian.Uint16(p[10:])
	binary.LittleEndian.PutUint32(p[0:], s0)
	binary.LittleEndian.PutUint16(p[4:], s1)
	binary.LittleEndian.PutUint32(p[6:], d0)
	binary.LittleEndian.PutUint16(p[10:], d1)
}
