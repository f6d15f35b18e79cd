package pcapfile

import (
	"encoding/binary"
	"math/rand/v2"
)

// Test-side builders of capture files, written from the format documents
// apart from the reader, so that the reader is checked against them.

type testPkt struct {
	ts      int64 // ns
	data    []byte
	origLen int
	iface   int
	link    LinkType
}

func randPkts(rng *rand.Rand, n, maxLen int) []testPkt {
	pk := make([]testPkt, n)
	ts := int64(1_700_000_000_123_456_789)
	for i := range pk {
		d := make([]byte, 14+rng.IntN(maxLen-13))
		for j := range d {
			d[j] = byte(rng.Uint32())
		}
		ts += int64(rng.IntN(5e9))
		pk[i] = testPkt{ts: ts, data: d, origLen: len(d), link: LinkTypeEthernet}
	}
	return pk
}

// buildPcap makes a classic pcap file; nanos picks the timestamp unit (the
// packets' ts are cut to µs otherwise).
func buildPcap(order binary.AppendByteOrder, nanos bool, snap uint32, link LinkType, pk []testPkt) []byte {
	var b []byte
	magic := uint32(magicMicro)
	if nanos {
		magic = magicNano
	}
	b = order.AppendUint32(b, magic)
	b = order.AppendUint16(b, 2)
	b = order.AppendUint16(b, 4)
	b = order.AppendUint32(b, 0)
	b = order.AppendUint32(b, 0)
	b = order.AppendUint32(b, snap)
	b = order.AppendUint32(b, uint32(link))
	for _, p := range pk {
		b = order.AppendUint32(b, uint32(p.ts/1e9))
		if nanos {
			b = order.AppendUint32(b, uint32(p.ts%1e9))
		} else {
			b = order.AppendUint32(b, uint32(p.ts%1e9/1e3))
		}
		b = order.AppendUint32(b, uint32(len(p.data)))
		b = order.AppendUint32(b, uint32(p.origLen))
		b = append(b, p.data...)
	}
	return b
}

// ngBuilder makes pcapng files block by block.
type ngBuilder struct {
	order binary.AppendByteOrder
	b     []byte
}

func pad4(n int) int { return (n + 3) &^ 3 }

// block appends a block of type typ with body.
func (g *ngBuilder) block(typ uint32, body []byte) {
	total := uint32(12 + pad4(len(body)))
	g.b = g.order.AppendUint32(g.b, typ)
	g.b = g.order.AppendUint32(g.b, total)
	g.b = append(g.b, body...)
	g.b = append(g.b, make([]byte, pad4(len(body))-len(body))...)
	g.b = g.order.AppendUint32(g.b, total)
}

// option appends one option (code, value, padding) to b.
func (g *ngBuilder) option(b []byte, code uint16, v []byte) []byte {
	b = g.order.AppendUint16(b, code)
	b = g.order.AppendUint16(b, uint16(len(v)))
	b = append(b, v...)
	return append(b, make([]byte, pad4(len(v))-len(v))...)
}

func (g *ngBuilder) shb(order binary.AppendByteOrder) {
	g.order = order
	var body []byte
	body = order.AppendUint32(body, byteOrderLE)
	body = order.AppendUint16(body, 1)
	body = order.AppendUint16(body, 0)
	body = order.AppendUint64(body, ^uint64(0))
	body = g.option(body, 4, []byte("dpkit test")) // shb_userappl
	body = g.option(body, 0, nil)
	g.block(blockSHB, body)
}

// idb appends an interface; resol < 0 leaves if_tsresol out.
func (g *ngBuilder) idb(link LinkType, snap uint32, resol int, offset int64) {
	var body []byte
	body = g.order.AppendUint16(body, uint16(link))
	body = g.order.AppendUint16(body, 0)
	body = g.order.AppendUint32(body, snap)
	body = g.option(body, 2, []byte("eth0")) // if_name
	if resol >= 0 {
		body = g.option(body, optTSResol, []byte{byte(resol)})
	}
	if offset != 0 {
		body = g.option(body, optTSOffset, g.order.AppendUint64(nil, uint64(offset)))
	}
	body = g.option(body, 0, nil)
	g.block(blockIDB, body)
}

// epb appends an Enhanced Packet Block with ts already in the interface's
// units; withOpts adds an epb_flags and a comment.
func (g *ngBuilder) epb(iface uint32, ts uint64, data []byte, origLen int, withOpts bool) {
	var body []byte
	body = g.order.AppendUint32(body, iface)
	body = g.order.AppendUint32(body, uint32(ts>>32))
	body = g.order.AppendUint32(body, uint32(ts))
	body = g.order.AppendUint32(body, uint32(len(data)))
	body = g.order.AppendUint32(body, uint32(origLen))
	body = append(body, data...)
	body = append(body, make([]byte, pad4(len(data))-len(data))...)
	if withOpts {
		body = g.option(body, 2, g.order.AppendUint32(nil, 1)) // epb_flags: inbound
		body = g.option(body, 1, []byte("a comment"))
		body = g.option(body, 0, nil)
	}
	g.block(blockEPB, body)
}

func (g *ngBuilder) opb(iface uint16, ts uint64, data []byte, origLen int) {
	var body []byte
	body = g.order.AppendUint16(body, iface)
	body = g.order.AppendUint16(body, 0)
	body = g.order.AppendUint32(body, uint32(ts>>32))
	body = g.order.AppendUint32(body, uint32(ts))
	body = g.order.AppendUint32(body, uint32(len(data)))
	body = g.order.AppendUint32(body, uint32(origLen))
	body = append(body, data...)
	g.block(blockOPB, body)
}

func (g *ngBuilder) spb(data []byte, origLen int) {
	body := g.order.AppendUint32(nil, uint32(origLen))
	g.block(blockSPB, append(body, data...))
}
