#!/usr/bin/env bash
# vs-dpdk-offload.sh: dpkit's software offloads (package offload, the
# stages ethdev runs for a device without checksum offloads) side by side
# with DPDK 22.11 doing the same in software on rte_mbufs
# (bench/offload/offload_perf.c: rte_ipv4_cksum, rte_ipv4_udptcp_cksum_mbuf,
# rte_net_get_ptype, rte_ipv4_udptcp_cksum_mbuf_verify), on the same core,
# taking turns, several runs; the best (min) figure of each side is kept.
#
# Usage: bench/vs-dpdk-offload.sh [--runs N] [--lcore CPU] [--keep DIR]
#
# Output (ns per packet, ratio = dpkit/dpdk, lower is better):
#
#   figure                                     dpkit    dpdk  ratio
#   offload_tx_cksum_tcp4_64_ns_per_pkt        ...
#
# Needs root, hugepages and Debian's dpdk-dev (pkg-config libdpdk).
set -euo pipefail
runs=5 lcore=1 keep=""
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=${2:?}; shift ;;
	--lcore) lcore=${2:?}; shift ;;
	--keep) keep=${2:?}; shift ;;
	-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) echo "vs-dpdk-offload: unknown option $1 (try --help)" >&2; exit 2 ;;
	esac
	shift
done
case $keep in '' | /*) ;; *) keep=$PWD/$keep ;; esac
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
die() { echo "vs-dpdk-offload: error: $*" >&2; exit 1; }
command -v pkg-config >/dev/null && pkg-config --exists libdpdk || die "libdpdk not found: install dpdk-dev"
[ "$(id -u)" -eq 0 ] || die "DPDK needs root (hugepages)"
if [ -n "$keep" ]; then mkdir -p "$keep"; work=$keep; else work=$(mktemp -d); fi
cleanup() { [ -n "$keep" ] || rm -rf "$work"; rm -f /dev/hugepages/offload_perfmap_* 2>/dev/null || true; }
trap cleanup EXIT

echo "==> building dpkit and bench/offload/offload_perf" >&2
go build -o "$work/dpkit" ./cmd/dpkit
# shellcheck disable=SC2046
cc -O3 -DALLOW_EXPERIMENTAL_API $(pkg-config --cflags libdpdk) bench/offload/offload_perf.c -o "$work/offload_perf" \
	$(pkg-config --libs libdpdk) || die "building bench/offload/offload_perf.c"
for i in $(seq "$runs"); do
	echo "==> run $i of $runs: dpkit bench offload, then offload_perf (lcore $lcore)" >&2
	"$work/dpkit" bench offload -l "$lcore" >"$work/dpkit-$i.txt"
	taskset -c "$lcore" "$work/offload_perf" -l "$lcore" --no-pci --file-prefix=offload_perf -m 256 --log-level=error \
		>"$work/dpdk-$i.txt" || die "offload_perf failed"
done
vs_header "$lcore" "$runs"
vs_best_table "$work"
