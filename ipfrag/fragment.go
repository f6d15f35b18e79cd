package ipfrag

import (
	"encoding/binary"

	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

// FragmentIPv4 splits the IPv4 packet m (its data starts at the IPv4
// header; it may be a chain) into fragments of at most mtu bytes each,
// stores them in out and returns how many (rte_ipv4_fragment_packet).
//
// The first fragment carries the original header with all its options,
// the others only the options whose copied flag is set (RFC 791). The
// offsets continue those of m (m may itself be a fragment), and the last
// fragment keeps m's MF flag. Each fragment is a direct mbuf from direct
// holding the header, chained to indirect mbufs from indirect that share
// m's payload; its L3Len is set. A packet that fits in mtu gives one
// fragment: a clone of m.
//
// m stays the caller's, who frees it whenever it likes; out[:n] become the
// caller's. On error nothing is kept: ErrDontFragment (DF set and m
// larger than mtu), ErrMTU, ErrMalformed, ErrTooManyFragments (out too
// short), ErrNoMbufs. It does not allocate.
func FragmentIPv4(m *mbuf.Mbuf, out []*mbuf.Mbuf, mtu int, direct, indirect *mbuf.Pool, lcore uint) (int, error) {
	var hbuf [proto.IPv4MaxLen]byte
	h := m.Read(0, hbuf[:proto.IPv4MinLen])
	if h == nil || h[0]>>4 != 4 {
		return 0, ErrMalformed
	}
	hl := int(h[0]&0xf) * 4
	tl := int(binary.BigEndian.Uint16(h[2:4]))
	if hl < proto.IPv4MinLen || tl < hl || tl > m.PktLen() {
		return 0, ErrMalformed
	}
	if hl > proto.IPv4MinLen {
		if h = m.Read(0, hbuf[:hl]); h == nil {
			return 0, ErrMalformed
		}
	}
	ip := proto.IPv4(h)
	if tl <= mtu {
		return cloneOne(m, out, indirect, lcore)
	}
	if ip.DontFragment() {
		return 0, ErrDontFragment
	}
	// The header of the fragments after the first: the fixed part and the
	// options to copy, padded with End to a multiple of 4.
	var h2buf [proto.IPv4MaxLen]byte
	hl2 := copiedOptions(h2buf[:], h[:hl])
	if mtu-hl < 8 || mtu-hl2 < 8 {
		return 0, ErrMTU
	}
	first := (mtu - hl) &^ 7
	rest := (mtu - hl2) &^ 7
	plen := tl - hl
	nfrag := 1
	if plen > first {
		nfrag += (plen - first + rest - 1) / rest
	}
	if nfrag > len(out) {
		return 0, ErrTooManyFragments
	}
	origOff := ip.FragmentOffset()
	origMF := ip.MoreFragments()
	if origOff+tl > 0xffff {
		return 0, ErrMalformed // a fragment past the largest datagram
	}

	// The header checksums without the length and offset words, which
	// each fragment adds to them.
	sum1 := headerSumWithout(h[:hl])
	sum2 := headerSumWithout(h2buf[:hl2])
	cur := mbuf.NewCursor(m)
	cur.Skip(hl)
	off := 0
	for i := range nfrag {
		hdr, hlen, n, sum := h[:hl], hl, first, sum1
		if i > 0 {
			hdr, hlen, n, sum = h2buf[:hl2], hl2, rest, sum2
		}
		n = min(n, plen-off)
		hm := direct.Alloc(lcore)
		if hm == nil {
			freeAll(out[:i], lcore)
			return 0, ErrNoMbufs
		}
		b := hm.Append(hlen)
		if b == nil {
			hm.Free(lcore)
			freeAll(out[:i], lcore)
			return 0, ErrMTU
		}
		copy(b, hdr)
		fo := uint16((origOff + off) / 8)
		if i < nfrag-1 || origMF {
			fo |= proto.IPv4FlagMF
		}
		binary.BigEndian.PutUint16(b[2:4], uint16(hlen+n))
		binary.BigEndian.PutUint16(b[6:8], fo)
		binary.BigEndian.PutUint16(b[10:12], ^proto.Combine(sum, proto.Combine(uint16(hlen+n), fo)))
		hm.SetL3Len(hlen)
		hm.SetPacketType(m.PacketType())
		hm.SetPort(m.Port())
		out[i] = hm
		if !cur.AttachTo(hm, n, indirect, lcore) {
			freeAll(out[:i+1], lcore)
			return 0, ErrNoMbufs
		}
		off += n
	}
	return nfrag, nil
}

// headerSumWithout returns the sum of the IPv4 header h without its total
// length, flags and offset, and checksum words.
func headerSumWithout(h []byte) uint16 {
	s := proto.Checksum(h[0:2], 0)
	s = proto.Checksum(h[4:6], s)
	s = proto.Checksum(h[8:10], s)
	return proto.Checksum(h[12:], s)
}

// copiedOptions writes to dst the header of the non-first fragments: the
// fixed 20 bytes of h and its options with the copied flag, padded with
// zeros (End of options) to a multiple of 4; it returns its length. An
// option list that does not parse is cut where it stops parsing.
func copiedOptions(dst, h []byte) int {
	copy(dst, h[:proto.IPv4MinLen])
	n := proto.IPv4MinLen
	opts := h[proto.IPv4MinLen:]
	for len(opts) > 0 {
		kind := opts[0]
		if kind == proto.IPv4OptEnd {
			break
		}
		l := 1
		if kind != proto.IPv4OptNOP {
			if len(opts) < 2 || opts[1] < 2 || int(opts[1]) > len(opts) {
				break
			}
			l = int(opts[1])
		}
		if kind&0x80 != 0 {
			n += copy(dst[n:], opts[:l])
		}
		opts = opts[l:]
	}
	for n%4 != 0 {
		dst[n] = 0
		n++
	}
	dst[0] = 0x40 | uint8(n/4)
	return n
}

// FragmentIPv6 splits the IPv6 packet m (its data starts at the IPv6
// header) into fragments of at most mtu bytes, with identification id,
// stores them in out and returns how many (rte_ipv6_fragment_packet).
//
// The unfragmentable part (the fixed header, a hop-by-hop options header,
// and the extension headers up to the last routing header) is copied into
// every fragment, followed by a fragment header (RFC 8200 §4.5). Ownership
// and errors are as FragmentIPv4's; ErrFragmented if m already has a
// fragment header. A packet that fits in mtu gives one fragment, a clone.
func FragmentIPv6(m *mbuf.Mbuf, out []*mbuf.Mbuf, mtu int, id uint32, direct, indirect *mbuf.Pool, lcore uint) (int, error) {
	var hbuf [maxUnfrag]byte
	h := m.Read(0, hbuf[:min(m.PktLen(), maxUnfrag)])
	if len(h) < proto.IPv6Len || h[0]>>4 != 6 {
		return 0, ErrMalformed
	}
	tl := proto.IPv6Len + proto.IPv6(h).PayloadLen()
	if tl == proto.IPv6Len || tl > m.PktLen() {
		return 0, ErrMalformed // no payload, or a jumbogram, or cut short
	}
	if tl <= mtu {
		return cloneOne(m, out, indirect, lcore)
	}
	ul, nhPos, err := unfragmentable(h[:min(len(h), tl)])
	if err != nil {
		return 0, err
	}
	hlen := ul + proto.IPv6FragmentLen
	if mtu-hlen < 8 {
		return 0, ErrMTU
	}
	size := (mtu - hlen) &^ 7
	plen := tl - ul
	nfrag := (plen + size - 1) / size
	if nfrag > len(out) {
		return 0, ErrTooManyFragments
	}
	upper := h[nhPos]

	cur := mbuf.NewCursor(m)
	cur.Skip(ul)
	off := 0
	for i := range nfrag {
		n := min(size, plen-off)
		hm := direct.Alloc(lcore)
		if hm == nil {
			freeAll(out[:i], lcore)
			return 0, ErrNoMbufs
		}
		b := hm.Append(hlen)
		if b == nil {
			hm.Free(lcore)
			freeAll(out[:i], lcore)
			return 0, ErrMTU
		}
		copy(b, h[:ul])
		b[nhPos] = proto.IPProtoFragment
		binary.BigEndian.PutUint16(b[4:6], uint16(hlen-proto.IPv6Len+n))
		proto.IPv6Fragment(b[ul:]).Encode(upper, off, i < nfrag-1, id)
		hm.SetL3Len(hlen)
		hm.SetPacketType(m.PacketType())
		hm.SetPort(m.Port())
		out[i] = hm
		if !cur.AttachTo(hm, n, indirect, lcore) {
			freeAll(out[:i+1], lcore)
			return 0, ErrNoMbufs
		}
		off += n
	}
	return nfrag, nil
}

// maxUnfrag bounds the unfragmentable part of an IPv6 packet we fragment.
const maxUnfrag = 512

// unfragmentable returns the length of the unfragmentable part of the
// IPv6 packet h and the position of the next-header byte that names the
// first fragmentable header.
func unfragmentable(h []byte) (ul, nhPos int, err error) {
	ul, nhPos = proto.IPv6Len, 6
	p, off := h[6], proto.IPv6Len
	for range 8 {
		switch p {
		case proto.IPProtoHopOpts, proto.IPProtoRouting, proto.IPProtoDstOpts:
		case proto.IPProtoFragment:
			return 0, 0, ErrFragmented
		default:
			return ul, nhPos, nil
		}
		if off+2 > len(h) {
			return 0, 0, ErrMalformed
		}
		l := proto.ExtLen(p, h[off:])
		if off+l > len(h) {
			return 0, 0, ErrMalformed
		}
		if p != proto.IPProtoDstOpts {
			// Hop-by-hop and routing headers, and the destination options
			// before a routing header, stay in every fragment.
			ul, nhPos = off+l, off
		}
		p = h[off]
		off += l
	}
	return 0, 0, ErrMalformed
}

// cloneOne is the one-fragment case: out[0] is a clone of m.
func cloneOne(m *mbuf.Mbuf, out []*mbuf.Mbuf, indirect *mbuf.Pool, lcore uint) (int, error) {
	if len(out) == 0 {
		return 0, ErrTooManyFragments
	}
	c := indirect.Clone(m, lcore)
	if c == nil {
		return 0, ErrNoMbufs
	}
	out[0] = c
	return 1, nil
}

func freeAll(ms []*mbuf.Mbuf, lcore uint) {
	for i, m := range ms {
		m.Free(lcore)
		ms[i] = nil
	}
}
