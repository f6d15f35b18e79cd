// Package gso is generic segmentation offload in software, like DPDK's
// librte_gso: it cuts a packet larger than the link allows into packets
// that fit, sharing the big packet's payload instead of copying it.
//
// Segment handles what the mbuf's transmit flags ask for (as
// rte_gso_segment):
//
//   - TCP/IPv4 and TCP/IPv6 (mbuf.TxTCPSeg): TCP segments, each with the
//     headers of the original, sequence numbers advanced, FIN and PSH only
//     on the last and CWR only on the first segment, IPv4 identifications
//     counted up from the original's (or all the same, Context.FixedIPID);
//   - TCP in VXLAN or GRE over IPv4 or IPv6 (mbuf.TxTCPSeg with
//     mbuf.TxTunnelVXLAN or mbuf.TxTunnelGRE): the same on the inner
//     packet, and the outer IP and UDP lengths and IPv4 identification
//     fixed;
//   - UDP/IPv4 (mbuf.TxUDPSeg): IP fragments, as DPDK does (see ipfrag).
//
// The header lengths come from the mbuf (L2Len, L3Len, L4Len, and for a
// tunnel OuterL2Len, OuterL3Len, with L2Len covering the outer UDP, the
// tunnel header and the inner Ethernet header: proto.SetPtype sets them
// this way). Each output packet is a direct mbuf holding a copy of the
// headers followed by indirect mbufs attached to the big packet's
// segments; none is longer than Context.Size bytes, L2 header included.
//
// Unlike DPDK, the checksums are computed in software (IPv4 headers, TCP,
// and the outer UDP over IPv6), unless Context.OffloadChecksums leaves
// them to the port (the segments then carry the checksum request flags
// and the pseudo-header sums, as the port's Tx prepare expects).
package gso

import (
	"encoding/binary"
	"errors"

	"github.com/dpkit/dpkit/ipfrag"
	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

// Context holds what Segment needs (rte_gso_ctx). It is a plain value.
type Context struct {
	Direct   *mbuf.Pool // for the header mbufs
	Indirect *mbuf.Pool // for the mbufs attached to the payload
	// Size is the most bytes an output packet may have, L2 header
	// included (gso_size), e.g. 1514 for a 1500-byte MTU.
	Size int
	// FixedIPID keeps the IPv4 identification of every segment the
	// original's (RTE_GSO_FLAG_IPID_FIXED); otherwise it counts up.
	FixedIPID bool
	// OffloadChecksums leaves the checksums to the port.
	OffloadChecksums bool
}

// Errors of Segment.
var (
	ErrNotSupported = errors.New("gso: packet type not supported")
	ErrMalformed    = errors.New("gso: headers do not match the mbuf's header lengths")
	ErrSize         = errors.New("gso: Size leaves no room for payload")
	ErrTooMany      = errors.New("gso: more segments than the output holds")
	ErrNoMbufs      = errors.New("gso: out of mbufs")
)

// maxHdr bounds the headers of a packet Segment cuts.
const maxHdr = 256

// hdrs is where the headers of a packet are.
type hdrs struct {
	outerIP  int // -1 without a tunnel
	outerV6  bool
	outerUDP int // -1 unless VXLAN
	greCsum  int // offset of the GRE header when it has a checksum, else -1
	ip       int
	v6       bool
	l4       int
	len      int // of all the headers
}

// Segment cuts m into packets of at most c.Size bytes, stores them in out
// and returns how many (rte_gso_segment). A packet without TxTCPSeg or
// TxUDPSeg, or short enough already, gives one packet: a clone of m.
//
// m stays the caller's, who frees it when it likes (the segments hold
// references on its buffers); out[:n] become the caller's. On error
// nothing is kept. It does not allocate.
func (c *Context) Segment(m *mbuf.Mbuf, out []*mbuf.Mbuf, lcore uint) (int, error) {
	fl := m.OlFlags()
	if fl&(mbuf.TxTCPSeg|mbuf.TxUDPSeg) == 0 || m.PktLen() <= c.Size {
		return c.clone(m, out, lcore)
	}
	if fl&mbuf.TxUDPSeg != 0 {
		return c.udp4(m, out, lcore)
	}
	var h hdrs
	h.outerIP, h.outerUDP, h.greCsum = -1, -1, -1
	switch fl & mbuf.TxTunnelMask {
	case 0:
		h.ip = m.L2Len()
	case mbuf.TxTunnelVXLAN, mbuf.TxTunnelGRE:
		h.outerIP = m.OuterL2Len()
		h.outerV6 = fl&mbuf.TxOuterIPv6 != 0
		if fl&mbuf.TxTunnelMask == mbuf.TxTunnelVXLAN {
			h.outerUDP = h.outerIP + m.OuterL3Len()
		}
		h.ip = h.outerIP + m.OuterL3Len() + m.L2Len()
	default:
		return 0, ErrNotSupported
	}
	h.v6 = fl&mbuf.TxIPv6 != 0
	h.l4 = h.ip + m.L3Len()
	h.len = h.l4 + m.L4Len()
	if h.len > maxHdr || h.len >= m.PktLen() || m.L4Len() < proto.TCPMinLen {
		return 0, ErrMalformed
	}
	var buf [maxHdr]byte
	hb := m.Read(0, buf[:h.len])
	if hb == nil || !h.check(hb) {
		return 0, ErrMalformed
	}
	if fl&mbuf.TxTunnelMask == mbuf.TxTunnelGRE {
		g := h.outerIP + m.OuterL3Len()
		if g+proto.GRELen(0) > h.ip {
			return 0, ErrMalformed
		}
		if hb[g]&0x80 != 0 {
			h.greCsum = g
		}
	}
	unit := c.Size - h.len
	if unit <= 0 {
		return 0, ErrSize
	}
	plen := m.PktLen() - h.len
	n := (plen + unit - 1) / unit
	if n > len(out) {
		return 0, ErrTooMany
	}
	cur := mbuf.NewCursor(m)
	cur.Skip(h.len)
	for i := range n {
		sz := min(unit, plen-i*unit)
		hm := c.Direct.Alloc(lcore)
		if hm == nil {
			freeAll(out[:i], lcore)
			return 0, ErrNoMbufs
		}
		b := hm.Append(h.len)
		if b == nil {
			hm.Free(lcore)
			freeAll(out[:i], lcore)
			return 0, ErrSize
		}
		copy(b, hb)
		out[i] = hm
		if !cur.AttachTo(hm, sz, c.Indirect, lcore) {
			freeAll(out[:i+1], lcore)
			return 0, ErrNoMbufs
		}
		hm.SetTxOffload(m.TxOffload())
		hm.SetTSOSegsz(0)
		hm.SetPacketType(m.PacketType())
		hm.SetPort(m.Port())
		c.fix(hm, b, &h, i, n, i*unit, fl)
	}
	return n, nil
}

// check reports whether the headers at h's offsets are what the flags say.
func (h *hdrs) check(b []byte) bool {
	if h.outerIP >= 0 && !ipAt(b, h.outerIP, h.outerV6, -1) {
		return false
	}
	if h.outerUDP >= 0 && h.outerUDP+proto.UDPLen > h.ip {
		return false
	}
	return ipAt(b, h.ip, h.v6, h.l4) && len(b) >= h.l4+proto.TCPMinLen &&
		proto.TCP(b[h.l4:]).HeaderLen() == h.len-h.l4
}

// ipAt reports whether b holds an IP header of the family at off, whose
// protocol is TCP when l4 >= 0 (the header then ends at l4).
func ipAt(b []byte, off int, v6 bool, l4 int) bool {
	if v6 {
		if off+proto.IPv6Len > len(b) || b[off]>>4 != 6 {
			return false
		}
		return l4 < 0 || l4 == off+proto.IPv6Len && b[off+6] == proto.IPProtoTCP
	}
	if off+proto.IPv4MinLen > len(b) || b[off]>>4 != 4 {
		return false
	}
	return l4 < 0 || l4 == off+proto.IPv4(b[off:]).HeaderLen() && b[off+9] == proto.IPProtoTCP
}

// fix writes segment i's headers b (in hm) for sz payload bytes at off.
func (c *Context) fix(hm *mbuf.Mbuf, b []byte, h *hdrs, i, n, off int, fl uint64) {
	total := hm.PktLen()
	if h.outerIP >= 0 {
		c.fixIP(b[h.outerIP:], total-h.outerIP, h.outerV6, i)
	}
	if h.outerUDP >= 0 {
		u := proto.UDP(b[h.outerUDP:])
		binary.BigEndian.PutUint16(u[4:6], uint16(total-h.outerUDP))
		u.SetChecksum(0)
	}
	c.fixIP(b[h.ip:], total-h.ip, h.v6, i)
	t := proto.TCP(b[h.l4:])
	binary.BigEndian.PutUint32(t[4:8], t.Seq()+uint32(off))
	f := t.Flags()
	if i < n-1 {
		f &^= proto.TCPFlagFIN | proto.TCPFlagPSH
	}
	if i > 0 {
		f &^= proto.TCPFlagCWR
	}
	t[13] = f
	hm.SetOlFlags(fl &^ (mbuf.TxTCPSeg | mbuf.TxUDPSeg))
	t.SetChecksum(0)
	var ps uint16
	if h.v6 {
		ps = proto.IPv6(b[h.ip:]).PseudoHeaderSum(proto.IPProtoTCP, total-h.l4)
	} else {
		ps = proto.IPv4(b[h.ip:]).PseudoHeaderSum(proto.IPProtoTCP, total-h.l4)
	}
	if c.OffloadChecksums {
		t.SetChecksum(ps)
		hm.AddOlFlags(mbuf.TxTCPCksum)
		if !h.v6 {
			hm.AddOlFlags(mbuf.TxIPCksum)
		}
		return
	}
	s, _ := proto.ChecksumMbuf(hm, h.l4, total-h.l4, ps)
	t.SetChecksum(^s)
	if h.outerUDP >= 0 && h.outerV6 {
		_ = proto.SetL4ChecksumMbuf(hm, h.outerIP, h.outerUDP, proto.IPProtoUDP)
	}
	if h.greCsum >= 0 {
		g := proto.GRE(b[h.greCsum:])
		g.SetChecksum(0)
		s, _ := proto.ChecksumMbuf(hm, h.greCsum, total-h.greCsum, 0)
		g.SetChecksum(^s)
	}
}

// fixIP sets the length of the IP header ip to l bytes (header included)
// and, for IPv4, the identification and the checksum.
func (c *Context) fixIP(ip []byte, l int, v6 bool, i int) {
	if v6 {
		binary.BigEndian.PutUint16(ip[4:6], uint16(l-proto.IPv6Len))
		return
	}
	binary.BigEndian.PutUint16(ip[2:4], uint16(l))
	if !c.FixedIPID {
		binary.BigEndian.PutUint16(ip[4:6], binary.BigEndian.Uint16(ip[4:6])+uint16(i))
	}
	v := proto.IPv4(ip)
	v.SetChecksum(0)
	if !c.OffloadChecksums {
		v.SetChecksum(v.CalculateChecksum())
	}
}

// udp4 cuts a UDP/IPv4 datagram into IP fragments of at most c.Size bytes
// with the L2 header.
func (c *Context) udp4(m *mbuf.Mbuf, out []*mbuf.Mbuf, lcore uint) (int, error) {
	l2 := m.L2Len()
	if m.OlFlags()&mbuf.TxIPv4 == 0 || m.OlFlags()&mbuf.TxTunnelMask != 0 || l2 > 64 || l2 >= m.Len() {
		return 0, ErrNotSupported
	}
	var l2buf [64]byte
	copy(l2buf[:l2], m.Data()[:l2])
	m.Adj(l2)
	n, err := ipfrag.FragmentIPv4(m, out, c.Size-l2, c.Direct, c.Indirect, lcore)
	m.Prepend(l2)
	switch err {
	case nil:
	case ipfrag.ErrTooManyFragments:
		return 0, ErrTooMany
	case ipfrag.ErrNoMbufs:
		return 0, ErrNoMbufs
	case ipfrag.ErrMTU:
		return 0, ErrSize
	default:
		return 0, ErrMalformed
	}
	for _, f := range out[:n] {
		copy(f.Prepend(l2), l2buf[:l2])
		f.SetOlFlags(m.OlFlags() &^ mbuf.TxUDPSeg)
		f.SetTxLens(l2, f.L3Len(), 0, 0, 0, 0)
	}
	return n, nil
}

func (c *Context) clone(m *mbuf.Mbuf, out []*mbuf.Mbuf, lcore uint) (int, error) {
	if len(out) == 0 {
		return 0, ErrTooMany
	}
	cl := c.Indirect.Clone(m, lcore)
	if cl == nil {
		return 0, ErrNoMbufs
	}
	out[0] = cl
	return 1, nil
}

func freeAll(ms []*mbuf.Mbuf, lcore uint) {
	for i, m := range ms {
		m.Free(lcore)
		ms[i] = nil
	}
}
