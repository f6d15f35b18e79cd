package pcapfile

import (
	"fmt"
	"io"
	"time"
)

// Format is a capture file format.
type Format uint8

const (
	FormatPcap   Format = iota + 1 // classic libpcap
	FormatPcapNG                   // pcapng
)

func (f Format) String() string {
	switch f {
	case FormatPcap:
		return "pcap"
	case FormatPcapNG:
		return "pcapng"
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// LinkType is a LINKTYPE_ value (tcpdump.org/linktypes.html): what the
// captured bytes start with.
type LinkType uint16

const (
	LinkTypeNull     LinkType = 0   // BSD loopback
	LinkTypeEthernet LinkType = 1   // Ethernet II / 802.3
	LinkTypeRaw      LinkType = 101 // raw IPv4 or IPv6
	LinkTypeLinuxSLL LinkType = 113 // Linux "cooked" capture
)

const (
	// MaxSnapLen bounds the captured length of one packet (libpcap's
	// largest snapshot length); a record claiming more is corrupt.
	MaxSnapLen = 256 << 10
	// MaxBlockLen bounds a pcapng block that the reader holds whole: a
	// packet block (MaxSnapLen plus room for its options) or an Interface
	// Description Block. Blocks it skips may be of any length.
	MaxBlockLen = MaxSnapLen + 64<<10
)

// Magic numbers as the first four bytes of a file read little-endian.
const (
	magicMicro    = 0xa1b2c3d4
	magicNano     = 0xa1b23c4d
	magicMicroRev = 0xd4c3b2a1
	magicNanoRev  = 0x4d3cb2a1
	blockSHB      = 0x0a0d0d0a
	byteOrderLE   = 0x1a2b3c4d // the SHB byte-order magic read little-endian
	byteOrderBE   = 0x4d3c2b1a
)

// PacketInfo describes one packet record.
type PacketInfo struct {
	// Timestamp is the capture time in nanoseconds since the Unix epoch
	// (0 for a pcapng Simple Packet Block, which has none).
	Timestamp int64
	// CapLen is the number of bytes in the file; OrigLen the length of
	// the packet on the wire (larger when the capture cut it short).
	CapLen, OrigLen int
	// LinkType is the link type of the packet's interface.
	LinkType LinkType
	// Interface is the pcapng interface id within its section (0 for
	// classic pcap).
	Interface int
}

// Time returns Timestamp as a time.Time.
func (p PacketInfo) Time() time.Time { return time.Unix(0, p.Timestamp) }

// Reader reads the packets of a classic pcap or a pcapng file, whichever
// its magic number says it is. Both formats are one concrete type (a
// switch on the format, not an interface call per packet). It is not safe
// for concurrent use.
type Reader struct {
	in     input
	format Format
	big    bool // byte order of the file (pcap) or current section (pcapng)
	err    error

	// classic pcap
	nanos    bool
	snapLen  uint32
	linkType LinkType

	// pcapng: the interfaces of the current section
	ifaces   []ngIface
	sections int
}

// NewReader reads the file header of r (for pcapng, the first Section
// Header Block and the Interface Description Blocks that follow it) and
// returns a Reader positioned at the first packet.
func NewReader(r io.Reader) (*Reader, error) {
	rd := new(Reader)
	if err := rd.Reset(r); err != nil {
		return nil, err
	}
	return rd, nil
}

// Reset makes rd read r from its start, as NewReader does, keeping its
// buffers.
func (rd *Reader) Reset(r io.Reader) error {
	rd.in.reset(r)
	rd.err = nil
	rd.ifaces = rd.ifaces[:0]
	rd.sections = 0
	rd.format = 0
	if err := rd.in.fill(4); err != nil {
		return rd.headerErr(err, 4, "file header")
	}
	switch m := le32(rd.in.buf[rd.in.pos:]); m {
	case magicMicro, magicNano, magicMicroRev, magicNanoRev:
		rd.format = FormatPcap
		return rd.readPcapHeader()
	case blockSHB:
		rd.format = FormatPcapNG
		if err := rd.readSHB(); err != nil {
			return err
		}
		rd.err = rd.leadingIDBs()
		return nil
	default:
		return formatErr(0, ErrUnsupported, "magic %02x %02x %02x %02x is neither pcap nor pcapng",
			byte(m), byte(m>>8), byte(m>>16), byte(m>>24))
	}
}

// headerErr turns a failed fill of n bytes for what into the error to
// return.
func (rd *Reader) headerErr(err error, n int, what string) error {
	if err == errShort {
		return formatErr(rd.in.off, ErrTruncated, "%s: need %d bytes, file has %d", what, n, rd.in.avail())
	}
	return fmt.Errorf("pcapfile: reading %s at offset %d: %w", what, rd.in.off, err)
}

// Format returns the file's format.
func (rd *Reader) Format() Format { return rd.format }

// LinkType returns the link type of the file (classic pcap) or of the
// first interface of the current section (pcapng; LinkTypeNull if it has
// none yet). Each packet's own is in its PacketInfo.
func (rd *Reader) LinkType() LinkType {
	if rd.format == FormatPcapNG {
		if len(rd.ifaces) == 0 {
			return LinkTypeNull
		}
		return rd.ifaces[0].linkType
	}
	return rd.linkType
}

// SnapLen returns the snapshot length of the file (classic pcap) or of the
// first interface of the current section (pcapng; 0 means no limit).
func (rd *Reader) SnapLen() int {
	if rd.format == FormatPcapNG {
		if len(rd.ifaces) == 0 {
			return 0
		}
		return int(rd.ifaces[0].snapLen)
	}
	return int(rd.snapLen)
}

// NanoResolution tells whether a classic pcap file has nanosecond
// timestamps (pcapng resolutions are per interface).
func (rd *Reader) NanoResolution() bool { return rd.nanos }

// Offset returns the file offset of the next unread byte.
func (rd *Reader) Offset() int64 { return rd.in.off }

// record locates the next packet record without consuming it: its data
// is rd.in.buf[rd.in.pos+hdr:][:info.CapLen] and it takes size bytes of
// the file.
func (rd *Reader) record() (info PacketInfo, hdr, size int, err error) {
	if rd.err != nil {
		return PacketInfo{}, 0, 0, rd.err
	}
	if rd.format == FormatPcapNG {
		info, hdr, size, err = rd.ngRecord()
	} else {
		info, hdr, size, err = rd.pcapRecord()
	}
	if err != nil && err != io.EOF {
		rd.err = err
	}
	return info, hdr, size, err
}

// Next returns the next packet's bytes and description. The bytes are
// the Reader's: they stay valid until the next call on rd. At the end of
// the file the error is io.EOF, and a later call tries again (so a file
// that another process appends whole records to is followed). After bad
// input the error is a *FormatError, and every later call returns the
// same error.
func (rd *Reader) Next() ([]byte, PacketInfo, error) {
	info, hdr, size, err := rd.record()
	if err != nil {
		return nil, info, err
	}
	start := rd.in.pos + hdr
	data := rd.in.buf[start : start+info.CapLen : start+info.CapLen]
	rd.in.consume(size)
	return data, info, nil
}

// ReadPacket copies the next packet's bytes to buf[:info.CapLen]. When buf
// is shorter, it returns the packet's info and an error wrapping
// ErrShortBuffer and leaves the packet unread, so that a call with a
// larger buffer reads it. Errors are otherwise those of Next.
func (rd *Reader) ReadPacket(buf []byte) (PacketInfo, error) {
	info, hdr, size, err := rd.record()
	if err != nil {
		return info, err
	}
	if len(buf) < info.CapLen {
		return info, shortBufErr(len(buf), info.CapLen)
	}
	copy(buf, rd.in.buf[rd.in.pos+hdr:rd.in.pos+hdr+info.CapLen])
	rd.in.consume(size)
	return info, nil
}

func shortBufErr(have, need int) error {
	return fmt.Errorf("pcapfile: %w: %d bytes for a packet of %d", ErrShortBuffer, have, need)
}
