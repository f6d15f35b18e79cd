package ethdev_test

import (
	"errors"
	"strings"
	"testing"

	netring "github.com/dpkit/dpkit/driver/net/ring"
	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/mbuf"
)

// recSoft is a SoftOffload that records what ethdev asks of it; its tx
// stage marks the packets and sends them, its rx stage marks them.
type recSoft struct {
	txConfs []ethdev.SoftTxConf
	rxConfs []ethdev.SoftRxConf
	pseudo  int
}

const markTx, markRx = 0x7a, 0x7b

func (r *recSoft) Capa() (ethdev.RxOffload, ethdev.TxOffload) {
	return ethdev.RxOffloadVLANStrip, ethdev.TxOffloadTCPCksum | ethdev.TxOffloadMultiSegs
}

func (r *recSoft) NewTxQueue(c *ethdev.SoftTxConf) (ethdev.SoftTxQueue, error) {
	r.txConfs = append(r.txConfs, *c)
	return recTx{}, nil
}

func (r *recSoft) NewRxQueue(c *ethdev.SoftRxConf) (ethdev.SoftRxQueue, error) {
	r.rxConfs = append(r.rxConfs, *c)
	return recRx{}, nil
}

func (r *recSoft) PseudoCksum(pkts []*mbuf.Mbuf) int { r.pseudo += len(pkts); return len(pkts) }

type recTx struct{}

func (recTx) TxBurst(dev ethdev.TxQueue, pkts []*mbuf.Mbuf) ethdev.SoftTxResult {
	for _, m := range pkts {
		m.SetUserData(markTx)
	}
	n := dev.TxBurst(pkts)
	// Pretend every packet was two frames of 10 bytes, one dropped.
	return ethdev.SoftTxResult{Taken: n, Frames: 2 * n, Bytes: 20 * uint64(n), Dropped: 1}
}

type recRx struct{}

func (recRx) RxBurst(pkts []*mbuf.Mbuf) {
	for _, m := range pkts {
		m.SetUserData(m.UserData()<<8 | markRx)
	}
}

// TestSoftOffloadHook: ethdev offers the registered implementation's
// offloads on top of the device's, runs its stages only on queues with
// one enabled, counts what the tx stage reports, and fails Configure
// without it.
func TestSoftOffloadHook(t *testing.T) {
	rs := &recSoft{}
	ethdev.SetSoftOffload(rs)
	defer ethdev.SetSoftOffload(nil)
	mp := newPool(t, 255)
	a, b, err := netring.NewPair("soft_hook_a", "soft_hook_b")
	if err != nil {
		t.Fatal(err)
	}
	cleanup(t, a)
	cleanup(t, b)
	di := a.Info()
	if di.SoftTxOffloads != ethdev.TxOffloadTCPCksum || di.TxOffloadCapa&ethdev.TxOffloadTCPCksum == 0 {
		t.Errorf("soft tx %v, capa %v: want tcp_cksum added (multi_segs is the device's)", di.SoftTxOffloads, di.TxOffloadCapa)
	}
	if di.SoftRxOffloads != ethdev.RxOffloadVLANStrip {
		t.Errorf("soft rx %v", di.SoftRxOffloads)
	}
	start(t, a, ethdev.Config{RxQueues: 1, TxQueues: 1, TxOffloads: ethdev.TxOffloadTCPCksum | ethdev.TxOffloadMultiSegs}, mp, lc)
	start(t, b, ethdev.Config{RxQueues: 1, TxQueues: 1, RxOffloads: ethdev.RxOffloadVLANStrip}, mp, lc)
	if len(rs.txConfs) != 1 || rs.txConfs[0].Offloads != ethdev.TxOffloadTCPCksum || len(rs.rxConfs) != 1 {
		t.Fatalf("stages made: tx %+v rx %+v", rs.txConfs, rs.rxConfs)
	}
	pkts := make([]*mbuf.Mbuf, 3)
	if !mp.AllocBulk(lc, pkts) {
		t.Fatal("pool empty")
	}
	for _, m := range pkts {
		m.Append(60)
	}
	if n := a.TxBurst(0, pkts); n != 3 {
		t.Fatalf("TxBurst %d", n)
	}
	var rx [8]*mbuf.Mbuf
	n := b.RxBurst(0, rx[:])
	for _, m := range rx[:n] {
		if m.UserData() != markTx<<8|markRx {
			t.Errorf("user data %#x: the stages did not both run", m.UserData())
		}
	}
	mbuf.FreeBulk(lc, rx[:n])
	if n != 3 {
		t.Fatalf("received %d", n)
	}
	st := a.Stats()
	if st.OPackets != 6 || st.OBytes != 60 || st.OErrors != 1 {
		t.Errorf("stats %d packets %d bytes %d errors, want the stage's 6, 60, 1", st.OPackets, st.OBytes, st.OErrors)
	}
	// Stopped: no stage runs (and nothing is taken).
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	if !mp.AllocBulk(lc, pkts[:1]) {
		t.Fatal("pool empty")
	}
	pkts[0].SetUserData(0)
	if n := a.TxBurst(0, pkts[:1]); n != 0 || pkts[0].UserData() != 0 {
		t.Errorf("stopped port: TxBurst %d, user data %#x", n, pkts[0].UserData())
	}
	pkts[0].Free(lc)
	// A queue without software offloads gets no stage.
	rs.txConfs = nil
	if err := a.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1}); err != nil {
		t.Fatal(err)
	}
	if err := a.TxQueueSetup(0, 0, &ethdev.TxQueueConf{Lcore: lc}); err != nil {
		t.Fatal(err)
	}
	if len(rs.txConfs) != 0 {
		t.Errorf("a stage for a queue without software offloads: %+v", rs.txConfs)
	}
	// Per-queue offloads count too.
	if err := a.TxQueueSetup(0, 0, &ethdev.TxQueueConf{Lcore: lc, Offloads: ethdev.TxOffloadTCPCksum}); err != nil {
		t.Fatal(err)
	}
	if len(rs.txConfs) != 1 {
		t.Errorf("no stage for a per-queue software offload")
	}
	// Without the implementation: a clear error.
	ethdev.SetSoftOffload(nil)
	err = a.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1, TxOffloads: ethdev.TxOffloadTCPCksum})
	if !errors.Is(err, ethdev.ErrNotSupported) || !strings.Contains(err.Error(), "tcp_cksum") || !strings.Contains(err.Error(), "offload") {
		t.Errorf("Configure without soft offloads: %v", err)
	}
	err = a.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1, RxPtypes: mbuf.PtypeL2Mask})
	if !errors.Is(err, ethdev.ErrNotSupported) || !strings.Contains(err.Error(), "packet types") {
		t.Errorf("Configure(RxPtypes) without soft offloads: %v", err)
	}
}
