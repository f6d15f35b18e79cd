package mbuf

import (
	"fmt"
	"strings"
)

// Offload flags (ol_flags), with the bit values of DPDK 22.11's
// RTE_MBUF_F_* (rte_mbuf_core.h): receive flags from bit 0 up, transmit
// flags from bit 63 down, the attachment flags at the top.
const (
	// RxVLAN: the packet has a VLAN tag and VLANTCI holds its TCI.
	RxVLAN uint64 = 1 << 0
	// RxRSSHash: RSSHash is valid.
	RxRSSHash uint64 = 1 << 1
	// RxFDIR: the packet matched a flow director rule.
	RxFDIR uint64 = 1 << 2
	// RxOuterIPCksumBad: the outer IP checksum of a tunnelled packet is bad.
	RxOuterIPCksumBad uint64 = 1 << 5
	// RxVLANStripped: the VLAN tag was removed from the data (implies RxVLAN).
	RxVLANStripped uint64 = 1 << 6

	// RxIPCksumMask selects the 2-bit IP checksum status; compare the
	// masked value with RxIPCksumUnknown/Bad/Good/None.
	RxIPCksumMask    uint64 = 1<<4 | 1<<7
	RxIPCksumUnknown uint64 = 0
	RxIPCksumBad     uint64 = 1 << 4
	RxIPCksumGood    uint64 = 1 << 7
	RxIPCksumNone    uint64 = 1<<4 | 1<<7 // valid data, checksum not checked

	// RxL4CksumMask selects the 2-bit L4 checksum status.
	RxL4CksumMask    uint64 = 1<<3 | 1<<8
	RxL4CksumUnknown uint64 = 0
	RxL4CksumBad     uint64 = 1 << 3
	RxL4CksumGood    uint64 = 1 << 8
	RxL4CksumNone    uint64 = 1<<3 | 1<<8

	RxIEEE1588PTP  uint64 = 1 << 9
	RxIEEE1588TMST uint64 = 1 << 10
	// RxFDIRID: FDIRID holds the id of the matched rule.
	RxFDIRID uint64 = 1 << 13
	// RxFDIRFlx: the flexible bytes of the rule are reported.
	RxFDIRFlx uint64 = 1 << 14
	// RxQinQStripped: both VLAN tags were removed (implies RxQinQ).
	RxQinQStripped uint64 = 1 << 15
	// RxLRO: the packet was coalesced by large receive offload.
	RxLRO uint64 = 1 << 16
	// RxTimestamp: Timestamp is valid. DPDK 22.11 registers this flag
	// dynamically; dpkit gives it bit 17, the one DPDK used before.
	RxTimestamp uint64 = 1 << 17
	// RxSecOffload: the packet was processed by inline IPsec.
	RxSecOffload       uint64 = 1 << 18
	RxSecOffloadFailed uint64 = 1 << 19
	// RxQinQ: the packet has two VLAN tags; VLANTCI is the inner one and
	// VLANTCIOuter the outer one.
	RxQinQ uint64 = 1 << 20

	// RxOuterL4CksumMask selects the 2-bit outer L4 checksum status.
	RxOuterL4CksumMask    uint64 = 1<<21 | 1<<22
	RxOuterL4CksumUnknown uint64 = 0
	RxOuterL4CksumBad     uint64 = 1 << 21
	RxOuterL4CksumGood    uint64 = 1 << 22
	RxOuterL4CksumInvalid uint64 = 1<<21 | 1<<22
)

const (
	// TxOuterUDPCksum: compute the outer UDP checksum.
	TxOuterUDPCksum uint64 = 1 << 41
	// TxUDPSeg: UDP fragmentation offload (needs TSOSegsz).
	TxUDPSeg uint64 = 1 << 42
	// TxSecOffload: inline IPsec.
	TxSecOffload uint64 = 1 << 43
	// TxMACsec: insert a MACsec tag.
	TxMACsec uint64 = 1 << 44

	// TxTunnelMask selects the 4-bit tunnel type of a tunnelled packet.
	TxTunnelMask      uint64 = 0xf << 45
	TxTunnelVXLAN     uint64 = 0x1 << 45
	TxTunnelGRE       uint64 = 0x2 << 45
	TxTunnelIPIP      uint64 = 0x3 << 45
	TxTunnelGENEVE    uint64 = 0x4 << 45
	TxTunnelMPLSInUDP uint64 = 0x5 << 45
	TxTunnelVXLANGPE  uint64 = 0x6 << 45
	TxTunnelGTP       uint64 = 0x7 << 45
	TxTunnelESP       uint64 = 0x8 << 45
	TxTunnelIP        uint64 = 0xd << 45 // generic IP-in-IP tunnel
	TxTunnelUDP       uint64 = 0xe << 45 // generic UDP tunnel

	// TxQinQ: insert two VLAN tags (VLANTCIOuter, VLANTCI).
	TxQinQ uint64 = 1 << 49
	// TxTCPSeg: TCP segmentation offload (needs L2Len, L3Len, L4Len,
	// TSOSegsz; implies TxTCPCksum).
	TxTCPSeg uint64 = 1 << 50
	// TxIEEE1588TMST: timestamp this packet on transmit.
	TxIEEE1588TMST uint64 = 1 << 51

	// TxL4Mask selects the 2-bit L4 checksum request.
	TxL4Mask       uint64 = 3 << 52
	TxL4NoCksum    uint64 = 0 << 52
	TxTCPCksum     uint64 = 1 << 52
	TxSCTPCksum    uint64 = 2 << 52
	TxUDPCksum     uint64 = 3 << 52
	TxIPCksum      uint64 = 1 << 54 // compute the IPv4 header checksum
	TxIPv4         uint64 = 1 << 55 // the packet is IPv4 (needed by checksum and TSO offloads)
	TxIPv6         uint64 = 1 << 56 // the packet is IPv6
	TxVLAN         uint64 = 1 << 57 // insert VLANTCI as a VLAN tag
	TxOuterIPCksum uint64 = 1 << 58
	TxOuterIPv4    uint64 = 1 << 59
	TxOuterIPv6    uint64 = 1 << 60

	// TxOffloadMask is every transmit flag (RTE_MBUF_F_TX_OFFLOAD_MASK).
	TxOffloadMask = TxOuterIPv6 | TxOuterIPv4 | TxOuterIPCksum | TxVLAN | TxIPv6 | TxIPv4 |
		TxIPCksum | TxL4Mask | TxIEEE1588TMST | TxTCPSeg | TxQinQ | TxTunnelMask |
		TxMACsec | TxSecOffload | TxUDPSeg | TxOuterUDPCksum
)

const (
	// ExtBufMbuf: the mbuf is attached to an external buffer
	// (RTE_MBUF_F_EXTERNAL); see AttachExtBuf.
	ExtBufMbuf uint64 = 1 << 61
	// IndirectMbuf: the mbuf is attached to another mbuf's buffer
	// (RTE_MBUF_F_INDIRECT); see Attach.
	IndirectMbuf uint64 = 1 << 62

	attachFlags = ExtBufMbuf | IndirectMbuf
)

type flagName struct {
	mask, val uint64
	name      string
}

// flagNames lists single bits, and multi-bit fields with their values.
var flagNames = []flagName{
	{RxVLAN, RxVLAN, "RxVLAN"},
	{RxRSSHash, RxRSSHash, "RxRSSHash"},
	{RxFDIR, RxFDIR, "RxFDIR"},
	{RxL4CksumMask, RxL4CksumBad, "RxL4CksumBad"},
	{RxL4CksumMask, RxL4CksumGood, "RxL4CksumGood"},
	{RxL4CksumMask, RxL4CksumNone, "RxL4CksumNone"},
	{RxIPCksumMask, RxIPCksumBad, "RxIPCksumBad"},
	{RxIPCksumMask, RxIPCksumGood, "RxIPCksumGood"},
	{RxIPCksumMask, RxIPCksumNone, "RxIPCksumNone"},
	{RxOuterIPCksumBad, RxOuterIPCksumBad, "RxOuterIPCksumBad"},
	{RxVLANStripped, RxVLANStripped, "RxVLANStripped"},
	{RxIEEE1588PTP, RxIEEE1588PTP, "RxIEEE1588PTP"},
	{RxIEEE1588TMST, RxIEEE1588TMST, "RxIEEE1588TMST"},
	{RxFDIRID, RxFDIRID, "RxFDIRID"},
	{RxFDIRFlx, RxFDIRFlx, "RxFDIRFlx"},
	{RxQinQStripped, RxQinQStripped, "RxQinQStripped"},
	{RxLRO, RxLRO, "RxLRO"},
	{RxTimestamp, RxTimestamp, "RxTimestamp"},
	{RxSecOffload, RxSecOffload, "RxSecOffload"},
	{RxSecOffloadFailed, RxSecOffloadFailed, "RxSecOffloadFailed"},
	{RxQinQ, RxQinQ, "RxQinQ"},
	{RxOuterL4CksumMask, RxOuterL4CksumBad, "RxOuterL4CksumBad"},
	{RxOuterL4CksumMask, RxOuterL4CksumGood, "RxOuterL4CksumGood"},
	{RxOuterL4CksumMask, RxOuterL4CksumInvalid, "RxOuterL4CksumInvalid"},
	{TxOuterUDPCksum, TxOuterUDPCksum, "TxOuterUDPCksum"},
	{TxUDPSeg, TxUDPSeg, "TxUDPSeg"},
	{TxSecOffload, TxSecOffload, "TxSecOffload"},
	{TxMACsec, TxMACsec, "TxMACsec"},
	{TxTunnelMask, TxTunnelVXLAN, "TxTunnelVXLAN"},
	{TxTunnelMask, TxTunnelGRE, "TxTunnelGRE"},
	{TxTunnelMask, TxTunnelIPIP, "TxTunnelIPIP"},
	{TxTunnelMask, TxTunnelGENEVE, "TxTunnelGENEVE"},
	{TxTunnelMask, TxTunnelMPLSInUDP, "TxTunnelMPLSInUDP"},
	{TxTunnelMask, TxTunnelVXLANGPE, "TxTunnelVXLANGPE"},
	{TxTunnelMask, TxTunnelGTP, "TxTunnelGTP"},
	{TxTunnelMask, TxTunnelESP, "TxTunnelESP"},
	{TxTunnelMask, TxTunnelIP, "TxTunnelIP"},
	{TxTunnelMask, TxTunnelUDP, "TxTunnelUDP"},
	{TxQinQ, TxQinQ, "TxQinQ"},
	{TxTCPSeg, TxTCPSeg, "TxTCPSeg"},
	{TxIEEE1588TMST, TxIEEE1588TMST, "TxIEEE1588TMST"},
	{TxL4Mask, TxTCPCksum, "TxTCPCksum"},
	{TxL4Mask, TxSCTPCksum, "TxSCTPCksum"},
	{TxL4Mask, TxUDPCksum, "TxUDPCksum"},
	{TxIPCksum, TxIPCksum, "TxIPCksum"},
	{TxIPv4, TxIPv4, "TxIPv4"},
	{TxIPv6, TxIPv6, "TxIPv6"},
	{TxVLAN, TxVLAN, "TxVLAN"},
	{TxOuterIPCksum, TxOuterIPCksum, "TxOuterIPCksum"},
	{TxOuterIPv4, TxOuterIPv4, "TxOuterIPv4"},
	{TxOuterIPv6, TxOuterIPv6, "TxOuterIPv6"},
	{ExtBufMbuf, ExtBufMbuf, "ExtBufMbuf"},
	{IndirectMbuf, IndirectMbuf, "IndirectMbuf"},
}

// FlagsString names the offload flags set in f, separated by "|" (for
// logs and debugging; it allocates). Multi-bit fields are named by their
// value (RxIPCksumGood, TxUDPCksum, TxTunnelVXLAN); zero values of those
// fields (Unknown, NoCksum) are not shown. Bits with no name show as hex.
func FlagsString(f uint64) string {
	if f == 0 {
		return "0"
	}
	var b strings.Builder
	var known uint64
	for _, n := range flagNames {
		known |= n.mask
		if f&n.mask != n.val {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		b.WriteString(n.name)
	}
	if rest := f &^ known; rest != 0 {
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		fmt.Fprintf(&b, "%#x", rest)
	}
	if b.Len() == 0 {
		return "0"
	}
	return b.String()
}
