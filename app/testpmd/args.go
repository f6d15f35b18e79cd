package testpmd

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Options are testpmd's application options, the ones after "--" on a
// DPDK command line. It is a plain value; ParseOptions fills it.
type Options struct {
	Interactive bool   // -i
	AutoStart   bool   // -a, --auto-start: start forwarding in interactive mode
	ForwardMode string // --forward-mode (default io)
	NbCores     int    // --nb-cores: forwarding lcores (default 1)
	RxQ, TxQ    int    // --rxq, --txq: queues per port (default 1)
	RxD, TxD    int    // --rxd, --txd: descriptors per queue (0: the driver's default)
	Burst       int    // --burst (default 32)
	TxPkts      []int  // --txpkts: txonly segment lengths (default 64)
	TotalMbufs  int    // --total-num-mbufs (0: computed)
	MbufSize    int    // --mbuf-size: data room with headroom (default 2176)
	MbufCache   int    // --mbcache (default 250)
	StatsPeriod int    // --stats-period seconds, non-interactive (0: off)
	TxFirst     bool   // --tx-first
	MultiFlow   bool   // --txonly-multi-flow
	Flows       int    // --flowgen-flows (default 1024)
	// EthPeers are --eth-peer=N,MAC: the destination address of port N
	// for the mac, csum and txonly engines.
	EthPeers     map[int]MAC
	NoFlushRx    bool   // --no-flush-rx
	PortTopology string // --port-topology: paired (default), chained or loop
	// Notices are one-line messages about options accepted but ignored.
	Notices []string
}

// DefaultOptions are DPDK testpmd's defaults.
func DefaultOptions() Options {
	return Options{ForwardMode: "io", NbCores: 1, Flows: 1024, RxQ: 1, TxQ: 1, Burst: 32, TxPkts: []int{64},
		MbufSize: 2176, MbufCache: 250, PortTopology: "paired"}
}

// ErrHelp is returned by ParseOptions for -h/--help.
var ErrHelp = errors.New("help requested")

type optSpec struct {
	arg   bool // takes a value
	apply func(o *Options, v string) error
}

func intIn(dst *int, lo, hi int) func(*Options, string) error {
	return func(_ *Options, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("want a number in %d..%d", lo, hi)
		}
		*dst = n
		return nil
	}
}

func optTable(o *Options) map[string]optSpec {
	flag := func(p *bool) optSpec {
		return optSpec{apply: func(*Options, string) error { *p = true; return nil }}
	}
	num := func(p *int, lo, hi int) optSpec { return optSpec{arg: true, apply: intIn(p, lo, hi)} }
	ignore := func(arg bool, why string) optSpec {
		return optSpec{arg: arg, apply: func(o *Options, _ string) error {
			o.Notices = append(o.Notices, why)
			return nil
		}}
	}
	return map[string]optSpec{
		"-i": flag(&o.Interactive), "--interactive": flag(&o.Interactive),
		"-a": flag(&o.AutoStart), "--auto-start": flag(&o.AutoStart),
		"--forward-mode": {arg: true, apply: func(o *Options, v string) error {
			if _, ok := LookupEngine(v); !ok {
				return fmt.Errorf("invalid %s packet forwarding mode (want %s)", v, strings.Join(EngineNames(), ", "))
			}
			o.ForwardMode = v
			return nil
		}},
		"--nb-cores":          num(&o.NbCores, 1, 127),
		"--rxq":               num(&o.RxQ, 1, 1024),
		"--txq":               num(&o.TxQ, 1, 1024),
		"--rxd":               num(&o.RxD, 1, 1<<15),
		"--txd":               num(&o.TxD, 1, 1<<15),
		"--burst":             num(&o.Burst, 1, MaxBurst),
		"--total-num-mbufs":   num(&o.TotalMbufs, 1025, 1<<26),
		"--mbuf-size":         num(&o.MbufSize, 256, 65535),
		"--mbcache":           num(&o.MbufCache, 0, 512),
		"--stats-period":      num(&o.StatsPeriod, 1, 1<<20),
		"--tx-first":          flag(&o.TxFirst),
		"--txonly-multi-flow": flag(&o.MultiFlow),
		"--no-flush-rx":       flag(&o.NoFlushRx),
		"--txpkts": {arg: true, apply: func(o *Options, v string) error {
			var segs []int
			for _, f := range strings.Split(v, ",") {
				n, err := strconv.Atoi(strings.TrimSpace(f))
				if err != nil || n <= 0 || n > 65535 {
					return fmt.Errorf("bad segment length %q", f)
				}
				segs = append(segs, n)
			}
			o.TxPkts = segs
			return nil
		}},
		"--eth-peer": {arg: true, apply: func(o *Options, v string) error {
			ps, ms, ok := strings.Cut(v, ",")
			if !ok {
				return fmt.Errorf("want PORT,XX:XX:XX:XX:XX:XX")
			}
			p, err := strconv.Atoi(ps)
			if err != nil || p < 0 || p > 1023 {
				return fmt.Errorf("bad port %q", ps)
			}
			mac, err := ParseMAC(ms)
			if err != nil {
				return err
			}
			if o.EthPeers == nil {
				o.EthPeers = make(map[int]MAC)
			}
			o.EthPeers[p] = mac
			return nil
		}},
		"--port-topology": {arg: true, apply: func(o *Options, v string) error {
			switch v {
			case "paired", "chained", "loop":
				o.PortTopology = v
				return nil
			}
			return fmt.Errorf("want paired, chained or loop")
		}},
		"--numa":               ignore(false, "--numa ignored: dpkit does no NUMA placement"),
		"--no-numa":            ignore(false, ""),
		"--socket-num":         ignore(true, "--socket-num ignored: dpkit does no NUMA placement"),
		"--port-numa-config":   ignore(true, "--port-numa-config ignored: dpkit does no NUMA placement"),
		"--ring-numa-config":   ignore(true, "--ring-numa-config ignored: dpkit does no NUMA placement"),
		"--record-core-cycles": ignore(false, "--record-core-cycles ignored: the forward statistics show Mpps instead"),
		"--record-burst-stats": ignore(false, "--record-burst-stats ignored"),
		"--max-pkt-len":        ignore(true, "--max-pkt-len ignored: ports keep their MTU"),
		"--disable-rss":        ignore(false, ""),
		"--rss-ip":             ignore(false, "--rss-ip ignored"),
		"--rss-udp":            ignore(false, "--rss-udp ignored"),
		"--no-lsc-interrupt":   ignore(false, ""),
		"--no-rmv-interrupt":   ignore(false, ""),
		"--mp-alloc":           ignore(true, "--mp-alloc ignored: one pool per run"),
		"--nb-ports":           ignore(true, "--nb-ports ignored: every --vdev port is used"),
		"--portmask":           ignore(true, "--portmask ignored: every --vdev port is used"),
	}
}

// ParseOptions parses testpmd's options (the arguments after "--").
// Values follow '=' or come as the next argument. An unknown option, a
// missing or bad value, or a stray argument is an error naming it, as
// DPDK's getopt-based parser reports it.
func ParseOptions(args []string) (Options, error) {
	o := DefaultOptions()
	table := optTable(&o)
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "-h" || a == "--help" {
			return Options{}, ErrHelp
		}
		name, val, hasVal := a, "", false
		if strings.HasPrefix(a, "--") {
			name, val, hasVal = strings.Cut(a, "=")
		} else if !strings.HasPrefix(a, "-") || len(a) < 2 {
			return Options{}, fmt.Errorf("testpmd: unexpected argument '%s'", a)
		}
		spec, ok := table[name]
		if !ok {
			return Options{}, fmt.Errorf("testpmd: unrecognized option '%s'", a)
		}
		if spec.arg && !hasVal {
			if i+1 >= len(args) {
				return Options{}, fmt.Errorf("testpmd: option '%s' requires an argument", name)
			}
			i++
			val = args[i]
		}
		if !spec.arg && hasVal {
			return Options{}, fmt.Errorf("testpmd: option '%s' doesn't allow an argument", name)
		}
		if err := spec.apply(&o, val); err != nil {
			return Options{}, fmt.Errorf("testpmd: %s=%s: %w", name, val, err)
		}
	}
	var notices []string
	for _, n := range o.Notices {
		if n != "" {
			notices = append(notices, n)
		}
	}
	o.Notices = notices
	return o, nil
}

// OptionsUsage lists testpmd's options.
func OptionsUsage() string {
	return `testpmd options (after "--"):
  -i, --interactive          run the command shell (prompt "testpmd> ")
  -a, --auto-start           start forwarding at once in interactive mode
  --forward-mode=MODE        ` + strings.Join(EngineNames(), ", ") + ` (default io)
  --nb-cores=N               forwarding lcores (default 1)
  --rxq=N, --txq=N           queues per port (default 1)
  --rxd=N, --txd=N           descriptors per queue (default: the driver's)
  --burst=N                  packets per burst, 1..512 (default 32)
  --txpkts=X[,Y]*            txonly segment lengths (default 64)
  --txonly-multi-flow        txonly varies the IPv4 source per packet
  --flowgen-flows=N          flows flowgen cycles through (default 1024)
  --tx-first                 send a burst of txonly packets before forwarding
  --eth-peer=N,MAC           destination MAC of port N (mac, csum, txonly)
  --total-num-mbufs=N        mbufs in the pool (default: computed)
  --mbuf-size=N              mbuf data room, headroom included (default 2176)
  --mbcache=N                per-lcore mbuf cache (default 250)
  --stats-period=SEC         non-interactive: print port stats every SEC seconds
  --port-topology=T          paired (default), chained or loop
  --no-flush-rx              do not drain rx queues before forwarding
  -h, --help                 this text`
}
