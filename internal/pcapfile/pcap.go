package pcapfile

import "io"

// Classic libpcap format (draft-ietf-opsawg-pcap):
//
//	file header, 24 bytes              record header, 16 bytes
//	 0 magic                            0 timestamp seconds
//	 4 version major (2), minor (4)     4 timestamp µs or ns
//	 8 thiszone (unused)                8 captured length
//	12 sigfigs (unused)                12 original length
//	16 snaplen                         16 captured bytes...
//	20 link type (low 16 bits) and FCS bits

const (
	pcapHeaderLen = 24
	pcapRecordLen = 16
)

func (rd *Reader) readPcapHeader() error {
	if err := rd.in.fill(pcapHeaderLen); err != nil {
		return rd.headerErr(err, pcapHeaderLen, "pcap file header")
	}
	h := rd.in.buf[rd.in.pos : rd.in.pos+pcapHeaderLen]
	switch le32(h) {
	case magicMicro:
		rd.big, rd.nanos = false, false
	case magicNano:
		rd.big, rd.nanos = false, true
	case magicMicroRev:
		rd.big, rd.nanos = true, false
	case magicNanoRev:
		rd.big, rd.nanos = true, true
	}
	if major := u16(h[4:], rd.big); major != 2 {
		return formatErr(4, ErrUnsupported, "pcap version %d.%d (want 2.x)", major, u16(h[6:], rd.big))
	}
	rd.snapLen = u32(h[16:], rd.big)
	rd.linkType = LinkType(u32(h[20:], rd.big))
	rd.in.consume(pcapHeaderLen)
	return nil
}

func (rd *Reader) pcapRecord() (PacketInfo, int, int, error) {
	in := &rd.in
	if err := in.fill(pcapRecordLen); err != nil {
		if err == errShort && in.avail() == 0 {
			return PacketInfo{}, 0, 0, io.EOF
		}
		return PacketInfo{}, 0, 0, rd.headerErr(err, pcapRecordLen, "pcap record header")
	}
	h := in.buf[in.pos : in.pos+pcapRecordLen]
	sec := u32(h, rd.big)
	frac := u32(h[4:], rd.big)
	capLen := u32(h[8:], rd.big)
	origLen := u32(h[12:], rd.big)
	if capLen > MaxSnapLen {
		return PacketInfo{}, 0, 0, formatErr(in.off, ErrCorrupt,
			"pcap record captured length %d exceeds the maximum %d", capLen, MaxSnapLen)
	}
	size := pcapRecordLen + int(capLen)
	if err := in.fill(size); err != nil {
		if err == errShort {
			return PacketInfo{}, 0, 0, formatErr(in.off, ErrTruncated,
				"pcap record of %d bytes (%d captured): file has %d", size, capLen, in.avail())
		}
		return PacketInfo{}, 0, 0, rd.headerErr(err, size, "pcap record")
	}
	ts := int64(sec) * 1e9
	if rd.nanos {
		ts += int64(frac)
	} else {
		ts += int64(frac) * 1e3
	}
	return PacketInfo{
		Timestamp: ts,
		CapLen:    int(capLen),
		OrigLen:   int(origLen),
		LinkType:  rd.linkType,
	}, pcapRecordLen, size, nil
}
