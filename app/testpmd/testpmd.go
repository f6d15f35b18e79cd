package testpmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/mbuf"
)

// Exit statuses of Main.
const (
	ExitOK    = 0
	ExitError = 1 // a runtime error, or mbufs missing from the pool at exit
	ExitUsage = 2
)

// DefaultArgs is what "dpkit testpmd" runs with no arguments: two
// in-process net_null ports (no root, no hardware) forwarded to each other
// by the io engine on one lcore, with the port statistics (Rx-pps, Tx-pps)
// every second, until Ctrl-C.
var DefaultArgs = []string{"--no-huge", "-m", "512", "--vdev", "net_null0", "--vdev", "net_null1", "--",
	"--forward-mode=io", "--stats-period", "1"}

// App is one testpmd: its ports, its pool and its forwarding state.
type App struct {
	opts   Options
	out    io.Writer
	pool   *mbuf.Pool
	ports  []*port
	engine *Engine
	params FwdParams

	nbCores, burst int
	run            *fwdRun
	quit           bool
}

// RunConfig is what Run needs besides the arguments.
type RunConfig struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Signals delivers SIGINT/SIGTERM; nil subscribes to the process's.
	Signals <-chan os.Signal
}

// Main runs testpmd with DPDK's command line (EAL options, "--", testpmd
// options) and returns the exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return Run(args, RunConfig{Stdin: stdin, Stdout: stdout, Stderr: stderr})
}

// syncWriter serialises writes from the shell's reader and the main loop.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// Run is Main with the process's signals and streams made explicit.
func Run(args []string, rc RunConfig) int {
	out := &syncWriter{w: rc.Stdout}
	errw := rc.Stderr
	if len(args) == 0 {
		args = DefaultArgs
		fmt.Fprintf(out, "dpkit testpmd: no arguments, running the demo: dpkit testpmd %s\n", strings.Join(DefaultArgs, " "))
		fmt.Fprintln(out, "(two in-process net_null ports, io forwarding, stats every second; Ctrl-C stops and prints the totals)")
	}
	cfg, rest, err := eal.ParseArgs(args)
	if errors.Is(err, eal.ErrHelp) {
		fmt.Fprintf(out, "Usage: dpkit testpmd [EAL options] -- [testpmd options]\n\n%s\n\n%s\n", eal.Usage(), OptionsUsage())
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(errw, "dpkit testpmd: %v\n\nUsage: dpkit testpmd [EAL options] -- [testpmd options] (-h for the list)\n", err)
		return ExitUsage
	}
	opts, err := ParseOptions(rest)
	if errors.Is(err, ErrHelp) {
		fmt.Fprintf(out, "Usage: dpkit testpmd [EAL options] -- [testpmd options]\n\n%s\n", OptionsUsage())
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(errw, "dpkit %v\n\nUsage: dpkit testpmd [EAL options] -- [testpmd options] (-h for the list)\n", err)
		return ExitUsage
	}
	if len(cfg.Lcores) == 0 && len(cfg.LcoreMap) == 0 {
		// DPDK takes every CPU; testpmd needs a main lcore and a
		// forwarding one, which may share a CPU.
		if cpus := eal.AllowedCPUs(); len(cpus) == 1 {
			cfg.LcoreMap = []eal.LcoreMapping{{Lcore: 0, CPUs: cpus}, {Lcore: 1, CPUs: cpus}}
		}
	}
	if len(cfg.LogLevels) > 0 {
		fmt.Fprintf(out, "testpmd: --log-level %s ignored: dpkit logs its few notices unconditionally\n", strings.Join(cfg.LogLevels, ","))
	}
	for _, n := range opts.Notices {
		fmt.Fprintf(out, "testpmd: %s\n", n)
	}
	if len(cfg.Vdevs) == 0 {
		fmt.Fprintln(errw, "dpkit testpmd: no ports: give them with --vdev, e.g. --vdev net_null0 --vdev net_null1 (or net_ring0, net_pcap0,...)")
		return ExitUsage
	}
	eal.SetLogOutput(out)
	defer eal.SetLogOutput(os.Stderr)
	if err := eal.Init(cfg); err != nil {
		fmt.Fprintf(errw, "EAL: %v\n", err)
		return ExitError
	}
	defer eal.Cleanup()

	sigs := rc.Signals
	if sigs == nil {
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGINT, syscall.SIGTERM)
		defer signal.Stop(c)
		sigs = c
	}
	a := &App{opts: opts, out: out, params: DefaultFwdParams(), nbCores: opts.NbCores, burst: opts.Burst}
	a.engine, _ = LookupEngine(opts.ForwardMode)
	if opts.ForwardMode != "io" {
		fmt.Fprintf(out, "Set %s packet forwarding mode\n", opts.ForwardMode)
	}
	if opts.Interactive {
		fmt.Fprintln(out, "Interactive-mode selected")
	}
	code := ExitOK
	if err := a.init(cfg.Vdevs); err != nil {
		fmt.Fprintf(errw, "testpmd: %v\n", err)
		code = ExitError
	} else {
		code = a.main(rc.Stdin, sigs)
	}
	if c := a.shutdown(); c != ExitOK {
		code = c
	}
	return code
}

// init creates the pool, opens, configures and starts the ports.
func (a *App) init(vdevs []string) error {
	o := &a.opts
	if err := checkTxPkts(o.TxPkts, o.MbufSize-mbuf.Headroom); err != nil {
		return fmt.Errorf("--txpkts: %w", err)
	}
	n := o.TotalMbufs
	if n == 0 {
		rxd, txd := max(o.RxD, 1024), max(o.TxD, 1024)
		n = len(vdevs)*(o.RxQ*rxd+o.TxQ*txd) + eal.LcoreCount()*(o.MbufCache+MaxBurst)
		n = max(n, 8192)
	}
	fmt.Fprintf(a.out, "testpmd: create a new mbuf pool <mb_pool_0>: n=%d, size=%d, socket=0\n", n, o.MbufSize)
	// Shared (memfd-backed), as DPDK's memory is to its memif PMD: a
	// zero-copy memif client announces the pool to its peer.
	pool, err := mbuf.NewPool(mbuf.PoolConfig{Name: "mb_pool_0", N: n, CacheSize: o.MbufCache, DataRoomSize: o.MbufSize, Shared: true})
	if err != nil {
		return fmt.Errorf("creating the mbuf pool: %w", err)
	}
	a.pool = pool
	for i, v := range vdevs {
		p, err := ethdev.Open(v)
		if err != nil {
			return fmt.Errorf("--vdev %s: %w", v, err)
		}
		pt := &port{p: p, id: i, peer: MAC{2, 0, 0, 0, 0, byte(i)}}
		if m, ok := o.EthPeers[i]; ok {
			pt.peer = m
		}
		a.ports = append(a.ports, pt)
	}
	for k := range o.EthPeers {
		if k >= len(a.ports) {
			return fmt.Errorf("--eth-peer: no port %d", k)
		}
	}
	if o.PortTopology == "paired" && len(a.ports)%2 == 1 {
		fmt.Fprint(a.out, "\nWarning! port-topology=paired and odd forward ports number, the last port will pair with itself.\n\n")
	}
	for _, pt := range a.ports {
		fmt.Fprintf(a.out, "Configuring Port %d (socket 0)\n", pt.id)
		if err := a.startPort(pt, a.out); err != nil {
			return fmt.Errorf("port %d: %w", pt.id, err)
		}
	}
	fmt.Fprintln(a.out, "Checking link statuses...")
	fmt.Fprintln(a.out, "Done")
	return nil
}

type lineResult struct {
	line string
	err  error
}

// main runs the shell (interactive) or forwards until a signal or Enter.
func (a *App) main(stdin io.Reader, sigs <-chan os.Signal) int {
	var rd LineReader
	if f, ok := isTerminal(stdin); ok && a.opts.Interactive {
		if restore, ok := rawTerminal(f); ok {
			defer restore()
			rd = newLineEditor(f, a.out, a.completions)
		}
	}
	if rd == nil && stdin != nil {
		rd = newPipeReader(stdin, a.out)
	}
	lines := make(chan lineResult)
	next := make(chan string, 1)
	if rd != nil {
		go func() {
			for prompt := range next {
				l, err := rd.ReadLine(prompt)
				lines <- lineResult{l, err}
				if err != nil && err != errInterrupt {
					return
				}
			}
		}()
	}
	defer close(next)
	var tick <-chan time.Time
	if a.opts.Interactive {
		if a.opts.AutoStart {
			if err := a.startFwd(a.out, boolInt(a.opts.TxFirst)); err != nil {
				fmt.Fprintln(a.out, err)
			}
		}
		next <- "testpmd> "
	} else {
		fmt.Fprintln(a.out, "No commandline core given, start packet forwarding")
		if err := a.startFwd(a.out, boolInt(a.opts.TxFirst)); err != nil {
			fmt.Fprintf(a.out, "testpmd: %v\n", err)
			return ExitError
		}
		if a.opts.StatsPeriod > 0 {
			t := time.NewTicker(time.Duration(a.opts.StatsPeriod) * time.Second)
			defer t.Stop()
			tick = t.C
		} else {
			fmt.Fprintln(a.out, "Press enter to exit")
		}
		// With --stats-period, DPDK's testpmd runs until a signal and
		// does not read its input; without, Enter ends the run.
		if rd != nil && a.opts.StatsPeriod == 0 {
			next <- ""
		}
	}
	for !a.quit {
		select {
		case s := <-sigs:
			n := 0
			if ss, ok := s.(syscall.Signal); ok {
				n = int(ss)
			}
			fmt.Fprintf(a.out, "\nSignal %d received, preparing to exit...\n", n)
			return ExitOK
		case <-tick:
			a.printPeriodicStats()
		case lr := <-lines:
			if !a.opts.Interactive {
				return ExitOK // Enter (or the end of the input) ends the run
			}
			if lr.err == errInterrupt {
				next <- "testpmd> "
				continue
			}
			if lr.err != nil {
				return ExitOK
			}
			a.exec(a.out, lr.line)
			if !a.quit {
				next <- "testpmd> "
			}
		}
	}
	return ExitOK
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// printPeriodicStats is --stats-period's screen: clear, then every port.
func (a *App) printPeriodicStats() {
	now := time.Now()
	ids := make([]int, len(a.ports))
	stats := make([]PortStats, len(a.ports))
	rates := make([]Throughput, len(a.ports))
	for i, pt := range a.ports {
		ids[i] = pt.id
		stats[i] = toPortStats(pt.p.Stats())
		rates[i] = pt.rate.sample(stats[i], now)
	}
	printStatsScreen(a.out, ids, stats, rates)
}

// printStatsScreen writes one --stats-period screen: clear the terminal,
// the title, every port's statistics as DPDK lays them out, then (dpkit's
// addition) the sum of the rates in Mpps.
func printStatsScreen(w io.Writer, ids []int, stats []PortStats, rates []Throughput) {
	fmt.Fprint(w, "\x1b[2J\x1b[1;1H")
	fmt.Fprint(w, "\nPort statistics ====================================")
	var rx, tx uint64
	for i := range stats {
		printNICStats(w, ids[i], stats[i], rates[i])
		rx += rates[i].RxPPS
		tx += rates[i].TxPPS
	}
	fmt.Fprintf(w, "\n  All ports: Rx-Mpps: %.3f          Tx-Mpps: %.3f\n", float64(rx)/1e6, float64(tx)/1e6)
}

// shutdown stops forwarding and the ports, closes them, and checks that
// every mbuf came back to the pool. It returns ExitError on a leak.
func (a *App) shutdown() int {
	code := ExitOK
	if a.run != nil {
		if err := a.stopFwd(a.out); err != nil {
			fmt.Fprintf(a.out, "testpmd: %v\n", err)
			code = ExitError
		}
	}
	if len(a.ports) > 0 {
		fmt.Fprintln(a.out)
	}
	for _, pt := range a.ports {
		if pt.started() {
			fmt.Fprintf(a.out, "Stopping port %d...\nStopping ports...\n", pt.id)
			if err := pt.p.Stop(); err != nil {
				fmt.Fprintf(a.out, "testpmd: port %d: %v\n", pt.id, err)
				code = ExitError
			}
			fmt.Fprintf(a.out, "Done\n\n")
		}
	}
	for _, pt := range a.ports {
		fmt.Fprintf(a.out, "Shutting down port %d...\nClosing ports...\n", pt.id)
		if err := pt.p.Close(); err != nil {
			fmt.Fprintf(a.out, "testpmd: port %d: %v\n", pt.id, err)
			code = ExitError
		} else {
			fmt.Fprintf(a.out, "Port %d is closed\n", pt.id)
		}
		fmt.Fprintf(a.out, "Done\n\n")
	}
	a.ports = nil
	if a.pool != nil {
		if n := a.pool.InUse(); n != 0 {
			fmt.Fprintf(a.out, "Warning: %d of the %d mbufs of pool %s were not returned (leaked)\n", n, a.pool.Size(), a.pool.Name())
			code = ExitError
		} else if err := a.pool.Close(); err != nil {
			fmt.Fprintf(a.out, "testpmd: %v\n", err)
			code = ExitError
		}
	}
	fmt.Fprintln(a.out, "Bye...")
	return code
}
