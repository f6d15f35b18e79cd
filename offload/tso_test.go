package offload_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

// TestTSO sends big TCP packets asking for TSO through net_ring (no TSO:
// software) and checks every segment: count, lengths, IPv4 IDs, sequence
// numbers, flags, checksums, the payload reassembled, the tag inserted.
func TestTSO(t *testing.T) {
	mp := newPool(t, 1023)
	a, b := ringPair(t, mp, allTx, 0, 0)
	for _, c := range []struct {
		name    string
		v6      bool
		payload int
		mss     int
		seg     int // input mbuf segment size
		vlan    bool
	}{
		{"v4", false, 4000, 1000, 0, false},
		{"v4/uneven", false, 3001, 1448, 0, false},
		{"v6/chain", true, 5000, 1200, 700, false},
		{"v4/vlan", false, 2500, 1000, 0, true},
		{"v4/one-segment", false, 500, 1000, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := spec{v6: c.v6, l4: "tcp", payload: c.payload}
			bt := build(s)
			// FIN and CWR, to see them go to the last and first segment.
			bt.b[bt.l4+13] |= proto.TCPFlagFIN | proto.TCPFlagCWR
			m := mbuftest.Packet(t, mp, bt.b, c.seg)
			m.SetTxLens(14, bt.l3, 20, c.mss, 0, 0)
			fl := mbuf.TxTCPSeg | mbuf.TxTCPCksum
			if c.v6 {
				fl |= mbuf.TxIPv6
			} else {
				fl |= mbuf.TxIPv4 | mbuf.TxIPCksum
			}
			if c.vlan {
				fl |= mbuf.TxVLAN
				m.SetVLANTCI(42)
			}
			m.SetOlFlags(fl)
			before := a.Stats()
			if n := a.TxBurst(0, []*mbuf.Mbuf{m}); n != 1 {
				m.Free(lc)
				t.Fatalf("TxBurst returned %d, want 1 (the application's packet)", n)
			}
			nseg := (c.payload + c.mss - 1) / c.mss
			got := recvAll(t, b, nseg)
			defer mbuf.FreeBulk(lc, got)
			st := a.Stats()
			if st.OPackets-before.OPackets != uint64(nseg) {
				t.Errorf("opackets +%d, want %d (one per segment)", st.OPackets-before.OPackets, nseg)
			}
			hl := 14 + bt.l3 + 20
			var pl []byte
			var obytes uint64
			for i, r := range got {
				f := mbuftest.Bytes(r)
				obytes += uint64(len(f))
				if c.vlan {
					if binary.BigEndian.Uint16(f[12:]) != 0x8100 || binary.BigEndian.Uint16(f[14:]) != 42 {
						t.Fatalf("segment %d: no tag: % x", i, f[:18])
					}
					f = append(f[:12:12], f[16:]...)
				}
				want := min(c.mss, c.payload-i*c.mss)
				if len(f) != hl+want {
					t.Errorf("segment %d: %d bytes, want %d", i, len(f), hl+want)
					continue
				}
				if !bytes.Equal(f[:bt.ip], bt.b[:bt.ip]) {
					t.Errorf("segment %d: Ethernet header changed", i)
				}
				ip := f[bt.ip:]
				if c.v6 {
					if pl := proto.IPv6(ip).PayloadLen(); pl != 20+want {
						t.Errorf("segment %d: IPv6 payload length %d", i, pl)
					}
				} else {
					v := proto.IPv4(ip)
					if v.TotalLen() != bt.l3+20+want || v.ID() != 0x4242+uint16(i) || !v.IsChecksumValid() {
						t.Errorf("segment %d: IPv4 len %d id %#x checksum ok %v", i, v.TotalLen(), v.ID(), v.IsChecksumValid())
					}
				}
				tcp := proto.TCP(f[bt.l4:])
				if tcp.Seq() != 1000+uint32(i*c.mss) {
					t.Errorf("segment %d: seq %d", i, tcp.Seq())
				}
				wantFl := uint8(proto.TCPFlagACK)
				if i == nseg-1 {
					wantFl |= proto.TCPFlagFIN | proto.TCPFlagPSH
				}
				if i == 0 {
					wantFl |= proto.TCPFlagCWR
				}
				if tcp.Flags() != wantFl {
					t.Errorf("segment %d: flags %#x, want %#x", i, tcp.Flags(), wantFl)
				}
				if ck := uint32(tcp.Checksum()); ck != refL4(f, bt.ip, bt.l4, proto.IPProtoTCP) {
					t.Errorf("segment %d: TCP checksum %#x, want %#x", i, ck, refL4(f, bt.ip, bt.l4, proto.IPProtoTCP))
				}
				pl = append(pl, f[hl:]...)
			}
			if !bytes.Equal(pl, bt.b[hl:]) {
				t.Errorf("payload reassembled differs")
			}
			if st.OBytes-before.OBytes != obytes {
				t.Errorf("obytes +%d, want %d", st.OBytes-before.OBytes, obytes)
			}
		})
	}
}

// TestUDPSeg: a UDP/IPv4 datagram asking for UDP segmentation leaves as
// IP fragments that reassemble to it, its UDP checksum computed first.
func TestUDPSeg(t *testing.T) {
	mp := newPool(t, 255)
	a, b := ringPair(t, mp, allTx|ethdev.TxOffloadUDPTSO, 0, 0)
	s := spec{l4: "udp", payload: 3000}
	bt := build(s)
	m := mbuftest.Packet(t, mp, bt.b, 0)
	m.SetTxLens(14, 20, 8, 1000, 0, 0)
	m.SetOlFlags(mbuf.TxIPv4 | mbuf.TxIPCksum | mbuf.TxUDPCksum | mbuf.TxUDPSeg)
	if n := a.TxBurst(0, []*mbuf.Mbuf{m}); n != 1 {
		m.Free(lc)
		t.Fatalf("TxBurst %d", n)
	}
	var got []*mbuf.Mbuf
	var buf [16]*mbuf.Mbuf
	for range 100 {
		n := b.RxBurst(0, buf[:])
		got = append(got, buf[:n]...)
	}
	defer mbuf.FreeBulk(lc, got)
	if len(got) < 3 {
		t.Fatalf("%d fragments", len(got))
	}
	whole := make([]byte, len(bt.b)-34)
	covered := 0
	for i, r := range got {
		f := mbuftest.Bytes(r)
		ip := proto.IPv4(f[14:])
		if !ip.IsValid() || !ip.IsChecksumValid() {
			t.Fatalf("fragment %d: bad IPv4 header", i)
		}
		if len(f) > 14+20+8+1000 {
			t.Errorf("fragment %d: %d bytes", i, len(f))
		}
		if ip.MoreFragments() != (i < len(got)-1) {
			t.Errorf("fragment %d: MF %v", i, ip.MoreFragments())
		}
		covered += copy(whole[ip.FragmentOffset():], ip.Payload())
	}
	if covered != len(whole) {
		t.Fatalf("fragments cover %d of %d bytes", covered, len(whole))
	}
	// The datagram reassembled has the reference checksum.
	orig := append([]byte(nil), bt.b[:34]...)
	orig = append(orig, whole...)
	if g, w := uint32(binary.BigEndian.Uint16(orig[34+6:])), refL4(orig, 14, 34, proto.IPProtoUDP); g != w {
		t.Errorf("reassembled UDP checksum %#x, want %#x", g, w)
	}
}

// TestTSOShortOnlyTSO: with only tcp_tso enabled, a TSO packet that fits
// one segment still leaves with its checksums (segmentation implies them).
func TestTSOShortOnlyTSO(t *testing.T) {
	mp := newPool(t, 63)
	a, b := ringPair(t, mp, ethdev.TxOffloadTCPTSO, 0, 0)
	bt := build(spec{l4: "tcp", payload: 300})
	m := mbuftest.Packet(t, mp, bt.b, 0)
	m.SetTxLens(14, 20, 20, 1000, 0, 0)
	m.SetOlFlags(mbuf.TxIPv4 | mbuf.TxIPCksum | mbuf.TxTCPSeg)
	if n := a.TxBurst(0, []*mbuf.Mbuf{m}); n != 1 {
		m.Free(lc)
		t.Fatalf("TxBurst %d", n)
	}
	r := recvAll(t, b, 1)[0]
	defer r.Free(lc)
	f := mbuftest.Bytes(r)
	if !proto.IPv4(f[14:]).IsChecksumValid() || uint32(proto.TCP(f[34:]).Checksum()) != refL4(f, 14, 34, proto.IPProtoTCP) {
		t.Errorf("short TSO packet sent without its checksums")
	}
	if r.OlFlags()&(mbuf.TxTCPSeg|mbuf.TxL4Mask|mbuf.TxIPCksum) != 0 {
		t.Errorf("flags left: %s", mbuf.FlagsString(r.OlFlags()))
	}
}
