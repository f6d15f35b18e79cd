package mbuf

import (
	"os/exec"
	"regexp"
	"testing"
)

func TestNoAllocs(t *testing.T) {
	p := newPool(t, PoolConfig{N: 127, CacheSize: 32})
	ip := newPool(t, PoolConfig{Name: "indirect", N: 127, CacheSize: 32, DataRoomSize: 8})
	ms := make([]*Mbuf, 32)
	for _, c := range []struct {
		name string
		fn   func()
	}{
		{"AllocBulk+FreeBulk", func() {
			if !p.AllocBulk(lc, ms) {
				panic("AllocBulk")
			}
			FreeBulk(lc, ms)
		}},
		{"Alloc+Append+Prepend+Free", func() {
			m := p.Alloc(lc)
			m.Append(64)[0] = 1
			m.Prepend(14)[0] = 2
			m.Free(lc)
		}},
		{"Clone+Free", func() {
			m := p.Alloc(lc)
			m.Append(64)
			c := ip.Clone(m, lc)
			m.Free(lc)
			c.Free(lc)
		}},
		{"Chain+Read+Linearize+Free", func() {
			m := p.Alloc(lc)
			m.Append(64)
			Chain(m, p.Alloc(lc))
			m.Append(10)
			var buf [16]byte
			_ = m.Read(60, buf[:])
			if m.Linearize(lc) != nil {
				panic("Linearize")
			}
			m.Free(lc)
		}},
	} {
		if n := testing.AllocsPerRun(1000, c.fn); n != 0 {
			t.Errorf("%s: %v allocations per run, want 0", c.name, n)
		}
	}
}

// TestInlining holds the speed of the accessors: these must stay small
// enough for the compiler to inline them (as net/netip's test does).
func TestInlining(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the compiler")
	}
	if debug {
		t.Skip("debug builds add checks to the fast path")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	out, err := exec.Command(goBin, "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	re := regexp.MustCompile(`can inline (\S+)`)
	got := map[string]bool{}
	for _, m := range re.FindAllStringSubmatch(string(out), -1) {
		got[m[1]] = true
	}
	for _, fn := range []string{
		"(*Mbuf).Data", "(*Mbuf).Len", "(*Mbuf).PktLen", "(*Mbuf).Append",
		"(*Mbuf).Prepend", "(*Mbuf).Adj", "(*Mbuf).Trim",
		"(*Mbuf).Headroom", "(*Mbuf).Tailroom", "(*Mbuf).Next", "(*Mbuf).NbSegs",
		"(*Mbuf).Refcnt", "(*Mbuf).RefcntUpdate", "(*Mbuf).SetRefcnt",
		"(*Mbuf).IsDirect", "(*Mbuf).IsIndirect", "(*Mbuf).OlFlags", "(*Mbuf).PacketType",
		"(*Mbuf).Port", "(*Mbuf).RSSHash", "(*Mbuf).L2Len", "(*Mbuf).SetL3Len",
		"(*Mbuf).Priv", "(*Mbuf).DataAddr", "(*Mbuf).Reset", "(*Mbuf).LastSeg",
		"PoolByID",
	} {
		if !got[fn] {
			t.Errorf("%s is not inlined", fn)
		}
	}
}
