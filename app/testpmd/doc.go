// Package testpmd is dpkit's testpmd in library form: DPDK's port test
// application, with its command line, its shell and its output, so that a
// DPDK user's command lines and scripts carry over unchanged but for the
// binary name ("dpkit testpmd" for "dpdk-testpmd"). cmd/dpkit wires it.
//
//	dpkit testpmd -l 0-1 --no-huge -m 256 --vdev net_null0 --vdev net_null1 -- -i
//	testpmd> start
//	testpmd> show port stats all
//	testpmd> stop
//	testpmd> quit
//
// # Command line
//
// EAL options come first (eal.ParseArgs: -l, --lcores with the lcore@cpu
// form, --main-lcore, --vdev, --file-prefix, -m, --no-huge, --no-pci,
// --huge-dir, --log-level, ...; the ones meaningless to dpkit are accepted
// with a one-line notice), then "--" and testpmd's own (ParseOptions: -i,
// --auto-start, --forward-mode, --nb-cores, --rxq, --txq, --rxd, --txd,
// --burst, --txpkts, --total-num-mbufs, --mbuf-size, --stats-period,
// --tx-first, --txonly-multi-flow, --eth-peer, ...). An unknown option is an
// error naming it. With no arguments at all testpmd runs DefaultArgs, a demo
// on two net_null ports.
//
// # Layout
//
//	fwd.go         Stream (one rx queue -> tx queue path), Engine, the engine table
//	fwd_*.go       one forwarding engine each: io, mac, macswap, rxonly, txonly,
//	               flowgen, csum, icmpecho, 5tswap
//	pkt.go         the header offsets and checksums the engines need
//	fwdctl.go      streams over lcores, start/stop, forward statistics
//	ports.go       ports over ethdev: setup, queue-to-lcore binding, port info
//	stats.go       DPDK-shaped printers fed by plain structs
//	cmds*.go       the command table, one file per help section
//	lineedit.go    the shell's line reader: a pipe, or a terminal in raw mode
//	               with history and Tab completion
//	testpmd.go     Run: EAL, pool, ports, shell or non-interactive run, shutdown
//
// # Lcores, queues and memory
//
// The main lcore runs the shell; forwarding runs on the first --nb-cores
// worker lcores (eal.RemoteLaunch), each polling its streams in turn until
// "stop". Every queue is set up for the lcore that polls it (the driver
// allocates and frees through that lcore's mempool cache); a change of the
// stream layout (set nbcore) sets the queues up again at the next start.
// Forwarding allocates nothing: each engine iteration is one burst in and
// one out (0 allocations, asserted with testing.AllocsPerRun).
//
// At exit the ports are stopped and closed and the mbuf pool must be full
// again: a missing mbuf is a warning and exit status 1.
//
// # Output
//
// The statistics, "show config fwd", "start" and "stop" print DPDK
// 22.11's layout (compared with its real output in testdata); "stop" adds
// one line, the Mpps over the run. On a pipe, as DPDK does, the shell
// writes the prompt and each command it reads, so a transcript reads as a
// session.
package testpmd
