// Package gro is generic receive offload in software, like DPDK's
// librte_gro: it merges packets of the same flow that continue one another
// into one bigger packet, so that the stages after it handle fewer
// packets. Merging chains mbufs; no payload is copied.
//
// It merges (Param.Types):
//
//   - TCP4, TCP6: TCP segments of one connection (same addresses, ports
//     and acknowledgment number, same TCP options) whose sequence numbers
//     follow, with only ACK set (PSH is allowed, and ends the merged
//     packet), and for IPv4 no fragment and identifications that count up
//     by one (or DF set on all); IPv6 without extension headers;
//   - UDP4: neighbouring IPv4 fragments of a UDP datagram, which become one
//     fragment, or the whole datagram;
//   - VXLANTCP4: TCP/IPv4 in VXLAN over IPv4, the outer headers equal
//     (addresses, ports, VNI) and the outer identifications counting up too.
//
// A merged packet's lengths, IPv4 header checksums and TCP checksum are
// rewritten; it is at most 65535 bytes from its (outer) IP header on.
//
// Two ways to use it, as DPDK:
//
//   - lightweight, per burst: Burst.Reassemble merges what it can inside
//     one burst and hands everything back at once;
//   - heavyweight: a Context keeps packets across bursts (Reassemble), and
//     TimeoutFlush hands back those that waited long enough.
//
// The headers up to the payload must lie in a packet's first segment, and
// that segment must not be shared (direct, reference count 1), or the
// packet is handed back untouched. Nothing allocates after New.
package gro

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"

	"github.com/dpkit/dpkit/mbuf"
	"github.com/dpkit/dpkit/proto"
)

// Types selects what a table merges (RTE_GRO_*).
type Types uint8

const (
	TCP4 Types = 1 << iota
	TCP6
	UDP4
	VXLANTCP4
	AllTypes = TCP4 | TCP6 | UDP4 | VXLANTCP4
)

// Param sizes a table (rte_gro_param). It is a plain value.
type Param struct {
	Types Types
	// MaxFlows is the most flows held at once; MaxItemsPerFlow the most
	// packets (each maybe already merged) one flow holds.
	MaxFlows, MaxItemsPerFlow int
}

// ErrParam reports a Param out of range.
var ErrParam = errors.New("gro: invalid parameters")

const maxIPLen = 0xffff

// kinds of packets
const (
	kindNone uint8 = iota
	kindTCP4
	kindTCP6
	kindUDP4
	kindVXLAN
)

// key is what a flow is.
type key struct {
	kind       uint8
	macs       [12]byte
	src, dst   [16]byte
	sport      uint16
	dport      uint16
	ack        uint32   // TCP; the IPv4 identification for UDP4
	omacs      [12]byte // VXLAN: the inner Ethernet addresses
	osrc, odst [4]byte
	oports     [2]uint16
	vni        uint32
}

// info is what classify found in a packet.
type info struct {
	key
	oip, ip, l4, hlen int // offsets; oip -1 without a tunnel
	plen              int
	seq               uint32 // TCP sequence, or fragment offset in bytes
	id, oid           uint16
	df, odf           bool
	psh               bool   // TCP PSH; for UDP4 the MF flag
	psum              uint16 // TCP: one's complement sum of the payload
}

// item is a packet held, maybe merged from several.
type item struct {
	head, last      *mbuf.Mbuf
	info            // of the packet at the head, with seq and plen of the whole
	lastID, lastOID uint16
	start           uint64
	merged          int
	closed          bool // TCP: PSH seen, nothing more after it
	flow            int32
	nextInFlow      int32
	older, newer    int32
}

type flowSlot struct {
	used  bool
	hash  uint32
	key   key
	items int32 // first item
	n     int32
}

// table is what Burst and Context share.
type table struct {
	types    Types
	maxItems int32
	items    []item
	free     []int32
	flows    []flowSlot
	nflows   int
	maxFlows int
	oldest   int32
	newest   int32
	count    int
}

func newTable(p Param) (*table, error) {
	if p.Types&^AllTypes != 0 || p.Types == 0 {
		return nil, fmt.Errorf("%w: Types %#x", ErrParam, p.Types)
	}
	if p.MaxFlows < 1 || p.MaxFlows > 1<<20 || p.MaxItemsPerFlow < 1 || p.MaxItemsPerFlow > 1<<10 {
		return nil, fmt.Errorf("%w: MaxFlows %d (1..%d), MaxItemsPerFlow %d (1..1024)", ErrParam, p.MaxFlows, 1<<20, p.MaxItemsPerFlow)
	}
	n := p.MaxFlows * p.MaxItemsPerFlow
	t := &table{
		types:    p.Types,
		maxItems: int32(p.MaxItemsPerFlow),
		items:    make([]item, n),
		free:     make([]int32, n),
		flows:    make([]flowSlot, 1<<bits.Len(uint(2*p.MaxFlows-1))),
		maxFlows: p.MaxFlows,
		oldest:   -1,
		newest:   -1,
	}
	for i := range t.free {
		t.free[i] = int32(n - 1 - i)
	}
	return t, nil
}

// classify fills in what m is; false if it is nothing this table merges.
func (t *table) classify(m *mbuf.Mbuf, in *info) bool {
	if !m.IsDirect() || m.Refcnt() != 1 {
		return false // its headers will be rewritten: it must be ours alone
	}
	d := m.Data()
	var h proto.HdrLens
	pt := proto.ParsePtype(d, &h) // by pointer: copying HdrLens out costs more than the parse
	l2 := int(h.L2)
	in.oip = -1
	switch {
	case pt&mbuf.PtypeTunnelMask == 0 && pt&mbuf.PtypeL4Mask == mbuf.PtypeL4TCP:
		if mbuf.PtypeIsIPv4(pt) && t.types&TCP4 != 0 {
			in.kind = kindTCP4
		} else if mbuf.PtypeIsIPv6(pt) && h.L3 == proto.IPv6Len && t.types&TCP6 != 0 {
			in.kind = kindTCP6
		} else {
			return false
		}
		in.ip, in.l4 = l2, l2+int(h.L3)
		in.hlen = in.l4 + int(h.L4)
	case pt&mbuf.PtypeTunnelMask == 0 && pt&mbuf.PtypeL4Mask == mbuf.PtypeL4Frag:
		if !mbuf.PtypeIsIPv4(pt) || t.types&UDP4 == 0 || d[l2+9] != proto.IPProtoUDP {
			return false
		}
		in.kind = kindUDP4
		in.ip = l2
		in.l4 = l2 + int(h.L3)
		in.hlen = in.l4
	case pt&mbuf.PtypeTunnelMask == mbuf.PtypeTunnelVXLAN && t.types&VXLANTCP4 != 0 &&
		mbuf.PtypeIsIPv4(pt) && innerIPv4(pt) &&
		pt&mbuf.PtypeInnerL4Mask == mbuf.PtypeInnerL4TCP && h.InnerL2 == proto.EthernetLen:
		in.kind = kindVXLAN
		in.oip = l2
		in.ip = l2 + int(h.L3) + int(h.L4) + int(h.Tunnel) + int(h.InnerL2)
		in.l4 = in.ip + int(h.InnerL3)
		in.hlen = in.l4 + int(h.InnerL4)
	default:
		return false
	}
	if in.hlen > len(d) {
		return false
	}
	k := &in.key
	*k = key{kind: in.kind}
	copy(k.macs[:], d[:12])
	// The IP lengths must hold inside the packet.
	var end int
	if in.kind == kindTCP6 {
		ip := proto.IPv6(d[in.ip:])
		end = in.ip + proto.IPv6Len + ip.PayloadLen()
		copy(k.src[:], ip[8:24])
		copy(k.dst[:], ip[24:40])
	} else {
		ip := proto.IPv4(d[in.ip:])
		end = in.ip + ip.TotalLen()
		copy(k.src[:4], ip[12:16])
		copy(k.dst[:4], ip[16:20])
		in.id, in.df = ip.ID(), ip.DontFragment()
	}
	if end > m.PktLen() || end <= in.hlen {
		return false
	}
	in.plen = end - in.hlen
	if in.kind == kindUDP4 {
		ip := proto.IPv4(d[in.ip:])
		in.seq = uint32(ip.FragmentOffset())
		in.psh = ip.MoreFragments()
		k.ack = uint32(ip.ID())
		if in.psh && in.plen%8 != 0 {
			return false
		}
		return true
	}
	tcp := proto.TCP(d[in.l4:])
	if f := tcp.Flags(); f&^proto.TCPFlagPSH != proto.TCPFlagACK {
		return false
	}
	in.psh = tcp.Flags()&proto.TCPFlagPSH != 0
	// The payload's sum, from the checksum the packet carries (as Linux's
	// CHECKSUM_COMPLETE): the merged packet's checksum is then found
	// without reading the payloads, and is wrong if one of them was.
	l4len := in.hlen - in.l4 + in.plen
	var ps uint16
	if in.kind == kindTCP6 {
		ps = proto.IPv6(d[in.ip:]).PseudoHeaderSum(proto.IPProtoTCP, l4len)
	} else {
		ps = proto.IPv4(d[in.ip:]).PseudoHeaderSum(proto.IPProtoTCP, l4len)
	}
	in.psum = ^proto.Combine(ps, proto.Checksum(d[in.l4:in.hlen], 0))
	in.seq = tcp.Seq()
	k.ack = tcp.Ack()
	k.sport, k.dport = tcp.SrcPort(), tcp.DstPort()
	if in.kind == kindVXLAN {
		o := proto.IPv4(d[in.oip:])
		copy(k.omacs[:], d[in.ip-proto.EthernetLen:in.ip-2])
		k.osrc, k.odst = o.SrcBytes(), o.DstBytes()
		u := proto.UDP(d[in.oip+o.HeaderLen():])
		k.oports = [2]uint16{u.SrcPort(), u.DstPort()}
		k.vni = binary.BigEndian.Uint32(d[in.oip+o.HeaderLen()+proto.UDPLen:])
		in.oid, in.odf = o.ID(), o.DontFragment()
		if in.oip+o.TotalLen() != end || in.oip+o.HeaderLen()+u.Length() != end {
			return false // the outer lengths must agree with the inner
		}
	}
	return true
}

func innerIPv4(pt uint32) bool {
	l3 := pt & mbuf.PtypeInnerL3Mask
	return l3 == mbuf.PtypeInnerL3IPv4 || l3 == mbuf.PtypeInnerL3IPv4Ext
}

func (k *key) hash() uint32 {
	h := uint64(k.kind)<<56 ^ uint64(k.sport)<<16 ^ uint64(k.dport) ^ uint64(k.ack)<<24
	h = mix(h ^ binary.LittleEndian.Uint64(k.src[0:8]))
	h = mix(h ^ binary.LittleEndian.Uint64(k.src[8:16]))
	h = mix(h ^ binary.LittleEndian.Uint64(k.dst[0:8]))
	h = mix(h ^ binary.LittleEndian.Uint64(k.dst[8:16]) ^ uint64(k.vni))
	return uint32(h>>32) ^ uint32(h)
}

func mix(h uint64) uint64 {
	hi, lo := bits.Mul64(h^0x2545f4914f6cdd1d, 0x9e3779b97f4a7c15)
	return hi ^ lo
}

// findFlow returns the slot of k, or where it would go (used false), or
// -1 when the table is full.
func (t *table) findFlow(k *key, h uint32) int32 {
	mask := uint32(len(t.flows) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		f := &t.flows[i]
		if !f.used {
			if t.nflows >= t.maxFlows {
				return -1
			}
			return int32(i)
		}
		if f.hash == h && f.key == *k {
			return int32(i)
		}
	}
}

// delFlow frees slot i, moving later entries back (linear probing).
func (t *table) delFlow(i int32) {
	mask := int32(len(t.flows) - 1)
	t.nflows--
	for {
		t.flows[i].used = false
		j := i
		for {
			j = (j + 1) & mask
			if !t.flows[j].used {
				return
			}
			h := int32(t.flows[j].hash) & mask
			// Entry j may move to i unless its home h lies in (i, j].
			if (i <= j && (h <= i || h > j)) || (i > j && h <= i && h > j) {
				t.flows[i] = t.flows[j]
				for it := t.flows[i].items; it >= 0; it = t.items[it].nextInFlow {
					t.items[it].flow = i
				}
				i = j
				break
			}
		}
	}
}

// add takes m into the table at time now; false if it cannot (the caller
// keeps m).
func (t *table) add(m *mbuf.Mbuf, now uint64) bool {
	var in info
	if !t.classify(m, &in) {
		return false
	}
	h := in.key.hash()
	fi := t.findFlow(&in.key, h)
	if fi < 0 {
		return false
	}
	f := &t.flows[fi]
	if f.used {
		for ii := f.items; ii >= 0; ii = t.items[ii].nextInFlow {
			if t.merge(&t.items[ii], m, &in) {
				t.joinNeighbours(ii)
				return true
			}
		}
		if f.n >= t.maxItems {
			return false
		}
	}
	if len(t.free) == 0 {
		return false
	}
	trimTo(m, in.hlen+in.plen)
	if !f.used {
		*f = flowSlot{used: true, hash: h, key: in.key, items: -1}
		t.nflows++
	}
	ii := t.free[len(t.free)-1]
	t.free = t.free[:len(t.free)-1]
	it := &t.items[ii]
	*it = item{head: m, last: m.LastSeg(), info: in, lastID: in.id, lastOID: in.oid, start: now,
		merged: 1, closed: in.kind != kindUDP4 && in.psh, flow: fi, nextInFlow: f.items, older: t.newest, newer: -1}
	f.items = ii
	f.n++
	if t.newest >= 0 {
		t.items[t.newest].newer = ii
	} else {
		t.oldest = ii
	}
	t.newest = ii
	t.count++
	return true
}

// merge appends or prepends m to it if they continue one another.
func (t *table) merge(it *item, m *mbuf.Mbuf, in *info) bool {
	if in.hlen != it.hlen || in.ip != it.ip || in.l4 != it.l4 ||
		it.head.NbSegs()+m.NbSegs() > mbuf.MaxSegs {
		return false
	}
	base := it.ip
	if it.oip >= 0 {
		base = it.oip
	}
	if it.hlen-base+it.plen+in.plen > maxIPLen {
		return false
	}
	// Same IPv4 options, if any (the header lengths are equal).
	if in.kind != kindTCP6 {
		ihl := int(m.Data()[in.ip]&0xf) * 4
		if ihl > proto.IPv4MinLen && string(m.Data()[in.ip+proto.IPv4MinLen:in.ip+ihl]) !=
			string(it.head.Data()[it.ip+proto.IPv4MinLen:it.ip+ihl]) {
			return false
		}
	}
	var appendIt bool
	if in.kind == kindUDP4 {
		switch {
		case it.psh && in.seq == it.seq+uint32(it.plen): // it has MF
			appendIt = true
		case in.psh && in.seq+uint32(in.plen) == it.seq:
		default:
			return false
		}
		if in.df != it.df {
			return false
		}
	} else {
		switch {
		case !it.closed && in.seq == it.seq+uint32(it.plen):
			appendIt = true
		case !in.psh && in.seq+uint32(in.plen) == it.seq:
		default:
			return false
		}
		if !sameIPID(in.kind != kindTCP6, appendIt, in.df, it.df, in.id, it.id, it.lastID) ||
			in.kind == kindVXLAN && !sameIPID(true, appendIt, in.odf, it.odf, in.oid, it.oid, it.lastOID) {
			return false
		}
		// Same TCP options (and header length).
		a := it.head.Data()[it.l4+proto.TCPMinLen : it.hlen]
		b := m.Data()[in.l4+proto.TCPMinLen : in.hlen]
		if string(a) != string(b) {
			return false
		}
	}
	trimTo(m, in.hlen+in.plen)
	if appendIt {
		it.psum = proto.Combine(it.psum, swapIfOdd(in.psum, it.plen))
		m.Adj(in.hlen)
		link(it.head, it.last, m)
		it.last = m.LastSeg()
		it.lastID, it.lastOID = in.id, in.oid
		if in.kind == kindUDP4 {
			it.psh = in.psh
		} else if in.psh {
			it.closed = true
			tcp := proto.TCP(it.head.Data()[it.l4:])
			tcp[13] |= proto.TCPFlagPSH
		}
	} else {
		it.psum = proto.Combine(in.psum, swapIfOdd(it.psum, in.plen))
		old := it.head
		old.Adj(it.hlen)
		link(m, m.LastSeg(), old)
		if in.kind != kindUDP4 && it.closed {
			proto.TCP(m.Data()[in.l4:])[13] |= proto.TCPFlagPSH
		}
		it.head = m
		it.seq, it.id, it.oid = in.seq, in.id, in.oid // MF stays the last fragment's
	}
	it.plen += in.plen
	it.merged++
	return true
}

// swapIfOdd returns the sum s of bytes that start at offset off: their
// bytes fall in the other half of each 16-bit word when off is odd.
func swapIfOdd(s uint16, off int) uint16 {
	if off&1 != 0 {
		return bits.ReverseBytes16(s)
	}
	return s
}

// tcpChecksum is the checksum of the merged TCP segment: the pseudo
// header, the TCP header (checksum field 0) and the payloads' sums.
func tcpChecksum(tcp []byte, ps, psum uint16) uint16 {
	return ^proto.Combine(proto.Combine(ps, proto.Checksum(tcp, 0)), psum)
}

// sameIPID reports whether the IPv4 identifications allow a merge: DF
// equal, and with DF clear, consecutive.
func sameIPID(v4, appendIt, df, itDF bool, id, firstID, lastID uint16) bool {
	if !v4 {
		return true
	}
	if df != itDF {
		return false
	}
	if df {
		return true
	}
	if appendIt {
		return id == lastID+1
	}
	return id+1 == firstID
}

// link chains the packet tail after the packet head whose last segment is last.
func link(head, last, tail *mbuf.Mbuf) {
	last.SetNext(tail)
	head.SetNbSegs(head.NbSegs() + tail.NbSegs())
	head.SetPktLen(head.PktLen() + tail.PktLen())
	tail.SetNbSegs(1)
	tail.SetPktLen(tail.Len())
}

// trimTo cuts Ethernet padding: m keeps its first n bytes. Padding only
// follows small packets: it is cut from the last segment, if it fits
// there (else the packet is left as is, and its lengths say the truth).
func trimTo(m *mbuf.Mbuf, n int) {
	if x := m.PktLen() - n; x > 0 {
		m.Trim(x)
	}
}

// joinNeighbours merges item ii, which just grew, with the items of its
// flow it now touches: a packet that fills the gap between two runs makes
// them one.
func (t *table) joinNeighbours(ii int32) {
	for again := true; again; {
		again = false
		x := &t.items[ii]
		for yi := t.flows[x.flow].items; yi >= 0; yi = t.items[yi].nextInFlow {
			if yi == ii {
				continue
			}
			y := &t.items[yi]
			switch {
			case x.seq+uint32(x.plen) == y.seq && t.joinable(x, y):
				t.join(x, yi)
			case y.seq+uint32(y.plen) == x.seq && t.joinable(y, x):
				t.join(y, ii)
				ii = yi
			default:
				continue
			}
			again = true
			break
		}
	}
}

// joinable reports whether y may follow x in one packet.
func (t *table) joinable(x, y *item) bool {
	base := x.ip
	if x.oip >= 0 {
		base = x.oip
	}
	if x.hlen-base+x.plen+y.plen > maxIPLen || x.head.NbSegs()+y.head.NbSegs() > mbuf.MaxSegs {
		return false
	}
	if x.kind == kindUDP4 {
		return x.psh && x.df == y.df
	}
	return !x.closed && sameIPID(x.kind != kindTCP6, true, y.df, x.df, y.id, x.id, x.lastID) &&
		(x.kind != kindVXLAN || sameIPID(true, true, y.odf, x.odf, y.oid, x.oid, x.lastOID))
}

// join appends item yi's packet to x and drops yi from the table.
func (t *table) join(x *item, yi int32) {
	y := &t.items[yi]
	y.head.Adj(y.hlen)
	link(x.head, x.last, y.head)
	x.last = y.last
	x.lastID, x.lastOID = y.lastID, y.lastOID
	x.psum = proto.Combine(x.psum, swapIfOdd(y.psum, x.plen))
	x.plen += y.plen
	x.merged += y.merged
	x.start = min(x.start, y.start)
	if x.kind == kindUDP4 {
		x.psh = y.psh
	} else if y.closed {
		x.closed = true
		proto.TCP(x.head.Data()[x.l4:])[13] |= proto.TCPFlagPSH
	}
	t.remove(yi)
}

// flush finishes item ii's packet, removes it from the table and
// returns the packet.
func (t *table) flush(ii int32) *mbuf.Mbuf {
	it := &t.items[ii]
	m := it.head
	if it.merged > 1 {
		finish(it)
	}
	t.remove(ii)
	return m
}

// remove takes item ii out of its flow and the age list and frees it.
func (t *table) remove(ii int32) {
	it := &t.items[ii]
	// Out of the flow's list.
	f := &t.flows[it.flow]
	if f.items == ii {
		f.items = it.nextInFlow
	} else {
		for p := f.items; p >= 0; p = t.items[p].nextInFlow {
			if t.items[p].nextInFlow == ii {
				t.items[p].nextInFlow = it.nextInFlow
				break
			}
		}
	}
	f.n--
	if f.n == 0 {
		t.delFlow(it.flow)
	}
	// Out of the age list.
	if it.older >= 0 {
		t.items[it.older].newer = it.newer
	} else {
		t.oldest = it.newer
	}
	if it.newer >= 0 {
		t.items[it.newer].older = it.older
	} else {
		t.newest = it.older
	}
	it.head, it.last = nil, nil
	t.free = append(t.free, ii)
	t.count--
}

// finish rewrites the headers of a merged packet.
func finish(it *item) {
	m := it.head
	d := m.Data()
	total := it.hlen + it.plen
	if it.oip >= 0 {
		o := proto.IPv4(d[it.oip:])
		binary.BigEndian.PutUint16(o[2:4], uint16(total-it.oip))
		o.SetChecksum(0)
		o.SetChecksum(o.CalculateChecksum())
		u := proto.UDP(d[it.oip+o.HeaderLen():])
		binary.BigEndian.PutUint16(u[4:6], uint16(total-it.oip-o.HeaderLen()))
		u.SetChecksum(0)
	}
	if it.kind == kindTCP6 {
		ip := proto.IPv6(d[it.ip:])
		ip.SetPayloadLen(uint16(total - it.ip - proto.IPv6Len))
		tcp := proto.TCP(d[it.l4:it.hlen])
		tcp.SetChecksum(0)
		tcp.SetChecksum(tcpChecksum(tcp, ip.PseudoHeaderSum(proto.IPProtoTCP, total-it.l4), it.psum))
		return
	}
	ip := proto.IPv4(d[it.ip:])
	binary.BigEndian.PutUint16(ip[2:4], uint16(total-it.ip))
	if it.kind == kindUDP4 {
		v := ip.FlagsFragOff() & proto.IPv4FlagDF
		if it.psh {
			v |= proto.IPv4FlagMF
		}
		binary.BigEndian.PutUint16(ip[6:8], v|uint16(it.seq/8))
	}
	ip.SetChecksum(0)
	ip.SetChecksum(ip.CalculateChecksum())
	if it.kind == kindUDP4 {
		return
	}
	tcp := proto.TCP(d[it.l4:it.hlen])
	tcp.SetChecksum(0)
	tcp.SetChecksum(tcpChecksum(tcp, ip.PseudoHeaderSum(proto.IPProtoTCP, total-it.l4), it.psum))
}
