package tap

import (
	"strings"
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

func FuzzParseMAC(f *testing.F) {
	for _, s := range []string{"", "fixed", "02:00:00:00:00:01", "01:00:5e:00:00:01", "zz", "02:00:00:00:00:01:02:03"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mac, set, err := parseMAC(s)
		if err != nil {
			if set || !strings.Contains(err.Error(), "mac=") {
				t.Fatalf("parseMAC(%q): error %v with set=%v", s, err, set)
			}
			return
		}
		if set && mac[0]&1 != 0 {
			t.Fatalf("parseMAC(%q) = multicast %x", s, mac)
		}
		if !set && s != "" {
			t.Fatalf("parseMAC(%q): accepted but not set", s)
		}
	})
}
