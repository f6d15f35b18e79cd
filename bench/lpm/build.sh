#!/usr/bin/env bash
# Builds bench/lpm/build/lpm_bench against the system's DPDK (Debian's
# dpdk-dev 22.11: pkg-config libdpdk), -O3 -march=native.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p build
CC=${CC:-gcc}
# shellcheck disable=SC2046
$CC -O3 -Wall -Wextra -Wno-unused-parameter $(pkg-config --cflags libdpdk) -march=native \
	-o build/lpm_bench lpm_bench.c $(pkg-config --libs libdpdk)
echo "built $(pwd)/build/lpm_bench"
