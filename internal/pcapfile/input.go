package pcapfile

import (
	"errors"
	"io"
)

// initialBufSize is the input buffer's size before any record needs more;
// one read call fills it.
const initialBufSize = 64 << 10

// errShort is input.fill's internal report of a clean end of the
// underlying reader before n bytes were available.
var errShort = errors.New("short input")

// input is a read buffer over an io.Reader that knows the file offset of
// its first unread byte. Unread bytes are buf[pos:end].
type input struct {
	r        io.Reader
	buf      []byte
	pos, end int
	off      int64 // file offset of buf[pos]
}

func (in *input) reset(r io.Reader) {
	in.r = r
	if in.buf == nil {
		in.buf = make([]byte, initialBufSize)
	}
	in.pos, in.end, in.off = 0, 0, 0
}

// avail is the number of unread bytes in the buffer.
func (in *input) avail() int { return in.end - in.pos }

// fill makes n unread bytes available at buf[pos:pos+n]. It returns
// errShort when the reader ends first (avail then tells how many there
// are) and the reader's error for anything else. The caller bounds n.
// After an end, a later fill reads again: a file that grows is followed.
func (in *input) fill(n int) error {
	if in.end-in.pos >= n {
		return nil
	}
	if n > len(in.buf) {
		nb := make([]byte, max(n, 2*len(in.buf)))
		in.end = copy(nb, in.buf[in.pos:in.end])
		in.pos = 0
		in.buf = nb
	} else if in.pos+n > len(in.buf) {
		in.end = copy(in.buf, in.buf[in.pos:in.end])
		in.pos = 0
	}
	for empty := 0; in.end-in.pos < n; {
		k, err := in.r.Read(in.buf[in.end:])
		in.end += k
		if err != nil {
			if err == io.EOF {
				if in.end-in.pos >= n {
					return nil
				}
				return errShort
			}
			if in.end-in.pos >= n {
				return nil // the error comes back on the next read
			}
			return err
		}
		if k == 0 {
			if empty++; empty >= 100 {
				return io.ErrNoProgress
			}
		}
	}
	return nil
}

// consume drops n available bytes.
func (in *input) consume(n int) {
	in.pos += n
	in.off += int64(n)
}

// discard drops n bytes, reading through the buffer when they are not all
// in it; it returns errShort when the reader ends first.
func (in *input) discard(n int64) error {
	for n > 0 {
		if in.avail() == 0 {
			if err := in.fill(1); err != nil {
				return err
			}
		}
		k := int(min(n, int64(in.avail())))
		in.consume(k)
		n -= int64(k)
	}
	return nil
}

func le16(b []byte) uint16 { _ = b[1]; return uint16(b[0]) | uint16(b[1])<<8 }
func be16(b []byte) uint16 { _ = b[1]; return uint16(b[1]) | uint16(b[0])<<8 }
func le32(b []byte) uint32 {
	_ = b[3]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
func be32(b []byte) uint32 {
	_ = b[3]
	return uint32(b[3]) | uint32(b[2])<<8 | uint32(b[1])<<16 | uint32(b[0])<<24
}

// u16 and u32 read in the byte order of the current file or section.
func u16(b []byte, big bool) uint16 {
	if big {
		return be16(b)
	}
	return le16(b)
}

func u32(b []byte, big bool) uint32 {
	if big {
		return be32(b)
	}
	return le32(b)
}
