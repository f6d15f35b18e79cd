package testpmd

import (
	"fmt"
	"io"
	"time"
)

// The "display" commands: show port info/stats/xstats, show fwd stats,
// show config fwd, clear port stats, clear fwd stats.

func init() {
	ports := func(a *App) [][]string { return [][]string{a.portIDs()} }
	all := func(*App) [][]string { return [][]string{{"all"}} }
	register(
		&command{words: []string{"show", "port", "info"}, args: "all|<port_id>", section: "display", argWords: ports,
			help: "Display information for a port or all ports.",
			run: func(a *App, w io.Writer, args []string) error {
				return a.eachPort(args, func(pt *port) { printPortInfo(w, pt) })
			}},
		&command{words: []string{"show", "port", "stats"}, args: "all|<port_id>", section: "display", argWords: ports,
			help: "Display the statistics of a port or all ports (with the throughput since the last show).",
			run: func(a *App, w io.Writer, args []string) error {
				now := time.Now()
				return a.eachPort(args, func(pt *port) {
					s := toPortStats(pt.p.Stats())
					printNICStats(w, pt.id, s, pt.rate.sample(s, now))
				})
			}},
		&command{words: []string{"show", "port", "xstats"}, args: "all|<port_id>", section: "display", argWords: ports,
			help: "Display the extended statistics of a port or all ports.",
			run: func(a *App, w io.Writer, args []string) error {
				return a.eachPort(args, func(pt *port) {
					var xs []XStat
					for _, x := range pt.p.XStats() {
						xs = append(xs, XStat{x.Name, x.Value})
					}
					printXStats(w, pt.id, xs)
				})
			}},
		&command{words: []string{"clear", "port", "stats"}, args: "all|<port_id>", section: "display", argWords: ports,
			help: "Clear the statistics of a port or all ports.",
			run: func(a *App, w io.Writer, args []string) error {
				return a.eachPort(args, func(pt *port) {
					pt.p.ResetStats()
					pt.base = pt.p.Stats()
					pt.rate = rateMeter{}
					fmt.Fprintf(w, "\n  NIC statistics for port %d cleared\n", pt.id)
				})
			}},
		&command{words: []string{"clear", "port", "xstats"}, args: "all|<port_id>", section: "display", argWords: ports,
			help: "Clear the extended statistics of a port or all ports.",
			run: func(a *App, w io.Writer, args []string) error {
				return a.eachPort(args, func(pt *port) {
					pt.p.ResetXStats()
					pt.base = pt.p.Stats()
					pt.rate = rateMeter{}
				})
			}},
		&command{words: []string{"show", "fwd", "stats"}, args: "all", section: "display", argWords: all,
			help: "Display the forward statistics since forwarding started (or they were cleared).",
			run: func(a *App, w io.Writer, args []string) error {
				if len(args) != 1 || args[0] != "all" {
					return errBadArgs
				}
				var el time.Duration
				if a.run != nil {
					el = time.Since(a.run.started)
				}
				a.printFwdStats(w, el)
				return nil
			}},
		&command{words: []string{"clear", "fwd", "stats"}, args: "all", section: "display", argWords: all,
			help: "Restart the forward statistics from now.",
			run: func(a *App, w io.Writer, args []string) error {
				if len(args) != 1 || args[0] != "all" {
					return errBadArgs
				}
				a.clearFwdStats()
				return nil
			}},
		&command{words: []string{"show", "config"}, args: "fwd|rxtx|cores", section: "display",
			argWords: func(*App) [][]string { return [][]string{{"fwd", "rxtx", "cores"}} },
			help:     "Display the forwarding configuration: streams, queues or lcores.",
			run: func(a *App, w io.Writer, args []string) error {
				if len(args) != 1 {
					return errBadArgs
				}
				switch args[0] {
				case "fwd":
					streams, err := a.buildStreams()
					if err != nil {
						return err
					}
					a.printFwdConfig(w, streams, false)
				case "rxtx":
					a.printRxTxConfig(w, len(a.fwdLcores()))
				case "cores":
					fmt.Fprint(w, "List of forwarding lcores:")
					for _, l := range a.fwdLcores() {
						fmt.Fprintf(w, " %2d", l)
					}
					fmt.Fprintln(w)
				default:
					return errBadArgs
				}
				return nil
			}},
		&command{words: []string{"show", "port", "summary"}, args: "all", section: "display", argWords: all,
			help: "Display one line per port: address, name, driver, link.",
			run: func(a *App, w io.Writer, args []string) error {
				if len(args) != 1 || args[0] != "all" {
					return errBadArgs
				}
				printPortSummary(w, a.ports)
				return nil
			}},
	)
}

// eachPort runs fn on the ports "all|<port_id>" names.
func (a *App) eachPort(args []string, fn func(*port)) error {
	if len(args) != 1 {
		return errBadArgs
	}
	ps, err := a.selectPorts(args[0])
	if err != nil {
		return err
	}
	for _, pt := range ps {
		fn(pt)
	}
	return nil
}
