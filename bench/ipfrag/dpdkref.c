/*
 * dpdkref: DPDK 22.11's side of `dpkit bench ipfrag`, written for dpkit
 * (not taken from DPDK): the same operations on the same packets, timed
 * the same way (TSC over a loop, nanoseconds per operation), through
 * librte_ip_frag, librte_gso and librte_gro. dpdk-test has no performance
 * test for these libraries (ipfrag_autotest is a functional test).
 *
 * Figures, one per line "name value ns":
 *   ipfrag_fragment4_9000_ns    rte_ipv4_fragment_packet of a 9028-byte
 *                               UDP/IPv4 datagram to MTU 1500 (7 fragments),
 *                               fragments freed
 *   ipfrag_fragment6_9000_ns    the same in IPv6 (rte_ipv6_fragment_packet)
 *   ipfrag_fragreasm4_9000_ns   fragment, put an Ethernet header on each,
 *                               rte_ipv4_frag_reassemble_packet, free
 *   ipfrag_fragreasm6_9000_ns   the same in IPv6
 *   gso_tcp4_64000_ns           rte_gso_segment of a 64000-byte TCP/IPv4
 *                               segment to 1514-byte frames (44), freed
 *   gro_burst32_tcp4x4_ns_per_pkt  32 TCP/IPv4 segments of 4 flows copied
 *                               into fresh mbufs, rte_net_get_ptype on
 *                               each, rte_gro_reassemble_burst, freed; per
 *                               packet
 *
 * Usage: dpdkref [EAL options] -- [--iters N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_gro.h>
#include <rte_gso.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_net.h>
#include <rte_tcp.h>
#include <rte_udp.h>

static struct rte_mempool *big, *direct, *indirect;
static long iters = 200000;

static double ns(uint64_t cycles, long n) { return (double)cycles * 1e9 / (double)rte_get_tsc_hz() / (double)n; }

static void fill(uint8_t *p, int n, int seed)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 13 + (i >> 8) + seed);
}

/* udp builds an IPv4 or IPv6 UDP datagram of n payload bytes in a big mbuf
 * (data from the IP header on). */
static struct rte_mbuf *udp(int v6, int n)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(big);
	int l3 = v6 ? 40 : 20;
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, l3 + 8 + n);
	memset(p, 0, l3 + 8);
	if (v6) {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)p;
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16(8 + n);
		ip->proto = IPPROTO_UDP;
		ip->hop_limits = 64;
		ip->src_addr[0] = 0x20, ip->src_addr[15] = 1;
		ip->dst_addr[0] = 0x20, ip->dst_addr[15] = 2;
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;
		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16(20 + 8 + n);
		ip->packet_id = rte_cpu_to_be_16(1);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		ip->src_addr = rte_cpu_to_be_32(0xc0000201);
		ip->dst_addr = rte_cpu_to_be_32(0xc0000202);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(p + l3);
	u->src_port = rte_cpu_to_be_16(1000);
	u->dst_port = rte_cpu_to_be_16(2000);
	u->dgram_len = rte_cpu_to_be_16(8 + n);
	fill(p + l3 + 8, n, 0);
	return m;
}

static int fragment(struct rte_mbuf *m, int v6, struct rte_mbuf **out, int nout)
{
	if (v6)
		return rte_ipv6_fragment_packet(m, out, nout, 1500, direct, indirect);
	return rte_ipv4_fragment_packet(m, out, nout, 1500, direct, indirect);
}

static void bench_fragment(int v6)
{
	struct rte_mbuf *m = udp(v6, 9000), *out[64];
	uint64_t t0 = rte_rdtsc();
	for (long i = 0; i < iters; i++) {
		int n = fragment(m, v6, out, 64);
		if (n < 0) {
			fprintf(stderr, "fragment: %d\n", n);
			exit(1);
		}
		rte_pktmbuf_free_bulk(out, n);
	}
	uint64_t t = rte_rdtsc() - t0;
	printf("ipfrag_fragment%d_9000_ns %.1f ns\n", v6 ? 6 : 4, ns(t, iters));
	rte_pktmbuf_free(m);
}

static void bench_fragreasm(int v6)
{
	struct rte_mbuf *m = udp(v6, 9000), *out[64];
	struct rte_ip_frag_tbl *tbl = rte_ip_frag_table_create(64, 4, 256, rte_get_tsc_hz(), SOCKET_ID_ANY);
	struct rte_ip_frag_death_row dr = {0};
	if (tbl == NULL) {
		fprintf(stderr, "rte_ip_frag_table_create failed\n");
		exit(1);
	}
	uint64_t t0 = rte_rdtsc();
	for (long i = 0; i < iters; i++) {
		int n = fragment(m, v6, out, 64);
		struct rte_mbuf *d = NULL;
		for (int k = 0; k < n; k++) {
			struct rte_mbuf *f = out[k];
			struct rte_ether_hdr *eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(f, sizeof(*eh));
			memset(eh, 0, sizeof(*eh));
			eh->ether_type = rte_cpu_to_be_16(v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
			f->l2_len = sizeof(*eh);
			if (v6) {
				struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(f, struct rte_ipv6_hdr *, f->l2_len);
				struct ipv6_extension_fragment *fh = (struct ipv6_extension_fragment *)(ip + 1);
				f->l3_len = sizeof(*ip) + sizeof(*fh);
				d = rte_ipv6_frag_reassemble_packet(tbl, &dr, f, rte_rdtsc(), ip, fh);
			} else {
				struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(f, struct rte_ipv4_hdr *, f->l2_len);
				f->l3_len = 20;
				d = rte_ipv4_frag_reassemble_packet(tbl, &dr, f, rte_rdtsc(), ip);
			}
		}
		if (d == NULL) {
			fprintf(stderr, "not reassembled\n");
			exit(1);
		}
		rte_pktmbuf_free(d);
		rte_ip_frag_free_death_row(&dr, 0);
	}
	uint64_t t = rte_rdtsc() - t0;
	printf("ipfrag_fragreasm%d_9000_ns %.1f ns\n", v6 ? 6 : 4, ns(t, iters));
	rte_ip_frag_table_destroy(tbl);
	rte_pktmbuf_free(m);
}

/* tcp4 writes an Ethernet/IPv4/TCP frame (12 bytes of options) into p. */
static int tcp4(uint8_t *p, uint16_t sport, uint32_t seq, uint16_t id, int n)
{
	memset(p, 0, 14 + 20 + 32);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)p;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + 14);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(20 + 32 + n);
	ip->packet_id = rte_cpu_to_be_16(id);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(0x0a010001);
	ip->dst_addr = rte_cpu_to_be_32(0x0a010002);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)(ip + 1);
	t->src_port = rte_cpu_to_be_16(sport);
	t->dst_port = rte_cpu_to_be_16(5001);
	t->sent_seq = rte_cpu_to_be_32(seq);
	t->recv_ack = rte_cpu_to_be_32(77);
	t->data_off = 8 << 4;
	t->tcp_flags = RTE_TCP_ACK_FLAG;
	t->rx_win = rte_cpu_to_be_16(512);
	uint8_t *o = (uint8_t *)(t + 1);
	o[0] = 1, o[1] = 1, o[2] = 8, o[3] = 10;
	fill(p + 14 + 20 + 32, n, 0);
	t->cksum = rte_ipv4_udptcp_cksum(ip, t);
	return 14 + 20 + 32 + n;
}

static void bench_gso(void)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(big), *out[64];
	int len = tcp4(rte_pktmbuf_mtod(m, uint8_t *), 1, 1, 9, 64000);
	rte_pktmbuf_append(m, len);
	m->l2_len = 14, m->l3_len = 20, m->l4_len = 32;
	m->ol_flags = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4;
	struct rte_gso_ctx ctx = {
		.direct_pool = direct,
		.indirect_pool = indirect,
		.gso_types = RTE_ETH_TX_OFFLOAD_TCP_TSO,
		.gso_size = 1514,
		.flag = 0,
	};
	uint64_t t0 = rte_rdtsc();
	for (long i = 0; i < iters / 20; i++) {
		/* rte_gso_segment clears the flag on the input: set it again. */
		m->ol_flags = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4;
		int n = rte_gso_segment(m, &ctx, out, 64);
		if (n < 2) {
			fprintf(stderr, "rte_gso_segment: %d\n", n);
			exit(1);
		}
		rte_pktmbuf_free_bulk(out, n);
	}
	uint64_t t = rte_rdtsc() - t0;
	printf("gso_tcp4_64000_ns %.1f ns\n", ns(t, iters / 20));
	rte_pktmbuf_free(m);
}

static void bench_gro(void)
{
	static uint8_t frames[32][1600];
	int lens[32];
	for (int i = 0; i < 32; i++)
		lens[i] = tcp4(frames[i], 1000 + i % 4, (i / 4) * 1448, i / 4, 1448);
	struct rte_gro_param param = {
		.gro_types = RTE_GRO_TCP_IPV4,
		.max_flow_num = 4,
		.max_item_per_flow = 32,
	};
	struct rte_mbuf *ms[32];
	uint64_t t0 = rte_rdtsc();
	for (long it = 0; it < iters / 4; it++) {
		if (rte_pktmbuf_alloc_bulk(direct, ms, 32) != 0) {
			fprintf(stderr, "pool empty\n");
			exit(1);
		}
		for (int i = 0; i < 32; i++) {
			struct rte_mbuf *m = ms[i];
			memcpy(rte_pktmbuf_append(m, lens[i]), frames[i], lens[i]);
			struct rte_net_hdr_lens h;
			m->packet_type = rte_net_get_ptype(m, &h, RTE_PTYPE_ALL_MASK);
			m->l2_len = h.l2_len, m->l3_len = h.l3_len, m->l4_len = h.l4_len;
		}
		uint16_t n = rte_gro_reassemble_burst(ms, 32, &param);
		if (n != 4) {
			fprintf(stderr, "rte_gro_reassemble_burst: %u packets\n", n);
			exit(1);
		}
		rte_pktmbuf_free_bulk(ms, n);
	}
	uint64_t t = rte_rdtsc() - t0;
	printf("gro_burst32_tcp4x4_ns_per_pkt %.1f ns\n", ns(t, iters / 4 * 32));
}

int main(int argc, char **argv)
{
	int n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	argc -= n, argv += n;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--iters") && i + 1 < argc)
			iters = atol(argv[++i]);
	big = rte_pktmbuf_pool_create("big", 63, 0, 0, 65535, rte_socket_id());
	direct = rte_pktmbuf_pool_create("direct", 2047, 64, 0, RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	indirect = rte_pktmbuf_pool_create("indirect", 2047, 64, 0, 0, rte_socket_id());
	if (!big || !direct || !indirect) {
		fprintf(stderr, "pool create failed\n");
		return 1;
	}
	bench_fragment(0);
	bench_fragment(1);
	bench_fragreasm(0);
	bench_fragreasm(1);
	bench_gso();
	bench_gro();
	rte_eal_cleanup();
	return 0;
}
