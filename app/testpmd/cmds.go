package testpmd

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// command is one shell command: fixed words, then arguments.
type command struct {
	words   []string // "show port stats"
	args    string   // argument synopsis for help, "all|<port_id>"
	help    string
	section string // control, display, config, ports
	// argWords are the words the arguments may be, for completion.
	argWords func(a *App) [][]string
	run      func(a *App, w io.Writer, args []string) error
}

// errBadArgs makes the shell print DPDK's "Bad arguments".
var errBadArgs error = message("Bad arguments")

// errStopFirst refuses a change while forwarding runs.
var errStopFirst error = message("Please stop forwarding first")

// message is what a command prints when it refuses: DPDK's words, as
// scripts may look for them.
type message string

func (m message) Error() string { return string(m) }

func messagef(format string, args ...any) error { return message(fmt.Sprintf(format, args...)) }

var commands []*command // filled by the cmds_*.go files' init

func register(cs ...*command) { commands = append(commands, cs...) }

var sections = []struct{ name, help string }{
	{"control", "Start and stop forwarding."},
	{"display", "Displaying port, stats and config information."},
	{"config", "Configuration information."},
	{"ports", "Configuring ports."},
}

// lookup finds the command whose words start the line (the longest).
func lookup(tokens []string) (*command, []string) {
	var best *command
	for _, c := range commands {
		if len(c.words) > len(tokens) || (best != nil && len(c.words) <= len(best.words)) {
			continue
		}
		ok := true
		for i, w := range c.words {
			if tokens[i] != w {
				ok = false
				break
			}
		}
		if ok {
			best = c
		}
	}
	if best == nil {
		return nil, nil
	}
	return best, tokens[len(best.words):]
}

// exec runs one command line, writing what it prints to w.
func (a *App) exec(w io.Writer, line string) {
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	tokens := strings.Fields(line)
	if len(tokens) == 0 {
		return
	}
	c, args := lookup(tokens)
	if c == nil {
		fmt.Fprintln(w, "Command not found")
		return
	}
	if err := c.run(a, w, args); err != nil {
		if errors.Is(err, errBadArgs) {
			fmt.Fprintln(w, "Bad arguments")
		} else {
			fmt.Fprintln(w, err)
		}
	}
}

// completions returns the words that may follow the start of line
// (for Tab): command words, then argument words.
func (a *App) completions(line string) []string {
	tokens := strings.Fields(line)
	word := ""
	if len(line) > 0 && line[len(line)-1] != ' ' && len(tokens) > 0 {
		word = tokens[len(tokens)-1]
		tokens = tokens[:len(tokens)-1]
	}
	set := map[string]bool{}
	for _, c := range commands {
		n := len(tokens)
		match := true
		for i := 0; i < min(n, len(c.words)); i++ {
			if c.words[i] != tokens[i] {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		if n < len(c.words) {
			set[c.words[n]] = true
			continue
		}
		if c.argWords != nil {
			if alts := c.argWords(a); n-len(c.words) < len(alts) {
				for _, w := range alts[n-len(c.words)] {
					set[w] = true
				}
			}
		}
	}
	var out []string
	for w := range set {
		if strings.HasPrefix(w, word) {
			out = append(out, w)
		}
	}
	sort.Strings(out)
	return out
}

// portIDs lists "all" and the port ids, for completion.
func (a *App) portIDs() []string {
	out := []string{"all"}
	for _, pt := range a.ports {
		out = append(out, strconv.Itoa(pt.id))
	}
	return out
}

// selectPorts parses "all" or a port id.
func (a *App) selectPorts(arg string) ([]*port, error) {
	if arg == "all" {
		return a.ports, nil
	}
	n, err := strconv.Atoi(arg)
	if err != nil || n < 0 {
		return nil, errBadArgs
	}
	for _, pt := range a.ports {
		if pt.id == n {
			return []*port{pt}, nil
		}
	}
	return nil, messagef("Invalid port %d", n)
}

func argsIn(args []string, n int) error {
	if len(args) != n {
		return errBadArgs
	}
	return nil
}

// help is the "help" command.
func cmdHelp(a *App, w io.Writer, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(w, "\nHelp is available for the following sections:\n\n")
		for _, s := range sections {
			fmt.Fprintf(w, "    help %-27s: %s\n", s.name, s.help)
		}
		fmt.Fprintf(w, "    help %-27s: %s\n\n", "all", "All of the above sections.")
		return nil
	}
	if len(args) != 1 {
		return errBadArgs
	}
	found := false
	for _, s := range sections {
		if args[0] != s.name && args[0] != "all" {
			continue
		}
		found = true
		fmt.Fprintf(w, "\n%s:\n%s\n", strings.ToUpper(s.name[:1])+s.name[1:], strings.Repeat("-", len(s.name)+1))
		for _, c := range commands {
			if c.section != s.name {
				continue
			}
			syn := strings.Join(c.words, " ")
			if c.args != "" {
				syn += " " + c.args
			}
			fmt.Fprintf(w, "%s\n    %s\n\n", syn, c.help)
		}
	}
	if !found {
		return errBadArgs
	}
	return nil
}

func init() {
	register(&command{words: []string{"help"}, args: "[control|display|config|ports|all]", help: "Show the commands of a section.",
		section: "", run: cmdHelp,
		argWords: func(*App) [][]string { return [][]string{{"control", "display", "config", "ports", "all"}} }})
}
