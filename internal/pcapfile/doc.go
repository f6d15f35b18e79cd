// Package pcapfile reads and writes packet capture files: the classic
// libpcap format (both byte orders, microsecond and nanosecond
// timestamps) and pcapng (sections in either byte order, several
// interfaces, if_tsresol and if_tsoffset, Enhanced, Simple and obsolete
// Packet Blocks). It knows nothing of ethdev or mbufs: driver/net/pcap
// adapts it to a port.
//
//	r, err := pcapfile.NewReader(f)    // the format is told by the magic
//	for {
//		info, err := r.ReadPacket(buf) // or data, info, err := r.Next()
//		if err == io.EOF {
//			break
//		}
//		...
//	}
//
//	w, err := pcapfile.NewWriter(f, pcapfile.WriterOptions{SnapLen: 65535})
//	err = w.WritePacket(tsNanos, frame)
//	err = w.Flush()
//
// # Bad input
//
// A file that ends in the middle of a record, or holds a record whose
// lengths do not add up, delivers every good packet before it and then an
// error wrapping ErrTruncated or ErrCorrupt that names the byte offset of
// the bad record (a *FormatError). Every length read from the file is
// checked against a bound (MaxSnapLen for packet data, MaxBlockLen for a
// pcapng block) before anything is read or allocated for it, so a bogus
// length field can neither crash the reader nor make it allocate.
//
// # Speed
//
// The reader has its own input buffer: after it has grown to the largest
// record (once), Next and ReadPacket allocate nothing and make one read
// call on the underlying io.Reader per buffer's worth of records.
package pcapfile
