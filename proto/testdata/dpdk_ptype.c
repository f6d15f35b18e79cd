/*
 * dpdk_ptype: DPDK 22.11's own rte_net_get_ptype on packets given as hex,
 * one per line on stdin; prints, per packet, the packet type and the
 * header lengths:
 *
 *   <ptype hex> <l2> <l3> <l4> <tunnel> <inner_l2> <inner_l3> <inner_l4>
 *
 * Used by proto's TestDPDKGetPtype to hold proto.GetPtype to DPDK's
 * parser. Built by the test: cc $(pkg-config --cflags libdpdk) ... -lrte_net.
 * Arguments are EAL arguments (the test passes --no-huge --no-pci ...).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mbuf_ptype.h>
#include <rte_net.h>

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int main(int argc, char **argv)
{
	static char line[1 << 17];
	struct rte_mempool *mp;

	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "dpdk_ptype: rte_eal_init failed\n");
		return 1;
	}
	mp = rte_pktmbuf_pool_create("ptype", 63, 0, 0, 16384, SOCKET_ID_ANY);
	if (mp == NULL) {
		fprintf(stderr, "dpdk_ptype: no mbuf pool\n");
		return 1;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		struct rte_net_hdr_lens h;
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		size_t n = strcspn(line, "\r\n") / 2, i;
		uint8_t *d;
		uint32_t pt;

		if (m == NULL || n > rte_pktmbuf_tailroom(m)) {
			fprintf(stderr, "dpdk_ptype: packet of %zu bytes does not fit\n", n);
			return 1;
		}
		d = (uint8_t *)rte_pktmbuf_append(m, n);
		for (i = 0; i < n; i++)
			d[i] = (uint8_t)(hexval(line[2 * i]) << 4 | hexval(line[2 * i + 1]));
		memset(&h, 0, sizeof(h));
		pt = rte_net_get_ptype(m, &h, RTE_PTYPE_ALL_MASK);
		printf("%08x %u %u %u %u %u %u %u\n", pt, h.l2_len, h.l3_len, h.l4_len,
		       h.tunnel_len, h.inner_l2_len, h.inner_l3_len, h.inner_l4_len);
		rte_pktmbuf_free(m);
	}
	fflush(stdout);
	rte_eal_cleanup();
	return 0;
}
