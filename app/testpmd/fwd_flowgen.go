package testpmd

import (
	"encoding/binary"
	"fmt"

	"github.com/dpkit/dpkit/mbuf"
)

// flowgenEngine frees what it receives and generates UDP/IPv4 frames
// spread over Params.Flows flows: 00:01:02:03:04:00 -> 00:01:02:03:04:01,
// 10.254.0.0:1000 -> 10.253.x.y:1001 with x.y the flow number, frames of
// the --txpkts length less the 4-byte CRC, as DPDK's flowgen does (its
// defaults: 1024 flows, 60-byte frames).
var flowgenEngine = Engine{Name: "flowgen", Begin: flowgenBegin, Fwd: flowgenFwd}

var (
	flowgenSrcMAC = MAC{0, 1, 2, 3, 4, 0}
	flowgenDstMAC = MAC{0, 1, 2, 3, 4, 1}
	flowgenSrcIP  = [4]byte{10, 254, 0, 0}
	flowgenDstIP  = [4]byte{10, 253, 0, 0}
)

// flowgenLen is the frame length flowgen builds for --txpkts segs.
func flowgenLen(segs []int) int {
	total := 0
	for _, l := range segs {
		total += l
	}
	return total - 4
}

func flowgenBegin(s *Stream) error {
	if s.Params.Flows < 1 || s.Params.Flows > 1<<16 {
		return fmt.Errorf("flowgen: %d flows out of range 1..65536", s.Params.Flows)
	}
	l := s.Params.FlowgenLen
	if l < txonlyHdrLen || l > s.Pool.DataRoomSize()-mbuf.Headroom {
		return fmt.Errorf("flowgen: frame length %d out of range %d..%d", l, txonlyHdrLen, s.Pool.DataRoomSize()-mbuf.Headroom)
	}
	buildUDP4Header(s.hdr[:txonlyHdrLen], flowgenDstMAC, flowgenSrcMAC, flowgenSrcIP, flowgenDstIP, 1000, 1001, l)
	s.flow = 0
	return nil
}

func flowgenFwd(s *Stream) {
	if pkts := s.rx(); len(pkts) > 0 {
		mbuf.FreeBulk(s.Lcore, pkts)
	}
	pk := s.pkts[:s.Burst]
	pk = pk[:s.allocBurst(pk)]
	hdr := s.hdr[:txonlyHdrLen]
	size := s.Params.FlowgenLen
	flows := uint32(s.Params.Flows)
	base := binary.BigEndian.Uint16(hdr[etherHdrLen+10:])
	for _, m := range pk {
		p := m.Append(size)
		copy(p, hdr)
		ip := p[etherHdrLen:]
		binary.BigEndian.PutUint16(ip[18:], uint16(s.flow))
		binary.BigEndian.PutUint16(ip[10:], cksumUpdate16(base, 0, uint16(s.flow)))
		if s.flow++; s.flow >= flows {
			s.flow = 0
		}
	}
	s.send(pk)
}
