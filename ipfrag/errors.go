package ipfrag

import "errors"

// Errors of the fragmentation functions; none of them allocates.
var (
	// ErrDontFragment: the IPv4 packet is larger than the MTU and has DF set.
	ErrDontFragment = errors.New("ipfrag: packet larger than the MTU with DF set")
	// ErrTooManyFragments: out is too short for the fragments.
	ErrTooManyFragments = errors.New("ipfrag: more fragments than the output holds")
	// ErrNoMbufs: a pool ran out of mbufs; nothing was kept.
	ErrNoMbufs = errors.New("ipfrag: out of mbufs")
	// ErrMTU: the MTU leaves no room for 8 bytes of payload after the headers.
	ErrMTU = errors.New("ipfrag: MTU too small for the headers")
	// ErrMalformed: the IP header is missing, cut short or inconsistent.
	ErrMalformed = errors.New("ipfrag: malformed IP header")
	// ErrFragmented: the IPv6 packet already carries a fragment header.
	ErrFragmented = errors.New("ipfrag: IPv6 packet is already a fragment")
	// ErrConfig: a Config value is out of range.
	ErrConfig = errors.New("ipfrag: invalid table configuration")
)
