package proto

import "errors"

// MAC is an Ethernet (EUI-48) address, a comparable value.
type MAC [6]byte

// BroadcastMAC is ff:ff:ff:ff:ff:ff.
var BroadcastMAC = MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// ErrBadMAC reports a string ParseMAC cannot read.
var ErrBadMAC = errors.New("proto: bad MAC address")

// MACFrom returns the first 6 bytes of b as a MAC; b must hold 6 bytes.
func MACFrom(b []byte) MAC { return MAC(b[:6]) }

// ParseMAC reads "aa:bb:cc:dd:ee:ff" (or with '-' separators).
func ParseMAC(s string) (MAC, error) {
	var m MAC
	if len(s) != 17 {
		return m, ErrBadMAC
	}
	for i := range 6 {
		if i > 0 {
			if c := s[3*i-1]; c != ':' && c != '-' {
				return m, ErrBadMAC
			}
		}
		hi, ok1 := unhex(s[3*i])
		lo, ok2 := unhex(s[3*i+1])
		if !ok1 || !ok2 {
			return m, ErrBadMAC
		}
		m[i] = hi<<4 | lo
	}
	return m, nil
}

// MustParseMAC is ParseMAC that panics on error, for tests and constants.
func MustParseMAC(s string) MAC {
	m, err := ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// IsBroadcast reports whether m is ff:ff:ff:ff:ff:ff.
func (m MAC) IsBroadcast() bool { return m == BroadcastMAC }

// IsMulticast reports whether the group bit is set (broadcast included).
func (m MAC) IsMulticast() bool { return m[0]&1 != 0 }

// IsZero reports whether m is 00:00:00:00:00:00.
func (m MAC) IsZero() bool { return m == MAC{} }

// AppendTo appends the "aa:bb:cc:dd:ee:ff" form of m to b.
func (m MAC) AppendTo(b []byte) []byte {
	const hex = "0123456789abcdef"
	for i, x := range m {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hex[x>>4], hex[x&15])
	}
	return b
}

// String returns the "aa:bb:cc:dd:ee:ff" form of m.
func (m MAC) String() string { return string(m.AppendTo(make([]byte, 0, 17))) }
