package toeplitz

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// msVector is one line of the table in Microsoft's "Verifying the RSS Hash
// Calculation" (RSS specification), computed with DefaultKey.
type msVector struct {
	src, dst       string // addr:port
	ipOnly, withL4 uint32
}

var msVectors = []msVector{
	{"66.9.149.187:2794", "161.142.100.80:1766", 0x323e8fc2, 0x51ccc178},
	{"199.92.111.2:14230", "65.69.140.83:4739", 0xd718262a, 0xc626b0ea},
	{"24.19.198.95:12898", "12.22.207.184:38024", 0xd2d0a5de, 0x5c2b394a},
	{"38.27.205.30:48228", "209.142.163.6:2217", 0x82989176, 0xafc7327f},
	{"153.39.163.191:44251", "202.188.127.2:1303", 0x5d1809c5, 0x10e828a2},
	{"[3ffe:2501:200:1fff::7]:2794", "[3ffe:2501:200:3::1]:1766", 0x2cc18cd5, 0x40207d3d},
	{"[3ffe:501:8::260:97ff:fe40:efab]:14230", "[ff02::1]:4739", 0x0f0c461c, 0xdde51bbf},
	{"[3ffe:1900:4545:3:200:f8ff:fe21:67cf]:44251", "[fe80::200:f8ff:fe21:67cf]:38024", 0x4b61e985, 0x02d1feef},
}

// tuple returns src addr, dst addr and, with ports, src port, dst port, in
// network byte order.
func tuple(t testing.TB, src, dst string, ports bool) []byte {
	s, d := netip.MustParseAddrPort(src), netip.MustParseAddrPort(dst)
	b := append(s.Addr().AsSlice(), d.Addr().AsSlice()...)
	if ports {
		b = append(b, byte(s.Port()>>8), byte(s.Port()), byte(d.Port()>>8), byte(d.Port()))
	}
	return b
}

func TestMicrosoftVectors(t *testing.T) {
	tab := New(DefaultKey[:])
	for _, v := range msVectors {
		for _, ports := range []bool{false, true} {
			in := tuple(t, v.src, v.dst, ports)
			want := v.ipOnly
			if ports {
				want = v.withL4
			}
			if got := Hash(DefaultKey[:], in); got != want {
				t.Errorf("Hash(%s -> %s, ports %v) = %#08x, want %#08x", v.src, v.dst, ports, got, want)
			}
			if got := tab.Hash(in); got != want {
				t.Errorf("Table.Hash(%s -> %s, ports %v) = %#08x, want %#08x", v.src, v.dst, ports, got, want)
			}
		}
	}
}

func TestTableMatchesBitwise(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, klen := range []int{4, 5, 16, 40, 52} {
		key := make([]byte, klen)
		for i := range key {
			key[i] = byte(r.Uint32())
		}
		tab := New(key)
		if tab.MaxLen() != klen-4 {
			t.Fatalf("MaxLen = %d, want %d", tab.MaxLen(), klen-4)
		}
		for n := 0; n <= klen+8; n++ {
			data := make([]byte, n)
			for i := 0; i < 20; i++ {
				for j := range data {
					data[j] = byte(r.Uint32())
				}
				if got, want := tab.Hash(data), Hash(key, data); got != want {
					t.Fatalf("key len %d, data %x: Table.Hash %#x, Hash %#x", klen, data, got, want)
				}
			}
		}
	}
	// A key shorter than 4 bytes still hashes (everything to zero past it).
	if New([]byte{1, 2}).Hash([]byte{0xff, 0xff}) != Hash([]byte{1, 2}, []byte{0xff, 0xff}) {
		t.Fatal("short key: Table and Hash differ")
	}
}

// TestLinear checks the defining property: the hash is linear over XOR.
func TestLinear(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	tab := New(DefaultKey[:])
	a, b, c := make([]byte, 36), make([]byte, 36), make([]byte, 36)
	for i := 0; i < 1000; i++ {
		for j := range a {
			a[j], b[j] = byte(r.Uint32()), byte(r.Uint32())
			c[j] = a[j] ^ b[j]
		}
		if tab.Hash(c) != tab.Hash(a)^tab.Hash(b) {
			t.Fatalf("hash(a^b) != hash(a)^hash(b) for a=%x b=%x", a, b)
		}
	}
}

func TestSymmetricKey(t *testing.T) {
	tab := New(SymmetricKey[:])
	dflt := New(DefaultKey[:])
	asym := 0
	for _, v := range msVectors {
		for _, ports := range []bool{false, true} {
			fwd, rev := tuple(t, v.src, v.dst, ports), tuple(t, v.dst, v.src, ports)
			if tab.Hash(fwd) != tab.Hash(rev) {
				t.Errorf("symmetric key: %s -> %s hashes %#x, reverse %#x", v.src, v.dst, tab.Hash(fwd), tab.Hash(rev))
			}
			if dflt.Hash(fwd) != dflt.Hash(rev) {
				asym++
			}
		}
	}
	if asym == 0 {
		t.Fatal("the default key hashes every vector symmetrically: the test cannot tell")
	}
}

func TestRETA(t *testing.T) {
	for _, bad := range []int{0, 3, 100, 1 << 17} {
		if _, err := NewRETA(bad, 4); err != ErrRETASize {
			t.Errorf("NewRETA(%d): err %v, want ErrRETASize", bad, err)
		}
	}
	if _, err := NewRETA(128, 0); err == nil {
		t.Error("NewRETA(128, 0) succeeded")
	}
	r, err := NewRETA(128, 3)
	if err != nil {
		t.Fatal(err)
	}
	if r.Size() != 128 {
		t.Fatalf("Size %d", r.Size())
	}
	for i := 0; i < 128; i++ {
		if r.Entry(i) != uint16(i%3) {
			t.Fatalf("entry %d = %d, want %d", i, r.Entry(i), i%3)
		}
	}
	// The low 7 bits of the hash index the table.
	if q := r.Queue(0x51ccc178); q != uint16((0x51ccc178&127)%3) {
		t.Fatalf("Queue = %d", q)
	}
	r.Set(0x78, 9)
	if q := r.Queue(0x51ccc178); q != 9 {
		t.Fatalf("after Set, Queue = %d, want 9", q)
	}
}

func TestNoAllocs(t *testing.T) {
	tab := New(DefaultKey[:])
	r, _ := NewRETA(512, 4)
	in := make([]byte, 36)
	var sink uint16
	if n := testing.AllocsPerRun(100, func() { sink += r.Queue(tab.Hash(in)) }); n != 0 {
		t.Fatalf("Table.Hash + RETA.Queue: %v allocs", n)
	}
	_ = sink
}

// TestDPDKSoftRSS compares with DPDK 22.11's rte_softrss on random keys and
// tuples, through bench/hash/dpdkref.c built against Debian's dpdk-dev.
func TestDPDKSoftRSS(t *testing.T) {
	ref := buildDPDKRef(t)
	r := rand.New(rand.NewPCG(5, 6))
	var lines []string
	var want []uint32
	key := make([]byte, 40)
	for i := 0; i < 400; i++ {
		copy(key, DefaultKey[:])
		if i%2 == 1 {
			for j := range key {
				key[j] = byte(r.Uint32())
			}
		}
		n := 4 * (1 + r.IntN(9)) // 4..36 bytes
		data := make([]byte, n)
		for j := range data {
			data[j] = byte(r.Uint32())
		}
		lines = append(lines, fmt.Sprintf("softrss %x %x", key, data))
		want = append(want, New(key).Hash(data))
	}
	got := runDPDKRef(t, ref, lines)
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s: dpkit %#08x, DPDK rte_softrss %#08x", lines[i], want[i], got[i])
		}
	}
}

// buildDPDKRef compiles bench/hash/dpdkref.c against Debian's dpdk-dev, or
// skips the test when the compiler or the package is missing.
func buildDPDKRef(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("SKIP: no C compiler: the comparison with DPDK needs cc and dpdk-dev")
	}
	flags, err := exec.Command("pkg-config", "--cflags", "--libs", "libdpdk").Output()
	if err != nil {
		t.Skip("SKIP: pkg-config libdpdk failed: install Debian's dpdk-dev to compare with DPDK")
	}
	_, file, _, _ := runtime.Caller(0)
	src := filepath.Join(filepath.Dir(file), "..", "..", "bench", "hash", "dpdkref.c")
	out := filepath.Join(t.TempDir(), "dpdkref")
	args := append([]string{"-O2", "-o", out, src}, strings.Fields(string(flags))...)
	if b, err := exec.Command("cc", args...).CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", src, err, b)
	}
	return out
}

// runDPDKRef feeds lines to the dpdkref program and returns its hashes.
func runDPDKRef(t testing.TB, ref string, lines []string) []uint32 {
	t.Helper()
	cmd := exec.Command(ref)
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dpdkref: %v", err)
	}
	var hs []uint32
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		v, err := strconv.ParseUint(sc.Text(), 16, 32)
		if err != nil {
			t.Fatalf("dpdkref output %q: %v", sc.Text(), err)
		}
		hs = append(hs, uint32(v))
	}
	if len(hs) != len(lines) {
		t.Fatalf("dpdkref printed %d hashes for %d inputs", len(hs), len(lines))
	}
	return hs
}

func BenchmarkHash(b *testing.B) {
	for _, n := range []int{12, 36} {
		b.Run(fmt.Sprintf("table/%dB", n), func(b *testing.B) {
			tab := New(DefaultKey[:])
			in := make([]byte, n)
			b.ReportAllocs()
			var h uint32
			for i := 0; i < b.N; i++ {
				in[0] = byte(i)
				h ^= tab.Hash(in)
			}
			_ = h
		})
		b.Run(fmt.Sprintf("bitwise/%dB", n), func(b *testing.B) {
			in := make([]byte, n)
			b.ReportAllocs()
			var h uint32
			for i := 0; i < b.N; i++ {
				in[0] = byte(i)
				h ^= Hash(DefaultKey[:], in)
			}
			_ = h
		})
	}
}
