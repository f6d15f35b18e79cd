package acl

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
)

// Format is a key layout and rule-file dialect of dpdk-test-acl.
type Format int

// Formats.
const (
	// FormatIPv4 is dpdk-test-acl's default: a 16-byte key
	//
	//	offset 0  proto     1 byte   FieldBitmask
	//	offset 4  src addr  4 bytes  FieldPrefix
	//	offset 8  dst addr  4 bytes  FieldPrefix
	//	offset 12 src port  2 bytes  FieldRange
	//	offset 14 dst port  2 bytes  FieldRange
	FormatIPv4 Format = iota
	// FormatIPv6 is --ipv6 (or --ipv6=4B): a 40-byte key, proto at 0, the
	// source address at 4 and the destination at 20 as four 4-byte prefix
	// fields each, the ports at 36 and 38.
	FormatIPv6
	// FormatIPv6Words8 is --ipv6=8B: the same key, the addresses as two
	// 8-byte prefix fields each.
	FormatIPv6Words8
)

// Fields returns the field definitions of the format's key, in the order
// of the Fields of the rules ParseRules returns.
func (f Format) Fields() []FieldDef {
	switch f {
	case FormatIPv6, FormatIPv6Words8:
		w := 4
		if f == FormatIPv6Words8 {
			w = 8
		}
		defs := []FieldDef{{Type: FieldBitmask, Size: 1, Offset: 0}}
		for _, base := range []int{4, 20} {
			for off := 0; off < 16; off += w {
				defs = append(defs, FieldDef{Type: FieldPrefix, Size: w, Offset: base + off})
			}
		}
		return append(defs,
			FieldDef{Type: FieldRange, Size: 2, Offset: 36},
			FieldDef{Type: FieldRange, Size: 2, Offset: 38})
	default:
		return []FieldDef{
			{Type: FieldBitmask, Size: 1, Offset: 0},
			{Type: FieldPrefix, Size: 4, Offset: 4},
			{Type: FieldPrefix, Size: 4, Offset: 8},
			{Type: FieldRange, Size: 2, Offset: 12},
			{Type: FieldRange, Size: 2, Offset: 14},
		}
	}
}

// KeyLen returns the size of the format's key: 16 or 40 bytes.
func (f Format) KeyLen() int {
	if f == FormatIPv6 || f == FormatIPv6Words8 {
		return 40
	}
	return 16
}

func (f Format) valid() bool { return f >= FormatIPv4 && f <= FormatIPv6Words8 }

// ParseError is a malformed line of a rule or trace file.
type ParseError struct {
	Line   int // 1-based
	Column int // 1-based byte column
	Msg    string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// maxLine bounds a line of a rule or trace file.
const maxLine = 64 << 10

// ParseRules reads a ClassBench rule file as dpdk-test-acl does:
//
//	@<src addr>/<len> <dst addr>/<len> <sport lo> : <sport hi> <dport lo> : <dport hi> <proto>/<mask>
//
// '@' in the first column, tokens separated by spaces or tabs, numbers in
// C notation (decimal, 0x hex, 0 octal), addresses dotted IPv4 or, for the
// IPv6 formats, IPv6 text. Tokens after the protocol are ignored (newer
// ClassBench files carry flags there), and so are empty lines and lines
// whose first non-blank character is '#'. The n-th rule (1-based) gets
// Priority MaxPriority-n, Userdata n and all 16 categories, as in
// dpdk-test-acl, so the first rule of the file wins and Classify returns
// the rule's number. Errors are *ParseError naming the line and column.
func ParseRules(r io.Reader, f Format) ([]Rule, error) {
	if !f.valid() {
		return nil, fmt.Errorf("%w: unknown format %d", ErrConfig, f)
	}
	var rules []Rule
	err := eachLine(r, func(ln int, line string) error {
		n := len(rules) + 1
		fields, err := parseRuleLine(line, f)
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				pe.Line = ln
			}
			return err
		}
		rules = append(rules, Rule{
			Fields:       fields,
			Priority:     int32(MaxPriority - n),
			CategoryMask: 1<<MaxCategories - 1,
			Userdata:     uint32(n),
		})
		return nil
	})
	return rules, err
}

// ParseTrace reads a ClassBench trace file as dpdk-test-acl does, up to max
// lines (0: all):
//
//	<src addr> <dst addr> <sport> <dport> <proto>
//
// IPv4 addresses are 32-bit numbers (decimal or 0x hex), IPv6 ones IPv6
// text; further tokens are ignored. It returns the keys packed end to end,
// f.KeyLen() bytes each, in network byte order.
func ParseTrace(r io.Reader, f Format, max int) ([]byte, error) {
	if !f.valid() {
		return nil, fmt.Errorf("%w: unknown format %d", ErrConfig, f)
	}
	var keys []byte
	count := 0
	errStop := errors.New("stop")
	err := eachLine(r, func(ln int, line string) error {
		if max > 0 && count == max {
			return errStop
		}
		k := len(keys)
		keys = append(keys, make([]byte, f.KeyLen())...)
		if err := parseTraceLine(line, f, keys[k:]); err != nil {
			err.Line = ln
			return err
		}
		count++
		return nil
	})
	if err == errStop {
		err = nil
	}
	return keys, err
}

func eachLine(r io.Reader, fn func(ln int, line string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLine)
	ln := 0
	for sc.Scan() {
		ln++
		line := sc.Text()
		t := strings.TrimLeft(line, " \t\r\v\f")
		if t == "" || t[0] == '#' {
			continue
		}
		if err := fn(ln, line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &ParseError{Line: ln + 1, Column: maxLine, Msg: fmt.Sprintf("line longer than %d bytes", maxLine)}
		}
		return err
	}
	return nil
}

// token is a word of a line and its 1-based column.
type token struct {
	s   string
	col int
}

// tokens splits line at blanks.
func tokens(line string, from int, max int) []token {
	var ts []token
	i := from
	for i < len(line) && len(ts) < max {
		for i < len(line) && isBlank(line[i]) {
			i++
		}
		if i == len(line) {
			break
		}
		j := i
		for j < len(line) && !isBlank(line[j]) {
			j++
		}
		ts = append(ts, token{line[i:j], i + 1})
		i = j
	}
	return ts
}

func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
}

var ruleTokenNames = [...]string{
	"source address/length", "destination address/length",
	"source port low", "':' between source ports", "source port high",
	"destination port low", "':' between destination ports", "destination port high",
	"protocol/mask",
}

func perr(col int, format string, args ...any) *ParseError {
	return &ParseError{Column: col, Msg: fmt.Sprintf(format, args...)}
}

func parseRuleLine(line string, f Format) ([]Field, error) {
	if line[0] != '@' {
		return nil, perr(1, "rule does not start with '@'")
	}
	ts := tokens(line, 1, len(ruleTokenNames))
	if len(ts) < len(ruleTokenNames) {
		return nil, perr(len(line)+1, "missing %s", ruleTokenNames[len(ts)])
	}
	fields := make([]Field, 0, len(f.Fields()))
	fields = append(fields, Field{}) // proto, filled below
	for _, t := range ts[:2] {
		var err *ParseError
		fields, err = appendNet(fields, t, f)
		if err != nil {
			return nil, err
		}
	}
	for _, p := range [][3]token{{ts[2], ts[3], ts[4]}, {ts[5], ts[6], ts[7]}} {
		lo, err := parseNum(p[0], 0xffff, "port")
		if err != nil {
			return nil, err
		}
		if p[1].s != ":" {
			return nil, perr(p[1].col, "expected ':' between ports, got %q", p[1].s)
		}
		hi, err := parseNum(p[2], 0xffff, "port")
		if err != nil {
			return nil, err
		}
		if lo > hi {
			return nil, perr(p[0].col, "empty port range %d : %d", lo, hi)
		}
		fields = append(fields, Field{Value: lo, MaskRange: hi})
	}
	pt := ts[8]
	v, m, ok := strings.Cut(pt.s, "/")
	if !ok {
		return nil, perr(pt.col, "protocol %q is not <value>/<mask>", pt.s)
	}
	pv, err := parseNum(token{v, pt.col}, 0xff, "protocol")
	if err != nil {
		return nil, err
	}
	pm, err := parseNum(token{m, pt.col + len(v) + 1}, 0xff, "protocol mask")
	if err != nil {
		return nil, err
	}
	fields[0] = Field{Value: pv, MaskRange: pm}
	return fields, nil
}

// appendNet parses "<addr>/<len>" into the format's prefix fields.
func appendNet(fields []Field, t token, f Format) ([]Field, *ParseError) {
	a, l, ok := strings.Cut(t.s, "/")
	if !ok {
		return nil, perr(t.col, "%q is not <address>/<length>", t.s)
	}
	addr, err := netip.ParseAddr(a)
	v4 := f == FormatIPv4
	if err != nil || addr.Zone() != "" || addr.Is4() != v4 {
		kind := "IPv6"
		if v4 {
			kind = "IPv4"
		}
		return nil, perr(t.col, "bad %s address %q", kind, a)
	}
	bitsLen := uint64(addr.BitLen())
	n, e := parseNum(token{l, t.col + len(a) + 1}, bitsLen, "prefix length")
	if e != nil {
		return nil, e
	}
	b := addr.AsSlice()
	w := 4
	if f == FormatIPv6Words8 {
		w = 8
	}
	for off := 0; off < len(b); off += w {
		var v uint64
		for _, x := range b[off : off+w] {
			v = v<<8 | uint64(x)
		}
		fl := uint64(0)
		lo := uint64(8 * off)
		if n > lo {
			fl = min(n-lo, uint64(8*w))
		}
		fields = append(fields, Field{Value: v, MaskRange: fl})
	}
	return fields, nil
}

// parseNum parses an unsigned number as C's strtoul with base 0 would
// (decimal, 0x/0X hex, leading-0 octal), up to max.
func parseNum(t token, max uint64, what string) (uint64, *ParseError) {
	s := t.s
	base := uint64(10)
	switch {
	case len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
		base, s = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base, s = 8, s[1:]
	}
	if s == "" {
		return 0, perr(t.col, "missing %s", what)
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		var d uint64
		switch {
		case c >= '0' && c <= '9':
			d = uint64(c - '0')
		case c >= 'a' && c <= 'f':
			d = uint64(c-'a') + 10
		case c >= 'A' && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			d = 99
		}
		if d >= base {
			return 0, perr(t.col, "bad %s %q", what, t.s)
		}
		v = v*base + d
		if v > max {
			return 0, perr(t.col, "%s %q out of range (max %d)", what, t.s, max)
		}
	}
	return v, nil
}

func parseTraceLine(line string, f Format, key []byte) *ParseError {
	names := [...]string{"source address", "destination address", "source port", "destination port", "protocol"}
	ts := tokens(line, 0, len(names))
	if len(ts) < len(names) {
		return perr(len(line)+1, "missing %s", names[len(ts)])
	}
	if f == FormatIPv4 {
		for i, off := range []int{4, 8} {
			v, err := parseNum(ts[i], 0xffffffff, names[i])
			if err != nil {
				return err
			}
			binary.BigEndian.PutUint32(key[off:], uint32(v))
		}
	} else {
		for i, off := range []int{4, 20} {
			a, err := netip.ParseAddr(ts[i].s)
			if err != nil || !a.Is6() || a.Zone() != "" {
				return perr(ts[i].col, "bad IPv6 %s %q", names[i], ts[i].s)
			}
			b := a.As16()
			copy(key[off:], b[:])
		}
	}
	portOff := 12
	if f != FormatIPv4 {
		portOff = 36
	}
	for i := 2; i < 4; i++ {
		v, err := parseNum(ts[i], 0xffff, names[i])
		if err != nil {
			return err
		}
		binary.BigEndian.PutUint16(key[portOff+2*(i-2):], uint16(v))
	}
	v, err := parseNum(ts[4], 0xff, names[4])
	if err != nil {
		return err
	}
	key[0] = byte(v)
	return nil
}
