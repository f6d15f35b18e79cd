package pcapfile

import (
	"errors"
	"fmt"
	"io"
)

// WriterOptions configure a Writer.
type WriterOptions struct {
	// SnapLen is the snapshot length: packets longer are written cut to
	// it (their original length kept). 0 means 65535; at most MaxSnapLen.
	SnapLen int
	// LinkType of the packets; the zero value means LinkTypeEthernet.
	LinkType LinkType
}

// DefaultSnapLen is the snapshot length of a Writer whose options leave
// it 0.
const DefaultSnapLen = 65535

const writeBufSize = 64 << 10

// Writer writes a classic pcap file with nanosecond timestamps (magic
// 0xa1b23c4d, little-endian). Records are buffered: call Flush at the
// end. It is not safe for concurrent use.
type Writer struct {
	w       io.Writer
	buf     []byte
	snapLen int
	err     error
}

// NewWriter writes the file header to w (through the buffer) and returns
// the Writer.
func NewWriter(w io.Writer, opts WriterOptions) (*Writer, error) {
	if opts.SnapLen == 0 {
		opts.SnapLen = DefaultSnapLen
	}
	if opts.SnapLen < 0 || opts.SnapLen > MaxSnapLen {
		return nil, fmt.Errorf("pcapfile: snaplen %d out of range 1..%d", opts.SnapLen, MaxSnapLen)
	}
	if opts.LinkType == 0 {
		opts.LinkType = LinkTypeEthernet
	}
	pw := &Writer{w: w, buf: make([]byte, 0, writeBufSize), snapLen: opts.SnapLen}
	h := pw.buf[:pcapHeaderLen]
	put32(h, magicNano)
	put16(h[4:], 2)
	put16(h[6:], 4)
	put32(h[8:], 0)
	put32(h[12:], 0)
	put32(h[16:], uint32(opts.SnapLen))
	put32(h[20:], uint32(opts.LinkType))
	pw.buf = h
	return pw, nil
}

// SnapLen returns the snapshot length.
func (w *Writer) SnapLen() int { return w.snapLen }

// WritePacket writes one record holding data, captured at ts nanoseconds
// since the Unix epoch.
func (w *Writer) WritePacket(ts int64, data []byte) error {
	return w.writeRecord(ts, len(data), data, nil)
}

// WriteRecord writes one record for a packet of origLen bytes whose bytes
// are the concatenation of parts (an mbuf chain, say), cut to the snapshot
// length.
func (w *Writer) WriteRecord(ts int64, origLen int, parts [][]byte) error {
	return w.writeRecord(ts, origLen, nil, parts)
}

func (w *Writer) writeRecord(ts int64, origLen int, data []byte, parts [][]byte) error {
	if w.err != nil {
		return w.err
	}
	capLen := len(data)
	for _, p := range parts {
		capLen += len(p)
	}
	capLen = min(capLen, w.snapLen)
	origLen = max(origLen, capLen)
	if len(w.buf)+pcapRecordLen+capLen > cap(w.buf) {
		if err := w.Flush(); err != nil {
			return err
		}
	}
	sec, nsec := ts/1e9, ts%1e9
	if nsec < 0 {
		sec, nsec = sec-1, nsec+1e9
	}
	n := len(w.buf)
	h := w.buf[n : n+pcapRecordLen]
	put32(h, uint32(sec))
	put32(h[4:], uint32(nsec))
	put32(h[8:], uint32(capLen))
	put32(h[12:], uint32(origLen))
	w.buf = w.buf[:n+pcapRecordLen]
	left := capLen
	if data != nil {
		w.put(data[:left])
		return w.err
	}
	for _, p := range parts {
		k := min(len(p), left)
		w.put(p[:k])
		left -= k
	}
	return w.err
}

// put appends p to the buffer, writing through when it does not fit.
func (w *Writer) put(p []byte) {
	if len(w.buf)+len(p) <= cap(w.buf) {
		w.buf = append(w.buf, p...)
		return
	}
	if w.Flush() != nil {
		return
	}
	if len(p) <= cap(w.buf) {
		w.buf = append(w.buf, p...)
		return
	}
	if _, err := w.w.Write(p); err != nil {
		w.err = fmt.Errorf("pcapfile: writing: %w", err)
	}
}

// Flush writes the buffered records to the underlying writer.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) == 0 {
		return nil
	}
	n, err := w.w.Write(w.buf)
	if err == nil && n < len(w.buf) {
		err = io.ErrShortWrite
	}
	w.buf = w.buf[:0]
	if err != nil {
		w.err = fmt.Errorf("pcapfile: writing: %w", err)
	}
	return w.err
}

// ErrClosed is returned by a Writer used after Close.
var ErrClosed = errors.New("pcapfile: writer closed")

// Close flushes the Writer and makes later writes fail; it does not close
// the underlying writer.
func (w *Writer) Close() error {
	err := w.Flush()
	if w.err == nil {
		w.err = ErrClosed
	}
	return err
}

func put16(b []byte, v uint16) { _ = b[1]; b[0], b[1] = byte(v), byte(v>>8) }
func put32(b []byte, v uint32) {
	_ = b[3]
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}
