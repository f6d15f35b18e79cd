// Package proto holds the packet headers dpkit parses and builds, the
// packet type parser and the Internet checksums: what DPDK's lib/net does.
//
// # Header views
//
// Every header is a named byte slice laid over the packet, one file per
// protocol: Ethernet, VLAN, QinQ, ARP, IPv4, IPv6 (and its extension
// headers), TCP, UDP, SCTP, ICMP, ICMPv6, VXLAN, VXLANGPE, GENEVE, GRE,
// MPLS, ESP. A view copies nothing:
//
//	ip := proto.IPv4(pkt[proto.EthernetLen:])
//	if !ip.IsValid() { drop }
//	ip.SetTTL(ip.TTL() - 1) // also updates the header checksum (RFC 1624)
//
// IsValid reports whether the slice is long enough and its length fields
// are consistent; accessors on a view that is not valid may panic, as a
// slice index out of range, so call IsValid first (the parsers and fuzz
// targets of this package do). Accessors never allocate. Encode(*XFields)
// writes a whole header from a plain value. Addresses are netip.Addr at the
// API edge and MAC (a [6]byte value) for link addresses.
//
// # Packet type
//
// GetPtype parses a packet in one pass, like rte_net_get_ptype, and returns
// its DPDK packet type (mbuf.Ptype*) and header lengths (HdrLens). It
// handles VLAN and QinQ tags, MPLS, IPv4 options, IPv6 extension headers,
// fragments, and the tunnels IP-in-IP, GRE, NVGRE, VXLAN (UDP 4789),
// VXLAN-GPE (4790) and GENEVE (6081). ParsePtype is the same filling a
// HdrLens the caller keeps: the form for hot loops (a few ns for a TCP
// packet). GetPtypeMbuf and ParsePtypeMbuf do the same on an mbuf, across
// segments, and SetPtype also stores the result in it.
//
// # Checksums
//
// Checksum is the raw one's complement sum (rte_raw_cksum), on a buffer;
// ChecksumMbuf on a range of an mbuf chain, CRC32CMbuf likewise. The IPv4,
// TCP, UDP, ICMP, ICMPv6 and GRE views compute and verify their checksums
// (with the pseudo-header for L4: IPv4.PseudoHeaderSum,
// IPv6.PseudoHeaderSum), SCTP its CRC32C. VerifyL4ChecksumMbuf and
// SetL4ChecksumMbuf do TCP, UDP, SCTP, ICMP and ICMPv6 over IPv4 or IPv6
// on a segmented packet. UpdateChecksum16/32/Bytes update a checksum
// incrementally (RFC 1624), which the views' setters use.
//
// Checksum adds 64-bit words with add-with-carry (math/bits.Add64); it
// runs at several bytes per cycle, about four times DPDK 22.11's
// rte_raw_cksum (BENCHMARKS.md, bench/vs-dpdk-cksum.sh).
//
// # Peers
//
// The tests hold this package to scapy (every protocol, tunnels, bad
// checksums, fragments: the same fields, lengths and checksum verdicts),
// to tshark (dpkit-built packets dissect cleanly with every checksum
// good) and to DPDK 22.11's own rte_net_get_ptype (testdata/dpdk_ptype.c);
// each skips loudly when its tool is missing.
package proto
