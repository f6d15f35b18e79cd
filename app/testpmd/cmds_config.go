package testpmd

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/mbuf"
)

// The "config" commands: set fwd, set nbcore, set burst, set txpkts,
// set eth-peer, set promisc, set allmulti, csum set/show.

func init() {
	onOff := func(a *App) [][]string { return [][]string{a.portIDs(), {"on", "off"}} }
	register(
		&command{words: []string{"set", "fwd"}, args: "(" + strings.Join(EngineNames(), "|") + ")", section: "config",
			argWords: func(*App) [][]string { return [][]string{EngineNames()} },
			help:     "Set the packet forwarding mode.",
			run: func(a *App, w io.Writer, args []string) error {
				if len(args) != 1 {
					return errBadArgs
				}
				e, ok := LookupEngine(args[0])
				if !ok {
					return errBadArgs
				}
				if a.run != nil {
					return errStopFirst
				}
				a.engine = e
				fmt.Fprintf(w, "Set %s packet forwarding mode\n", e.Name)
				return nil
			}},
		&command{words: []string{"set", "nbcore"}, args: "<num>", section: "config",
			help: "Set the number of forwarding lcores.",
			run: func(a *App, w io.Writer, args []string) error {
				n, err := intArg(args, 1, 127)
				if err != nil {
					return err
				}
				if a.run != nil {
					return errStopFirst
				}
				if avail := len(eal.WorkerLcores()); n > avail {
					return messagef("Number of forwarding cores should be <= %d", avail)
				}
				a.nbCores = n
				fmt.Fprintf(w, "Number of forwarding cores set to %d\n", n)
				return nil
			}},
		&command{words: []string{"set", "burst"}, args: "<num>", section: "config",
			help: "Set the number of packets per burst (1..512).",
			run: func(a *App, w io.Writer, args []string) error {
				n, err := intArg(args, 1, MaxBurst)
				if err != nil {
					return err
				}
				if a.run != nil {
					return errStopFirst
				}
				a.burst = n
				fmt.Fprintf(w, "Number of packets per burst set to %d\n", n)
				return nil
			}},
		&command{words: []string{"set", "txpkts"}, args: "<len0[,len1]*>", section: "config",
			help: "Set the segment lengths of txonly packets.",
			run: func(a *App, w io.Writer, args []string) error {
				if len(args) != 1 {
					return errBadArgs
				}
				var segs []int
				for _, f := range strings.Split(args[0], ",") {
					n, err := strconv.Atoi(f)
					if err != nil {
						return errBadArgs
					}
					segs = append(segs, n)
				}
				if err := checkTxPkts(segs, a.opts.MbufSize-mbuf.Headroom); err != nil {
					return err
				}
				if a.run != nil {
					return errStopFirst
				}
				a.opts.TxPkts = segs
				return nil
			}},
		&command{words: []string{"set", "eth-peer"}, args: "<port_id> <peer_addr>", section: "config",
			help: "Set the destination MAC address of a port (mac, csum and txonly engines).",
			run: func(a *App, w io.Writer, args []string) error {
				if len(args) != 2 {
					return errBadArgs
				}
				ps, err := a.selectPorts(args[0])
				if err != nil || len(ps) != 1 {
					return errBadArgs
				}
				m, err := ParseMAC(args[1])
				if err != nil {
					return errBadArgs
				}
				if a.run != nil {
					return errStopFirst
				}
				ps[0].peer = m
				return nil
			}},
		&command{words: []string{"set", "promisc"}, args: "all|<port_id> on|off", section: "config", argWords: onOff,
			help: "Set promiscuous mode on or off.",
			run: func(a *App, w io.Writer, args []string) error {
				return a.setMode(w, args, "promiscuous", func(pt *port, on bool) error { return pt.p.SetPromisc(on) })
			}},
		&command{words: []string{"set", "allmulti"}, args: "all|<port_id> on|off", section: "config", argWords: onOff,
			help: "Set all-multicast mode on or off.",
			run: func(a *App, w io.Writer, args []string) error {
				return a.setMode(w, args, "allmulticast", func(pt *port, on bool) error { return pt.p.SetAllMulticast(on) })
			}},
		&command{words: []string{"csum", "set"}, args: "ip|udp|tcp hw|sw <port_id>", section: "config",
			argWords: func(a *App) [][]string { return [][]string{{"ip", "udp", "tcp"}, {"hw", "sw"}, a.portIDs()[1:]} },
			help:     "Choose where the csum engine computes a checksum: in the tx port (hw) or in software.",
			run: func(a *App, w io.Writer, args []string) error {
				if len(args) != 3 {
					return errBadArgs
				}
				var k CsumOffload
				switch args[0] {
				case "ip":
					k = CsumIP
				case "udp":
					k = CsumUDP
				case "tcp":
					k = CsumTCP
				default:
					return errBadArgs
				}
				ps, err := a.selectPorts(args[2])
				if err != nil || len(ps) != 1 {
					return errBadArgs
				}
				// As DPDK: the port's tx offloads change, so it must be
				// stopped; the next start configures it again.
				if ps[0].started() {
					fmt.Fprintf(w, "Please stop port %d first\n", ps[0].id)
					return nil
				}
				old := ps[0].csum
				switch args[1] {
				case "hw":
					ps[0].csum |= k
				case "sw":
					ps[0].csum &^= k
				default:
					return errBadArgs
				}
				if ps[0].csum != old {
					ps[0].dirty = true
				}
				printCsum(w, ps[0])
				return nil
			}},
		&command{words: []string{"csum", "show"}, args: "<port_id>", section: "config",
			help: "Show where the csum engine computes each checksum.",
			run: func(a *App, w io.Writer, args []string) error {
				ps, err := a.selectPorts(strings.Join(args, " "))
				if err != nil || len(ps) != 1 {
					return errBadArgs
				}
				printCsum(w, ps[0])
				return nil
			}},
	)
}

func printCsum(w io.Writer, pt *port) {
	hs := func(k CsumOffload) string {
		if pt.csum&k != 0 {
			return "hw"
		}
		return "sw"
	}
	fmt.Fprintf(w, "Parse tunnel is off\n")
	fmt.Fprintf(w, "IP checksum offload is %s\n", hs(CsumIP))
	fmt.Fprintf(w, "UDP checksum offload is %s\n", hs(CsumUDP))
	fmt.Fprintf(w, "TCP checksum offload is %s\n", hs(CsumTCP))
}

func intArg(args []string, lo, hi int) (int, error) {
	if len(args) != 1 {
		return 0, errBadArgs
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < lo || n > hi {
		return 0, errBadArgs
	}
	return n, nil
}

func (a *App) setMode(w io.Writer, args []string, what string, set func(*port, bool) error) error {
	if len(args) != 2 || (args[1] != "on" && args[1] != "off") {
		return errBadArgs
	}
	ps, err := a.selectPorts(args[0])
	if err != nil {
		return err
	}
	on := args[1] == "on"
	for _, pt := range ps {
		if err := set(pt, on); err != nil {
			verb := "enabling"
			if !on {
				verb = "disabling"
			}
			fmt.Fprintf(w, "Error during %s %s mode for port %d: %v\n", verb, what, pt.id, err)
		}
	}
	return nil
}
