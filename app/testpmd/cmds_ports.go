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
				return a.portOp(w, args, func(pt *port) error { return a.startPort(pt, w) }, "")
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
			help: "Close a port or all ports (stopped first); a closed port cannot be used again.",
			run: func(a *App, w io.Writer, args []string) error {
				ps, err := a.selectPortsArgs(args)
				if err != nil {
					return err
				}
				if a.run != nil {
					return errStopFirst
				}
				fmt.Fprintln(w, "Closing ports...")
				for _, pt := range ps {
					if pt.started() {
						if err := pt.p.Stop(); err != nil {
							return err
						}
					}
					if err := pt.p.Close(); err != nil {
						return err
					}
					fmt.Fprintf(w, "Port %d is closed\n", pt.id)
				}
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
				a.ports = keep
				for i, pt := range a.ports {
					pt.id = i
				}
				fmt.Fprintln(w, "Done")
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
