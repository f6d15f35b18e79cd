package ipfrag

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

// checkFragments4 checks fragments of the IPv4 datagram orig (cut at
// mtu) against it, byte by byte, and returns them as byte slices.
func checkFragments4(t *testing.T, orig []byte, frags []*mbuf.Mbuf, mtu int) [][]byte {
	t.Helper()
	oip := proto.IPv4(orig)
	ohl := oip.HeaderLen()
	var out [][]byte
	next := 0
	for i, f := range frags {
		checkChain(t, f)
		b := mbuftest.Bytes(f)
		out = append(out, b)
		ip := proto.IPv4(b)
		if !ip.IsValid() || ip.TotalLen() != len(b) {
			t.Fatalf("fragment %d: bad header or length (%d bytes, total %d)", i, len(b), ip.TotalLen())
		}
		if len(b) > mtu {
			t.Fatalf("fragment %d: %d bytes > MTU %d", i, len(b), mtu)
		}
		if !ip.IsChecksumValid() {
			t.Fatalf("fragment %d: bad header checksum", i)
		}
		if f.L3Len() != ip.HeaderLen() {
			t.Fatalf("fragment %d: L3Len %d, header %d", i, f.L3Len(), ip.HeaderLen())
		}
		if i == 0 && !bytes.Equal(b[20:ip.HeaderLen()], orig[20:ohl]) {
			t.Fatalf("first fragment: options % x, want % x", b[20:ip.HeaderLen()], orig[20:ohl])
		}
		if ip.ID() != oip.ID() || ip.Protocol() != oip.Protocol() || ip.Src() != oip.Src() || ip.Dst() != oip.Dst() || ip.TTL() != oip.TTL() {
			t.Fatalf("fragment %d: header fields differ from the original's", i)
		}
		if ip.FragmentOffset() != next {
			t.Fatalf("fragment %d: offset %d, want %d", i, ip.FragmentOffset(), next)
		}
		pl := ip.Payload()
		if last := i == len(frags)-1; ip.MoreFragments() == last {
			t.Fatalf("fragment %d of %d: MF %v", i, len(frags), ip.MoreFragments())
		} else if !last && len(pl)%8 != 0 {
			t.Fatalf("fragment %d: %d payload bytes, not a multiple of 8", i, len(pl))
		}
		if !bytes.Equal(pl, orig[ohl+next:ohl+next+len(pl)]) {
			t.Fatalf("fragment %d: payload differs from the original at %d", i, next)
		}
		next += len(pl)
	}
	if next != len(orig)-ohl {
		t.Fatalf("fragments carry %d bytes, want %d", next, len(orig)-ohl)
	}
	return out
}

func TestFragmentIPv4(t *testing.T) {
	p := newPools(t)
	rr := []byte{proto.IPv4OptRR, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0} // not copied
	lsrr := []byte{proto.IPv4OptLSRR, 7, 4, 10, 0, 0, 1}         // copied
	ra := []byte{proto.IPv4OptRouterAlert, 4, 0, 0}              // copied
	cases := []struct {
		name     string
		opts     []byte
		n, mtu   int
		seg      int
		wantFrag int
	}{
		{"fits", nil, 100, 1500, 0, 1},
		{"exact", nil, 1500 - 28, 1500, 0, 1},
		{"two", nil, 1500 - 27, 1500, 0, 2},
		{"64k", nil, 65000 - 28, 1500, 0, 44},
		{"64k chain", nil, 65535 - 28, 1500, 2500, 45},
		{"odd mtu", nil, 5000, 1283, 0, 4},
		{"tiny mtu", nil, 200, 28, 0, 26},
		{"small segs", nil, 3000, 576, 7, 6},
		{"options", append(append([]byte{}, rr...), lsrr...), 4000, 1000, 0, 5},
		{"options chain", append(append(append([]byte{}, lsrr...), rr...), ra...), 9000, 1400, 333, 7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			orig := udp4(0x1234, c.opts, c.n)
			pool := p.big
			if c.seg > 0 && c.seg <= 2048 {
				pool = p.direct
			}
			m := mbuftest.Packet(t, pool, orig, c.seg)
			var out [64]*mbuf.Mbuf
			n, err := FragmentIPv4(m, out[:], c.mtu, p.direct, p.indirect, lc)
			if err != nil {
				t.Fatal(err)
			}
			if n != c.wantFrag {
				t.Fatalf("%d fragments, want %d", n, c.wantFrag)
			}
			if n == 1 {
				if !bytes.Equal(mbuftest.Bytes(out[0]), orig) {
					t.Fatal("the one fragment differs from the packet")
				}
			} else {
				frags := checkFragments4(t, orig, out[:n], c.mtu)
				if len(c.opts) > 0 {
					h2 := proto.IPv4(frags[1]).Options()
					if bytes.Contains(h2, rr[:2]) {
						t.Fatalf("record route copied into a later fragment: % x", h2)
					}
					if !bytes.Contains(h2, lsrr) {
						t.Fatalf("LSRR not copied into a later fragment: % x", h2)
					}
				}
			}
			m.Free(lc) // the fragments keep the payload alive
			for i, f := range out[:n] {
				if i > 0 && f.Next() != nil && f.Next().Direct() == nil {
					t.Fatal("no direct mbuf")
				}
				f.Free(lc)
			}
		})
	}
}

// A fragment fragmented again continues its offsets and keeps its MF.
func TestFragmentIPv4Refragment(t *testing.T) {
	p := newPools(t)
	orig := udp4(7, nil, 6000)
	m := mbuftest.Packet(t, p.big, orig, 0)
	defer m.Free(lc)
	var out, out2 [16]*mbuf.Mbuf
	n, err := FragmentIPv4(m, out[:], 3000, p.direct, p.indirect, lc)
	if err != nil || n != 3 {
		t.Fatalf("%d, %v", n, err)
	}
	var all []*mbuf.Mbuf
	for _, f := range out[:n] {
		k, err := FragmentIPv4(f, out2[:], 1000, p.direct, p.indirect, lc)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, out2[:k]...)
		f.Free(lc)
	}
	checkFragments4(t, orig, all, 1000)
	for _, f := range all {
		f.Free(lc)
	}
}

func TestFragmentIPv4Errors(t *testing.T) {
	p := newPools(t)
	var out [8]*mbuf.Mbuf
	df := udp4(1, nil, 3000)
	proto.IPv4(df).SetFlagsFragOff(proto.IPv4FlagDF)
	cut := udp4(1, nil, 3000)
	proto.IPv4(cut).SetTotalLen(4000)
	for _, c := range []struct {
		name string
		pkt  []byte
		mtu  int
		out  int
		want error
	}{
		{"DF", df, 1500, 8, ErrDontFragment},
		{"DF fits", df, 3100, 8, nil},
		{"too many", udp4(1, nil, 3000), 500, 3, ErrTooManyFragments},
		{"mtu", udp4(1, nil, 3000), 27, 8, ErrMTU},
		{"truncated", cut, 1500, 8, ErrMalformed},
		{"short", []byte{0x45, 0, 0}, 1500, 8, ErrMalformed},
		{"not v4", udp6(nil, 100), 1500, 8, ErrMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := mbuftest.Packet(t, p.big, c.pkt, 0)
			n, err := FragmentIPv4(m, out[:c.out], c.mtu, p.direct, p.indirect, lc)
			if !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
			freeAll(out[:n], lc)
			m.Free(lc)
		})
	}
}

// Running out of mbufs midway keeps nothing.
func TestFragmentNoMbufs(t *testing.T) {
	p := newPools(t)
	small := newPool(t, "small", 5, 0)
	orig := udp4(1, nil, 9000)
	m := mbuftest.Packet(t, p.big, orig, 1000)
	defer m.Free(lc)
	var out [16]*mbuf.Mbuf
	for _, c := range []struct{ direct, indirect *mbuf.Pool }{{small, p.indirect}, {p.direct, small}} {
		if _, err := FragmentIPv4(m, out[:], 1500, c.direct, c.indirect, lc); !errors.Is(err, ErrNoMbufs) {
			t.Fatalf("err %v, want ErrNoMbufs", err)
		}
		m6 := mbuftest.Packet(t, p.big, udp6(nil, 9000), 1000)
		if _, err := FragmentIPv6(m6, out[:], 1500, 1, c.direct, c.indirect, lc); !errors.Is(err, ErrNoMbufs) {
			t.Fatalf("IPv6: err %v, want ErrNoMbufs", err)
		}
		m6.Free(lc)
	}
	if m.Refcnt() != 1 {
		t.Fatalf("refcnt %d after failed fragmentation", m.Refcnt())
	}
}

func TestFragmentIPv6(t *testing.T) {
	p := newPools(t)
	cases := []struct {
		name   string
		exts   []uint8
		n, mtu int
		seg    int
		unfrag int // bytes of extension headers kept in each fragment
	}{
		{"plain", nil, 5000, 1280, 0, 0},
		{"chain", nil, 60000, 1500, 999, 0},
		{"hop", []uint8{proto.IPProtoHopOpts}, 3000, 1280, 0, 8},
		{"hop dst rt dst", []uint8{proto.IPProtoHopOpts, proto.IPProtoDstOpts, proto.IPProtoRouting, proto.IPProtoDstOpts}, 3000, 1280, 100, 24},
		{"dst only", []uint8{proto.IPProtoDstOpts}, 3000, 1280, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			orig := udp6(c.exts, c.n)
			m := mbuftest.Packet(t, p.big, orig, c.seg)
			var out [64]*mbuf.Mbuf
			n, err := FragmentIPv6(m, out[:], c.mtu, 0xdeadbeef, p.direct, p.indirect, lc)
			m.Free(lc)
			if err != nil {
				t.Fatal(err)
			}
			ul := proto.IPv6Len + c.unfrag
			next := 0
			for i, f := range out[:n] {
				checkChain(t, f)
				b := mbuftest.Bytes(f)
				if len(b) > c.mtu || proto.IPv6(b).PayloadLen() != len(b)-proto.IPv6Len {
					t.Fatalf("fragment %d: %d bytes, payload length %d", i, len(b), proto.IPv6(b).PayloadLen())
				}
				nhPos := 6
				if c.unfrag > 0 {
					nhPos = ul - 8
				}
				want := append([]byte(nil), orig[:ul]...)
				want[nhPos] = proto.IPProtoFragment
				copy(want[4:6], b[4:6])
				if !bytes.Equal(b[:ul], want) {
					t.Fatalf("fragment %d: unfragmentable part differs", i)
				}
				if b[nhPos] != proto.IPProtoFragment {
					t.Fatalf("fragment %d: next header %d before the fragment header", i, b[nhPos])
				}
				fh := proto.IPv6Fragment(b[ul:])
				wantNH := orig[nhPos]
				if fh.NextHeader() != wantNH || fh.ID() != 0xdeadbeef || fh.FragmentOffset() != next || fh.MoreFragments() != (i < n-1) {
					t.Fatalf("fragment %d: header next %d id %x off %d M %v", i, fh.NextHeader(), fh.ID(), fh.FragmentOffset(), fh.MoreFragments())
				}
				pl := b[ul+8:]
				if i < n-1 && len(pl)%8 != 0 {
					t.Fatalf("fragment %d: %d bytes", i, len(pl))
				}
				if !bytes.Equal(pl, orig[ul+next:ul+next+len(pl)]) {
					t.Fatalf("fragment %d: payload differs", i)
				}
				next += len(pl)
				f.Free(lc)
			}
			if ul+next != len(orig) {
				t.Fatalf("fragments carry %d bytes, want %d", next, len(orig)-ul)
			}
		})
	}
}

func TestFragmentIPv6Errors(t *testing.T) {
	p := newPools(t)
	var out [8]*mbuf.Mbuf
	frag := udp6([]uint8{proto.IPProtoFragment}, 3000)
	jumbo := udp6(nil, 3000)
	proto.IPv6(jumbo).SetPayloadLen(0)
	for _, c := range []struct {
		name string
		pkt  []byte
		mtu  int
		want error
	}{
		{"fragmented", frag, 1280, ErrFragmented},
		{"jumbo", jumbo, 1280, ErrMalformed},
		{"mtu", udp6(nil, 3000), 55, ErrMTU},
		{"too many", udp6(nil, 30000), 1280, ErrTooManyFragments},
		{"v4", udp4(1, nil, 3000), 1280, ErrMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := mbuftest.Packet(t, p.big, c.pkt, 0)
			n, err := FragmentIPv6(m, out[:], c.mtu, 1, p.direct, p.indirect, lc)
			if !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
			freeAll(out[:n], lc)
			m.Free(lc)
		})
	}
}

// shuffle returns ms in a random order.
func shuffle(r *rand.Rand, ms []*mbuf.Mbuf) []*mbuf.Mbuf {
	s := append([]*mbuf.Mbuf(nil), ms...)
	r.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
	return s
}
