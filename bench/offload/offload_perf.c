/*
 * offload_perf: the DPDK 22.11 side of `dpkit bench offload`. It does, on
 * rte_mbufs, what a DPDK driver without checksum offloads does in software
 * (as net/tap does for tx checksums and rx checksum flags), on the same
 * TCP/IPv4 frames of 64 and 1514 bytes, bursts of 32, and prints the same
 * figures:
 *
 *   offload_tx_cksum_tcp4_<size>_ns_per_pkt   per packet: look at the tx
 *       flags, zero and compute the IPv4 header checksum (rte_ipv4_cksum)
 *       and the TCP checksum (rte_ipv4_udptcp_cksum_mbuf), clear the flags
 *   offload_rx_cksum_tcp4_<size>_ns_per_pkt   per packet: rte_net_get_ptype
 *       (all layers), verify the IPv4 header checksum and the TCP checksum
 *       (rte_ipv4_udptcp_cksum_mbuf_verify), set the good/bad flags
 *
 * Written for dpkit against Debian's libdpdk; see bench/vs-dpdk-offload.sh.
 *
 * Usage: offload_perf <EAL args> -- [--bursts N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_net.h>
#include <rte_tcp.h>

#define BURST 32

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* frame writes a TCP/IPv4 frame of size bytes with good checksums. */
static void frame(uint8_t *f, int size)
{
	memset(f, 0, size);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)f;
	eh->dst_addr.addr_bytes[0] = 2;
	eh->dst_addr.addr_bytes[5] = 2;
	eh->src_addr.addr_bytes[0] = 2;
	eh->src_addr.addr_bytes[5] = 1;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(size - 14);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(0xc0000201);
	ip->dst_addr = rte_cpu_to_be_32(0xc6336407);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);
	tcp->src_port = rte_cpu_to_be_16(1234);
	tcp->dst_port = rte_cpu_to_be_16(80);
	tcp->sent_seq = rte_cpu_to_be_32(1);
	tcp->data_off = 5 << 4;
	tcp->tcp_flags = RTE_TCP_ACK_FLAG;
	tcp->rx_win = rte_cpu_to_be_16(512);
	uint8_t *pl = (uint8_t *)(tcp + 1);
	for (int i = 0; i < size - 54; i++)
		pl[i] = (uint8_t)i;
	tcp->cksum = rte_ipv4_udptcp_cksum(ip, tcp);
}

static void tx_cksum(struct rte_mbuf **pkts, int n)
{
	for (int i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint64_t f = m->ol_flags;
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
		if (f & RTE_MBUF_F_TX_IP_CKSUM) {
			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_ipv4_cksum(ip);
		}
		if ((f & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_TCP_CKSUM) {
			struct rte_tcp_hdr *tcp = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, m->l2_len + m->l3_len);
			tcp->cksum = 0;
			tcp->cksum = rte_ipv4_udptcp_cksum_mbuf(m, ip, m->l2_len + m->l3_len);
		}
		m->ol_flags &= ~(RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK);
	}
}

static void rx_cksum(struct rte_mbuf **pkts, int n)
{
	for (int i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rte_net_hdr_lens h;
		uint32_t pt = rte_net_get_ptype(m, &h, RTE_PTYPE_ALL_MASK);
		m->packet_type = pt;
		uint64_t fl = 0;
		if (RTE_ETH_IS_IPV4_HDR(pt)) {
			struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, h.l2_len);
			fl |= rte_raw_cksum(ip, h.l3_len) == 0xffff ? RTE_MBUF_F_RX_IP_CKSUM_GOOD : RTE_MBUF_F_RX_IP_CKSUM_BAD;
			if ((pt & RTE_PTYPE_L4_MASK) == RTE_PTYPE_L4_TCP)
				fl |= rte_ipv4_udptcp_cksum_mbuf_verify(m, ip, h.l2_len + h.l3_len) == 0 ?
					      RTE_MBUF_F_RX_L4_CKSUM_GOOD : RTE_MBUF_F_RX_L4_CKSUM_BAD;
		}
		m->ol_flags = (m->ol_flags & ~(RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK)) | fl;
	}
}

int main(int argc, char **argv)
{
	int r = rte_eal_init(argc, argv);
	if (r < 0) {
		fprintf(stderr, "offload_perf: rte_eal_init failed\n");
		return 1;
	}
	argc -= r;
	argv += r;
	long bursts = 200000;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--bursts") == 0 && i + 1 < argc)
			bursts = atol(argv[++i]);
		else {
			fprintf(stderr, "offload_perf: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	struct rte_mempool *mp = rte_pktmbuf_pool_create("offload_perf", 255, 32, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (mp == NULL) {
		fprintf(stderr, "offload_perf: rte_pktmbuf_pool_create failed\n");
		return 1;
	}
	int sizes[] = {64, 1514};
	uint8_t f[1514];
	for (int s = 0; s < 2; s++) {
		int size = sizes[s];
		frame(f, size);
		struct rte_mbuf *pkts[BURST];
		if (rte_pktmbuf_alloc_bulk(mp, pkts, BURST) != 0) {
			fprintf(stderr, "offload_perf: pool empty\n");
			return 1;
		}
		for (int i = 0; i < BURST; i++) {
			memcpy(rte_pktmbuf_append(pkts[i], size), f, size);
			pkts[i]->l2_len = 14;
			pkts[i]->l3_len = 20;
			pkts[i]->l4_len = 20;
		}
		double t0 = now_ns();
		for (long b = 0; b < bursts; b++) {
			for (int i = 0; i < BURST; i++)
				pkts[i]->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM;
			tx_cksum(pkts, BURST);
		}
		printf("offload_tx_cksum_tcp4_%d_ns_per_pkt %.2f ns\n", size, (now_ns() - t0) / (bursts * BURST));
		t0 = now_ns();
		for (long b = 0; b < bursts; b++)
			rx_cksum(pkts, BURST);
		printf("offload_rx_cksum_tcp4_%d_ns_per_pkt %.2f ns\n", size, (now_ns() - t0) / (bursts * BURST));
		if ((pkts[0]->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_GOOD ||
		    (pkts[0]->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) != RTE_MBUF_F_RX_IP_CKSUM_GOOD) {
			fprintf(stderr, "offload_perf: rx verdict not good\n");
			return 1;
		}
		rte_pktmbuf_free_bulk(pkts, BURST);
	}
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return 0;
}
