package tap

import (
	"testing"

	"github.com/dpkit/dpkit/eal"
	itap "github.com/dpkit/dpkit/internal/tap"
	"github.com/dpkit/dpkit/mbuf"
)

// TestRxFlags maps the kernel's virtio-net header to mbuf flags. (The
// kernel marks DATA_VALID only for packets it got as CHECKSUM_UNNECESSARY
// from a device that verifies checksums, which no test namespace has: the
// mapping is checked here, the rest against the kernel in tap_test.go.)
func TestRxFlags(t *testing.T) {
	p, err := mbuf.NewPool(mbuf.PoolConfig{Name: "tap-flags", N: 63, Huge: eal.HugeNever})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	m := p.Alloc(0)
	defer m.Free(0)
	for _, c := range []struct {
		h     itap.VnetHdr
		flags uint64
		segsz int
	}{
		{itap.VnetHdr{}, 0, 0},
		{itap.VnetHdr{Flags: itap.VnetHdrFDataValid}, mbuf.RxL4CksumGood, 0},
		{itap.VnetHdr{Flags: itap.VnetHdrFNeedsCsum, CsumStart: 34, CsumOffset: 6}, mbuf.RxL4CksumNone, 0},
		{itap.VnetHdr{Flags: itap.VnetHdrFNeedsCsum, GSOType: itap.VnetHdrGSOTCPv4, GSOSize: 1448}, mbuf.RxL4CksumNone | mbuf.RxLRO, 1448},
	} {
		m.SetTSOSegsz(0)
		if got := rxFlags(m, &c.h); got != c.flags || m.TSOSegsz() != c.segsz {
			t.Errorf("header %+v: flags %s segsz %d, want %s %d", c.h, mbuf.FlagsString(got), m.TSOSegsz(), mbuf.FlagsString(c.flags), c.segsz)
		}
	}
}
