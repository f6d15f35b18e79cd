package testpmd

import (
	"fmt"
	"io"
)

// The "ports" commands: port start, port stop, port close.

func init() {
	ports := func(a *App) [][]string { return [][]string{a.portIDs()} }
	register(
		&command{words: []string{"port", "start"}, args: "all|<port_id>", section: "ports", argWords: ports,
			help: "Start a port or all ports (setting them up again if needed).",
			run: func(a *App, w io.Writer, args []string) error {
				return a.portOp(w, args, func(pt *port) error {
					if pt.dirty {
						fmt.Fprintf(w, "Configuring Port %d (socket 0)\n", pt.id)
					}
					return a.startPort(pt, w)
				}, "")
			}},
		&command{words: []string{"port", "stop"}, args: "all|<port_id>", section: "ports", argWords: ports,
			help: "Stop a port or all ports.",
			run: func(a *App, w io.Writer, args []string) error {
				return a.portOp(w, args, func(pt *port) error {
					if !pt.started() {
						return nil
					}
					return pt.p.Stop()
				}, "Stopping ports...")
			}},
		&command{words: []string{"port", "close"}, args: "all|<port_id>", section: "ports", argWords: ports,
			help: "Close a stopped port or all stopped ports; a closed port cannot be used again.",
			run: func(a *App, w io.Writer, args []string) error {
				ps, err := a.selectPortsArgs(args)
				if err != nil {
					return err
				}
				if a.run != nil {
					return errStopFirst
				}
				fmt.Fprintln(w, "Closing ports...")
				var closed []*port
				for _, pt := range ps {
					if pt.started() {
						fmt.Fprintf(w, "Cannot close started device (port %d)\n", pt.id)
						continue
					}
					if err := pt.p.Close(); err != nil {
						return err
					}
					closed = append(closed, pt)
					fmt.Fprintf(w, "Port %d is closed\n", pt.id)
				}
				ps = closed
				var keep []*port
				for _, pt := range a.ports {
					closed := false
					for _, c := range ps {
						closed = closed || c == pt
					}
					if !closed {
						keep = append(keep, pt)
					}
				}
				a.ports = keep // the others keep their ids, as in DPDK
				fmt.Fprintln(w, "Done")
				return nil
			}},
		&command{words: []string{"port", "config", "all"}, args: "rxq|txq|rxd|txd|burst <value>", section: "ports",
			argWords: func(*App) [][]string { return [][]string{{"rxq", "txq", "rxd", "txd", "burst"}} },
			help:     "Set the queue or descriptor count of every port (stopped), or the burst size.",
			run: func(a *App, w io.Writer, args []string) error {
				if len(args) != 2 {
					return errBadArgs
				}
				v, err := intArg(args[1:], 1, 1<<15)
				if err != nil {
					return err
				}
				if args[0] == "burst" {
					if v > MaxBurst {
						return errBadArgs
					}
					if a.run != nil {
						return errStopFirst
					}
					a.burst = v
					return nil
				}
				for _, pt := range a.ports {
					if pt.started() {
						return message("Please stop all ports first")
					}
				}
				switch args[0] {
				case "rxq":
					a.opts.RxQ = v
				case "txq":
					a.opts.TxQ = v
				case "rxd":
					a.opts.RxD = v
				case "txd":
					a.opts.TxD = v
				default:
					return errBadArgs
				}
				for _, pt := range a.ports {
					pt.dirty = true
				}
				return nil
			}},
	)
}

func (a *App) selectPortsArgs(args []string) ([]*port, error) {
	if len(args) != 1 {
		return nil, errBadArgs
	}
	return a.selectPorts(args[0])
}

// portOp runs op on the ports the args name, with DPDK's messages.
func (a *App) portOp(w io.Writer, args []string, op func(*port) error, banner string) error {
	ps, err := a.selectPortsArgs(args)
	if err != nil {
		return err
	}
	if a.run != nil {
		return errStopFirst
	}
	if banner != "" {
		fmt.Fprintln(w, banner)
	}
	for _, pt := range ps {
		if err := op(pt); err != nil {
			return fmt.Errorf("port %d: %w", pt.id, err)
		}
	}
	fmt.Fprintln(w, "Checking link statuses...")
	fmt.Fprintln(w, "Done")
	return nil
}
