package ethdev

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/dpkit/dpkit/internal/toeplitz"
)

func ipv4UDP(vlans int, frag bool, proto byte) []byte {
	b := make([]byte, 12)
	for range vlans {
		b = append(b, 0x81, 0x00, 0x00, 0x05)
	}
	b = append(b, 0x08, 0x00)
	ip := []byte{0x46, 0, 0, 32, 0, 0, 0, 0, 64, proto, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0} // IHL 6: 4 option bytes
	if frag {
		ip[6] = 0x20 // MF
	}
	b = append(b, ip...)
	b = binary.BigEndian.AppendUint16(b, 1234)
	b = binary.BigEndian.AppendUint16(b, 80)
	return append(b, 0, 8, 0, 0)
}

func TestRSSTuple(t *testing.T) {
	all := SoftRSSOffloads
	v4ports := []byte{1, 2, 3, 4, 5, 6, 7, 8, 0x04, 0xd2, 0, 80}
	for _, c := range []struct {
		name  string
		frame []byte
		types RSSHash
		want  []byte
	}{
		{"udp", ipv4UDP(0, false, 17), all, v4ports},
		{"udp vlan", ipv4UDP(1, false, 17), all, v4ports},
		{"udp qinq", ipv4UDP(2, false, 17), all, v4ports},
		{"tcp", ipv4UDP(0, false, 6), all, v4ports},
		{"udp ip-only", ipv4UDP(0, false, 17), RSSIP, v4ports[:8]},
		{"tcp only-udp", ipv4UDP(0, false, 6), RSSUDP, nil},
		{"fragment", ipv4UDP(0, true, 17), all, v4ports[:8]},
		{"sctp", ipv4UDP(0, false, 132), all, v4ports[:8]},
		{"arp", append(make([]byte, 12), 0x08, 0x06, 0, 1), all, nil},
		{"truncated ip", ipv4UDP(0, false, 17)[:30], all, nil},
		{"truncated ports", ipv4UDP(0, false, 17)[:14+24+2], all, v4ports[:8]},
	} {
		var buf [rssTupleMax]byte
		n := rssTuple(c.frame, c.types, &buf)
		if !bytes.Equal(buf[:n], c.want) {
			t.Errorf("%s: tuple %x, want %x", c.name, buf[:n], c.want)
		}
	}
}

func TestRSSHashMatchesToeplitz(t *testing.T) {
	p := &Port{info: DevInfo{RSSOffloads: SoftRSSOffloads}, name: "t"}
	r, err := p.newRSS(Config{RxQueues: 3})
	if err != nil {
		t.Fatal(err)
	}
	f := ipv4UDP(0, false, 17)
	h, ok := r.Hash(f)
	want := toeplitz.Hash(toeplitz.DefaultKey[:], []byte{1, 2, 3, 4, 5, 6, 7, 8, 0x04, 0xd2, 0, 80})
	if !ok || h != want {
		t.Fatalf("hash %#x %v, want %#x", h, ok, want)
	}
}

// FuzzRSSTuple: the 5-tuple reader of received frames never reads out of
// bounds and its output is a prefix-consistent slice of the frame's bytes.
func FuzzRSSTuple(f *testing.F) {
	f.Add(ipv4UDP(0, false, 17), uint64(SoftRSSOffloads))
	f.Add(ipv4UDP(2, true, 6), uint64(RSSIP))
	v6 := append(make([]byte, 12), 0x86, 0xdd, 0x60, 0, 0, 0, 0, 8, 17, 64)
	v6 = append(v6, make([]byte, 40)...)
	f.Add(v6, uint64(SoftRSSOffloads))
	f.Fuzz(func(t *testing.T, frame []byte, types uint64) {
		var buf [rssTupleMax]byte
		n := rssTuple(frame, RSSHash(types), &buf)
		switch n {
		case 0, 8, 12, 32, 36:
		default:
			t.Fatalf("tuple length %d", n)
		}
	})
}

// BenchmarkRSSHash is the software RSS cost per packet: the 5-tuple read
// and the table-driven Toeplitz hash of an IPv4/UDP frame.
func BenchmarkRSSHash(b *testing.B) {
	p := &Port{info: DevInfo{RSSOffloads: SoftRSSOffloads}, name: "b"}
	r, err := p.newRSS(Config{RxQueues: 4})
	if err != nil {
		b.Fatal(err)
	}
	f := ipv4UDP(1, false, 17)
	b.ReportAllocs()
	var h uint32
	for b.Loop() {
		v, _ := r.Hash(f)
		h ^= v
	}
	_ = h
}

func TestRSSHashNoAllocs(t *testing.T) {
	p := &Port{info: DevInfo{RSSOffloads: SoftRSSOffloads}, name: "t"}
	r, err := p.newRSS(Config{RxQueues: 4})
	if err != nil {
		t.Fatal(err)
	}
	f := ipv4UDP(0, false, 6)
	if a := testing.AllocsPerRun(100, func() { r.Hash(f) }); a != 0 {
		t.Errorf("RSS hash: %v allocations", a)
	}
}
