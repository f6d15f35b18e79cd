package afpacket

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// txRing fills the fixed-size frames of a TPACKET_V3 tx ring in mem, in
// order. Frame i is frame i%framesPerBlock of block i/framesPerBlock.
type txRing struct {
	mem            []byte
	blockSize      int
	frameSize      int
	framesPerBlock int
	nframes        int
	head           int  // next frame to fill
	v2             bool // tpacket2_hdr frames (else tpacket3_hdr)
}

// Header offsets of a tx frame.
func (r *txRing) statusOff() int {
	if r.v2 {
		return v2Status
	}
	return hdrStatus
}

func (r *txRing) dataOff() int {
	if r.v2 {
		return tpacket2HdrLen
	}
	return tpacket3HdrLen
}

// frameOff is the offset in mem of frame i.
func (r *txRing) frameOff(i int) int {
	return (i/r.framesPerBlock)*r.blockSize + (i%r.framesPerBlock)*r.frameSize
}

// frame returns the data area of the head frame (FrameSize-48 bytes), or
// nil while the kernel still owns it (the ring is full).
func (r *txRing) frame() []byte {
	off := r.frameOff(r.head)
	if loadStatus(r.mem, off+r.statusOff())&(unix.TP_STATUS_SEND_REQUEST|unix.TP_STATUS_SENDING) != 0 {
		return nil
	}
	return r.mem[off+r.dataOff() : off+r.frameSize : off+r.frameSize]
}

// commit hands the head frame, holding a packet of n bytes, to the kernel
// and moves to the next frame.
func (r *txRing) commit(n int) {
	off := r.frameOff(r.head)
	if r.v2 {
		binary.NativeEndian.PutUint32(r.mem[off+v2Len:], uint32(n))
		binary.NativeEndian.PutUint32(r.mem[off+v2Snaplen:], uint32(n))
		storeStatus(r.mem, off+v2Status, unix.TP_STATUS_SEND_REQUEST)
	} else {
		h := r.mem[off : off+tpacket3HdrLen]
		clear(h[:hdrStatus])
		binary.NativeEndian.PutUint32(h[hdrLen:], uint32(n))
		binary.NativeEndian.PutUint32(h[hdrSnaplen:], uint32(n))
		storeStatus(r.mem, off+hdrStatus, unix.TP_STATUS_SEND_REQUEST)
	}
	r.head++
	if r.head == r.nframes {
		r.head = 0
	}
}

// inFlight counts the frames the kernel has not sent yet.
func (r *txRing) inFlight() int {
	n := 0
	for i := range r.nframes {
		if loadStatus(r.mem, r.frameOff(i)+r.statusOff())&(unix.TP_STATUS_SEND_REQUEST|unix.TP_STATUS_SENDING) != 0 {
			n++
		}
	}
	return n
}
