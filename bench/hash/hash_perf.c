/*
 * hash_perf: the cases of DPDK 22.11's hash_perf_autotest, one section and
 * key size at a time, printed under dpkit's figure names, so that dpkit and
 * DPDK can take short turns on a noisy machine (bench/vs-dpdk-hash.sh
 * --harness). Written for dpkit against Debian's librte_hash; it does what
 * app/bench/hash.go does, on rte_hash:
 *
 *   table of 2^19 entries, rte_jhash, keys made of an incrementing
 *   little-endian counter, kept if the table takes them ("primary": only if
 *   their primary bucket has room; "ext": extendable buckets, table filled
 *   to 100%, else 75%); then, without and with precomputed hashes: add all,
 *   shuffle, look each up 5 times (single, then bursts of 16), delete all.
 *
 * Usage: hash_perf <EAL args> -- [--loc primary|pushes|ext] [--data 0|1]
 *                                 [--keylen N] [--entries N]
 * Output: "hash_<loc>_<nodata|data>_<hash|prehash>_key<N>_<op>_cycles V cycles"
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_random.h>
#include <rte_version.h>

#define BURST 16
#define ROUNDS 5
/* Keys are kept a cache line apart, as in hash_perf_autotest
 * (keys[KEYS_TO_ADD][MAX_KEYSIZE], MAX_KEYSIZE 64) and app/bench/hash.go. */
#define KEY_STRIDE 64

static unsigned entries = 1 << 19;
static uint8_t *keys;	  /* n keys of keylen bytes, KEY_STRIDE apart */
static uint32_t *hashes;
static int32_t *pos;

static struct rte_hash *mk(const char *loc, unsigned keylen)
{
	static int serial;
	char name[RTE_HASH_NAMESIZE];
	snprintf(name, sizeof(name), "perf%d", serial++);
	struct rte_hash_parameters p = {
		.name = name,
		.entries = entries,
		.key_len = keylen,
		.hash_func = rte_jhash,
		.hash_func_init_val = 0,
		.socket_id = 0,
		.extra_flag = strcmp(loc, "ext") == 0 ? RTE_HASH_EXTRA_FLAGS_EXT_TABLE : 0,
	};
	struct rte_hash *h = rte_hash_create(&p);
	if (h == NULL) {
		fprintf(stderr, "hash_perf: rte_hash_create failed\n");
		exit(1);
	}
	return h;
}

static void swap(unsigned keylen, unsigned i, unsigned j)
{
	uint8_t tmp[64];
	memcpy(tmp, keys + i * KEY_STRIDE, keylen);
	memcpy(keys + i * KEY_STRIDE, keys + j * KEY_STRIDE, keylen);
	memcpy(keys + j * KEY_STRIDE, tmp, keylen);
	uint32_t th = hashes[i];
	hashes[i] = hashes[j];
	hashes[j] = th;
	int32_t tp = pos[i];
	pos[i] = pos[j];
	pos[j] = tp;
}

static void report(const char *loc, int data, int pre, unsigned kl, const char *op, double v)
{
	printf("hash_%s_%s_%s_key%u_%s_cycles %.2f cycles\n", loc, data ? "data" : "nodata",
	       pre ? "prehash" : "hash", kl, op, v);
}

static int run(const char *loc, int data, unsigned kl)
{
	int ext = strcmp(loc, "ext") == 0;
	unsigned n = ext ? entries : entries * 3 / 4;
	unsigned nbuckets = entries / 8;
	uint8_t *fill = calloc(nbuckets, 1);
	struct rte_hash *h = mk(loc, kl);
	uint8_t key[64] = {0};
	uint64_t ctr = 0;
	unsigned got = 0;

	while (got < n) {
		ctr++;
		for (unsigned i = 0; i < kl && i < 8; i++)
			key[i] = (uint8_t)(ctr >> (8 * i));
		uint32_t hv = rte_hash_hash(h, key);
		unsigned b = hv & (nbuckets - 1);
		if (strcmp(loc, "primary") == 0 && fill[b] == 8)
			continue;
		if (rte_hash_add_key_with_hash(h, key, hv) < 0)
			continue;
		fill[b]++;
		memcpy(keys + got * KEY_STRIDE, key, kl);
		hashes[got] = hv;
		got++;
	}
	free(fill);

	for (int pre = 0; pre <= 1; pre++) {
		rte_hash_reset(h);
		uint64_t t0 = rte_rdtsc();
		for (unsigned i = 0; i < n; i++) {
			const void *k = keys + i * KEY_STRIDE;
			void *d = (void *)(uintptr_t)hashes[i];
			int r;
			if (data)
				r = pre ? rte_hash_add_key_with_hash_data(h, k, hashes[i], d) : rte_hash_add_key_data(h, k, d);
			else
				r = pre ? rte_hash_add_key_with_hash(h, k, hashes[i]) : rte_hash_add_key(h, k);
			if (r < 0) {
				fprintf(stderr, "hash_perf: add of key %u: %d\n", i, r);
				return -1;
			}
			if (!data)
				pos[i] = r;
		}
		report(loc, data, pre, kl, "add", (double)(rte_rdtsc() - t0) / n);
		for (unsigned i = n - 1; i > 0; i--)
			swap(kl, i, (unsigned)(rte_rand() % (i + 1)));

		t0 = rte_rdtsc();
		for (int round = 0; round < ROUNDS; round++) {
			for (unsigned i = 0; i < n; i++) {
				const void *k = keys + i * KEY_STRIDE;
				if (data) {
					void *d;
					int r = pre ? rte_hash_lookup_with_hash_data(h, k, hashes[i], &d) : rte_hash_lookup_data(h, k, &d);
					if (r < 0 || d != (void *)(uintptr_t)hashes[i]) {
						fprintf(stderr, "hash_perf: lookup data of key %u\n", i);
						return -1;
					}
				} else {
					int r = pre ? rte_hash_lookup_with_hash(h, k, hashes[i]) : rte_hash_lookup(h, k);
					if (r != pos[i]) {
						fprintf(stderr, "hash_perf: key %u at %d, want %d\n", i, r, pos[i]);
						return -1;
					}
				}
			}
		}
		report(loc, data, pre, kl, "lookup", (double)(rte_rdtsc() - t0) / ((double)ROUNDS * n));

		const void *kb[BURST];
		int32_t pb[BURST];
		void *db[BURST];
		uint64_t hit;
		unsigned nb = n / BURST * BURST;
		t0 = rte_rdtsc();
		for (int round = 0; round < ROUNDS; round++) {
			for (unsigned j = 0; j < nb; j += BURST) {
				for (unsigned k = 0; k < BURST; k++)
					kb[k] = keys + (j + k) * KEY_STRIDE;
				if (data) {
					int r = pre ? rte_hash_lookup_with_hash_bulk_data(h, kb, &hashes[j], BURST, &hit, db)
						    : rte_hash_lookup_bulk_data(h, kb, BURST, &hit, db);
					if (r != BURST) {
						fprintf(stderr, "hash_perf: bulk data hits %d\n", r);
						return -1;
					}
					for (unsigned k = 0; k < BURST; k++)
						if (db[k] != (void *)(uintptr_t)hashes[j + k]) {
							fprintf(stderr, "hash_perf: bulk data of key %u\n", j + k);
							return -1;
						}
				} else {
					if (pre)
						rte_hash_lookup_with_hash_bulk(h, kb, &hashes[j], BURST, pb);
					else
						rte_hash_lookup_bulk(h, kb, BURST, pb);
					for (unsigned k = 0; k < BURST; k++)
						if (pb[k] != pos[j + k]) {
							fprintf(stderr, "hash_perf: bulk key %u at %d, want %d\n", j + k, pb[k], pos[j + k]);
							return -1;
						}
				}
			}
		}
		report(loc, data, pre, kl, "lookup_bulk", (double)(rte_rdtsc() - t0) / ((double)ROUNDS * nb));

		t0 = rte_rdtsc();
		for (unsigned i = 0; i < n; i++) {
			const void *k = keys + i * KEY_STRIDE;
			int r = pre ? rte_hash_del_key_with_hash(h, k, hashes[i]) : rte_hash_del_key(h, k);
			if (r < 0) {
				fprintf(stderr, "hash_perf: delete of key %u: %d\n", i, r);
				return -1;
			}
		}
		report(loc, data, pre, kl, "delete", (double)(rte_rdtsc() - t0) / n);
	}
	rte_hash_free(h);
	return 0;
}

int main(int argc, char **argv)
{
	int n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "hash_perf: EAL init failed\n");
		return 1;
	}
	argc -= n;
	argv += n;
	const char *locs[3] = {"primary", "pushes", "ext"};
	int nloc = 3, datas[2] = {0, 1}, ndata = 2;
	unsigned lens[10] = {4, 8, 16, 32, 48, 64, 9, 13, 37, 40}, nlen = 10;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--loc") == 0 && i + 1 < argc) {
			locs[0] = argv[++i];
			nloc = 1;
		} else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
			datas[0] = atoi(argv[++i]);
			ndata = 1;
		} else if (strcmp(argv[i], "--keylen") == 0 && i + 1 < argc) {
			lens[0] = (unsigned)atoi(argv[++i]);
			nlen = 1;
		} else if (strcmp(argv[i], "--entries") == 0 && i + 1 < argc) {
			entries = (unsigned)atoi(argv[++i]);
		} else {
			fprintf(stderr, "hash_perf: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	keys = malloc((size_t)entries * KEY_STRIDE);
	hashes = malloc(entries * sizeof(*hashes));
	pos = malloc(entries * sizeof(*pos));
	printf("# hash_perf (DPDK %s): TSC %.3f GHz\n", rte_version(), rte_get_tsc_hz() / 1e9);
	for (int l = 0; l < nloc; l++)
		for (int d = 0; d < ndata; d++)
			for (unsigned k = 0; k < nlen; k++)
				if (lens[k] > 64 || lens[k] < 1 || run(locs[l], datas[d], lens[k]) < 0)
					return 1;
	rte_eal_cleanup();
	return 0;
}
