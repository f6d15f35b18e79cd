package lpm

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
)

// Route is one line of a route file.
type Route struct {
	Prefix  netip.Prefix // masked: no bits set beyond its length
	NextHop uint32
}

// SyntaxError is a malformed line of a route or address file.
type SyntaxError struct {
	Line, Col int // 1-based; Col is the byte column where the problem starts
	Msg       string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Col, e.Msg)
}

// ErrSyntax is wrapped by every *SyntaxError (errors.Is(err, ErrSyntax)).
var ErrSyntax = errors.New("lpm: syntax error")

func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// fields splits line at blanks and returns each field with its 1-based
// column, at most max+1 of them.
func fields(line []byte, max int) (f [][]byte, col []int) {
	i := 0
	for i < len(line) && len(f) <= max {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r') {
			i++
		}
		if i == len(line) {
			break
		}
		start := i
		for i < len(line) && line[i] != ' ' && line[i] != '\t' && line[i] != '\r' {
			i++
		}
		f = append(f, line[start:i])
		col = append(col, start+1)
	}
	return f, col
}

// scanLines calls fn for each line of r that is not blank or a '#' comment.
func scanLines(r io.Reader, fn func(n int, line []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 4096)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Bytes()
		f, _ := fields(line, 0)
		if len(f) == 0 || f[0][0] == '#' {
			continue
		}
		if err := fn(n, line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &SyntaxError{Line: n + 1, Col: 1, Msg: "line longer than 4096 bytes"}
		}
		return err
	}
	return nil
}

// ParseRoute parses one "prefix next-hop" line (the format dpdk-test-fib
// reads with -f and writes with -w, e.g. "10.0.0.0/8 7"); line numbers the
// error.
func ParseRoute(text []byte, line int) (Route, error) {
	f, col := fields(text, 2)
	switch {
	case len(f) == 0:
		return Route{}, &SyntaxError{line, 1, "empty line, want \"prefix next-hop\""}
	case len(f) == 1:
		return Route{}, &SyntaxError{line, col[0] + len(f[0]), "missing next hop after the prefix"}
	case len(f) > 2:
		return Route{}, &SyntaxError{line, col[2], fmt.Sprintf("unexpected %q after the next hop", f[2])}
	}
	p, err := netip.ParsePrefix(string(f[0]))
	if err != nil {
		return Route{}, &SyntaxError{line, col[0], fmt.Sprintf("bad prefix %q: %v", f[0], err)}
	}
	if p.Addr().Zone() != "" || p.Addr().Is4In6() {
		return Route{}, &SyntaxError{line, col[0], fmt.Sprintf("bad prefix %q: want a plain IPv4 or IPv6 prefix", f[0])}
	}
	nh, err := strconv.ParseUint(string(f[1]), 10, 32)
	if err != nil {
		return Route{}, &SyntaxError{line, col[1], fmt.Sprintf("bad next hop %q: want a decimal number below 2^32", f[1])}
	}
	return Route{Prefix: p.Masked(), NextHop: uint32(nh)}, nil
}

// ReadRoutes parses a route file: one "prefix next-hop" per line; blank
// lines and lines starting with '#' are skipped. A malformed line is a
// *SyntaxError naming its line and column.
func ReadRoutes(r io.Reader) ([]Route, error) {
	var out []Route
	err := scanLines(r, func(n int, line []byte) error {
		rt, err := ParseRoute(line, n)
		if err != nil {
			return err
		}
		out = append(out, rt)
		return nil
	})
	return out, err
}

// ReadAddrs parses an address file (dpdk-test-fib -t / -u): one address per
// line.
func ReadAddrs(r io.Reader) ([]netip.Addr, error) {
	var out []netip.Addr
	err := scanLines(r, func(n int, line []byte) error {
		f, col := fields(line, 1)
		if len(f) > 1 {
			return &SyntaxError{n, col[1], fmt.Sprintf("unexpected %q after the address", f[1])}
		}
		a, err := netip.ParseAddr(string(f[0]))
		if err != nil || a.Zone() != "" {
			return &SyntaxError{n, col[0], fmt.Sprintf("bad address %q", f[0])}
		}
		out = append(out, a)
		return nil
	})
	return out, err
}

// LoadRoutes adds routes to t; the error names the first route that could
// not be added (by its index, 0-based) and wraps the cause.
func (t *Table) LoadRoutes(routes []Route) error {
	for i, r := range routes {
		if err := t.Add(r.Prefix, r.NextHop); err != nil {
			return fmt.Errorf("route %d (%v): %w", i, r.Prefix, err)
		}
	}
	return nil
}

// LoadRoutes adds routes to t, as Table.LoadRoutes.
func (t *Table6) LoadRoutes(routes []Route) error {
	for i, r := range routes {
		if err := t.Add(r.Prefix, r.NextHop); err != nil {
			return fmt.Errorf("route %d (%v): %w", i, r.Prefix, err)
		}
	}
	return nil
}
