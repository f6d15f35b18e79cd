#!/usr/bin/env bash
# vs-dpdk-ipfrag.sh: dpkit's ipfrag, gso and gro side by side with DPDK
# 22.11's librte_ip_frag, librte_gso and librte_gro, on the same core, back
# to back, several runs taking turns; the best (min) figure of each side is
# kept.
#
# dpdk-test has no performance test for these libraries (ipfrag_autotest is
# functional only), so DPDK's side is bench/ipfrag/dpdkref.c, written for
# dpkit: the same operations on the same packets as `dpkit bench ipfrag`
# (see app/bench/ipfrag.go for the figures), built here with gcc against
# the system's DPDK (pkg-config libdpdk, Debian's dpdk-dev).
#
# Usage: bench/vs-dpdk-ipfrag.sh [--runs N] [--lcore CPU] [--iters N] [--keep DIR]
#
#   --runs N     runs per side, taking turns (default 5)
#   --lcore CPU  the core both sides run on (default 1)
#   --iters N    fragmentation iterations per figure (default 200000; GSO
#                runs N/20, GRO N/4 bursts)
#   --keep DIR   keep the raw outputs in DIR
#
# Output: figure, dpkit ns, DPDK ns, ratio = dpkit/DPDK (lower is better,
# < 1: dpkit is faster). gso_tcp4_64000_swcsum_ns is dpkit-only (DPDK's GSO
# never computes checksums; dpkit's does unless told to leave them to the
# port, which is what gso_tcp4_64000_ns measures on both sides).
#
# Needs root and hugepages for DPDK; DPDK runs with --file-prefix=ipfrag
# -m 512 --no-pci.
set -euo pipefail
runs=5 lcore=1 iters=200000 keep=""
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=${2:?}; shift ;;
	--lcore) lcore=${2:?}; shift ;;
	--iters) iters=${2:?}; shift ;;
	--keep) keep=${2:?}; shift ;;
	-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) echo "vs-dpdk-ipfrag: unknown option $1 (try --help)" >&2; exit 2 ;;
	esac
	shift
done
case $keep in '' | /*) ;; *) keep=$PWD/$keep ;; esac
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
die() { echo "vs-dpdk-ipfrag: error: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "DPDK needs root (hugepages)"
pkg-config --exists libdpdk || die "pkg-config libdpdk not found: install dpdk-dev"
if [ -n "$keep" ]; then mkdir -p "$keep"; work=$keep; else work=$(mktemp -d); fi
cleanup() { [ -n "$keep" ] || rm -rf "$work"; rm -f /dev/hugepages/ipfragmap_* 2>/dev/null || true; }
trap cleanup EXIT

echo "==> building bench/ipfrag/dpdkref.c and dpkit" >&2
# shellcheck disable=SC2046
gcc -O3 -Wall -Wextra -Wno-unused-parameter $(pkg-config --cflags libdpdk) -march=native \
	-o "$work/dpdkref" bench/ipfrag/dpdkref.c $(pkg-config --libs libdpdk)
go build -o "$work/dpkit" ./cmd/dpkit
for i in $(seq "$runs"); do
	echo "==> run $i of $runs: dpkit, then DPDK, on lcore $lcore" >&2
	"$work/dpkit" bench ipfrag -l "$lcore" >"$work/dpkit-$i.txt"
	"$work/dpdkref" -l "$lcore" --no-pci --no-telemetry --file-prefix=ipfrag -m 512 -- --iters "$iters" \
		>"$work/raw-dpdk-$i.txt" 2>&1 || { tail "$work/raw-dpdk-$i.txt" >&2; die "dpdkref failed"; }
	grep -E '^[a-z0-9_]+ [0-9.]+ ns$' "$work/raw-dpdk-$i.txt" >"$work/dpdk-$i.txt"
done

vs_header "$lcore" "$runs"
vs_best_table "$work"
