// Package ipfrag fragments IPv4 and IPv6 packets to an MTU and reassembles
// fragments, like DPDK's librte_ip_frag.
//
// # Fragmentation
//
// FragmentIPv4 and FragmentIPv6 take a packet whose data starts at the IP
// header (no L2 header, as rte_ipv4_fragment_packet) and write its
// fragments to out. Nothing is copied but the headers: each fragment is a
// chain of a new direct mbuf holding the IP header, followed by indirect
// mbufs attached to the original packet's segments, windowed on the
// fragment's part of the payload:
//
//	fragment k:  [direct: IP header (+ fragment header)] -> [indirect -> seg i, bytes a..b] -> ...
//
// The caller keeps the original packet and frees it (the fragments hold
// references on its buffers, so its memory lives until they are freed
// too), and owns the fragments. A direct header mbuf has its default
// headroom free: prepend the L2 header there.
//
// # Reassembly
//
// A Table holds the datagrams being reassembled: a fixed set of flows
// (Buckets x BucketEntries slots, at most MaxEntries in use) keyed by
// (source, destination, identification, protocol) for IPv4 and (source,
// destination, identification) for IPv6, each holding up to MaxFragments
// fragments, for at most Timeout TSC cycles from its first fragment. Its
// memory is allocated once, at NewTable: whatever arrives, the table holds
// at most MaxEntries*MaxFragments packets.
//
// ReassembleIPv4 and ReassembleIPv6 take one received packet (data at the
// L2 header, whose length is given) and return the whole datagram when this
// fragment completed it, or nil. Every packet the table drops (a bad or
// hostile fragment, a flow that timed out or was killed) goes to the
// caller's DeathRow, which the caller frees on its lcore (FreeAll) once per
// burst, as rte_ip_frag_free_death_row.
//
// Hostile input is dropped and counted in Stats, never trusted:
//
//   - a malformed header, a non-last fragment whose length is not a
//     multiple of 8 or is zero, a zero-length fragment: the fragment;
//   - a datagram that would exceed 65535 bytes (ping of death): the flow;
//   - any overlap between fragments, as RFC 5722 asks for IPv6 and Linux
//     does for both (teardrop included); an exact duplicate only drops the
//     duplicate;
//   - a TCP fragment at offset 8 (RFC 1858, tiny fragment attack): the flow;
//   - more than MaxFragments fragments, or two different last fragments,
//     or data past the end: the flow;
//   - no slot free (table full, or a bucket full of live flows): the
//     fragment;
//   - a flow older than Timeout: the flow, when seen (its bucket is
//     looked up, or it is the oldest at a call, or Expire runs).
//
// A Table and its DeathRow are for one goroutine (one lcore) at a time.
package ipfrag
