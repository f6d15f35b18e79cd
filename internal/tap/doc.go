// Package tap opens Linux TAP devices (/dev/net/tun with IFF_TAP), the
// kernel mechanism under dpkit's net_tap driver. It knows nothing of
// ethdev or mbufs.
//
// A Tap is one interface with one file descriptor per queue
// (IFF_MULTI_QUEUE): the kernel spreads what it sends to the interface over
// the queues by flow, and accepts frames written on any of them. Frames are
// read and written whole, without the 4-byte packet information header
// (IFF_NO_PI), nonblocking; each fd polls readable when a frame is waiting.
//
// With Config.VnetHdr every frame is preceded by a 10-byte virtio-net
// header (VnetHdr) that carries checksum and segmentation offloads both
// ways: on writes, "compute the checksum from CsumStart at CsumOffset" and
// "segment at GSOSize"; on reads, which of those the kernel left for us to
// do (Config.Offloads, TUNSETOFFLOAD, says which we accept) and whether the
// checksum is already known good (VnetHdrFDataValid).
//
//	read/write:  | virtio_net_hdr (10 B, VnetHdr only) | Ethernet frame ... |
package tap
