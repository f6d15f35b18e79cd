package afpacket

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// Offsets in struct tpacket2_hdr, <linux/if_packet.h>.
const (
	v2Status       = 0  // tp_status u32
	v2Len          = 4  // tp_len u32
	v2Snaplen      = 8  // tp_snaplen u32
	v2Mac          = 12 // tp_mac u16
	v2VLANTCI      = 24 // tp_vlan_tci u16
	v2VLANTPID     = 26 // tp_vlan_tpid u16
	tpacket2HdrLen = 32 // TPACKET_ALIGN(sizeof(struct tpacket2_hdr))
)

// rxRingV2 walks the fixed-size frames of a TPACKET_V2 rx ring: each frame
// is handed over on its own (TP_STATUS_USER in its header) as soon as the
// kernel has written it, with no retire timeout.
type rxRingV2 struct {
	mem            []byte
	blockSize      int
	frameSize      int
	framesPerBlock int
	nframes        int
	cur            int  // current frame
	held           bool // the current frame is ours: give it back when done
	bad            uint64
}

func (r *rxRingV2) frameOff(i int) int {
	return (i/r.framesPerBlock)*r.blockSize + (i%r.framesPerBlock)*r.frameSize
}

// next returns the next packet, or false if the kernel has handed none
// over. A frame is given back on the next call.
func (r *rxRingV2) next(p *Packet) bool {
	for {
		if r.held {
			storeStatus(r.mem, r.frameOff(r.cur)+v2Status, unix.TP_STATUS_KERNEL)
			r.held = false
			r.cur++
			if r.cur == r.nframes {
				r.cur = 0
			}
		}
		off := r.frameOff(r.cur)
		st := loadStatus(r.mem, off+v2Status)
		if st&unix.TP_STATUS_USER == 0 {
			return false
		}
		r.held = true
		f := r.mem[off : off+r.frameSize]
		snap := int(binary.NativeEndian.Uint32(f[v2Snaplen:]))
		mac := int(binary.NativeEndian.Uint16(f[v2Mac:]))
		if mac < tpacket2HdrLen || mac > r.frameSize || snap > r.frameSize-mac {
			r.bad++
			continue
		}
		p.Data = f[mac : mac+snap : mac+snap]
		p.Len = int(binary.NativeEndian.Uint32(f[v2Len:]))
		p.Status = st
		p.RxHash = 0
		p.VLANTCI = binary.NativeEndian.Uint16(f[v2VLANTCI:])
		p.VLANTPID = binary.NativeEndian.Uint16(f[v2VLANTPID:])
		return true
	}
}
