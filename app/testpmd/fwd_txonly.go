package testpmd

import (
	"encoding/binary"

	"github.com/dpkit/dpkit/mbuf"
)

// txonlyEngine generates UDP/IPv4 frames and receives nothing: from the tx
// port's address to its peer, 198.18.0.1:9 -> 198.18.0.2:9 (RFC 2544's
// benchmarking range), TTL 64, no UDP checksum, of the lengths --txpkts
// sets (64 bytes, one segment, by default). With --txonly-multi-flow the
// source address is 198.18.N.3 with N counting packets modulo 256, as DPDK
// 22.11's testpmd sends them (testdata/txonly_multiflow.pcap).
var txonlyEngine = Engine{Name: "txonly", Begin: txonlyBegin, Fwd: txonlyFwd}

// txonlyHdrLen is the Ethernet + IPv4 + UDP header length.
const txonlyHdrLen = etherHdrLen + ipv4MinLen + udpHdrLen

var (
	txonlySrcIP = [4]byte{198, 18, 0, 1}
	txonlyDstIP = [4]byte{198, 18, 0, 2}
)

const txonlyPort = 9

// txonlyFlowLow is the last byte of the source address of multi-flow
// packets.
const txonlyFlowLow = 3

func txonlyBegin(s *Stream) error {
	total := 0
	for _, l := range s.Params.TxPkts {
		total += l
	}
	if err := checkTxPkts(s.Params.TxPkts, s.Pool.DataRoomSize()-mbuf.Headroom); err != nil {
		return err
	}
	buildUDP4Header(s.hdr[:txonlyHdrLen], s.PeerMAC, s.TxMAC, txonlySrcIP, txonlyDstIP, txonlyPort, txonlyPort, total)
	s.flow = 0
	return nil
}

// buildUDP4Header writes an Ethernet/IPv4/UDP header for a frame of
// frameLen bytes into h (txonlyHdrLen bytes): IPv4 id 0, TTL 64, header
// checksum set, UDP checksum 0.
func buildUDP4Header(h []byte, dst, src MAC, sip, dip [4]byte, sport, dport uint16, frameLen int) {
	_ = h[txonlyHdrLen-1]
	copy(h[0:6], dst[:])
	copy(h[6:12], src[:])
	binary.BigEndian.PutUint16(h[12:], etherTypeIPv4)
	ip := h[etherHdrLen:]
	ip[0], ip[1] = 0x45, 0
	binary.BigEndian.PutUint16(ip[2:], uint16(frameLen-etherHdrLen))
	binary.BigEndian.PutUint32(ip[4:], 0) // id, flags, fragment offset
	ip[8], ip[9] = 64, protoUDP
	copy(ip[12:16], sip[:])
	copy(ip[16:20], dip[:])
	binary.BigEndian.PutUint16(ip[10:], 0)
	binary.BigEndian.PutUint16(ip[10:], ipv4HdrCksum(ip[:ipv4MinLen]))
	udp := ip[ipv4MinLen:]
	binary.BigEndian.PutUint16(udp[0:], sport)
	binary.BigEndian.PutUint16(udp[2:], dport)
	binary.BigEndian.PutUint16(udp[4:], uint16(frameLen-etherHdrLen-ipv4MinLen))
	binary.BigEndian.PutUint16(udp[6:], 0)
}

// allocBurst fills pk with mbufs from the stream's pool, in bulk when it
// can and one by one when the pool runs low; it returns how many it got.
func (s *Stream) allocBurst(pk []*mbuf.Mbuf) int {
	if s.Pool.AllocBulk(s.Lcore, pk) {
		return len(pk)
	}
	for i := range pk {
		if pk[i] = s.Pool.Alloc(s.Lcore); pk[i] == nil {
			return i
		}
	}
	return len(pk)
}

func txonlyFwd(s *Stream) {
	segs := s.Params.TxPkts
	pk := s.pkts[:s.Burst]
	n := s.allocBurst(pk)
	pk = pk[:n]
	hdr := s.hdr[:txonlyHdrLen]
	for i, m := range pk {
		p := m.Append(segs[0])
		copy(p, hdr)
		if s.Params.MultiFlow {
			ip := p[etherHdrLen:]
			w := uint16(byte(s.flow))<<8 | txonlyFlowLow
			binary.BigEndian.PutUint16(ip[14:], w)
			ck := binary.BigEndian.Uint16(ip[10:])
			binary.BigEndian.PutUint16(ip[10:], cksumUpdate16(ck, uint16(txonlySrcIP[2])<<8|uint16(txonlySrcIP[3]), w))
			s.flow++
		}
		if len(segs) > 1 && !s.appendSegs(m, segs[1:]) {
			mbuf.FreeBulk(s.Lcore, pk[i:])
			pk = pk[:i]
			break
		}
	}
	s.send(pk)
}

// appendSegs chains one new segment per length in segs to m; false if
// the pool ran out (m is then still a valid packet, to be freed).
func (s *Stream) appendSegs(m *mbuf.Mbuf, segs []int) bool {
	last := m
	for _, l := range segs {
		seg := s.Pool.Alloc(s.Lcore)
		if seg == nil {
			return false
		}
		seg.Append(l)
		last.SetNext(seg)
		last = seg
		m.SetNbSegs(m.NbSegs() + 1)
		m.SetPktLen(m.PktLen() + l)
	}
	return true
}
