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

const allRx = ethdev.RxOffloadIPv4Cksum | ethdev.RxOffloadTCPCksum | ethdev.RxOffloadUDPCksum |
	ethdev.RxOffloadSCTPCksum | ethdev.RxOffloadOuterIPv4Cksum | ethdev.RxOffloadOuterUDPCksum

// withCksums returns bt's bytes with every checksum right (computed by
// the reference).
func withCksums(bt built, s spec) []byte {
	b := append([]byte(nil), bt.b...)
	p := l4Proto[s.l4]
	field := map[string]int{"tcp": 16, "udp": 6, "sctp": 8}[s.l4]
	c := refL4(b, bt.ip, bt.l4, p)
	if p == proto.IPProtoSCTP {
		binary.LittleEndian.PutUint32(b[bt.l4+field:], c)
	} else {
		binary.BigEndian.PutUint16(b[bt.l4+field:], uint16(c))
	}
	if !s.v6 {
		binary.BigEndian.PutUint16(b[bt.ip+10:], refIP(b, bt.ip, bt.l3))
	}
	if bt.outerIP >= 0 {
		binary.BigEndian.PutUint16(b[bt.outerIP+10:], refIP(b, bt.outerIP, 20))
		binary.BigEndian.PutUint16(b[bt.outerUDP+6:], uint16(refL4(b, bt.outerIP, bt.outerUDP, proto.IPProtoUDP)))
	}
	return b
}

// TestRxChecksumFlags sends frames with good, bad and absent checksums
// through a net_ring pair and checks the flags the software rx stage sets.
func TestRxChecksumFlags(t *testing.T) {
	mp := newPool(t, 255)
	a, b := ringPair(t, mp, 0, allRx, mbuf.PtypeAllMask)
	type rxCase struct {
		name     string
		frame    []byte
		ip, l4   uint64
		outer    uint64
		ptype    uint32
		segments int
	}
	var cs []rxCase
	for _, l4 := range []string{"tcp", "udp", "sctp"} {
		for _, v6 := range []bool{false, true} {
			s := spec{v6: v6, l4: l4, payload: 100}
			bt := build(s)
			good := withCksums(bt, s)
			ipWant := mbuf.RxIPCksumGood
			pt := mbuf.PtypeL2Ether | mbuf.PtypeL3IPv4
			if v6 {
				ipWant = mbuf.RxIPCksumUnknown
				pt = mbuf.PtypeL2Ether | mbuf.PtypeL3IPv6
			}
			pt |= map[string]uint32{"tcp": mbuf.PtypeL4TCP, "udp": mbuf.PtypeL4UDP, "sctp": mbuf.PtypeL4SCTP}[l4]
			name := l4 + map[bool]string{false: "4", true: "6"}[v6]
			cs = append(cs, rxCase{name: name + "/good", frame: good, ip: ipWant, l4: mbuf.RxL4CksumGood, ptype: pt})
			cs = append(cs, rxCase{name: name + "/good-chain", frame: good, ip: ipWant, l4: mbuf.RxL4CksumGood, ptype: pt, segments: 61})
			badL4 := append([]byte(nil), good...)
			badL4[len(badL4)-1] ^= 0x40 // payload changed after the checksum
			cs = append(cs, rxCase{name: name + "/bad-l4", frame: badL4, ip: ipWant, l4: mbuf.RxL4CksumBad, ptype: pt})
			if !v6 {
				badIP := append([]byte(nil), good...)
				badIP[bt.ip+8]-- // TTL changed after the checksum
				cs = append(cs, rxCase{name: name + "/bad-ip", frame: badIP, ip: mbuf.RxIPCksumBad, l4: mbuf.RxL4CksumGood, ptype: pt})
			}
		}
	}
	// UDP over IPv4 without a checksum (0) is good.
	{
		s := spec{l4: "udp", payload: 20}
		bt := build(s)
		f := withCksums(bt, s)
		binary.BigEndian.PutUint16(f[bt.l4+6:], 0)
		cs = append(cs, rxCase{name: "udp4/no-cksum", frame: f, ip: mbuf.RxIPCksumGood, l4: mbuf.RxL4CksumGood,
			ptype: mbuf.PtypeL2Ether | mbuf.PtypeL3IPv4 | mbuf.PtypeL4UDP})
	}
	// A fragment: L4 not checked.
	{
		s := spec{l4: "udp", payload: 20}
		bt := build(s)
		f := withCksums(bt, s)
		binary.BigEndian.PutUint16(f[bt.ip+6:], proto.IPv4FlagMF)
		binary.BigEndian.PutUint16(f[bt.ip+10:], refIP(f, bt.ip, 20))
		cs = append(cs, rxCase{name: "udp4/fragment", frame: f, ip: mbuf.RxIPCksumGood, l4: mbuf.RxL4CksumUnknown,
			ptype: mbuf.PtypeL2Ether | mbuf.PtypeL3IPv4 | mbuf.PtypeL4Frag})
	}
	// Not IP: nothing known.
	{
		f := append(eth(proto.EtherTypeARP), make([]byte, 28)...)
		cs = append(cs, rxCase{name: "arp", frame: f, ptype: mbuf.PtypeL2EtherARP})
	}
	// Truncated: the IP length runs past the frame.
	{
		s := spec{l4: "tcp", payload: 40}
		f := withCksums(build(s), s)
		cs = append(cs, rxCase{name: "tcp4/truncated", frame: f[:len(f)-10], ip: mbuf.RxIPCksumGood, l4: mbuf.RxL4CksumBad,
			ptype: mbuf.PtypeL2Ether | mbuf.PtypeL3IPv4 | mbuf.PtypeL4TCP})
	}
	// VXLAN: inner flags in the IP and L4 fields, outer in the outer ones.
	{
		s := spec{l4: "tcp", payload: 64, vxlan: true}
		bt := build(s)
		good := withCksums(bt, s)
		pt := mbuf.PtypeL2Ether | mbuf.PtypeL3IPv4 | mbuf.PtypeL4UDP | mbuf.PtypeTunnelVXLAN |
			mbuf.PtypeInnerL2Ether | mbuf.PtypeInnerL3IPv4 | mbuf.PtypeInnerL4TCP
		cs = append(cs, rxCase{name: "vxlan/good", frame: good, ip: mbuf.RxIPCksumGood, l4: mbuf.RxL4CksumGood, outer: mbuf.RxOuterL4CksumGood, ptype: pt})
		bad := append([]byte(nil), good...)
		bad[bt.outerIP+8]-- // outer TTL: outer IP bad, the rest good
		cs = append(cs, rxCase{name: "vxlan/bad-outer-ip", frame: bad, ip: mbuf.RxIPCksumGood, l4: mbuf.RxL4CksumGood,
			outer: mbuf.RxOuterIPCksumBad | mbuf.RxOuterL4CksumGood, ptype: pt})
		bad2 := append([]byte(nil), good...)
		bad2[bt.l4+4]++ // inner TCP seq: inner L4 and outer UDP bad
		cs = append(cs, rxCase{name: "vxlan/bad-inner-tcp", frame: bad2, ip: mbuf.RxIPCksumGood, l4: mbuf.RxL4CksumBad,
			outer: mbuf.RxOuterL4CksumBad, ptype: pt})
	}
	for _, c := range cs {
		t.Run(c.name, func(t *testing.T) {
			m := mbuftest.Packet(t, mp, c.frame, c.segments)
			if n := a.TxBurst(0, []*mbuf.Mbuf{m}); n != 1 {
				m.Free(lc)
				t.Fatal("TxBurst took nothing")
			}
			r := recvAll(t, b, 1)[0]
			defer r.Free(lc)
			f := r.OlFlags()
			if got := f & mbuf.RxIPCksumMask; got != c.ip {
				t.Errorf("IP checksum flags %s, want %s", mbuf.FlagsString(got), mbuf.FlagsString(c.ip))
			}
			if got := f & mbuf.RxL4CksumMask; got != c.l4 {
				t.Errorf("L4 checksum flags %s, want %s", mbuf.FlagsString(got), mbuf.FlagsString(c.l4))
			}
			if got := f & (mbuf.RxOuterIPCksumBad | mbuf.RxOuterL4CksumMask); got != c.outer {
				t.Errorf("outer flags %s, want %s", mbuf.FlagsString(got), mbuf.FlagsString(c.outer))
			}
			if r.PacketType() != c.ptype {
				t.Errorf("ptype %s, want %s", mbuf.PtypeString(r.PacketType()), mbuf.PtypeString(c.ptype))
			}
			// The verdicts agree with proto's.
			if !bytes.Equal(mbuftest.Bytes(r), c.frame) {
				t.Errorf("rx changed the frame")
			}
		})
	}
}

// TestVLANRoundTrip inserts a tag (and QinQ tags) on tx in software and
// strips them on rx in software.
func TestVLANRoundTrip(t *testing.T) {
	mp := newPool(t, 255)
	s := spec{l4: "udp", payload: 30}
	orig := withCksums(build(s), s)
	for _, qinq := range []bool{false, true} {
		for _, strip := range []bool{false, true} {
			name := map[bool]string{false: "vlan", true: "qinq"}[qinq] + map[bool]string{false: "/tagged", true: "/stripped"}[strip]
			t.Run(name, func(t *testing.T) {
				var rx ethdev.RxOffload
				if strip {
					rx = ethdev.RxOffloadVLANStrip | ethdev.RxOffloadQinQStrip | ethdev.RxOffloadIPv4Cksum | ethdev.RxOffloadUDPCksum
				}
				a, b := ringPair(t, mp, allTx, rx, mbuf.PtypeAllMask)
				m := mbuftest.Packet(t, mp, orig, 0)
				m.SetVLANTCI(0x2005) // PCP 1, VID 5
				m.SetVLANTCIOuter(0x0123)
				m.SetTxLens(14, 20, 8, 0, 0, 0)
				fl := mbuf.TxVLAN | mbuf.TxIPv4 | mbuf.TxIPCksum | mbuf.TxUDPCksum
				if qinq {
					fl |= mbuf.TxQinQ
				}
				m.SetOlFlags(fl)
				if n := a.TxBurst(0, []*mbuf.Mbuf{m}); n != 1 {
					m.Free(lc)
					t.Fatal("TxBurst took nothing")
				}
				r := recvAll(t, b, 1)[0]
				defer r.Free(lc)
				got := mbuftest.Bytes(r)
				if !strip {
					var want []byte
					if qinq {
						want = append(append(append([]byte(nil), orig[:12]...), 0x88, 0xa8, 0x01, 0x23, 0x81, 0x00, 0x20, 0x05), orig[12:]...)
						if r.PacketType()&mbuf.PtypeL2Mask != mbuf.PtypeL2EtherQinQ {
							t.Errorf("ptype %s", mbuf.PtypeString(r.PacketType()))
						}
					} else {
						want = append(append(append([]byte(nil), orig[:12]...), 0x81, 0x00, 0x20, 0x05), orig[12:]...)
						if r.PacketType()&mbuf.PtypeL2Mask != mbuf.PtypeL2EtherVLAN {
							t.Errorf("ptype %s", mbuf.PtypeString(r.PacketType()))
						}
					}
					if !bytes.Equal(got, want) {
						t.Errorf("tagged frame\n got % x\nwant % x", got, want)
					}
					if r.OlFlags()&(mbuf.RxVLANStripped|mbuf.RxQinQStripped) != 0 {
						t.Errorf("stripped flags without strip: %s", mbuf.FlagsString(r.OlFlags()))
					}
					return
				}
				if !bytes.Equal(got, orig) {
					t.Errorf("stripped frame\n got % x\nwant % x", got, orig)
				}
				want := mbuf.RxVLAN | mbuf.RxVLANStripped
				if qinq {
					want |= mbuf.RxQinQ | mbuf.RxQinQStripped
					if r.VLANTCIOuter() != 0x0123 {
						t.Errorf("outer TCI %#x", r.VLANTCIOuter())
					}
				}
				if f := r.OlFlags() & (mbuf.RxVLAN | mbuf.RxVLANStripped | mbuf.RxQinQ | mbuf.RxQinQStripped); f != want {
					t.Errorf("flags %s, want %s", mbuf.FlagsString(f), mbuf.FlagsString(want))
				}
				if r.VLANTCI() != 0x2005 {
					t.Errorf("TCI %#x", r.VLANTCI())
				}
				if r.OlFlags()&mbuf.RxIPCksumMask != mbuf.RxIPCksumGood || r.OlFlags()&mbuf.RxL4CksumMask != mbuf.RxL4CksumGood {
					t.Errorf("checksums after strip: %s", mbuf.FlagsString(r.OlFlags()))
				}
				if r.PacketType() != mbuf.PtypeL2Ether|mbuf.PtypeL3IPv4|mbuf.PtypeL4UDP {
					t.Errorf("ptype after strip %s", mbuf.PtypeString(r.PacketType()))
				}
			})
		}
	}
}

// TestVLANInsertRefused: a shared mbuf or one without headroom is not
// tagged; the burst ends there.
func TestVLANInsertRefused(t *testing.T) {
	mp := newPool(t, 63)
	a, _ := ringPair(t, mp, allTx, 0, 0)
	m := mbuftest.Packet(t, mp, make([]byte, 60), 0)
	m.SetOlFlags(mbuf.TxVLAN)
	m.RefcntUpdate(1) // shared
	if n := a.TxBurst(0, []*mbuf.Mbuf{m}); n != 0 {
		t.Errorf("shared mbuf tagged and sent")
	}
	m.RefcntUpdate(-1)
	m.Adj(0)
	if !m.SetHeadroom(2) {
		t.Fatal("SetHeadroom")
	}
	if n := a.TxBurst(0, []*mbuf.Mbuf{m}); n != 0 {
		t.Errorf("mbuf without headroom tagged and sent")
	}
	if m.OlFlags()&mbuf.TxVLAN == 0 || m.PktLen() != 60 {
		t.Errorf("refused mbuf changed")
	}
	m.Free(lc)
}
