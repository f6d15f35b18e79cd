// Package offload does in software the offloads a port's device lacks:
// the implementation of ethdev.SoftOffload. It registers itself in init,
// so a program enables it by importing it for that side effect:
//
//	import _ "github.com/dpkit/dpkit/offload"
//
// ethdev then offers every port these offloads on top of what its device
// does (DevInfo.SoftTxOffloads, SoftRxOffloads), and runs the software
// stage only on queues where one of them is enabled and missing on the
// device; a device that can do an offload itself (TAP through its
// virtio-net header, say) keeps it, and the software stage never sees
// it.
//
// # Transmit (in Port.TxBurst)
//
// The mbuf's flags and header lengths ask for the offloads, as in DPDK:
//
//   - TxIPCksum: the IPv4 header checksum, header at L2Len, L3Len long;
//   - TxTCPCksum, TxUDPCksum, TxSCTPCksum: the full L4 checksum (CRC32C
//     for SCTP), over IPv4 or IPv6 (TxIPv4/TxIPv6), L4 header at
//     L2Len+L3Len, its length taken from the IP header;
//   - TxOuterIPCksum, TxOuterUDPCksum: the outer IPv4 checksum at
//     OuterL2Len and the outer UDP checksum after it, computed last (the
//     outer UDP checksum covers the inner packet). With TxOuterIPv4 or
//     TxOuterIPv6 (or a TxTunnel* type) set, the inner headers start at
//     OuterL2Len+OuterL3Len+L2Len, L2Len covering the outer UDP, the
//     tunnel header and the inner Ethernet header (proto.SetPtype sets
//     the lengths this way);
//   - TxVLAN: a 802.1Q tag (TPID 0x8100) with VLANTCI; TxQinQ: two tags,
//     the outer an 802.1ad S-tag (TPID 0x88a8) with VLANTCIOuter, the inner
//     0x8100 with VLANTCI. The mbuf must be direct and not shared
//     (refcount 1, as rte_vlan_insert) with 4 bytes of headroom a tag;
//     L2Len (OuterL2Len for a tunnel) grows by the tags, so that a device
//     doing the checksums itself finds the headers;
//   - TxTCPSeg: the packet is cut by package gso into packets of at most
//     TSOSegsz payload bytes, each with every checksum computed and the
//     tags inserted. TxUDPSeg (UDP/IPv4): the datagram's UDP checksum is
//     computed (with TxUDPCksum) and it is cut into IP fragments of at
//     most the headers plus TSOSegsz bytes, as DPDK's GSO does.
//
// The flags of the offloads done are cleared from the mbuf, so a packet
// the device did not take can be given to TxBurst again. The checksums
// are written in place (into a shared buffer too, as hardware would
// read it).
//
// TxBurst's count is the application's: a TSO packet counts as one
// packet taken once the device took at least one of its segments (the
// original is then freed; the segments share its payload). If the device
// takes none, the segments are freed and the packet stays the caller's,
// unchanged. If it takes only some, the others are freed and counted in
// the port's OErrors, and the burst ends after that packet (the device is
// full). The port's opackets and obytes count the frames
// the device took (one per segment).
//
// A packet whose offload cannot be done (lengths that do not match its
// headers, no headroom for a tag, a shared mbuf for a tag, out of mbufs
// for TSO) ends the burst: it and the packets after it are not taken.
// Port.TxPrepare finds such packets before TxBurst.
//
// # Receive (in Port.RxBurst)
//
//   - vlan_strip removes a leading 802.1Q tag (RxVLAN|RxVLANStripped,
//     VLANTCI); qinq_strip removes two tags, the outer 0x88a8, 0x9100 or
//     0x8100 and the inner 0x8100 (RxQinQ|RxQinQStripped|RxVLAN|
//     RxVLANStripped, VLANTCIOuter, VLANTCI);
//   - ipv4_cksum, tcp_cksum, udp_cksum, sctp_cksum set RxIPCksumGood or
//     Bad and RxL4CksumGood or Bad on packets of that protocol (of the
//     inner packet of a tunnel); they stay Unknown on others (IPv6 has no
//     header checksum, fragments are not checked). A UDP checksum of 0
//     over IPv4 (none sent) is good. outer_ipv4_cksum sets
//     RxOuterIPCksumBad, outer_udp_cksum RxOuterL4CksumGood or Bad;
//   - Config.RxPtypes: the packet type (proto.GetPtypeMbuf), after the
//     tags are stripped.
//
// # Transmit prepare
//
// For a device that computes checksums from the pseudo-header sum in the
// L4 checksum field (DevInfo.TxPseudoCksum), Port.TxPrepare writes that
// sum, with the L4 length for a checksum and without it for TSO, and zeroes
// the IPv4 checksum field, as rte_net_intel_cksum_prepare.
package offload
