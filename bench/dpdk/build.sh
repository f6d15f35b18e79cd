#!/usr/bin/env bash
# Builds bench/dpdk/build/mempool_perf against the system's DPDK (Debian's
# dpdk-dev 22.11: pkg-config libdpdk). -march=native comes after DPDK's
# cflags (which say -march=corei7) so that rte_memcpy gets this CPU's
# vector units, as a DPDK application built for its machine would.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p build
CC=${CC:-gcc}
# shellcheck disable=SC2046
$CC -O3 -Wall -Wextra -Wno-unused-parameter $(pkg-config --cflags libdpdk) -march=native \
	-o build/mempool_perf mempool_perf.c $(pkg-config --libs libdpdk)
echo "built $(pwd)/build/mempool_perf"
