package gso

import (
	"testing"

	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

// FuzzSegment cuts arbitrary packets with arbitrary header lengths and
// flags: never a panic, nothing lost, and every segment within Size with
// the payload in order.
func FuzzSegment(f *testing.F) {
	p := newPools(f)
	tcp := cat(eth(proto.EtherTypeIPv4), tcpIP(false, 1, proto.TCPFlagACK, data(3000)))
	f.Add(tcp, uint64(mbuf.TxTCPSeg|mbuf.TxIPv4), uint64(mbuf.TxOffloadWord(14, 20, 32, 0, 0, 0)), uint16(1000), uint8(0))
	vx := vxlanOf(false, tcp)
	f.Add(vx, uint64(mbuf.TxTCPSeg|mbuf.TxIPv4|mbuf.TxOuterIPv4|mbuf.TxTunnelVXLAN),
		uint64(mbuf.TxOffloadWord(8+8+14, 20, 32, 0, 20, 14)), uint16(600), uint8(5))
	f.Add(greOf(true, true, true, tcpIP(true, 1, proto.TCPFlagACK, data(2000))),
		uint64(mbuf.TxTCPSeg|mbuf.TxIPv6|mbuf.TxOuterIPv6|mbuf.TxTunnelGRE),
		uint64(mbuf.TxOffloadWord(12, 40, 32, 0, 40, 14)), uint16(700), uint8(9))
	f.Fuzz(func(t *testing.T, pkt []byte, flags, lens uint64, size uint16, seg uint8) {
		if len(pkt) == 0 || len(pkt) > 6000 {
			return
		}
		before := p.direct.InUse() + p.indirect.InUse()
		m := mbuftest.Packet(t, p.direct, pkt, 64+int(seg)*8)
		m.SetOlFlags(flags & mbuf.TxOffloadMask)
		m.SetTxOffload(lens)
		ctx := Context{Direct: p.direct, Indirect: p.indirect, Size: int(size), FixedIPID: seg&1 != 0, OffloadChecksums: seg&2 != 0}
		var out [128]*mbuf.Mbuf
		n, err := ctx.Segment(m, out[:], lc)
		if err == nil && n > 1 {
			total := 0
			for i, s := range out[:n] {
				if err := s.Check(true); err != nil {
					t.Fatal(err)
				}
				if s.PktLen() > int(size) {
					t.Fatalf("segment %d: %d bytes > %d", i, s.PktLen(), size)
				}
				total += s.PktLen()
			}
			if total < m.PktLen() && m.OlFlags()&mbuf.TxUDPSeg == 0 {
				t.Fatalf("%d bytes in %d segments, less than the %d of the packet", total, n, m.PktLen())
			}
		}
		if err != nil && n != 0 {
			t.Fatalf("error %v with %d segments", err, n)
		}
		mbuf.FreeBulk(lc, out[:n])
		m.Free(lc)
		if k := p.direct.InUse() + p.indirect.InUse() - before; k != 0 {
			t.Fatalf("%d mbufs lost", k)
		}
	})
}
