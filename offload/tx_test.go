package offload_test

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/offload"
	"github.com/dpkit/dpkit/proto"
)

const allTx = ethdev.TxOffloadIPv4Cksum | ethdev.TxOffloadTCPCksum | ethdev.TxOffloadUDPCksum |
	ethdev.TxOffloadSCTPCksum | ethdev.TxOffloadOuterIPv4Cksum | ethdev.TxOffloadOuterUDPCksum |
	ethdev.TxOffloadVLANInsert | ethdev.TxOffloadQinQInsert | ethdev.TxOffloadTCPTSO | ethdev.TxOffloadMultiSegs

var l4Flag = map[string]uint64{"tcp": mbuf.TxTCPCksum, "udp": mbuf.TxUDPCksum, "sctp": mbuf.TxSCTPCksum}
var l4Proto = map[string]uint8{"tcp": proto.IPProtoTCP, "udp": proto.IPProtoUDP, "sctp": proto.IPProtoSCTP}

// txCase is a packet and the offloads it asks for.
type txCase struct {
	name  string
	s     spec
	ipCk  bool // TxIPCksum
	l4Ck  bool
	outer bool // outer IPv4 and UDP checksums (vxlan)
	seg   int  // mbuf segment size, 0: one segment
}

func txCases() []txCase {
	var cs []txCase
	for _, l4 := range []string{"tcp", "udp", "sctp"} {
		for _, v6 := range []bool{false, true} {
			for _, pl := range []int{6, 1400} {
				name := l4 + map[bool]string{false: "4", true: "6"}[v6] + map[int]string{6: "/small", 1400: "/big"}[pl]
				cs = append(cs, txCase{name: name, s: spec{v6: v6, l4: l4, payload: pl}, ipCk: !v6, l4Ck: true})
			}
		}
	}
	cs = append(cs,
		txCase{name: "tcp4/options", s: spec{l4: "tcp", ipOpts: 8, payload: 33}, ipCk: true, l4Ck: true},
		txCase{name: "ip-only", s: spec{l4: "udp", payload: 10}, ipCk: true},
		txCase{name: "tcp4/chain", s: spec{l4: "tcp", payload: 999}, ipCk: true, l4Ck: true, seg: 100},
		txCase{name: "udp6/chain-odd", s: spec{v6: true, l4: "udp", payload: 1001}, l4Ck: true, seg: 77},
		txCase{name: "sctp4/chain", s: spec{l4: "sctp", payload: 500}, ipCk: true, l4Ck: true, seg: 128},
		txCase{name: "vxlan/tcp4", s: spec{l4: "tcp", payload: 200, vxlan: true}, ipCk: true, l4Ck: true, outer: true},
		txCase{name: "vxlan/udp6", s: spec{v6: true, l4: "udp", payload: 51, vxlan: true}, l4Ck: true, outer: true},
	)
	return cs
}

func (c txCase) flags() uint64 {
	var f uint64
	if c.s.v6 {
		f |= mbuf.TxIPv6
	} else {
		f |= mbuf.TxIPv4
	}
	if c.ipCk {
		f |= mbuf.TxIPCksum
	}
	if c.l4Ck {
		f |= l4Flag[c.s.l4]
	}
	if c.outer {
		f |= mbuf.TxOuterIPv4 | mbuf.TxOuterIPCksum | mbuf.TxOuterUDPCksum | mbuf.TxTunnelVXLAN
	}
	return f
}

func (c txCase) mbuf(t testing.TB, mp *mbuf.Pool, bt built) *mbuf.Mbuf {
	m := mbuftest.Packet(t, mp, bt.b, c.seg)
	if c.s.vxlan {
		m.SetTxLens(bt.l2, bt.l3, bt.l4len, 0, 20, 14)
	} else {
		m.SetTxLens(bt.l2, bt.l3, bt.l4len, 0, 0, 0)
	}
	m.SetOlFlags(c.flags())
	return m
}

// checkCksums compares the checksums in got (the packet bt as sent) with
// the reference, and with proto's verification.
func checkCksums(t *testing.T, c txCase, bt built, got []byte) {
	t.Helper()
	if c.ipCk {
		if g, w := binary.BigEndian.Uint16(got[bt.ip+10:]), refIP(got, bt.ip, bt.l3); g != w {
			t.Errorf("IPv4 checksum %#04x, want %#04x", g, w)
		}
	} else if !c.s.v6 && binary.BigEndian.Uint16(got[bt.ip+10:]) != 0 {
		t.Errorf("IPv4 checksum written without TxIPCksum")
	}
	p := l4Proto[c.s.l4]
	field := map[string]int{"tcp": 16, "udp": 6, "sctp": 8}[c.s.l4]
	if c.l4Ck {
		var g uint32
		if p == proto.IPProtoSCTP {
			g = binary.LittleEndian.Uint32(got[bt.l4+8:])
		} else {
			g = uint32(binary.BigEndian.Uint16(got[bt.l4+field:]))
		}
		if w := refL4(got, bt.ip, bt.l4, p); g != w {
			t.Errorf("L4 checksum %#x, want %#x", g, w)
		}
	} else if binary.BigEndian.Uint16(got[bt.l4+field:]) != 0 {
		t.Errorf("L4 checksum written without a request")
	}
	if c.outer {
		if g, w := binary.BigEndian.Uint16(got[bt.outerIP+10:]), refIP(got, bt.outerIP, 20); g != w {
			t.Errorf("outer IPv4 checksum %#04x, want %#04x", g, w)
		}
		if g, w := uint32(binary.BigEndian.Uint16(got[bt.outerUDP+6:])), refL4(got, bt.outerIP, bt.outerUDP, proto.IPProtoUDP); g != w {
			t.Errorf("outer UDP checksum %#04x, want %#04x", g, w)
		}
	}
	// proto's own verdict on the whole packet.
	if !c.s.v6 && c.ipCk && !proto.IPv4(got[bt.ip:]).IsChecksumValid() {
		t.Errorf("proto: IPv4 checksum bad")
	}
}

// TestTxChecksums sends every kind of checksum request through a net_ring
// port (which offers none: the software path does them) and checks what
// arrives against the reference checksums.
func TestTxChecksums(t *testing.T) {
	mp := newPool(t, 1023)
	a, b := ringPair(t, mp, allTx, 0, 0)
	if di := a.Info(); di.SoftTxOffloads&ethdev.TxOffloadTCPCksum == 0 {
		t.Fatalf("net_ring: tcp_cksum not offered in software (%v)", di.SoftTxOffloads)
	}
	for _, c := range txCases() {
		t.Run(c.name, func(t *testing.T) {
			bt := build(c.s)
			// What the request flags cover holds garbage (testpmd's csum
			// engine leaves the pseudo-header sum there): it is overwritten.
			if c.l4Ck && c.s.l4 != "sctp" {
				f := map[string]int{"tcp": 16, "udp": 6}[c.s.l4]
				bt.b[bt.l4+f], bt.b[bt.l4+f+1] = 0xab, 0xcd
			}
			if c.ipCk {
				bt.b[bt.ip+10], bt.b[bt.ip+11] = 0x12, 0x34
			}
			m := c.mbuf(t, mp, bt)
			pkts := []*mbuf.Mbuf{m}
			if n := a.TxPrepare(0, pkts); n != 1 {
				mbuf.FreeBulk(lc, pkts)
				t.Fatalf("TxPrepare: %d", n)
			}
			if n := a.TxBurst(0, pkts); n != 1 {
				mbuf.FreeBulk(lc, pkts)
				t.Fatalf("TxBurst took %d", n)
			}
			r := recvAll(t, b, 1)[0]
			defer r.Free(lc)
			if r.OlFlags()&(mbuf.TxIPCksum|mbuf.TxL4Mask|mbuf.TxOuterIPCksum|mbuf.TxOuterUDPCksum) != 0 {
				t.Errorf("flags of the done offloads still set: %s", mbuf.FlagsString(r.OlFlags()))
			}
			got := mbuftest.Bytes(r)
			if len(got) != len(bt.b) {
				t.Fatalf("length %d, want %d", len(got), len(bt.b))
			}
			checkCksums(t, c, bt, got)
			// Only the checksum fields changed.
			want := append([]byte(nil), bt.b...)
			for _, off := range []int{bt.ip + 10, bt.outerIP + 10, bt.outerUDP + 6, bt.l4 + 16, bt.l4 + 6, bt.l4 + 8} {
				if off > 0 && off+4 <= len(want) {
					copy(want[off:off+4], got[off:off+4])
				}
			}
			if !bytes.Equal(want, got) {
				t.Errorf("bytes other than the checksums changed")
			}
		})
	}
}

// TestTxBadLengths: a packet whose lengths do not match its headers ends
// the burst there; the ones before are sent.
func TestTxBadLengths(t *testing.T) {
	mp := newPool(t, 255)
	a, b := ringPair(t, mp, allTx, 0, 0)
	good := txCase{s: spec{l4: "tcp", payload: 10}, ipCk: true, l4Ck: true}
	bt := build(good.s)
	m0, m1, m2 := good.mbuf(t, mp, bt), good.mbuf(t, mp, bt), good.mbuf(t, mp, bt)
	m1.SetL3Len(24) // the header is 20 bytes
	pkts := []*mbuf.Mbuf{m0, m1, m2}
	if n := a.TxPrepare(0, pkts); n != 3 {
		t.Errorf("TxPrepare %d (it checks only that the lengths are set)", n)
	}
	n := a.TxBurst(0, pkts)
	mbuf.FreeBulk(lc, pkts[n:])
	if n != 1 {
		t.Errorf("TxBurst took %d, want 1", n)
	}
	mbuf.FreeBulk(lc, recvAll(t, b, n))
}

// TestConfigureWithoutSoft: without package offload's registration a
// missing offload fails Configure, naming it.
func TestConfigureWithoutSoft(t *testing.T) {
	mp := newPool(t, 63)
	a, _ := ringPair(t, mp, 0, 0, 0)
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	ethdev.SetSoftOffload(nil)
	defer ethdev.SetSoftOffload(offload.Soft{})
	err := a.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1, TxOffloads: ethdev.TxOffloadTCPCksum})
	if err == nil || !strings.Contains(err.Error(), "tcp_cksum") || !strings.Contains(err.Error(), "dpkit/offload") {
		t.Errorf("Configure(tcp_cksum) without soft offloads: %v", err)
	}
	err = a.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1, RxOffloads: ethdev.RxOffloadVLANStrip})
	if err == nil || !strings.Contains(err.Error(), "vlan_strip") {
		t.Errorf("Configure(vlan_strip) without soft offloads: %v", err)
	}
	if di := a.Info(); di.SoftTxOffloads != 0 || di.TxOffloadCapa&ethdev.TxOffloadTCPCksum != 0 {
		t.Errorf("capabilities still offer software offloads: %v", di.TxOffloadCapa)
	}
	if err := a.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1}); err != nil {
		t.Errorf("plain Configure: %v", err)
	}
}
