package offload_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/ethdev/porttest"
	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

// fakeDev is a device whose capabilities the test chooses; its tx queue
// keeps what it takes (up to limit) and its rx queue hands out inject.
type fakeDev struct {
	rx     ethdev.RxOffload
	tx     ethdev.TxOffload
	pseudo bool
	q      *fakeQ
}

type fakeQ struct {
	sent   []*mbuf.Mbuf
	limit  int // most packets taken per burst; <0: no limit
	inject []*mbuf.Mbuf
}

func (q *fakeQ) TxBurst(pkts []*mbuf.Mbuf) int {
	n := len(pkts)
	if q.limit >= 0 {
		n = min(n, q.limit)
	}
	q.sent = append(q.sent, pkts[:n]...)
	return n
}

func (q *fakeQ) RxBurst(pkts []*mbuf.Mbuf) int {
	n := copy(pkts, q.inject)
	q.inject = q.inject[n:]
	return n
}

func (d *fakeDev) Info(di *ethdev.DevInfo) {
	di.RxOffloadCapa, di.TxOffloadCapa, di.TxPseudoCksum = d.rx, d.tx, d.pseudo
}
func (d *fakeDev) Configure(*ethdev.Config) error { return nil }
func (d *fakeDev) RxQueueSetup(uint16, *ethdev.RxQueueConf) (ethdev.RxQueue, error) {
	return d.q, nil
}
func (d *fakeDev) TxQueueSetup(uint16, *ethdev.TxQueueConf) (ethdev.TxQueue, error) {
	return d.q, nil
}
func (d *fakeDev) Start() error { return nil }
func (d *fakeDev) Stop() error  { return nil }
func (d *fakeDev) Close() error {
	mbuf.FreeBulk(lc, d.q.sent)
	mbuf.FreeBulk(lc, d.q.inject)
	d.q.sent, d.q.inject = nil, nil
	return nil
}

func init() {
	ethdev.Register(ethdev.Driver{Name: "net_offfake", Probe: func(*ethdev.Devargs) (ethdev.Device, error) {
		return nil, fmt.Errorf("net_offfake: made by the test only")
	}})
}

var fakes int

func fakePort(t *testing.T, mp *mbuf.Pool, d *fakeDev, cfg ethdev.Config) *ethdev.Port {
	t.Helper()
	fakes++
	d.q = &fakeQ{limit: -1}
	p, err := ethdev.OpenDevice("net_offfake", fmt.Sprintf("net_offfake%d", fakes), d)
	if err != nil {
		t.Fatal(err)
	}
	porttest.CloseAtEnd(t, p)
	cfg.RxQueues, cfg.TxQueues = 1, 1
	porttest.Start(t, p, cfg, mp, lc)
	return p
}

// TestDeviceClaimsOffloads: offloads the device claims reach it untouched
// (flags, lengths, bytes); the software stage does only the others.
func TestDeviceClaimsOffloads(t *testing.T) {
	mp := newPool(t, 255)
	dev := &fakeDev{
		tx: ethdev.TxOffloadTCPCksum | ethdev.TxOffloadIPv4Cksum | ethdev.TxOffloadTCPTSO,
		rx: ethdev.RxOffloadTCPCksum | ethdev.RxOffloadVLANStrip,
	}
	p := fakePort(t, mp, dev, ethdev.Config{
		TxOffloads: ethdev.TxOffloadTCPCksum | ethdev.TxOffloadIPv4Cksum | ethdev.TxOffloadTCPTSO | ethdev.TxOffloadVLANInsert,
		RxOffloads: ethdev.RxOffloadTCPCksum | ethdev.RxOffloadVLANStrip | ethdev.RxOffloadIPv4Cksum,
	})
	di := p.Info()
	if di.SoftTxOffloads&(ethdev.TxOffloadTCPCksum|ethdev.TxOffloadTCPTSO) != 0 || di.SoftTxOffloads&ethdev.TxOffloadVLANInsert == 0 {
		t.Errorf("SoftTxOffloads %v", di.SoftTxOffloads)
	}
	s := spec{l4: "tcp", payload: 3000}
	bt := build(s)
	m := mbuftest.Packet(t, mp, bt.b, 0)
	m.SetTxLens(14, 20, 20, 1000, 0, 0)
	fl := mbuf.TxIPv4 | mbuf.TxIPCksum | mbuf.TxTCPCksum | mbuf.TxTCPSeg
	m.SetOlFlags(fl)
	if n := p.TxBurst(0, []*mbuf.Mbuf{m}); n != 1 || len(dev.q.sent) != 1 || dev.q.sent[0] != m {
		t.Fatalf("TxBurst %d, device got %d", n, len(dev.q.sent))
	}
	if m.OlFlags() != fl || m.TSOSegsz() != 1000 || !bytes.Equal(mbuftest.Bytes(m), bt.b) {
		t.Errorf("the device's offloads were done in software: flags %s", mbuf.FlagsString(m.OlFlags()))
	}
	// A VLAN insert (missing on the device) is done, the rest left.
	m2 := mbuftest.Packet(t, mp, bt.b[:200], 0)
	m2.SetOlFlags(fl | mbuf.TxVLAN)
	m2.SetVLANTCI(7)
	m2.SetTxLens(14, 20, 20, 1000, 0, 0)
	if n := p.TxBurst(0, []*mbuf.Mbuf{m2}); n != 1 {
		t.Fatal("TxBurst took nothing")
	}
	if m2.OlFlags() != fl || m2.L2Len() != 18 || binary.BigEndian.Uint16(m2.Data()[12:]) != 0x8100 ||
		binary.BigEndian.Uint16(m2.Data()[38+16:]) != 0 {
		t.Errorf("after software VLAN insert: flags %s l2 %d", mbuf.FlagsString(m2.OlFlags()), m2.L2Len())
	}
	// rx: the device's TCP verdict and its tag handling are kept; the
	// IPv4 checksum (missing) is checked in software.
	in := mbuftest.Packet(t, mp, append(append(append([]byte(nil), bt.b[:12]...), 0x81, 0, 0, 9), bt.b[12:200]...), 0)
	in.SetOlFlags(mbuf.RxL4CksumGood)
	dev.q.inject = []*mbuf.Mbuf{in}
	var buf [4]*mbuf.Mbuf
	if n := p.RxBurst(0, buf[:]); n != 1 {
		t.Fatal("RxBurst")
	}
	defer in.Free(lc)
	if f := in.OlFlags(); f&mbuf.RxL4CksumMask != mbuf.RxL4CksumGood || f&mbuf.RxVLANStripped != 0 || in.PktLen() != 204 {
		t.Errorf("the device's rx offloads were redone: %s, %d bytes", mbuf.FlagsString(f), in.PktLen())
	}
	if f := in.OlFlags() & mbuf.RxIPCksumMask; f != mbuf.RxIPCksumBad { // the IPv4 checksum of bt is 0
		t.Errorf("IPv4 checksum flags %s, want bad", mbuf.FlagsString(f))
	}
}

// TestTSOPartial: a device that takes only part of a packet's segments;
// the packet counts as sent, the rest are freed and counted as errors. A
// device that takes none leaves the packet with the caller, unchanged.
func TestTSOPartial(t *testing.T) {
	mp := newPool(t, 255)
	dev := &fakeDev{}
	p := fakePort(t, mp, dev, ethdev.Config{TxOffloads: ethdev.TxOffloadTCPTSO})
	s := spec{l4: "tcp", payload: 5000}
	bt := build(s)
	mk := func() *mbuf.Mbuf {
		m := mbuftest.Packet(t, mp, bt.b, 0)
		m.SetTxLens(14, 20, 20, 1000, 0, 0)
		m.SetOlFlags(mbuf.TxIPv4 | mbuf.TxIPCksum | mbuf.TxTCPSeg)
		return m
	}
	dev.q.limit = 0
	m := mk()
	if n := p.TxBurst(0, []*mbuf.Mbuf{m}); n != 0 {
		t.Fatalf("TxBurst %d with a full device", n)
	}
	if !bytes.Equal(mbuftest.Bytes(m), bt.b) || m.OlFlags()&mbuf.TxTCPSeg == 0 || m.Refcnt() != 1 {
		t.Errorf("untaken packet changed")
	}
	dev.q.limit = 3
	pkts := []*mbuf.Mbuf{m, mk()}
	if n := p.TxBurst(0, pkts); n != 1 {
		t.Fatalf("TxBurst %d, want 1", n)
	}
	if pkts[1].Refcnt() != 1 || !bytes.Equal(mbuftest.Bytes(pkts[1]), bt.b) {
		t.Errorf("the packet after the partial one was touched")
	}
	pkts[1].Free(lc) // not taken: the burst ended at the partial packet
	if len(dev.q.sent) != 3 {
		t.Errorf("device holds %d segments", len(dev.q.sent))
	}
	st := p.Stats()
	if st.OPackets != 3 || st.OErrors != 2 {
		t.Errorf("opackets %d oerrors %d, want 3 and 2", st.OPackets, st.OErrors)
	}
	dev.q.limit = -1
	mbuf.FreeBulk(lc, dev.q.sent)
	dev.q.sent = nil
	p.ResetStats()
	if st := p.Stats(); st.OErrors != 0 {
		t.Errorf("oerrors %d after ResetStats", st.OErrors)
	}
}

// TestTxPreparePseudo: for a device that wants the pseudo-header sum,
// TxPrepare writes it (with the L4 length, or without it for TSO) and
// zeroes the IPv4 checksum.
func TestTxPreparePseudo(t *testing.T) {
	mp := newPool(t, 63)
	dev := &fakeDev{pseudo: true, tx: ethdev.TxOffloadTCPCksum | ethdev.TxOffloadUDPCksum | ethdev.TxOffloadIPv4Cksum | ethdev.TxOffloadTCPTSO}
	p := fakePort(t, mp, dev, ethdev.Config{TxOffloads: dev.tx})
	for _, c := range []struct {
		s   spec
		tso bool
	}{{spec{l4: "tcp", payload: 100}, false}, {spec{l4: "udp", payload: 33}, false}, {spec{v6: true, l4: "tcp", payload: 100}, false},
		{spec{l4: "tcp", payload: 100}, true}, {spec{v6: true, l4: "udp", payload: 7}, false}} {
		bt := build(c.s)
		b := append([]byte(nil), bt.b...)
		b[bt.ip+10], b[bt.ip+11] = 0x12, 0x34 // garbage to be zeroed (IPv4)
		m := mbuftest.Packet(t, mp, b, 0)
		m.SetTxLens(14, bt.l3, bt.l4len, 0, 0, 0)
		fl := mbuf.TxIPv4 | mbuf.TxIPCksum
		if c.s.v6 {
			fl = mbuf.TxIPv6
		}
		p8 := l4Proto[c.s.l4]
		if c.tso {
			fl |= mbuf.TxTCPSeg
			m.SetTSOSegsz(50)
		} else {
			fl |= l4Flag[c.s.l4]
		}
		m.SetOlFlags(fl)
		if n := p.TxPrepare(0, []*mbuf.Mbuf{m}); n != 1 {
			t.Fatalf("TxPrepare %d", n)
		}
		d := m.Data()
		l4len := len(b) - bt.l4
		if c.tso {
			l4len = 0
		}
		var want uint16
		if c.s.v6 {
			want = proto.PseudoHeaderSum6((*[16]byte)(d[bt.ip+8:]), (*[16]byte)(d[bt.ip+24:]), p8, l4len)
		} else {
			want = proto.PseudoHeaderSum4([4]byte(d[bt.ip+12:]), [4]byte(d[bt.ip+16:]), p8, l4len)
			if binary.BigEndian.Uint16(d[bt.ip+10:]) != 0 {
				t.Errorf("%+v: IPv4 checksum field not zeroed", c)
			}
		}
		// reference: the plain sum of the pseudo-header
		ref := refSum([]byte{0, p8, byte(l4len >> 8), byte(l4len)}, 0)
		if c.s.v6 {
			ref = refSum(d[bt.ip+8:bt.ip+40], ref)
		} else {
			ref = refSum(d[bt.ip+12:bt.ip+20], ref)
		}
		field := map[string]int{"tcp": 16, "udp": 6}[c.s.l4]
		if g := binary.BigEndian.Uint16(d[bt.l4+field:]); g != want || uint32(g) != ref {
			t.Errorf("%+v: pseudo sum %#x, want %#x (reference %#x)", c, g, want, ref)
		}
		m.Free(lc)
	}
}
