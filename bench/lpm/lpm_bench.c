/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lpm_bench: DPDK's rte_lpm / rte_lpm6 run on the same route and address
 * files (dpdk-test-fib's -f/-t format) and with the same loops as
 * `dpkit bench lpm` / `dpkit bench lpm6`, printing the same figure names,
 * so that bench/vs-dpdk-lpm.sh can pair them line by line:
 *
 *   lpm_add_cycles      cycles per rte_lpm_add, all routes in file order
 *   lpm_lookup_cycles   cycles per rte_lpm_lookup, one pass over the addresses
 *   lpm_bulk_cycles     cycles per address of rte_lpm_lookup_bulk on bursts
 *                       of 64 (dpdk-test-fib's size), the pass timed as a whole
 *   lpm_x4_cycles       cycles per address of rte_lpm_lookupx4
 *   lpm_delete_cycles   cycles per rte_lpm_delete, all routes
 *   (lpm6_* the same for rte_lpm6; it has no x4)
 *
 * Lookup figures: -r rounds over all addresses in chunks of 65536, each
 * chunk timed on its own, the sum of each chunk's best (see best()). Usage:
 *   lpm_bench [EAL args] -- [-6] -f routes -t addrs [-g tbl8s] [-r rounds] [-b burst]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

struct route {
	uint8_t ip[16]; /* IPv4: the first 4 bytes, network order */
	uint8_t depth;
	uint32_t nh;
};

static struct route *routes;
static size_t nroutes;
static uint8_t (*addrs)[16];
static size_t naddrs;

static void die(const char *msg, const char *arg)
{
	fprintf(stderr, "lpm_bench: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	exit(1);
}

static void load_routes(const char *path, int v6)
{
	FILE *f = fopen(path, "r");
	char line[256], pfx[128];
	size_t cap = 0;
	unsigned long nh;
	if (f == NULL)
		die("cannot open route file", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *slash;
		struct route r;
		memset(&r, 0, sizeof(r));
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%127s %lu", pfx, &nh) != 2 || (slash = strchr(pfx, '/')) == NULL)
			die("bad route line", line);
		*slash = 0;
		r.depth = (uint8_t)atoi(slash + 1);
		r.nh = (uint32_t)nh;
		if (inet_pton(v6 ? AF_INET6 : AF_INET, pfx, r.ip) != 1)
			die("bad prefix", pfx);
		if (nroutes == cap) {
			cap = cap ? 2 * cap : 1024;
			routes = realloc(routes, cap * sizeof(*routes));
			if (routes == NULL)
				die("out of memory", NULL);
		}
		routes[nroutes++] = r;
	}
	fclose(f);
}

static void load_addrs(const char *path, int v6)
{
	FILE *f = fopen(path, "r");
	char line[256], a[128];
	size_t cap = 0;
	if (f == NULL)
		die("cannot open address file", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%127s", a) != 1 || a[0] == '#')
			continue;
		if (naddrs == cap) {
			cap = cap ? 2 * cap : 1 << 16;
			addrs = realloc(addrs, cap * sizeof(*addrs));
			if (addrs == NULL)
				die("out of memory", NULL);
		}
		memset(addrs[naddrs], 0, 16);
		if (inet_pton(v6 ? AF_INET6 : AF_INET, a, addrs[naddrs]) != 1)
			die("bad address", a);
		naddrs++;
	}
	fclose(f);
}

static uint32_t ip4(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static volatile uint32_t sink;

/* heap_bytes returns the bytes allocated from DPDK's heap on this socket:
 * the difference around rte_lpm_create is the table's size. */
static size_t heap_bytes(void)
{
	struct rte_malloc_socket_stats st;
	int sock = (int)rte_socket_id();
	if (rte_malloc_get_socket_stats(sock < 0 ? 0 : sock, &st) != 0)
		return 0;
	return st.heap_allocsz_bytes;
}

/* As `dpkit bench lpm` (app/bench/lpm.go, best): each round runs over all
 * addresses in chunks of CHUNK, each chunk timed on its own; the figure is
 * the sum over chunks of each chunk's best time, per address. */
#define CHUNK (1u << 16)
typedef uint64_t (*chunk_fn)(size_t lo, size_t hi);

static double best(int rounds, size_t n, chunk_fn fn)
{
	size_t nchunks = (n + CHUNK - 1) / CHUNK, c;
	uint64_t *mins = malloc(nchunks * sizeof(*mins)), total = 0;
	int k;
	if (mins == NULL)
		die("out of memory", NULL);
	for (c = 0; c < nchunks; c++)
		mins[c] = UINT64_MAX;
	for (k = 0; k < rounds; k++)
		for (c = 0; c < nchunks; c++) {
			size_t hi = (c + 1) * CHUNK < n ? (c + 1) * CHUNK : n;
			uint64_t t = fn(c * CHUNK, hi);
			mins[c] = t < mins[c] ? t : mins[c];
		}
	for (c = 0; c < nchunks; c++)
		total += mins[c];
	free(mins);
	return (double)total / n;
}

static struct rte_lpm *lpm4;
static struct rte_lpm6 *lpm6;
static uint32_t *ips, *hops;
static int32_t *hops6;
static unsigned burst = 64;

static uint64_t single4(size_t lo, size_t hi)
{
	uint32_t acc = 0, nh;
	uint64_t t = rte_rdtsc();
	for (size_t i = lo; i < hi; i++)
		if (rte_lpm_lookup(lpm4, ips[i], &nh) == 0)
			acc += nh;
	t = rte_rdtsc() - t;
	sink += acc;
	return t;
}

static uint64_t bulk4(size_t lo, size_t hi)
{
	uint64_t t = rte_rdtsc();
	for (size_t i = lo; i + burst <= hi; i += burst)
		rte_lpm_lookup_bulk(lpm4, ips + i, hops + i, burst);
	return rte_rdtsc() - t;
}

static uint64_t x4(size_t lo, size_t hi)
{
	uint64_t t = rte_rdtsc();
	for (size_t i = lo; i + 4 <= hi; i += 4) {
		xmm_t v = _mm_loadu_si128((const __m128i *)(ips + i));
		rte_lpm_lookupx4(lpm4, v, hops + i, 0);
	}
	return rte_rdtsc() - t;
}

static uint64_t single6(size_t lo, size_t hi)
{
	uint32_t acc = 0, nh;
	uint64_t t = rte_rdtsc();
	for (size_t i = lo; i < hi; i++)
		if (rte_lpm6_lookup(lpm6, addrs[i], &nh) == 0)
			acc += nh;
	t = rte_rdtsc() - t;
	sink += acc;
	return t;
}

static uint64_t bulk6(size_t lo, size_t hi)
{
	uint64_t t = rte_rdtsc();
	for (size_t i = lo; i + burst <= hi; i += burst)
		rte_lpm6_lookup_bulk_func(lpm6, addrs + i, hops6 + i, burst);
	return rte_rdtsc() - t;
}

static int run4(unsigned tbl8s, int rounds)
{
	struct rte_lpm_config cfg = { .max_rules = nroutes, .number_tbl8s = tbl8s };
	size_t h0 = heap_bytes(), i;
	struct rte_lpm *lpm = rte_lpm_create("lpm_bench", SOCKET_ID_ANY, &cfg);
	size_t tbytes = heap_bytes() - h0;
	uint64_t t;
	ips = rte_malloc(NULL, naddrs * 4, 64);
	hops = rte_malloc(NULL, naddrs * 4, 64);
	if (lpm == NULL || ips == NULL || hops == NULL)
		die("cannot create the rte_lpm table or its buffers", NULL);
	lpm4 = lpm;
	for (i = 0; i < naddrs; i++)
		ips[i] = ip4(addrs[i]);

	t = rte_rdtsc();
	for (i = 0; i < nroutes; i++)
		if (rte_lpm_add(lpm, ip4(routes[i].ip), routes[i].depth, routes[i].nh) != 0) {
			fprintf(stderr, "lpm_bench: rte_lpm_add of route %zu failed\n", i + 1);
			return 1;
		}
	printf("lpm_add_cycles %.2f cycles\n", (double)(rte_rdtsc() - t) / nroutes);
	printf("lpm_bytes_per_route %.2f bytes\n", (double)tbytes / nroutes);
	printf("lpm_lookup_cycles %.2f cycles\n", best(rounds, naddrs, single4));
	printf("lpm_bulk_cycles %.2f cycles\n", best(rounds, naddrs / burst * burst, bulk4));
	printf("lpm_x4_cycles %.2f cycles\n", best(rounds, naddrs & ~(size_t)3, x4));

	t = rte_rdtsc();
	for (i = 0; i < nroutes; i++)
		rte_lpm_delete(lpm, ip4(routes[i].ip), routes[i].depth);
	printf("lpm_delete_cycles %.2f cycles\n", (double)(rte_rdtsc() - t) / nroutes);
	rte_lpm_free(lpm);
	return 0;
}

static int run6(unsigned tbl8s, int rounds)
{
	struct rte_lpm6_config cfg = { .max_rules = nroutes, .number_tbl8s = tbl8s };
	size_t h0 = heap_bytes(), i;
	struct rte_lpm6 *lpm = rte_lpm6_create("lpm6_bench", SOCKET_ID_ANY, &cfg);
	size_t tbytes = heap_bytes() - h0;
	uint64_t t;
	hops6 = rte_malloc(NULL, naddrs * 4, 64);
	if (lpm == NULL || hops6 == NULL)
		die("cannot create the rte_lpm6 table", NULL);
	lpm6 = lpm;

	t = rte_rdtsc();
	for (i = 0; i < nroutes; i++)
		if (rte_lpm6_add(lpm, routes[i].ip, routes[i].depth, routes[i].nh) != 0) {
			fprintf(stderr, "lpm_bench: rte_lpm6_add of route %zu failed\n", i + 1);
			return 1;
		}
	printf("lpm6_add_cycles %.2f cycles\n", (double)(rte_rdtsc() - t) / nroutes);
	printf("lpm6_bytes_per_route %.2f bytes\n", (double)tbytes / nroutes);
	printf("lpm6_lookup_cycles %.2f cycles\n", best(rounds, naddrs, single6));
	printf("lpm6_bulk_cycles %.2f cycles\n", best(rounds, naddrs / burst * burst, bulk6));

	t = rte_rdtsc();
	for (i = 0; i < nroutes; i++)
		rte_lpm6_delete(lpm, routes[i].ip, routes[i].depth);
	printf("lpm6_delete_cycles %.2f cycles\n", (double)(rte_rdtsc() - t) / nroutes);
	rte_lpm6_free(lpm);
	return 0;
}

int main(int argc, char **argv)
{
	const char *rf = NULL, *af = NULL;
	unsigned tbl8s = 0;
	int v6 = 0, rounds = 5, c, ret = rte_eal_init(argc, argv);
	if (ret < 0)
		die("cannot init EAL", NULL);
	argc -= ret;
	argv += ret;
	while ((c = getopt(argc, argv, "6f:t:g:r:b:")) != -1) {
		switch (c) {
		case '6': v6 = 1; break;
		case 'f': rf = optarg; break;
		case 't': af = optarg; break;
		case 'g': tbl8s = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'r': rounds = atoi(optarg); break;
		case 'b': burst = (unsigned)strtoul(optarg, NULL, 10); break;
		default: die("usage: lpm_bench [EAL] -- [-6] -f routes -t addrs [-g tbl8s] [-r rounds] [-b burst]", NULL);
		}
	}
	if (rf == NULL || af == NULL || rounds < 1 || burst < 1 || CHUNK % burst != 0)
		die("need -f routes and -t addrs; -r >= 1; -b a divisor of 65536", NULL);
	load_routes(rf, v6);
	load_addrs(af, v6);
	if (nroutes == 0 || naddrs == 0)
		die("no routes or no addresses", NULL);
	if (tbl8s == 0)
		tbl8s = v6 ? nroutes * 4 + 256 : nroutes * 6 / 5 + 256;
	printf("# lpm_bench: %zu routes, %zu addresses, %u tbl8s, TSC %.3f GHz, best of %d passes\n",
	       nroutes, naddrs, tbl8s, rte_get_tsc_hz() / 1e9, rounds);
	ret = v6 ? run6(tbl8s, rounds) : run4(tbl8s, rounds);
	printf("# sink %u\n", sink & 1);
	rte_eal_cleanup();
	return ret;
}
