package proto

import "encoding/binary"

// MPLS is a view of an MPLS label stack entry (RFC 3032):
//
//	0                  20  23 24     32
//	| label            | TC |S| TTL  |
type MPLS []byte

// MPLSLen is the length of one label stack entry.
const MPLSLen = 4

// IsValid reports whether b holds an entry.
func (m MPLS) IsValid() bool { return len(m) >= MPLSLen }

// Label returns the 20-bit label.
func (m MPLS) Label() uint32 { return binary.BigEndian.Uint32(m[0:4]) >> 12 }

// TC returns the 3-bit traffic class.
func (m MPLS) TC() uint8 { return m[2] >> 1 & 7 }

// BottomOfStack reports the S bit: this is the last entry.
func (m MPLS) BottomOfStack() bool { return m[2]&1 != 0 }

// TTL returns the time to live.
func (m MPLS) TTL() uint8 { return m[3] }

// Next returns what follows this entry.
func (m MPLS) Next() []byte { return m[MPLSLen:] }

// SetTTL sets the time to live.
func (m MPLS) SetTTL(t uint8) { m[3] = t }

// Encode writes an entry.
func (m MPLS) Encode(label uint32, tc uint8, bos bool, ttl uint8) {
	v := label<<12 | uint32(tc&7)<<9 | uint32(ttl)
	if bos {
		v |= 1 << 8
	}
	binary.BigEndian.PutUint32(m[0:4], v)
}

// MPLSStackLen returns the length of the label stack at the start of b,
// up to and including the entry with the S bit, or ErrTruncated if b ends
// first.
func MPLSStackLen(b []byte) (int, error) {
	for n := 0; n+MPLSLen <= len(b); n += MPLSLen {
		if b[n+2]&1 != 0 {
			return n + MPLSLen, nil
		}
	}
	return 0, ErrTruncated
}
