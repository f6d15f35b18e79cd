package bench

import (
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/dpkit/dpkit/app/testpmd"
	// The driver registers net_af_packet; this import can go once
	// driver/net/all (imported by cmd/dpkit) lists it.
	_ "github.com/dpkit/dpkit/driver/net/afpacket"
	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/mbuf"
)

// afpacketFlags are `dpkit bench afpacket`'s own flags.
var afpacketFlags struct {
	iface0, iface1 string
	burst, inject  int
	size           int
	bypass         bool
	tpacket        int
}

func init() {
	Register(Benchmark{
		Name:    "afpacket",
		Summary: "net_af_packet io forwarding between two interfaces (a veth pair), as testpmd's start tx_first",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&afpacketFlags.iface0, "iface0", "", "interface of port 0 (one end of a veth pair)")
			fs.StringVar(&afpacketFlags.iface1, "iface1", "", "interface of port 1 (the other end)")
			fs.IntVar(&afpacketFlags.burst, "burst", 32, "packets per burst")
			fs.IntVar(&afpacketFlags.inject, "inject", 4, "bursts each port sends first (testpmd's start tx_first N)")
			fs.IntVar(&afpacketFlags.size, "size", 64, "frame size")
			fs.BoolVar(&afpacketFlags.bypass, "qdisc_bypass", false, "qdisc_bypass=1 on both ports")
			fs.IntVar(&afpacketFlags.tpacket, "tpacket", 2, "ring version, 2 or 3 (the driver's tpacket= devarg)")
		},
		Run: AFPacket,
	})
}

// portQueue is queue 0 of a port as testpmd's streams poll it.
type portQueue struct{ p *ethdev.Port }

func (q portQueue) RxBurst(pkts []*mbuf.Mbuf) int { return q.p.RxBurst(0, pkts) }
func (q portQueue) TxBurst(pkts []*mbuf.Mbuf) int { return q.p.TxBurst(0, pkts) }

// AFPacket measures io forwarding over two net_af_packet ports the way
// `dpdk-testpmd --vdev net_af_packet0,iface=A --vdev net_af_packet1,iface=B
// -- --forward-mode=io` with `start tx_first` does on a veth pair A-B: each
// port sends a few bursts, and from then on one lcore forwards port 0 ->
// port 1 and port 1 -> port 0 with testpmd's io engine (app/testpmd), so
// the same packets go round through the kernel's veth. It reports
//
//	afpacket_io_fwd_kpps  packets forwarded per second (both streams), in thousands
//
// over opt.Time (default 5 s, 1 s with Quick) after a 1 s warm-up (0.2 s
// with Quick).
func AFPacket(w io.Writer, opt Options) error {
	f := afpacketFlags
	if f.iface0 == "" || f.iface1 == "" {
		return fmt.Errorf("afpacket: -iface0 and -iface1 name the two ends of a veth pair (bench/vs-dpdk-afpacket.sh makes one)")
	}
	if f.burst < 1 || f.burst > testpmd.MaxBurst || f.size < 60 || f.size > 1514 || f.inject < 1 {
		return fmt.Errorf("afpacket: bad -burst %d, -size %d or -inject %d", f.burst, f.size, f.inject)
	}
	stop, err := startLcores(opt)
	if err != nil {
		return err
	}
	defer stop()
	lc := eal.MainLcore()
	pool, err := mbuf.NewPool(mbuf.PoolConfig{Name: "bench-afpacket", N: 8191, CacheSize: 256})
	if err != nil {
		return err
	}
	defer pool.Close()
	var ports [2]*ethdev.Port
	for i, iface := range []string{f.iface0, f.iface1} {
		args := fmt.Sprintf("net_af_packet_bench%d,iface=%s,qdisc_bypass=%d,tpacket=%d", i, iface, b2i(f.bypass), f.tpacket)
		p, err := ethdev.Open(args)
		if err != nil {
			return err
		}
		defer p.Close()
		defer p.Stop()
		if err := p.Configure(ethdev.Config{RxQueues: 1, TxQueues: 1}); err != nil {
			return err
		}
		if err := p.RxQueueSetup(0, 0, pool, &ethdev.RxQueueConf{Lcore: lc}); err != nil {
			return err
		}
		if err := p.TxQueueSetup(0, 0, &ethdev.TxQueueConf{Lcore: lc}); err != nil {
			return err
		}
		if err := p.Start(); err != nil {
			return err
		}
		ports[i] = p
	}
	io, _ := testpmd.LookupEngine("io")
	params := testpmd.DefaultFwdParams()
	streams := [2]*testpmd.Stream{
		{RxPort: 0, TxPort: 1, Rx: portQueue{ports[0]}, Tx: portQueue{ports[1]}, Lcore: lc, Pool: pool, Burst: f.burst, Params: &params},
		{RxPort: 1, TxPort: 0, Rx: portQueue{ports[1]}, Tx: portQueue{ports[0]}, Lcore: lc, Pool: pool, Burst: f.burst, Params: &params},
	}
	// tx_first: every port sends inject bursts of UDP frames.
	frame := benchFrame(f.size)
	pkts := make([]*mbuf.Mbuf, f.burst)
	for _, p := range ports {
		for range f.inject {
			if !pool.AllocBulk(lc, pkts) {
				return fmt.Errorf("afpacket: pool empty")
			}
			for _, m := range pkts {
				copy(m.Append(len(frame)), frame)
			}
			n := p.TxBurst(0, pkts)
			mbuf.FreeBulk(lc, pkts[n:])
		}
	}
	d := opt.Time
	if d == 0 {
		d = 5 * time.Second
		if opt.Quick {
			d = time.Second
		}
	}
	run := func(d time.Duration) {
		end := time.Now().Add(d)
		for i := 0; ; i++ {
			io.Fwd(streams[0])
			io.Fwd(streams[1])
			if i&1023 == 0 && time.Now().After(end) {
				return
			}
		}
	}
	warm := time.Second
	if opt.Quick {
		warm = 200 * time.Millisecond
	}
	run(warm)
	before := streams[0].Stats().TxPackets + streams[1].Stats().TxPackets
	t0 := time.Now()
	run(d)
	el := time.Since(t0)
	fwd := streams[0].Stats().TxPackets + streams[1].Stats().TxPackets - before
	st0, st1 := ports[0].Stats(), ports[1].Stats()
	Notice(w, "afpacket: %s <-> %s, tpacket v%d, burst %d, %d x %d bytes injected per port, %v on lcore %d; imissed %d+%d, dropped %d+%d",
		f.iface0, f.iface1, f.tpacket, f.burst, f.inject*f.burst, f.size, el.Round(time.Millisecond), lc,
		st0.IMissed, st1.IMissed, streams[0].Stats().FwdDropped, streams[1].Stats().FwdDropped)
	Report(w, "afpacket_io_fwd_kpps", float64(fwd)/el.Seconds()/1e3, "kpps")
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// benchFrame is testpmd's txonly frame: Ethernet, IPv4 198.18.0.1 ->
// 198.18.0.2, UDP 9 -> 9, zero payload.
func benchFrame(size int) []byte {
	f := make([]byte, size)
	copy(f, []byte{0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00})
	ip := f[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(ip[2:], uint16(size-14))
	copy(ip[12:], []byte{198, 18, 0, 1, 198, 18, 0, 2})
	binary.BigEndian.PutUint16(ip[20:], 9)
	binary.BigEndian.PutUint16(ip[22:], 9)
	binary.BigEndian.PutUint16(ip[24:], uint16(size-34))
	return f
}
