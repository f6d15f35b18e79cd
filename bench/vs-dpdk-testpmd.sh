#!/usr/bin/env bash
# vs-dpdk-testpmd.sh: dpkit testpmd against DPDK 22.11's dpdk-testpmd in
# the same scenario, back to back, in one run: two net_null ports, io
# forwarding (or --mode), one forwarding lcore, burst 32, driven through a
# pipe ("start", wait, "stop", "quit") exactly the same way on both sides.
#
# Usage: bench/vs-dpdk-testpmd.sh [--runs N] [--secs S] [--lcores 0-1] [--mode io]
#
# Each side's rate is the accumulated TX-packets of its forward statistics
# divided by the time between "start" and "stop" (the same sleep for both).
# The sides take turns N times (default 3) and the best run of each is kept
# (these machines are shared and noisy). Prints
#
#   figure  dpkit  dpdk  ratio  unit
#
# with ratio = dpkit time per packet / DPDK time per packet (lower is
# better: < 1 means dpkit forwards faster).
set -euo pipefail
runs=3 secs=5 lcores=0-1 mode=io
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	--secs) secs=$2; shift 2 ;;
	--lcores) lcores=$2; shift 2 ;;
	--mode) mode=$2; shift 2 ;;
	*) echo "usage: $0 [--runs N] [--secs S] [--lcores LIST] [--mode ENGINE]" >&2; exit 2 ;;
	esac
done
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/dpkit" ./cmd/dpkit
command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd not found (Debian package dpdk)" >&2; exit 1; }

eal=(-l "$lcores" --no-pci --file-prefix=vs-testpmd -m 512 --vdev net_null0 --vdev net_null1)
app=(-i --forward-mode="$mode" --burst=32 --nb-cores=1)

# run BIN...: prints the accumulated RX-packets of one timed run.
run() {
	{ sleep 1; echo start; sleep "$secs"; echo stop; sleep 0.5; echo quit; } |
		"$@" "${eal[@]}" -- "${app[@]}" 2>&1 |
		awk '/Accumulated forward statistics/ {acc=1} acc && /TX-packets:/ {print $2; exit}'
}

best_dpkit=0 best_dpdk=0
for i in $(seq "$runs"); do
	a=$(run "$tmp/dpkit" testpmd)
	b=$(run dpdk-testpmd)
	echo "# run $i: dpkit $a packets sent, dpdk $b packets sent in ${secs}s" >&2
	[ "${a:-0}" -gt "$best_dpkit" ] && best_dpkit=$a
	[ "${b:-0}" -gt "$best_dpdk" ] && best_dpdk=$b
done
awk -v a="$best_dpkit" -v b="$best_dpdk" -v s="$secs" -v m="$mode" 'BEGIN {
	printf "%-28s %10s %10s %8s  %s\n", "figure", "dpkit", "dpdk", "ratio", "unit"
	ma = a / s / 1e6; mb = b / s / 1e6
	printf "%-28s %10.2f %10.2f %8.3f  %s\n", "testpmd_" m "_net_null_mpps", ma, mb, (ma > 0 ? mb / ma : 0), "Mpps (ratio = dpkit/dpdk time per packet)"
}'
