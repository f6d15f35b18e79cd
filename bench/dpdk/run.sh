#!/usr/bin/env bash
# Builds (if needed) and runs mempool_perf on lcores 0-1 (root, hugepages).
# Arguments go to the program: run.sh --time 1 --quick --filter cache512
set -euo pipefail
cd "$(dirname "$0")"
[ build/mempool_perf -nt mempool_perf.c ] || ./build.sh >&2
exec ./build/mempool_perf -l "${LCORES:-0-1}" --no-pci --no-telemetry --file-prefix=dpkitmp \
	--log-level=lib.eal:error -- "$@"
