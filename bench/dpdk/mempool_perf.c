/*
 * mempool_perf: DPDK's side of `dpkit bench mempool`.
 *
 * The measurement of DPDK 22.11's mempool_perf_autotest (app/test), written
 * afresh and cut down to the cases dpkit reports, so that a side-by-side run
 * takes a minute instead of an hour: a pool of lcore_count*(512+512)-1
 * objects of 2048 bytes, with no cache and with a 512-object per-lcore
 * cache; on 1 and 2 lcores, each lcore repeatedly gets n_keep objects in
 * bulks of n_get_bulk and puts them back in bulks of n_put_bulk
 * (rte_mempool_generic_get/put with the lcore's default cache), 65536
 * objects per round, for --time seconds. The rate is objects got and put
 * back per second, summed over the lcores, printed in mempool_perf_autotest's
 * format:
 *
 *   mempool_autotest cache=512 cores=1 n_get_bulk=32 n_put_bulk=32 n_keep=128 constant_n=0 rate_persec=123456789
 *
 * Usage: mempool_perf [EAL options] -- [--time SECONDS] [--quick] [--filter SUBSTRING]
 *   --time    seconds per case (default 1)
 *   --quick   only the cases with n_get_bulk == n_put_bulk
 *   --filter  only the cases whose dpkit name (mempool_cache512_cores1_get32_put32_keep128)
 *             contains SUBSTRING
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_pause.h>

#define OBJS_PER_ROUND 65536
#define ELT_SIZE 2048
#define KEEP_MAX 512

static const unsigned int bulk_sizes[] = {1, 4, 32};
static const unsigned int keep_sizes[] = {32, 128};

/* The case being run; written by the main lcore before launch. */
static struct {
	struct rte_mempool *mp;
	unsigned int get_bulk, put_bulk, keep;
	uint64_t run_cycles;
} cur;

static volatile int start_flag;

struct lcore_result {
	uint64_t objs;
	uint64_t cycles;
} __rte_cache_aligned;

static struct lcore_result results[RTE_MAX_LCORE];

/* One round: OBJS_PER_ROUND objects got and put back, keep at a time. */
static int
one_round(struct rte_mempool *mp, struct rte_mempool_cache *cache, void **table,
	  unsigned int keep, unsigned int get_bulk, unsigned int put_bulk)
{
	unsigned int round, i;

	for (round = 0; round < OBJS_PER_ROUND / keep; round++) {
		for (i = 0; i < keep; i += get_bulk)
			if (unlikely(rte_mempool_generic_get(mp, &table[i], get_bulk, cache) < 0))
				return -1;
		for (i = 0; i < keep; i += put_bulk)
			rte_mempool_generic_put(mp, &table[i], put_bulk, cache);
	}
	return 0;
}

static int
lcore_loop(void *arg __rte_unused)
{
	unsigned int lcore = rte_lcore_id();
	struct rte_mempool_cache *cache = rte_mempool_default_cache(cur.mp, lcore);
	void *table[KEEP_MAX] __rte_cache_aligned;
	uint64_t start, now, objs = 0;

	while (!start_flag)
		rte_pause();
	start = rte_rdtsc();
	do {
		if (one_round(cur.mp, cache, table, cur.keep, cur.get_bulk, cur.put_bulk) < 0) {
			fprintf(stderr, "lcore %u: get failed\n", lcore);
			return -1;
		}
		objs += OBJS_PER_ROUND;
		now = rte_rdtsc();
	} while (now - start < cur.run_cycles);
	results[lcore].objs = objs;
	results[lcore].cycles = now - start;
	return 0;
}

/* run_case runs the current case on `cores` lcores: the main one and the
 * first cores-1 workers. It returns objects per second, or -1. */
static int64_t
run_case(unsigned int cores)
{
	unsigned int lcore, n;
	double rate = 0;
	int ret = 0;

	memset(results, 0, sizeof(results));
	start_flag = 0;
	n = 1;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (n++ >= cores)
			break;
		if (rte_eal_remote_launch(lcore_loop, NULL, lcore) != 0)
			return -1;
	}
	rte_smp_wmb();
	start_flag = 1;
	if (lcore_loop(NULL) < 0)
		ret = -1;
	n = 1;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (n++ >= cores)
			break;
		if (rte_eal_wait_lcore(lcore) < 0)
			ret = -1;
	}
	if (ret < 0)
		return -1;
	for (lcore = 0; lcore < RTE_MAX_LCORE; lcore++)
		if (results[lcore].cycles)
			rate += (double)results[lcore].objs * rte_get_tsc_hz() / results[lcore].cycles;
	return (int64_t)rate;
}

static void
usage(const char *prog)
{
	fprintf(stderr, "usage: %s [EAL options] -- [--time SECONDS] [--quick] [--filter SUBSTRING]\n", prog);
}

int
main(int argc, char **argv)
{
	double seconds = 1;
	int quick = 0;
	const char *filter = NULL;
	unsigned int lcores, size, c, cores, g, p, k;
	int i, ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "rte_eal_init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	for (i = ret + 1; i < argc; i++) {
		if (strcmp(argv[i], "--time") == 0 && i + 1 < argc) {
			seconds = strtod(argv[++i], NULL);
		} else if (strcmp(argv[i], "--quick") == 0) {
			quick = 1;
		} else if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc) {
			filter = argv[++i];
		} else {
			usage(argv[0]);
			return 2;
		}
	}
	if (!(seconds > 0)) {
		usage(argv[0]);
		return 2;
	}
	cur.run_cycles = (uint64_t)(seconds * rte_get_tsc_hz());

	lcores = rte_lcore_count();
	size = lcores * (KEEP_MAX + RTE_MEMPOOL_CACHE_MAX_SIZE) - 1;
	printf("# mempool_perf: %u lcores, pool of %u x %u bytes, %.2f s per case, tsc %" PRIu64 " Hz\n",
	       lcores, size, ELT_SIZE, seconds, rte_get_tsc_hz());
	if (lcores < 2)
		printf("# only one lcore: two-core cases skipped\n");

	for (c = 0; c < 2; c++) {
		unsigned int cache_size = c ? RTE_MEMPOOL_CACHE_MAX_SIZE : 0;
		struct rte_mempool *mp;

		mp = rte_mempool_create(c ? "perf_cache" : "perf_nocache", size, ELT_SIZE,
					cache_size, 0, NULL, NULL, NULL, NULL, SOCKET_ID_ANY, 0);
		if (mp == NULL) {
			fprintf(stderr, "rte_mempool_create: %s\n", rte_strerror(rte_errno));
			return 1;
		}
		cur.mp = mp;
		printf("start performance test (%s)\n", c ? "with cache" : "without cache");
		for (cores = 1; cores <= 2 && cores <= lcores; cores++)
			for (g = 0; g < RTE_DIM(bulk_sizes); g++)
				for (p = 0; p < RTE_DIM(bulk_sizes); p++)
					for (k = 0; k < RTE_DIM(keep_sizes); k++) {
						char name[128];
						int64_t rate;

						if (quick && g != p)
							continue;
						cur.get_bulk = bulk_sizes[g];
						cur.put_bulk = bulk_sizes[p];
						cur.keep = keep_sizes[k];
						snprintf(name, sizeof(name), "mempool_cache%u_cores%u_get%u_put%u_keep%u",
							 cache_size, cores, cur.get_bulk, cur.put_bulk, cur.keep);
						if (filter != NULL && strstr(name, filter) == NULL)
							continue;
						if (rte_mempool_avail_count(mp) != size) {
							fprintf(stderr, "%s: pool not full before the case\n", name);
							return 1;
						}
						rate = run_case(cores);
						if (rate < 0) {
							fprintf(stderr, "%s: failed\n", name);
							return 1;
						}
						printf("mempool_autotest cache=%u cores=%u n_get_bulk=%u n_put_bulk=%u "
						       "n_keep=%u constant_n=0 rate_persec=%" PRId64 "\n",
						       cache_size, cores, cur.get_bulk, cur.put_bulk, cur.keep, rate);
						fflush(stdout);
					}
		rte_mempool_free(mp);
	}
	rte_eal_cleanup();
	return 0;
}
