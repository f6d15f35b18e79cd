package proto

import "errors"

var (
	// ErrTruncated reports a header or option that runs past the data.
	ErrTruncated = errors.New("proto: truncated")
	// ErrBadOption reports a malformed option (length too small).
	ErrBadOption = errors.New("proto: malformed option")
)
