package ethdev

import (
	"fmt"
	"strconv"
	"strings"
)

// ParamType is the type of a devargs value.
type ParamType uint8

const (
	// String: any value (Param.Choices may restrict it).
	String ParamType = iota
	// Int: a decimal, 0x hex or 0 octal integer, within [Min, Max] when
	// Max > Min.
	Int
	// Bool: 0/1, true/false, yes/no, on/off; a bare key ("no-rx") is true.
	Bool
)

func (t ParamType) String() string {
	switch t {
	case String:
		return "string"
	case Int:
		return "integer"
	case Bool:
		return "boolean"
	}
	return "ParamType(" + strconv.Itoa(int(t)) + ")"
}

// Param declares one devargs key of a driver.
type Param struct {
	Key  string
	Type ParamType
	// Default is the value when the key is absent (in the key's syntax).
	Default string
	// Min and Max bound an Int when Max > Min.
	Min, Max int64
	// Choices, if not empty, are the only values a String may take.
	Choices []string
	// Repeat allows the key more than once (net_ring's nodeaction).
	Repeat bool
	// Help is a one-line description (shown by testpmd / dpkit).
	Help string
}

// KV is one key=value of a devargs string, in order of appearance.
type KV struct {
	Key, Value string
	// Bare is set for a key without "=".
	Bare bool
}

// Devargs is a parsed DPDK-style device string:
//
//	net_af_packet0,iface=veth0,qpairs=2
//
// The name comes first; then comma-separated key=value pairs. A value may
// hold commas inside brackets ("list=[1,2,3]"), as in rte_kvargs.
type Devargs struct {
	// Name is the device (port) name: "net_af_packet0".
	Name string
	// Args are the pairs in order; keys may repeat.
	Args []KV
	// params is set by validation: the driver's declarations, for the
	// typed getters.
	params []Param
}

// ParseDevargs splits s into the name and the pairs. It checks the syntax
// only; Open checks the keys and values against the driver.
func ParseDevargs(s string) (*Devargs, error) {
	s = strings.TrimSpace(s)
	name, rest, _ := strings.Cut(s, ",")
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, fmt.Errorf("%w: %q: empty device name", ErrDevargs, s)
	}
	if i := strings.IndexFunc(name, badNameRune); i >= 0 {
		return nil, fmt.Errorf("%w: %q: character %q not allowed in a device name", ErrDevargs, name, name[i])
	}
	d := &Devargs{Name: name}
	if !strings.Contains(s, ",") {
		return d, nil
	}
	for {
		item, tail, err := nextItem(rest)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrDevargs, name, err)
		}
		key, value, hasEq := strings.Cut(item, "=")
		key = strings.TrimSpace(key)
		if key == "" {
			return nil, fmt.Errorf("%w: %s: empty key in %q", ErrDevargs, name, item)
		}
		if i := strings.IndexFunc(key, badKeyRune); i >= 0 {
			return nil, fmt.Errorf("%w: %s: character %q not allowed in key %q", ErrDevargs, name, key[i], key)
		}
		d.Args = append(d.Args, KV{Key: key, Value: strings.TrimSpace(value), Bare: !hasEq})
		if tail == "" {
			break
		}
		rest = tail
	}
	return d, nil
}

// nextItem returns the text up to the next comma outside brackets, and the
// text after that comma.
func nextItem(s string) (item, rest string, err error) {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			if depth == 0 {
				return "", "", fmt.Errorf("unbalanced ']' in %q", s)
			}
			depth--
		case ',':
			if depth == 0 {
				if i == 0 {
					return "", "", fmt.Errorf("empty item before %q", s)
				}
				if i == len(s)-1 {
					return "", "", fmt.Errorf("trailing comma after %q", s[:i])
				}
				return s[:i], s[i+1:], nil
			}
		}
	}
	if depth != 0 {
		return "", "", fmt.Errorf("unbalanced '[' in %q", s)
	}
	if s == "" {
		return "", "", fmt.Errorf("trailing comma")
	}
	return s, "", nil
}

func badNameRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.' || r == ':')
}

func badKeyRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.')
}

// String formats d back into devargs syntax.
func (d *Devargs) String() string {
	var b strings.Builder
	b.WriteString(d.Name)
	for _, kv := range d.Args {
		b.WriteByte(',')
		b.WriteString(kv.Key)
		if !kv.Bare {
			b.WriteByte('=')
			b.WriteString(kv.Value)
		}
	}
	return b.String()
}

// validate checks every pair against params: unknown keys, repeats, and
// values that do not parse; the error names the key and the valid ones.
func (d *Devargs) validate(driver string, params []Param) error {
	seen := map[string]bool{}
	for _, kv := range d.Args {
		p := findParam(params, kv.Key)
		if p == nil {
			return fmt.Errorf("%w: %s: unknown key %q for driver %s (valid keys: %s)", ErrDevargs, d.Name, kv.Key, driver, validKeys(params))
		}
		if seen[kv.Key] && !p.Repeat {
			return fmt.Errorf("%w: %s: key %q given more than once", ErrDevargs, d.Name, kv.Key)
		}
		seen[kv.Key] = true
		if kv.Bare && p.Type != Bool {
			return fmt.Errorf("%w: %s: key %q needs a value (%s)", ErrDevargs, d.Name, kv.Key, describe(p))
		}
		if err := checkValue(p, kv); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrDevargs, d.Name, err)
		}
	}
	d.params = params
	return nil
}

func findParam(params []Param, key string) *Param {
	for i := range params {
		if params[i].Key == key {
			return &params[i]
		}
	}
	return nil
}

func validKeys(params []Param) string {
	if len(params) == 0 {
		return "none"
	}
	keys := make([]string, len(params))
	for i, p := range params {
		keys[i] = p.Key
	}
	return strings.Join(keys, ", ")
}

func describe(p *Param) string {
	switch {
	case p.Type == Int && p.Max > p.Min:
		return fmt.Sprintf("an integer %d..%d", p.Min, p.Max)
	case len(p.Choices) > 0:
		return "one of " + strings.Join(p.Choices, ", ")
	}
	return "a" + map[ParamType]string{String: " string", Int: "n integer", Bool: " boolean (0/1)"}[p.Type]
}

func checkValue(p *Param, kv KV) error {
	switch p.Type {
	case Int:
		v, err := strconv.ParseInt(kv.Value, 0, 64)
		if err != nil {
			return fmt.Errorf("key %q: value %q is not %s", kv.Key, kv.Value, describe(p))
		}
		if p.Max > p.Min && (v < p.Min || v > p.Max) {
			return fmt.Errorf("key %q: value %d out of range (want %s)", kv.Key, v, describe(p))
		}
	case Bool:
		if kv.Bare {
			return nil
		}
		if _, ok := parseBool(kv.Value); !ok {
			return fmt.Errorf("key %q: value %q is not %s", kv.Key, kv.Value, describe(p))
		}
	case String:
		if len(p.Choices) > 0 {
			for _, c := range p.Choices {
				if kv.Value == c {
					return nil
				}
			}
			return fmt.Errorf("key %q: value %q is not %s", kv.Key, kv.Value, describe(p))
		}
	}
	return nil
}

func parseBool(s string) (v, ok bool) {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "on", "y":
		return true, true
	case "0", "false", "no", "off", "n":
		return false, true
	}
	return false, false
}

// Has reports whether key was given.
func (d *Devargs) Has(key string) bool {
	for _, kv := range d.Args {
		if kv.Key == key {
			return true
		}
	}
	return false
}

// raw returns the last value given for key, or its declared default.
func (d *Devargs) raw(key string) (KV, *Param) {
	p := findParam(d.params, key)
	if p == nil {
		panic("ethdev: devargs key " + strconv.Quote(key) + " is not declared in the driver's Params")
	}
	for i := len(d.Args) - 1; i >= 0; i-- {
		if d.Args[i].Key == key {
			return d.Args[i], p
		}
	}
	return KV{Key: key, Value: p.Default}, p
}

// Str returns the value of a declared key (the last one given), or its
// default.
func (d *Devargs) Str(key string) string {
	kv, _ := d.raw(key)
	return kv.Value
}

// All returns every value given for a declared key, in order (none: nil).
func (d *Devargs) All(key string) []string {
	d.raw(key) // declared?
	var out []string
	for _, kv := range d.Args {
		if kv.Key == key {
			out = append(out, kv.Value)
		}
	}
	return out
}

// Int returns the value of a declared Int key, or its default (0 if the
// default is empty).
func (d *Devargs) Int(key string) int64 {
	kv, _ := d.raw(key)
	if kv.Value == "" {
		return 0
	}
	v, _ := strconv.ParseInt(kv.Value, 0, 64) // validated
	return v
}

// Bool returns the value of a declared Bool key, or its default.
func (d *Devargs) Bool(key string) bool {
	kv, _ := d.raw(key)
	if kv.Bare {
		return true
	}
	v, _ := parseBool(kv.Value)
	return v
}
