package testpmd

import (
	"io"
	"strconv"
)

// The "control" commands: start, stop, quit.

func init() {
	register(
		&command{words: []string{"start"}, section: "control", help: "Start packet forwarding with the current configuration.",
			run: func(a *App, w io.Writer, args []string) error {
				if err := argsIn(args, 0); err != nil {
					return err
				}
				return a.startFwd(w, 0)
			}},
		&command{words: []string{"start", "tx_first"}, args: "[n]", section: "control",
			help: "Send n bursts (default 1) of txonly packets on every stream, then start forwarding.",
			run: func(a *App, w io.Writer, args []string) error {
				n := 1
				if len(args) == 1 {
					v, err := strconv.Atoi(args[0])
					if err != nil || v < 1 {
						return errBadArgs
					}
					n = v
				} else if len(args) > 1 {
					return errBadArgs
				}
				return a.startFwd(w, n)
			}},
		&command{words: []string{"stop"}, section: "control", help: "Stop packet forwarding and display the forward statistics.",
			run: func(a *App, w io.Writer, args []string) error {
				if err := argsIn(args, 0); err != nil {
					return err
				}
				return a.stopFwd(w)
			}},
		&command{words: []string{"quit"}, section: "control", help: "Quit testpmd (stopping forwarding and the ports).",
			run: func(a *App, w io.Writer, args []string) error {
				a.quit = true
				return nil
			}},
	)
}
