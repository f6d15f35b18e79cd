package offload_test

import (
	"testing"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/offload"
)

func fuzzSeeds(f *testing.F) {
	for _, c := range txCases() {
		bt := build(c.s)
		f.Add(withCksums(bt, c.s), uint8(c.seg), uint64(c.flags()), uint8(bt.l2), uint8(bt.l3), uint8(bt.l4len))
	}
	f.Add([]byte{0x81, 0}, uint8(0), uint64(mbuf.TxVLAN|mbuf.TxQinQ), uint8(0), uint8(0), uint8(0))
}

func fuzzMbuf(t *testing.T, mp *mbuf.Pool, b []byte, seg uint8) *mbuf.Mbuf {
	if len(b) == 0 || len(b) > 9000 {
		return nil
	}
	s := int(seg)
	if s == 0 {
		s = 2000
	}
	// At most 64 segments: 9000 one-byte segments would empty the pool.
	s = max(s, (len(b)+63)/64)
	return mbuftest.Packet(t, mp, b, s)
}

// FuzzRx runs the software rx stage, every offload on, on any bytes: no
// panic, and a stripped tag shortens the packet by its length.
func FuzzRx(f *testing.F) {
	fuzzSeeds(f)
	mp := newPool(f, 1023)
	rx, _ := offload.Soft{}.NewRxQueue(&ethdev.SoftRxConf{Offloads: offload.RxCapa, Ptypes: true})
	f.Fuzz(func(t *testing.T, b []byte, seg uint8, _ uint64, _, _, _ uint8) {
		m := fuzzMbuf(t, mp, b, seg)
		if m == nil {
			return
		}
		defer m.Free(lc)
		rx.RxBurst([]*mbuf.Mbuf{m})
		want := len(b)
		if m.OlFlags()&mbuf.RxQinQStripped != 0 {
			want -= 8
		} else if m.OlFlags()&mbuf.RxVLANStripped != 0 {
			want -= 4
		}
		if m.PktLen() != want {
			t.Fatalf("%d bytes after rx, want %d (flags %s)", m.PktLen(), want, mbuf.FlagsString(m.OlFlags()))
		}
	})
}

// FuzzTx runs the software tx stage, every offload on, and the
// pseudo-header prepare, on any bytes, lengths and flags: no panic, no
// leak.
func FuzzTx(f *testing.F) {
	fuzzSeeds(f)
	mp := newPool(f, 1023)
	tx, _ := offload.Soft{}.NewTxQueue(&ethdev.SoftTxConf{Offloads: offload.TxCapa, Lcore: lc})
	f.Fuzz(func(t *testing.T, b []byte, seg uint8, fl uint64, l2, l3, l4 uint8) {
		m := fuzzMbuf(t, mp, b, seg)
		if m == nil {
			return
		}
		m.SetTxLens(int(l2), int(l3), int(l4), int(fl>>48)&0x3ff, int(l3)/3, int(l2)/2)
		m.SetOlFlags(fl & mbuf.TxOffloadMask)
		pkts := []*mbuf.Mbuf{m}
		offload.Soft{}.PseudoCksum(pkts)
		var d keep
		r := tx.TxBurst(&d, pkts)
		if r.Taken == 0 {
			m.Free(lc)
		}
		mbuf.FreeBulk(lc, d.got)
	})
}

// keep is a device tx queue that keeps what it takes.
type keep struct{ got []*mbuf.Mbuf }

func (k *keep) TxBurst(pkts []*mbuf.Mbuf) int {
	k.got = append(k.got, pkts...)
	return len(pkts)
}
