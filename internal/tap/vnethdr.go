package tap

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// VnetHdrLen is the size of struct virtio_net_hdr (without num_buffers).
const VnetHdrLen = 10

// virtio_net_hdr flags and gso types, <linux/virtio_net.h>.
const (
	VnetHdrFNeedsCsum = 1 // the checksum is to be computed: CsumStart, CsumOffset
	VnetHdrFDataValid = 2 // the checksum is known good (rx)

	VnetHdrGSONone  = 0
	VnetHdrGSOTCPv4 = 1
	VnetHdrGSOUDP   = 3 // UFO, obsolete
	VnetHdrGSOTCPv6 = 4
	VnetHdrGSOUDPL4 = 5 // UDP segmentation (USO)
	VnetHdrGSOECN   = 0x80
)

// VnetHdr is struct virtio_net_hdr: how a frame's checksum and
// segmentation are to be finished. Fields are in the host's byte order
// (a TAP's default; little-endian on every host dpkit runs on).
type VnetHdr struct {
	Flags      uint8
	GSOType    uint8
	HdrLen     uint16 // length of the headers to repeat in each segment
	GSOSize    uint16 // payload bytes per segment
	CsumStart  uint16 // where checksumming starts, from the frame's start
	CsumOffset uint16 // where the checksum goes, from CsumStart
}

// ErrVnetHdr is wrapped by the errors of Decode and Check.
var ErrVnetHdr = errors.New("bad virtio-net header")

// Decode reads a header from the first VnetHdrLen bytes of b.
func (h *VnetHdr) Decode(b []byte) error {
	if len(b) < VnetHdrLen {
		return fmt.Errorf("%w: %d bytes, need %d", ErrVnetHdr, len(b), VnetHdrLen)
	}
	h.Flags = b[0]
	h.GSOType = b[1]
	h.HdrLen = binary.NativeEndian.Uint16(b[2:])
	h.GSOSize = binary.NativeEndian.Uint16(b[4:])
	h.CsumStart = binary.NativeEndian.Uint16(b[6:])
	h.CsumOffset = binary.NativeEndian.Uint16(b[8:])
	return nil
}

// Encode writes the header into the first VnetHdrLen bytes of b.
func (h *VnetHdr) Encode(b []byte) {
	_ = b[VnetHdrLen-1]
	b[0] = h.Flags
	b[1] = h.GSOType
	binary.NativeEndian.PutUint16(b[2:], h.HdrLen)
	binary.NativeEndian.PutUint16(b[4:], h.GSOSize)
	binary.NativeEndian.PutUint16(b[6:], h.CsumStart)
	binary.NativeEndian.PutUint16(b[8:], h.CsumOffset)
}

// Check validates the header against the frame of frameLen bytes it
// precedes: the checksum field and the repeated headers inside the frame,
// a known GSO type with a segment size.
func (h *VnetHdr) Check(frameLen int) error {
	if h.Flags&^(VnetHdrFNeedsCsum|VnetHdrFDataValid) != 0 {
		return fmt.Errorf("%w: unknown flags %#x", ErrVnetHdr, h.Flags)
	}
	if h.Flags&VnetHdrFNeedsCsum != 0 && int(h.CsumStart)+int(h.CsumOffset)+2 > frameLen {
		return fmt.Errorf("%w: checksum at %d+%d past the frame's %d bytes", ErrVnetHdr, h.CsumStart, h.CsumOffset, frameLen)
	}
	switch h.GSOType &^ VnetHdrGSOECN {
	case VnetHdrGSONone:
		if h.GSOType&VnetHdrGSOECN != 0 {
			return fmt.Errorf("%w: ECN without GSO", ErrVnetHdr)
		}
		return nil
	case VnetHdrGSOTCPv4, VnetHdrGSOTCPv6, VnetHdrGSOUDP, VnetHdrGSOUDPL4:
	default:
		return fmt.Errorf("%w: unknown GSO type %d", ErrVnetHdr, h.GSOType)
	}
	if h.GSOSize == 0 {
		return fmt.Errorf("%w: GSO type %d with segment size 0", ErrVnetHdr, h.GSOType)
	}
	if int(h.HdrLen) > frameLen {
		return fmt.Errorf("%w: header length %d past the frame's %d bytes", ErrVnetHdr, h.HdrLen, frameLen)
	}
	return nil
}
