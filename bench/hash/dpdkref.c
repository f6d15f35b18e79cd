/*
 * dpdkref: DPDK 22.11's hash functions on inputs given on stdin, one per
 * line, so dpkit's tests can compare theirs with DPDK's (Debian dpdk-dev).
 * Needs no EAL: the functions used are inline in DPDK's headers.
 *
 *   softrss KEYHEX DATAHEX    rte_softrss (DATAHEX a multiple of 4 bytes,
 *                             read as big-endian 32-bit words, the
 *                             host-order tuple rte_softrss expects)
 *   jhash DATAHEX INITVAL     rte_jhash
 *   jhash32 DATAHEX INITVAL   rte_jhash_32b (DATAHEX a multiple of 4 bytes,
 *                             little-endian words)
 *   crc DATAHEX INITVAL       rte_hash_crc
 *
 * Each prints the hash as 8 hex digits on its own line. INITVAL is decimal
 * or 0x-prefixed hex. Written for dpkit; build: cc $(pkg-config --cflags
 * libdpdk) dpdkref.c -o dpdkref $(pkg-config --libs libdpdk)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_jhash.h>
#include <rte_thash.h>

static int unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = strlen(s);
	if (n % 2 != 0 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (int)(n / 2);
}

int main(void)
{
	char line[4096], op[32], a[2048], b[2048];
	uint8_t key[1024], data[1024];

	while (fgets(line, sizeof(line), stdin) != NULL) {
		b[0] = 0;
		if (sscanf(line, "%31s %2047s %2047s", op, a, b) < 2) {
			fprintf(stderr, "dpdkref: bad line: %s", line);
			return 2;
		}
		if (strcmp(op, "softrss") == 0) {
			int kl = unhex(a, key, sizeof(key));
			int dl = unhex(b, data, sizeof(data));
			if (kl < 0 || dl < 0 || dl % 4 != 0) {
				fprintf(stderr, "dpdkref: bad softrss input\n");
				return 2;
			}
			uint32_t words[256];
			for (int i = 0; i < dl / 4; i++)
				words[i] = (uint32_t)data[4 * i] << 24 | (uint32_t)data[4 * i + 1] << 16 |
					   (uint32_t)data[4 * i + 2] << 8 | data[4 * i + 3];
			printf("%08x\n", rte_softrss(words, dl / 4, key));
		} else if (strcmp(op, "jhash") == 0 || strcmp(op, "crc") == 0 ||
			   strcmp(op, "jhash32") == 0) {
			int dl = strcmp(a, "-") == 0 ? 0 : unhex(a, data, sizeof(data));
			uint32_t init = (uint32_t)strtoul(b, NULL, 0);
			if (dl < 0) {
				fprintf(stderr, "dpdkref: bad hex\n");
				return 2;
			}
			uint32_t h;
			if (op[0] == 'c') {
				h = rte_hash_crc(data, dl, init);
			} else if (op[5] == '3') {
				uint32_t words[256];
				memcpy(words, data, dl);
				h = rte_jhash_32b(words, dl / 4, init);
			} else {
				h = rte_jhash(data, dl, init);
			}
			printf("%08x\n", h);
		} else {
			fprintf(stderr, "dpdkref: unknown op %s\n", op);
			return 2;
		}
		fflush(stdout);
	}
	return 0;
}
