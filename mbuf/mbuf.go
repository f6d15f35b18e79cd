package mbuf

import (
	"errors"
	"iter"
)

const (
	// HeaderSize is the size of the Mbuf header: two cache lines.
	HeaderSize = 128
	// Headroom is the space Alloc leaves before the data
	// (RTE_PKTMBUF_HEADROOM), or the whole buffer if it is smaller.
	Headroom = 128
	// DefaultDataRoom is the data room a default buffer has after its
	// headroom (RTE_MBUF_DEFAULT_DATAROOM).
	DefaultDataRoom = 2048
	// DefaultBufSize is the default PoolConfig.DataRoomSize: headroom plus
	// data room (RTE_MBUF_DEFAULT_BUF_SIZE).
	DefaultBufSize = DefaultDataRoom + Headroom
	// MaxBufSize is the largest buffer an mbuf can describe (buf_len is 16
	// bits).
	MaxBufSize = 1<<16 - 1
	// MaxSegs is the most segments a packet may have (RTE_MBUF_MAX_NB_SEGS).
	MaxSegs = 1<<16 - 1
	// PrivAlign is the alignment of the private area size
	// (RTE_MBUF_PRIV_ALIGN).
	PrivAlign = 8
	// PortInvalid is the port of an mbuf that came from no port
	// (RTE_MBUF_PORT_INVALID).
	PortInvalid = 1<<16 - 1
	// DynfieldSize is the size of the application scratch area in the
	// header (Dynfield).
	DynfieldSize = 32
)

var (
	// ErrTooManySegs reports a chain that would exceed MaxSegs segments.
	ErrTooManySegs = errors.New("mbuf: too many segments")
	// ErrNoTailroom reports that Linearize found too little room in the
	// first segment.
	ErrNoTailroom = errors.New("mbuf: not enough tailroom")
	// ErrCorrupt is wrapped by every error Check returns.
	ErrCorrupt = errors.New("mbuf: corrupt")
	// ErrInvalid reports a bad argument to a control-path function.
	ErrInvalid = errors.New("mbuf: invalid argument")
)

// Len returns the length of this segment's data (data_len).
func (m *Mbuf) Len() int { return int(m.dataLen) }

// PktLen returns the length of the packet: the sum of every segment's Len.
// It is meaningful on the first segment only.
func (m *Mbuf) PktLen() int { return int(m.pktLen) }

// NbSegs returns the number of segments of the packet (first segment only).
func (m *Mbuf) NbSegs() int { return int(m.nbSegs) }

// Next returns the next segment, nil on the last one.
//
//	for s := m; s != nil; s = s.Next() { use(s.Data()) }
func (m *Mbuf) Next() *Mbuf { return m.next }

// Segments yields every segment of the packet, m first.
func (m *Mbuf) Segments() iter.Seq[*Mbuf] {
	return func(yield func(*Mbuf) bool) {
		for s := m; s != nil; s = s.next {
			if !yield(s) {
				return
			}
		}
	}
}

// LastSeg returns the last segment of the packet (rte_pktmbuf_lastseg).
func (m *Mbuf) LastSeg() *Mbuf {
	for m.next != nil {
		m = m.next
	}
	return m
}

// IsContiguous reports whether the packet is one segment.
func (m *Mbuf) IsContiguous() bool { return m.nbSegs == 1 }

// Headroom returns the free space before this segment's data (data_off).
func (m *Mbuf) Headroom() int { return int(m.dataOff) }

// Tailroom returns the free space after this segment's data.
func (m *Mbuf) Tailroom() int { return int(m.bufLen) - int(m.dataOff) - int(m.dataLen) }

// BufLen returns the size of the buffer (buf_len).
func (m *Mbuf) BufLen() int { return int(m.bufLen) }

// Prepend grows the packet by n bytes at the front of the first segment and
// returns them, or returns nil and changes nothing if the headroom is
// smaller than n (rte_pktmbuf_prepend).
func (m *Mbuf) Prepend(n int) []byte {
	if uint(n) > uint(m.dataOff) {
		return nil
	}
	m.dataOff -= uint16(n)
	m.dataLen += uint16(n)
	m.pktLen += uint32(n)
	return m.bytesAt(int(m.dataOff), n)
}

// Append grows the packet by n bytes at the end of its last segment and
// returns them, or returns nil and changes nothing if that segment's
// tailroom is smaller than n (rte_pktmbuf_append). The new bytes are not
// cleared.
func (m *Mbuf) Append(n int) []byte {
	last := m
	if m.next != nil {
		last = m.LastSeg()
	}
	off := int(last.dataOff) + int(last.dataLen)
	if uint(n) > uint(int(last.bufLen)-off) {
		return nil
	}
	last.dataLen += uint16(n)
	m.pktLen += uint32(n)
	return last.bytesAt(off, n)
}

// Adj removes n bytes from the front of the first segment
// (rte_pktmbuf_adj). It reports false and changes nothing when the first
// segment holds fewer than n bytes.
func (m *Mbuf) Adj(n int) bool {
	if uint(n) > uint(m.dataLen) {
		return false
	}
	m.dataOff += uint16(n)
	m.dataLen -= uint16(n)
	m.pktLen -= uint32(n)
	return true
}

// Trim removes n bytes from the end of the last segment (rte_pktmbuf_trim).
// It reports false and changes nothing when that segment holds fewer than
// n bytes.
func (m *Mbuf) Trim(n int) bool {
	last := m
	if m.next != nil {
		last = m.LastSeg()
	}
	if uint(n) > uint(last.dataLen) {
		return false
	}
	last.dataLen -= uint16(n)
	m.pktLen -= uint32(n)
	return true
}

// Read returns len(dst) bytes of the packet from byte off (rte_pktmbuf_read).
// When they lie in one segment the result aliases the mbuf's data (no
// copy); otherwise they are copied into dst and dst is returned. It returns
// nil if the range is not inside the packet.
func (m *Mbuf) Read(off int, dst []byte) []byte {
	if off >= 0 && uint(off+len(dst)) <= uint(m.dataLen) {
		return m.bytesAt(int(m.dataOff)+off, len(dst))
	}
	return m.readSlow(off, dst)
}

func (m *Mbuf) readSlow(off int, dst []byte) []byte {
	if off < 0 || off > int(m.pktLen) || len(dst) > int(m.pktLen)-off {
		return nil
	}
	s := m
	for off >= int(s.dataLen) && s.next != nil {
		off -= int(s.dataLen)
		s = s.next
	}
	if off+len(dst) <= int(s.dataLen) {
		return s.bytesAt(int(s.dataOff)+off, len(dst))
	}
	copyOut(s, off, dst)
	return dst
}

// copyOut copies len(dst) bytes of the packet m, from byte off, into dst;
// the range must be valid.
func copyOut(m *Mbuf, off int, dst []byte) {
	for s := m; s != nil && len(dst) > 0; s = s.next {
		l := int(s.dataLen)
		if off >= l {
			off -= l
			continue
		}
		n := copy(dst, s.bytesAt(int(s.dataOff)+off, l-off))
		dst = dst[n:]
		off = 0
	}
}

// CopyTo copies the packet's data, every segment in order, into dst and
// returns the number of bytes copied: min(len(dst), PktLen()).
func (m *Mbuf) CopyTo(dst []byte) int {
	n := 0
	for s := m; s != nil && n < len(dst); s = s.next {
		n += copy(dst[n:], s.Data())
	}
	return n
}

// Chain appends the packet tail to the packet head (rte_pktmbuf_chain):
// head's segment count and length grow by tail's, and tail is no longer a
// packet of its own: freeing head frees it. It fails with ErrTooManySegs,
// changing nothing, if the result would have more than MaxSegs segments.
func Chain(head, tail *Mbuf) error {
	if int(head.nbSegs)+int(tail.nbSegs) > MaxSegs {
		return ErrTooManySegs
	}
	head.LastSeg().next = tail
	head.nbSegs += tail.nbSegs
	head.pktLen += tail.pktLen
	tail.pktLen = uint32(tail.dataLen)
	tail.nbSegs = 1
	return nil
}

// Linearize moves the data of every segment into the first one, whose
// tailroom must hold it, and frees the other segments on lcore
// (rte_pktmbuf_linearize). It fails with ErrNoTailroom, changing nothing,
// when the room is missing. A one-segment packet is left as it is.
//
// The data is written into the first segment's buffer: do not linearize a
// packet whose first buffer is shared with a clone.
func (m *Mbuf) Linearize(lcore uint) error {
	if m.next == nil {
		return nil
	}
	extra := int(m.pktLen) - int(m.dataLen)
	if extra > m.Tailroom() {
		return ErrNoTailroom
	}
	dst := m.bytesAt(int(m.dataOff)+int(m.dataLen), extra)
	s := m.next
	for s != nil {
		next := s.next
		dst = dst[copy(dst, s.Data()):]
		s.freeSeg(lcore)
		s = next
	}
	m.next = nil
	m.nbSegs = 1
	m.dataLen = uint16(m.pktLen)
	return nil
}

// SetNext links seg after m without updating any length or count: the
// caller (typically a driver assembling a scattered packet) sets NbSegs and
// PktLen on the first segment. Chain is the checked way.
func (m *Mbuf) SetNext(seg *Mbuf) { m.next = seg }

// SetLen sets this segment's data length (data_len) without any check.
func (m *Mbuf) SetLen(n int) { m.dataLen = uint16(n) }

// SetPktLen sets the packet length (pkt_len) without any check.
func (m *Mbuf) SetPktLen(n int) { m.pktLen = uint32(n) }

// SetNbSegs sets the segment count (nb_segs) without any check.
func (m *Mbuf) SetNbSegs(n int) { m.nbSegs = uint16(n) }

// SetHeadroom sets data_off; it reports false and changes nothing if the
// data would no longer fit in the buffer.
func (m *Mbuf) SetHeadroom(n int) bool {
	if n < 0 || n+int(m.dataLen) > int(m.bufLen) {
		return false
	}
	m.dataOff = uint16(n)
	return true
}

// ResetHeadroom sets data_off to Headroom, or to the buffer length if that
// is smaller (rte_pktmbuf_reset_headroom).
func (m *Mbuf) ResetHeadroom() { m.dataOff = uint16(min(Headroom, int(m.bufLen))) }

// Reset puts the fields of a freshly allocated mbuf back
// (rte_pktmbuf_reset): one empty segment, default headroom, no flags,
// invalid port. It does not touch the reference count, the buffer or the
// private area, and it drops (does not free) any next segment.
func (m *Mbuf) Reset() {
	m.next = nil
	m.resetFields()
}

// resetFields is the part of Reset that allocation repeats (allocReset).
func (m *Mbuf) resetFields() {
	m.dataOff = uint16(min(Headroom, int(m.bufLen)))
	m.nbSegs = 1
	m.olFlags = 0
	m.packetType = 0
	m.pktLen = 0
	m.dataLen = 0
	m.vlanTCI = 0
	m.vlanTCIOuter = 0
	m.port = PortInvalid
	m.txOffload = 0
}

// Port returns the input port (PortInvalid if none).
func (m *Mbuf) Port() uint16 { return m.port }

// SetPort sets the input port.
func (m *Mbuf) SetPort(p uint16) { m.port = p }

// OlFlags returns the offload flags (ol_flags): Rx*, Tx* and the attachment
// flags.
func (m *Mbuf) OlFlags() uint64 { return m.olFlags }

// SetOlFlags sets the offload flags. IndirectMbuf and ExtBufMbuf are kept
// as they are: they belong to Attach and AttachExtBuf.
func (m *Mbuf) SetOlFlags(f uint64) { m.olFlags = f&^attachFlags | m.olFlags&attachFlags }

// AddOlFlags sets the given flags in addition to the current ones.
func (m *Mbuf) AddOlFlags(f uint64) { m.olFlags |= f &^ attachFlags }

// ClearOlFlags clears the given flags.
func (m *Mbuf) ClearOlFlags(f uint64) { m.olFlags &^= f &^ attachFlags }

// PacketType returns the packet type (Ptype* bits).
func (m *Mbuf) PacketType() uint32 { return m.packetType }

// SetPacketType sets the packet type.
func (m *Mbuf) SetPacketType(t uint32) { m.packetType = t }

// VLANTCI returns the VLAN tag control information (valid with RxVLAN on
// receive, used with TxVLAN on transmit), in host byte order.
func (m *Mbuf) VLANTCI() uint16 { return m.vlanTCI }

// SetVLANTCI sets the VLAN TCI.
func (m *Mbuf) SetVLANTCI(tci uint16) { m.vlanTCI = tci }

// VLANTCIOuter returns the outer VLAN TCI (RxQinQ, TxQinQ).
func (m *Mbuf) VLANTCIOuter() uint16 { return m.vlanTCIOuter }

// SetVLANTCIOuter sets the outer VLAN TCI.
func (m *Mbuf) SetVLANTCIOuter(tci uint16) { m.vlanTCIOuter = tci }

// RSSHash returns the RSS hash (valid with RxRSSHash).
func (m *Mbuf) RSSHash() uint32 { return m.rss }

// SetRSSHash sets the RSS hash.
func (m *Mbuf) SetRSSHash(h uint32) { m.rss = h }

// FDIRID returns the flow director id or mark (valid with RxFDIRID); it is
// the high half of DPDK's 64-bit hash union.
func (m *Mbuf) FDIRID() uint32 { return m.fdirID }

// SetFDIRID sets the flow director id.
func (m *Mbuf) SetFDIRID(id uint32) { m.fdirID = id }

// Timestamp returns the receive timestamp (valid with RxTimestamp).
func (m *Mbuf) Timestamp() uint64 { return m.timestamp }

// SetTimestamp sets the timestamp.
func (m *Mbuf) SetTimestamp(t uint64) { m.timestamp = t }

// Timesync returns the IEEE 1588 timesync register index.
func (m *Mbuf) Timesync() uint16 { return m.timesync }

// SetTimesync sets the timesync register index.
func (m *Mbuf) SetTimesync(i uint16) { m.timesync = i }

// UserData returns the application word (kept across Alloc; copied by
// Clone).
func (m *Mbuf) UserData() uint64 { return m.userData }

// SetUserData sets the application word.
func (m *Mbuf) SetUserData(v uint64) { m.userData = v }

// PoolID returns the id of the pool the mbuf belongs to.
func (m *Mbuf) PoolID() uint16 { return m.pool }

// Pool returns the pool the mbuf belongs to.
func (m *Mbuf) Pool() *Pool { return PoolByID(m.pool) }

// PrivSize returns the size of the mbuf's private area.
func (m *Mbuf) PrivSize() int { return int(m.privSize) }

// IsIndirect reports whether m is attached to another mbuf's buffer.
func (m *Mbuf) IsIndirect() bool { return m.olFlags&IndirectMbuf != 0 }

// HasExtBuf reports whether m is attached to an external buffer.
func (m *Mbuf) HasExtBuf() bool { return m.olFlags&ExtBufMbuf != 0 }

// IsDirect reports whether m uses its own buffer (RTE_MBUF_DIRECT).
func (m *Mbuf) IsDirect() bool { return m.olFlags&attachFlags == 0 }

// tx_offload bit layout, as in DPDK's rte_mbuf tx_offload union.
const (
	l2LenBits    = 7
	l3LenBits    = 9
	l4LenBits    = 8
	tsoSegszBits = 16
	outL3LenBits = 9
	outL2LenBits = 7

	l2LenShift    = 0
	l3LenShift    = l2LenShift + l2LenBits
	l4LenShift    = l3LenShift + l3LenBits
	tsoSegszShift = l4LenShift + l4LenBits
	outL3LenShift = tsoSegszShift + tsoSegszBits
	outL2LenShift = outL3LenShift + outL3LenBits
)

func (m *Mbuf) txField(shift, bits uint) int {
	return int(m.txOffload >> shift & (1<<bits - 1))
}

func (m *Mbuf) setTxField(shift, bits uint, v int) {
	mask := uint64(1<<bits-1) << shift
	m.txOffload = m.txOffload&^mask | uint64(v)<<shift&mask
}

// TxOffload returns the raw tx_offload word.
func (m *Mbuf) TxOffload() uint64 { return m.txOffload }

// SetTxOffload sets the raw tx_offload word.
func (m *Mbuf) SetTxOffload(v uint64) { m.txOffload = v }

// SetTxLens sets every header length of tx_offload at once
// (rte_mbuf_tx_offload); values are truncated to their field width.
func (m *Mbuf) SetTxLens(l2, l3, l4, tsoSegsz, outerL3, outerL2 int) {
	m.txOffload = TxOffloadWord(l2, l3, l4, tsoSegsz, outerL3, outerL2)
}

// TxOffloadWord packs header lengths into a tx_offload word.
func TxOffloadWord(l2, l3, l4, tsoSegsz, outerL3, outerL2 int) uint64 {
	return uint64(l2)&(1<<l2LenBits-1)<<l2LenShift |
		uint64(l3)&(1<<l3LenBits-1)<<l3LenShift |
		uint64(l4)&(1<<l4LenBits-1)<<l4LenShift |
		uint64(tsoSegsz)&(1<<tsoSegszBits-1)<<tsoSegszShift |
		uint64(outerL3)&(1<<outL3LenBits-1)<<outL3LenShift |
		uint64(outerL2)&(1<<outL2LenBits-1)<<outL2LenShift
}

// L2Len returns the L2 (inner, for tunnels) header length; 7 bits.
func (m *Mbuf) L2Len() int { return m.txField(l2LenShift, l2LenBits) }

// L3Len returns the L3 header length; 9 bits.
func (m *Mbuf) L3Len() int { return m.txField(l3LenShift, l3LenBits) }

// L4Len returns the L4 header length; 8 bits.
func (m *Mbuf) L4Len() int { return m.txField(l4LenShift, l4LenBits) }

// TSOSegsz returns the TCP/UDP segmentation size; 16 bits.
func (m *Mbuf) TSOSegsz() int { return m.txField(tsoSegszShift, tsoSegszBits) }

// OuterL3Len returns the outer L3 header length; 9 bits.
func (m *Mbuf) OuterL3Len() int { return m.txField(outL3LenShift, outL3LenBits) }

// OuterL2Len returns the outer L2 header length; 7 bits.
func (m *Mbuf) OuterL2Len() int { return m.txField(outL2LenShift, outL2LenBits) }

// SetL2Len sets the L2 header length (truncated to 7 bits).
func (m *Mbuf) SetL2Len(n int) { m.setTxField(l2LenShift, l2LenBits, n) }

// SetL3Len sets the L3 header length (truncated to 9 bits).
func (m *Mbuf) SetL3Len(n int) { m.setTxField(l3LenShift, l3LenBits, n) }

// SetL4Len sets the L4 header length (truncated to 8 bits).
func (m *Mbuf) SetL4Len(n int) { m.setTxField(l4LenShift, l4LenBits, n) }

// SetTSOSegsz sets the segmentation size (truncated to 16 bits).
func (m *Mbuf) SetTSOSegsz(n int) { m.setTxField(tsoSegszShift, tsoSegszBits, n) }

// SetOuterL3Len sets the outer L3 header length (truncated to 9 bits).
func (m *Mbuf) SetOuterL3Len(n int) { m.setTxField(outL3LenShift, outL3LenBits, n) }

// SetOuterL2Len sets the outer L2 header length (truncated to 7 bits).
func (m *Mbuf) SetOuterL2Len(n int) { m.setTxField(outL2LenShift, outL2LenBits, n) }
