package pcap_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	_ "github.com/dpkit/dpkit/driver/net/pcap"
	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/ethdev/porttest"
	"github.com/dpkit/dpkit/internal/mbuftest"
	"github.com/dpkit/dpkit/internal/pcapfile"
	"github.com/dpkit/dpkit/internal/testutil"
	"github.com/dpkit/dpkit/mbuf"
)

func TestMain(m *testing.M) { testutil.Main(m) }

const lc = 0

var portSeq atomic.Uint32

// portName returns a fresh net_pcap device name.
func portName() string { return fmt.Sprintf("net_pcap%d", portSeq.Add(1)) }

type pkt struct {
	ts   int64
	data []byte
}

// frames makes n Ethernet frames of the given sizes (cycled) with distinct
// contents and timestamps.
func frames(seed uint64, n int, sizes ...int) []pkt {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]pkt, n)
	ts := int64(1_700_000_000_000_000_000)
	for i := range out {
		d := make([]byte, sizes[i%len(sizes)])
		for j := range d {
			d[j] = byte(rng.Uint32())
		}
		copy(d, []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5})
		ts += rng.Int64N(1e9) + 1
		out[i] = pkt{ts: ts, data: d}
	}
	return out
}

// writePcap writes pk to a new file with our writer (checked on its own
// against tshark, scapy and editcap in internal/pcapfile).
func writePcap(t testing.TB, path string, pk []pkt) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := pcapfile.NewWriter(f, pcapfile.WriterOptions{SnapLen: pcapfile.MaxSnapLen})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pk {
		if err := w.WritePacket(p.ts, p.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// readPcap reads every packet of a file.
func readPcap(t testing.TB, path string) []pkt {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapfile.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []pkt
	for {
		data, info, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if info.OrigLen != info.CapLen {
			t.Errorf("%s: packet %d cut: %d of %d bytes", path, len(out), info.CapLen, info.OrigLen)
		}
		out = append(out, pkt{ts: info.Timestamp, data: bytes.Clone(data)})
	}
}

func newPool(t testing.TB, n, dataRoom int) *mbuf.Pool {
	return porttest.NewPool(t, mbuf.PoolConfig{Name: fmt.Sprintf("pcap-%s-%d", t.Name(), portSeq.Add(1)), N: n,
		CacheSize: min(256, n/2), DataRoomSize: dataRoom})
}

func open(t testing.TB, devargs string) *ethdev.Port { return porttest.Open(t, devargs) }

func start(t testing.TB, p *ethdev.Port, mp *mbuf.Pool, cfg ethdev.Config) {
	t.Helper()
	if cfg.RxQueues == 0 {
		cfg.RxQueues, cfg.TxQueues = p.Info().MaxRxQueues, p.Info().MaxTxQueues
	}
	if err := p.Configure(cfg); err != nil {
		t.Fatal(err)
	}
	for q := range uint16(cfg.RxQueues) {
		if err := p.RxQueueSetup(q, 0, mp, &ethdev.RxQueueConf{Lcore: lc}); err != nil {
			t.Fatal(err)
		}
	}
	for q := range uint16(cfg.TxQueues) {
		if err := p.TxQueueSetup(q, 0, &ethdev.TxQueueConf{Lcore: lc}); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
}

// rxAll receives from queue q until max packets or nothing comes in a
// few tries, copying the packets out and freeing them.
func rxAll(t testing.TB, p *ethdev.Port, q uint16, max int) (out []pkt, mbufs int) {
	t.Helper()
	rx := make([]*mbuf.Mbuf, 32)
	for idle := 0; idle < 3 && len(out) < max; {
		n := p.RxBurst(q, rx[:min(len(rx), max-len(out))])
		if n == 0 {
			idle++
			continue
		}
		for _, m := range rx[:n] {
			if err := m.Check(true); err != nil {
				t.Errorf("received mbuf: %v", err)
			}
			b := make([]byte, m.PktLen())
			m.CopyTo(b)
			if m.OlFlags()&mbuf.RxTimestamp == 0 {
				t.Errorf("packet %d without RxTimestamp", len(out))
			}
			out = append(out, pkt{ts: int64(m.Timestamp()), data: b})
			mbufs += m.NbSegs()
		}
		mbuf.FreeBulk(lc, rx[:n])
	}
	return out, mbufs
}

func samePkts(t testing.TB, got, want []pkt, withTS bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d packets, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i].data, want[i].data) || withTS && got[i].ts != want[i].ts {
			t.Fatalf("packet %d: %d bytes ts %d, want %d bytes ts %d (bytes equal %v)", i,
				len(got[i].data), got[i].ts, len(want[i].data), want[i].ts, bytes.Equal(got[i].data, want[i].data))
		}
	}
}

// TestConformance runs ethdev/porttest on a port of four rx files and
// four tx files: packets are injected by appending records to an rx file
// (the queue follows its file) and observed in a tx file.
func TestConformance(t *testing.T) {
	files := map[string][2][]string{} // port name -> rx, tx paths
	porttest.Run(t, porttest.Config{
		Open: func(t *testing.T) *ethdev.Port {
			dir := t.TempDir()
			name := portName()
			var rx, tx []string
			args := name
			for q := range 4 {
				r := filepath.Join(dir, fmt.Sprintf("rx%d.pcap", q))
				writePcap(t, r, nil)
				o := filepath.Join(dir, fmt.Sprintf("tx%d.pcap", q))
				rx, tx = append(rx, r), append(tx, o)
				args += ",rx_pcap=" + r + ",tx_pcap=" + o
			}
			files[name] = [2][]string{rx, tx}
			p, err := ethdev.Open(args)
			if err != nil {
				t.Fatal(err)
			}
			return p
		},
		Inject: func(t *testing.T, p *ethdev.Port, q uint16, frame []byte) {
			f, err := os.OpenFile(files[p.Name()][0][q], os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var b bytes.Buffer
			w, _ := pcapfile.NewWriter(&b, pcapfile.WriterOptions{})
			w.WritePacket(1, frame)
			w.Flush()
			if _, err := f.Write(b.Bytes()[24:]); err != nil { // one write: a whole record
				t.Fatal(err)
			}
		},
		Observe: func(t *testing.T, p *ethdev.Port, want int) [][]byte {
			var out [][]byte
			for _, r := range readPcap(t, files[p.Name()][1][0]) {
				out = append(out, r.data)
			}
			return out
		},
	})
}

// TestRxFile reads pcap and pcapng files of every size class, jumbo
// frames over chained mbufs included, with their timestamps.
func TestRxFile(t *testing.T) {
	dir := t.TempDir()
	want := frames(1, 40, 60, 1514, 64, 9000, 200, 20000, 2000, 2048)
	path := filepath.Join(dir, "in.pcap")
	writePcap(t, path, want)
	for _, room := range []int{0, 1024} { // 2048- and 896-byte buffers (after headroom)
		t.Run(fmt.Sprintf("dataroom%d", room), func(t *testing.T) {
			mp := newPool(t, 255, room)
			p := open(t, portName()+",rx_pcap="+path)
			if di := p.Info(); di.MaxRxQueues != 1 || di.MaxTxQueues != 1 {
				t.Fatalf("queues %d/%d", di.MaxRxQueues, di.MaxTxQueues)
			}
			start(t, p, mp, ethdev.Config{})
			got, segs := rxAll(t, p, 0, 1000)
			samePkts(t, got, want, true)
			if segs <= len(want) {
				t.Fatalf("%d mbufs for %d packets with jumbo frames", segs, len(want))
			}
			st := p.Stats()
			var bytes uint64
			for _, w := range want {
				bytes += uint64(len(w.data))
			}
			if st.IPackets != uint64(len(want)) || st.IBytes != bytes || st.IErrors != 0 || st.RxNoMbuf != 0 {
				t.Fatalf("stats %+v", st)
			}
			// Stop and Start rewind the file, as DPDK reopens it.
			if err := p.Stop(); err != nil {
				t.Fatal(err)
			}
			if err := p.Start(); err != nil {
				t.Fatal(err)
			}
			again, _ := rxAll(t, p, 0, 1000)
			samePkts(t, again, want, true)
		})
	}
}

// TestRxBadFile: a file cut in the middle of a record, or with a corrupt
// one, delivers the packets before it and counts one rx error.
func TestRxBadFile(t *testing.T) {
	dir := t.TempDir()
	want := frames(2, 5, 100, 300)
	path := filepath.Join(dir, "good.pcap")
	writePcap(t, path, want)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string][]byte{
		"truncated": good[:len(good)-50],
		"corrupt":   append(bytes.Clone(good), 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x7f),
	}
	for name, b := range bad {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".pcap")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			mp := newPool(t, 63, 0)
			p := open(t, portName()+",rx_pcap="+path)
			start(t, p, mp, ethdev.Config{})
			n := len(want)
			if name == "truncated" {
				n-- // the last record is cut
			}
			got, _ := rxAll(t, p, 0, 1000)
			samePkts(t, got, want[:n], true)
			for range 3 { // later polls get nothing and count nothing
				if more, _ := rxAll(t, p, 0, 1000); len(more) != 0 {
					t.Fatalf("%d packets after the bad record", len(more))
				}
			}
			if st := p.Stats(); st.IErrors != 1 || st.IPackets != uint64(n) || st.QErrors[0] != 1 {
				t.Fatalf("ierrors %d (queue %d) ipackets %d, want 1 and %d", st.IErrors, st.QErrors[0], st.IPackets, n)
			}
		})
	}
}

// TestRxNoMbuf: with the pool empty the packet waits in the queue and
// counts in rx_nombuf; nothing is lost.
func TestRxNoMbuf(t *testing.T) {
	dir := t.TempDir()
	want := frames(3, 20, 100)
	path := filepath.Join(dir, "in.pcap")
	writePcap(t, path, want)
	mp := newPool(t, 4, 0)
	p := open(t, portName()+",rx_pcap="+path)
	start(t, p, mp, ethdev.Config{})
	var got []pkt
	rx := make([]*mbuf.Mbuf, 8)
	for range 100 {
		n := p.RxBurst(0, rx)
		for _, m := range rx[:n] {
			b := make([]byte, m.PktLen())
			m.CopyTo(b)
			got = append(got, pkt{ts: int64(m.Timestamp()), data: b})
		}
		mbuf.FreeBulk(lc, rx[:n])
	}
	samePkts(t, got, want, true)
	if st := p.Stats(); st.RxNoMbuf == 0 || st.IErrors != 0 {
		t.Fatalf("rx_nombuf %d ierrors %d: want rx_nombuf > 0", st.RxNoMbuf, st.IErrors)
	}
}

// TestInfiniteRx replays a file in a loop, with packets that all fit in
// one mbuf (the bulk path) and with a jumbo one (chains).
func TestInfiniteRx(t *testing.T) {
	dir := t.TempDir()
	mp := newPool(t, 255, 0)
	for i, sizes := range [][]int{{100, 1514, 60}, {100, 5000, 60}} {
		want := frames(4, 3, sizes...)
		path := filepath.Join(dir, fmt.Sprintf("in%d.pcap", i))
		writePcap(t, path, want)
		p := open(t, portName()+",rx_pcap="+path+",infinite_rx=1")
		start(t, p, mp, ethdev.Config{})
		rx := make([]*mbuf.Mbuf, 7)
		seen := 0
		for range 10 {
			n := p.RxBurst(0, rx)
			if n != len(rx) {
				t.Fatalf("burst of %d gave %d", len(rx), n)
			}
			for _, m := range rx[:n] {
				if err := m.Check(true); err != nil {
					t.Fatal(err)
				}
				b := make([]byte, m.PktLen())
				m.CopyTo(b)
				if w := want[seen%len(want)].data; !bytes.Equal(b, w) {
					t.Fatalf("sizes %v: packet %d: %d bytes, want %d", sizes, seen, len(b), len(w))
				}
				seen++
			}
			mbuf.FreeBulk(lc, rx[:n])
		}
		p.Stop()
		p.Close()
	}
	empty := filepath.Join(dir, "empty.pcap")
	writePcap(t, empty, nil)
	p2 := open(t, portName()+",rx_pcap="+empty+",infinite_rx=1")
	if err := p2.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1}); err != nil {
		t.Fatal(err)
	}
	if err := p2.RxQueueSetup(0, 0, mp, nil); err == nil || !strings.Contains(err.Error(), "no packet") {
		t.Fatalf("infinite_rx of an empty file: %v", err)
	}
}

// TestTxFile writes packets, chained ones included, to several tx
// files (one per queue) and reads them back; a port without rx keys has
// rx queues that receive nothing.
func TestTxFile(t *testing.T) {
	dir := t.TempDir()
	mp := newPool(t, 1023, 1024)
	out := []string{filepath.Join(dir, "a.pcap"), filepath.Join(dir, "b.pcap")}
	p := open(t, portName()+",tx_pcap="+out[0]+",tx_pcap="+out[1])
	if di := p.Info(); di.MaxRxQueues != 2 || di.MaxTxQueues != 2 {
		t.Fatalf("queues %d/%d", di.MaxRxQueues, di.MaxTxQueues)
	}
	start(t, p, mp, ethdev.Config{})
	var want [2][]pkt
	for q := range uint16(2) {
		fr := frames(5+uint64(q), 30, 60, 900, 3000, 9000, 1514)
		pkts := make([]*mbuf.Mbuf, len(fr))
		for i, f := range fr {
			pkts[i] = mbuftest.Packet(t, mp, f.data, 0)
		}
		if n := p.TxBurst(q, pkts); n != len(pkts) {
			t.Fatalf("TxBurst took %d of %d", n, len(pkts))
		}
		want[q] = fr
		if n, _ := rxAll(t, p, q, 10); len(n) != 0 {
			t.Fatalf("rx of a tx-only port gave %d", len(n))
		}
	}
	if mp.InUse() != 0 {
		t.Fatalf("%d mbufs not freed by TxBurst", mp.InUse())
	}
	for q := range 2 {
		samePkts(t, readPcap(t, out[q]), want[q], false)
	}
	if st := p.Stats(); st.OPackets != 60 || st.OErrors != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestDevargs(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pcap")
	writePcap(t, in, frames(6, 1, 60))
	notPcap := filepath.Join(dir, "x.txt")
	os.WriteFile(notPcap, []byte("hello, world, this is not a capture file"), 0o644)
	for _, c := range []struct{ args, want string }{
		{"", "no rx or tx queue given"},
		{",infinite_rx=1,tx_pcap=" + filepath.Join(dir, "o.pcap"), "infinite_rx needs rx_pcap"},
		{",rx_pcap=" + filepath.Join(dir, "missing.pcap"), "no such file"},
		{",rx_pcap=" + notPcap, "neither pcap nor pcapng"},
		{",tx_pcap=" + filepath.Join(dir, "nodir", "o.pcap"), "no such file"},
		{",iface=lo,rx_pcap=" + in, "iface cannot be combined"},
		{",rx_pcap=" + in + ",rx_iface=lo", "rx_pcap cannot be combined"},
		{",rx_pcap=" + in + ",foo=1", `unknown key "foo"`},
		{",iface=no-such-if0", "no such network interface"},
		{strings.Repeat(",rx_pcap="+in, 17), "at most 16"},
	} {
		_, err := ethdev.Open(portName() + c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%q): %v, want an error containing %q", c.args, err, c.want)
		}
	}
	// phy_mac is accepted (and applies with iface only).
	p := open(t, portName()+",rx_pcap="+in+",phy_mac=1")
	if m := p.MAC(); m[0] != 0x02 || m[1] != 0x70 {
		t.Errorf("MAC %v, want 02:70:63:61:70:xx", m)
	}
}
