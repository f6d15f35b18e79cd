package pcapfile

import (
	"errors"
	"fmt"
)

var (
	// ErrTruncated: the file ends in the middle of a header or record.
	ErrTruncated = errors.New("truncated")
	// ErrCorrupt: a header or record is malformed (bad magic, lengths
	// that do not add up, a packet for an interface never described).
	ErrCorrupt = errors.New("corrupt")
	// ErrUnsupported: a well-formed file or block this package does not
	// read (another capture format, a pcapng major version it does not
	// know).
	ErrUnsupported = errors.New("unsupported")
	// ErrShortBuffer: ReadPacket was given a buffer smaller than the
	// record; the record is not consumed.
	ErrShortBuffer = errors.New("buffer shorter than the packet")
)

// FormatError is the error for bad input: Err is ErrTruncated, ErrCorrupt
// or ErrUnsupported, Offset the byte offset in the file of the header or
// record that is bad.
type FormatError struct {
	Offset int64
	Err    error
	Msg    string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("pcapfile: %v at offset %d: %s", e.Err, e.Offset, e.Msg)
}

func (e *FormatError) Unwrap() error { return e.Err }

func formatErr(off int64, kind error, format string, args ...any) error {
	return &FormatError{Offset: off, Err: kind, Msg: fmt.Sprintf(format, args...)}
}
