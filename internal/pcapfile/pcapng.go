package pcapfile

import (
	"io"
	"math/bits"
)

// pcapng (draft-ietf-opsawg-pcapng). Every block is
//
//	0 block type   4 total length   8 body ...   total-4 total length again
//
// in the byte order of its section, which the Section Header Block gives:
//
//	SHB  0 0x0a0d0d0a  4 len  8 byte-order magic 0x1a2b3c4d  12 major  14 minor  16 section length (8)  24 options
//	IDB  0 1           4 len  8 link type (2)  10 reserved (2)  12 snaplen  16 options
//	EPB  0 6           4 len  8 interface id  12 ts high  16 ts low  20 captured len  24 original len  28 data, padded to 4, options
//	OPB  0 2           4 len  8 interface id (2)  10 drops (2)  12 ts high ... as EPB
//	SPB  0 3           4 len  8 original len  12 data, padded to 4
const (
	blockIDB = 1
	blockOPB = 2
	blockSPB = 3
	blockEPB = 6

	optEnd      = 0
	optTSResol  = 9
	optTSOffset = 14

	shbFixedLen = 24 // up to the options
)

// ngIface is what the reader keeps of an Interface Description Block.
type ngIface struct {
	linkType LinkType
	snapLen  uint32
	binary   bool   // if_tsresol is a power of 2: ts units are 2^-shift s
	shift    uint8  // binary: the exponent
	mul, div uint64 // decimal: ns = ts*mul/div (one of them is 1)
	offset   int64  // if_tsoffset, in seconds
}

// nanos converts a timestamp in the interface's units to nanoseconds
// since the epoch.
func (f *ngIface) nanos(ts uint64) int64 {
	var ns uint64
	switch {
	case f.binary && f.shift == 0:
		ns = ts * 1e9
	case f.binary:
		hi, lo := bits.Mul64(ts&(1<<f.shift-1), 1e9)
		ns = (ts>>f.shift)*1e9 + (hi<<(64-f.shift) | lo>>f.shift)
	case f.div == 1:
		ns = ts * f.mul
	default:
		ns = ts / f.div
	}
	return int64(ns) + f.offset*1e9
}

var pow10 = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// setResol applies an if_tsresol value.
func (f *ngIface) setResol(v uint8) bool {
	if v&0x80 != 0 {
		if v&0x7f > 63 {
			return false
		}
		f.binary, f.shift = true, v&0x7f
		return true
	}
	if int(v) >= len(pow10) {
		return false
	}
	f.binary = false
	if v <= 9 {
		f.mul, f.div = pow10[9-v], 1
	} else {
		f.mul, f.div = 1, pow10[v-9]
	}
	return true
}

// readSHB reads a Section Header Block at the current offset and starts
// its section.
func (rd *Reader) readSHB() error {
	in := &rd.in
	start := in.off
	if err := in.fill(shbFixedLen); err != nil {
		return rd.headerErr(err, shbFixedLen, "pcapng section header block")
	}
	h := in.buf[in.pos : in.pos+shbFixedLen]
	switch le32(h[8:]) {
	case byteOrderLE:
		rd.big = false
	case byteOrderBE:
		rd.big = true
	default:
		return formatErr(start, ErrCorrupt, "section header block: byte-order magic %#08x", le32(h[8:]))
	}
	total := u32(h[4:], rd.big)
	if total < shbFixedLen+4 || total%4 != 0 {
		return formatErr(start, ErrCorrupt, "section header block length %d", total)
	}
	if major := u16(h[12:], rd.big); major != 1 {
		return formatErr(start, ErrUnsupported, "pcapng version %d.%d (want 1.x)", major, u16(h[14:], rd.big))
	}
	in.consume(shbFixedLen)
	if err := rd.skipRest(start, total, shbFixedLen); err != nil {
		return err
	}
	rd.ifaces = rd.ifaces[:0]
	rd.sections++
	return nil
}

// skipRest skips the rest of the block that started at start, of length
// total, of which done bytes are consumed, and checks its trailing
// length.
func (rd *Reader) skipRest(start int64, total uint32, done int) error {
	in := &rd.in
	if err := in.discard(int64(total) - int64(done) - 4); err != nil {
		return rd.blockErr(err, start, total)
	}
	if err := in.fill(4); err != nil {
		return rd.blockErr(err, start, total)
	}
	if t := u32(in.buf[in.pos:], rd.big); t != total {
		return formatErr(start, ErrCorrupt, "block trailing length %d, leading %d", t, total)
	}
	in.consume(4)
	return nil
}

func (rd *Reader) blockErr(err error, start int64, total uint32) error {
	if err == errShort {
		return formatErr(start, ErrTruncated, "pcapng block of %d bytes: file ends at offset %d",
			total, rd.in.off+int64(rd.in.avail()))
	}
	return rd.headerErr(err, int(total), "pcapng block")
}

// leadingIDBs reads the Interface Description Blocks that directly follow
// the first section header, so that LinkType knows the first interface.
func (rd *Reader) leadingIDBs() error {
	in := &rd.in
	for {
		if err := in.fill(8); err != nil {
			return nil // what is wrong, if anything, is for the next read
		}
		if u32(in.buf[in.pos:], rd.big) != blockIDB {
			return nil
		}
		if err := rd.ngBlock(); err != nil {
			return err
		}
	}
}

// ngBlock reads one non-packet block at the current offset.
func (rd *Reader) ngBlock() error {
	in := &rd.in
	start := in.off
	h := in.buf[in.pos : in.pos+8]
	typ := u32(h, rd.big)
	if typ == blockSHB {
		return rd.readSHB()
	}
	total := u32(h[4:], rd.big)
	if total < 12 || total%4 != 0 {
		return formatErr(start, ErrCorrupt, "block type %#x: length %d", typ, total)
	}
	if typ != blockIDB {
		in.consume(8)
		return rd.skipRest(start, total, 8)
	}
	if total < 20 || total > MaxBlockLen {
		return formatErr(start, ErrCorrupt, "interface description block length %d", total)
	}
	if err := in.fill(int(total)); err != nil {
		return rd.blockErr(err, start, total)
	}
	b := in.buf[in.pos : in.pos+int(total)]
	if t := u32(b[total-4:], rd.big); t != total {
		return formatErr(start, ErrCorrupt, "block trailing length %d, leading %d", t, total)
	}
	f := ngIface{linkType: LinkType(u16(b[8:], rd.big)), snapLen: u32(b[12:], rd.big)}
	f.setResol(6)
	for o := b[16 : total-4]; len(o) > 0; {
		if len(o) < 4 {
			return formatErr(start, ErrCorrupt, "interface description block: %d bytes left for an option", len(o))
		}
		code, n := u16(o, rd.big), int(u16(o[2:], rd.big))
		if code == optEnd {
			break
		}
		if 4+n > len(o) {
			return formatErr(start, ErrCorrupt, "interface description block: option %d of %d bytes overruns the block", code, n)
		}
		v := o[4 : 4+n]
		switch code {
		case optTSResol:
			if n != 1 || !f.setResol(v[0]) {
				return formatErr(start, ErrUnsupported, "if_tsresol % x", v)
			}
		case optTSOffset:
			if n != 8 {
				return formatErr(start, ErrCorrupt, "if_tsoffset of %d bytes", n)
			}
			if rd.big {
				f.offset = int64(uint64(be32(v))<<32 | uint64(be32(v[4:])))
			} else {
				f.offset = int64(uint64(le32(v[4:]))<<32 | uint64(le32(v)))
			}
		}
		o = o[min(len(o), 4+(n+3)&^3):]
	}
	rd.ifaces = append(rd.ifaces, f)
	in.consume(int(total))
	return nil
}

// ngRecord reads blocks up to the next packet block and locates it.
func (rd *Reader) ngRecord() (PacketInfo, int, int, error) {
	in := &rd.in
	for {
		start := in.off
		if err := in.fill(8); err != nil {
			if err == errShort && in.avail() == 0 {
				return PacketInfo{}, 0, 0, io.EOF
			}
			return PacketInfo{}, 0, 0, rd.headerErr(err, 8, "pcapng block header")
		}
		h := in.buf[in.pos : in.pos+8]
		typ := u32(h, rd.big)
		if typ != blockEPB && typ != blockSPB && typ != blockOPB {
			if err := rd.ngBlock(); err != nil {
				return PacketInfo{}, 0, 0, err
			}
			continue
		}
		total := u32(h[4:], rd.big)
		least := uint32(32)
		if typ == blockSPB {
			least = 16
		}
		if total < least || total%4 != 0 || total > MaxBlockLen {
			return PacketInfo{}, 0, 0, formatErr(start, ErrCorrupt, "packet block type %d: length %d", typ, total)
		}
		if err := in.fill(int(total)); err != nil {
			return PacketInfo{}, 0, 0, rd.blockErr(err, start, total)
		}
		b := in.buf[in.pos : in.pos+int(total)]
		if t := u32(b[total-4:], rd.big); t != total {
			return PacketInfo{}, 0, 0, formatErr(start, ErrCorrupt, "block trailing length %d, leading %d", t, total)
		}
		if typ == blockSPB {
			if len(rd.ifaces) == 0 {
				return PacketInfo{}, 0, 0, formatErr(start, ErrCorrupt, "simple packet block in a section without interfaces")
			}
			f := &rd.ifaces[0]
			// The block has no captured length: it is the original
			// length cut to the interface's snaplen.
			orig := u32(b[8:], rd.big)
			capLen := orig
			if f.snapLen != 0 {
				capLen = min(capLen, f.snapLen)
			}
			if capLen > MaxSnapLen || (capLen+3)&^3 > total-16 {
				return PacketInfo{}, 0, 0, formatErr(start, ErrCorrupt, "simple packet block of %d bytes for a packet of %d (snaplen %d)", total, orig, f.snapLen)
			}
			return PacketInfo{CapLen: int(capLen), OrigLen: int(orig), LinkType: f.linkType}, 12, int(total), nil
		}
		var id uint32
		if typ == blockEPB {
			id = u32(b[8:], rd.big)
		} else {
			id = uint32(u16(b[8:], rd.big))
		}
		if id >= uint32(len(rd.ifaces)) {
			return PacketInfo{}, 0, 0, formatErr(start, ErrCorrupt, "packet for interface %d; the section has %d", id, len(rd.ifaces))
		}
		f := &rd.ifaces[id]
		ts := uint64(u32(b[12:], rd.big))<<32 | uint64(u32(b[16:], rd.big))
		capLen := u32(b[20:], rd.big)
		if capLen > MaxSnapLen || (capLen+3)&^3 > total-32 {
			return PacketInfo{}, 0, 0, formatErr(start, ErrCorrupt, "captured length %d in a block of %d bytes", capLen, total)
		}
		return PacketInfo{
			Timestamp: f.nanos(ts),
			CapLen:    int(capLen),
			OrigLen:   int(u32(b[24:], rd.big)),
			LinkType:  f.linkType,
			Interface: int(id),
		}, 28, int(total), nil
	}
}
