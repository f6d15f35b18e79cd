package afpacket

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// Offsets in struct tpacket_block_desc (with tpacket_hdr_v1) and struct
// tpacket3_hdr, <linux/if_packet.h>.
const (
	blkStatus      = 8  // block_status u32
	blkNumPkts     = 12 // num_pkts u32
	blkFirstPkt    = 16 // offset_to_first_pkt u32
	blkDescLen     = 48 // sizeof(struct tpacket_block_desc)
	hdrNextOffset  = 0  // tp_next_offset u32
	hdrSnaplen     = 12 // tp_snaplen u32
	hdrLen         = 16 // tp_len u32
	hdrStatus      = 20 // tp_status u32
	hdrMac         = 24 // tp_mac u16
	hdrRxHash      = 28 // hv1.tp_rxhash u32
	hdrVLANTCI     = 32 // hv1.tp_vlan_tci u32
	hdrVLANTPID    = 36 // hv1.tp_vlan_tpid u16
	tpacket3HdrLen = 48 // TPACKET_ALIGN(sizeof(struct tpacket3_hdr))
)

// Packet is one received frame. Data points into the rx ring and is valid
// until the next call of Next on the same Socket.
type Packet struct {
	Data     []byte // the frame from its Ethernet header, Snaplen bytes
	Len      int    // the frame's length on the wire (> len(Data) if truncated)
	Status   uint32 // TP_STATUS_* bits (CSUM_VALID, CSUMNOTREADY, VLAN_VALID, ...)
	RxHash   uint32 // the kernel's flow hash (TP_FT_REQ_FILL_RXHASH)
	VLANTCI  uint16 // the stripped VLAN tag, when Status has TP_STATUS_VLAN_VALID
	VLANTPID uint16 // its TPID, when Status has TP_STATUS_VLAN_TPID_VALID
}

// rxRing walks the blocks of a TPACKET_V3 rx ring in mem. It is a plain
// value over bytes so that tests and fuzzing can drive it without a socket.
type rxRing struct {
	mem       []byte
	blockSize int
	nblocks   int
	cur       int  // current block
	held      bool // the current block is ours: give it back when done
	off       int  // offset in mem of the next packet header in the block
	left      int  // packets left in the block
	bad       uint64
}

// next returns the next packet, or ok false when the kernel has handed no
// new block over. A block is given back to the kernel on the call after its
// last packet was returned.
func (r *rxRing) next(p *Packet) bool {
	for {
		if r.left > 0 {
			if r.packet(p) {
				return true
			}
			continue
		}
		if r.held {
			storeStatus(r.mem, r.cur*r.blockSize+blkStatus, unix.TP_STATUS_KERNEL)
			r.held = false
			r.cur++
			if r.cur == r.nblocks {
				r.cur = 0
			}
		}
		base := r.cur * r.blockSize
		if loadStatus(r.mem, base+blkStatus)&unix.TP_STATUS_USER == 0 {
			return false
		}
		r.held = true
		r.left = int(binary.NativeEndian.Uint32(r.mem[base+blkNumPkts:]))
		first := int(binary.NativeEndian.Uint32(r.mem[base+blkFirstPkt:]))
		if first < blkDescLen || first >= r.blockSize {
			r.bad += uint64(r.left)
			r.left = 0
			continue
		}
		r.off = base + first
	}
}

// packet decodes the packet header at r.off into p and moves to the next
// one. A header that does not fit the block (the kernel never writes one)
// drops the rest of the block and counts it in r.bad.
func (r *rxRing) packet(p *Packet) bool {
	end := (r.cur + 1) * r.blockSize
	h := r.off
	if h+tpacket3HdrLen > end {
		r.bad += uint64(r.left)
		r.left = 0
		return false
	}
	hdr := r.mem[h : h+tpacket3HdrLen]
	next := int(binary.NativeEndian.Uint32(hdr[hdrNextOffset:]))
	snap := int(binary.NativeEndian.Uint32(hdr[hdrSnaplen:]))
	mac := int(binary.NativeEndian.Uint16(hdr[hdrMac:]))
	r.left--
	if r.left > 0 {
		if next < tpacket3HdrLen || next > end-h {
			r.bad += uint64(r.left)
			r.left = 0
		} else {
			r.off = h + next
		}
	}
	if mac < tpacket3HdrLen || snap > end-h-mac {
		r.bad++
		return false
	}
	p.Data = r.mem[h+mac : h+mac+snap : h+mac+snap]
	p.Len = int(binary.NativeEndian.Uint32(hdr[hdrLen:]))
	p.Status = binary.NativeEndian.Uint32(hdr[hdrStatus:])
	p.RxHash = binary.NativeEndian.Uint32(hdr[hdrRxHash:])
	p.VLANTCI = uint16(binary.NativeEndian.Uint32(hdr[hdrVLANTCI:]))
	p.VLANTPID = binary.NativeEndian.Uint16(hdr[hdrVLANTPID:])
	return true
}
