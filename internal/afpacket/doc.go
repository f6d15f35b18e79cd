// Package afpacket is a Linux AF_PACKET socket with memory-mapped rings
// (PACKET_MMAP, TPACKET_V3), the kernel mechanism under dpkit's
// net_af_packet driver. It knows nothing of ethdev or mbufs: it hands out
// frames in the rings as byte slices.
//
// One Socket is bound to one interface and holds an rx ring and a tx ring
// in one shared mapping:
//
//	mmap: | rx block 0 | rx block 1 | ... | tx block 0 | tx block 1 | ... |
//	        BlockSize each, FrameCount/(BlockSize/FrameSize) blocks per ring
//
// The rx ring is TPACKET_V3: the kernel packs packets of any size one after
// the other into a block and hands the whole block over (TP_STATUS_USER in
// the block descriptor) when it is full or when the retire timeout expires;
// we walk its packets and give the block back (TP_STATUS_KERNEL):
//
//	rx block: | block desc (48 B) | tpacket3_hdr ... frame | tpacket3_hdr ... frame | ...
//	                                 '-- tp_next_offset --^
//
// The tx ring is TPACKET_V3 with fixed-size frames (the kernel has accepted
// a V3 tx ring since Linux 4.11, with tp_next_offset 0; DPDK's PMD uses V2
// for both rings instead). Each frame is a tpacket3_hdr then the packet at
// offset 48; we fill frames in order, mark them TP_STATUS_SEND_REQUEST, and
// one sendto(2) per burst makes the kernel send them all; the kernel marks
// each TP_STATUS_AVAILABLE again once the packet has left.
//
// Config.Version TPacketV2 makes both rings TPACKET_V2 instead (what DPDK's
// PMD uses): fixed-size rx frames, each handed over as soon as the kernel
// has written it, so no retire delay, but no flow hash and a frame-sized
// limit on received packets (MaxFrameLen).
//
// Several sockets on one interface may form a fanout group (PACKET_FANOUT,
// hash mode): the kernel spreads the interface's traffic over them by flow,
// like a NIC's RSS over its queues.
//
// Rx and tx on one Socket are each for one goroutine at a time (like a
// NIC queue pair); nothing on the per-packet path allocates.
package afpacket
