#!/usr/bin/env bash
# vs-dpdk-xsk.sh: AF_XDP transmit on a veth (copy mode, 64-byte frames),
# dpkit's internal/xsk against DPDK 22.11's net_af_xdp PMD (dpdk-testpmd
# txonly), back to back, best of RUNS each. The ethdev driver on top of
# internal/xsk is not written yet: dpkit's side is the mechanism's own Go
# benchmark (frames prepared once, sent from the tx ring, completions
# reclaimed), DPDK's is testpmd building and sending packets, so this is a
# first bound, not a like-for-like port comparison.
#
# Usage: sudo bench/vs-dpdk-xsk.sh [--runs N] [--secs S]
# Prints: figure  dpkit  dpdk  ratio (dpkit time per frame / DPDK's)
set -euo pipefail
runs=3 secs=6
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	--secs) secs=$2; shift 2 ;;
	*) echo "usage: $0 [--runs N] [--secs S]" >&2; exit 2 ;;
	esac
done
cd "$(dirname "$0")/.."
command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd not found (Debian package dpdk)" >&2; exit 1; }
a=vsxskA$$ b=vsxskB$$
cleanup() { ip netns del "$a" 2>/dev/null || true; ip netns del "$b" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$a"
ip netns add "$b"
ip link add xa netns "$a" type veth peer name xb netns "$b"
for p in "$a xa" "$b xb"; do
	set -- $p
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$1" ip link set "$2" up
done
sleep 1

best_dpdk=0 best_dpkit=0
for i in $(seq "$runs"); do
	# DPDK: the last "Tx-pps" of its periodic stats.
	d=$(ip netns exec "$a" timeout -s INT "$secs" dpdk-testpmd --file-prefix=vsxsk -m 512 --no-pci -l 0,1 \
		--vdev net_af_xdp0,iface=xa,start_queue=0,queue_count=1 -- \
		--forward-mode=txonly --txpkts=64 --burst=32 --stats-period 1 --nb-cores=1 2>&1 |
		awk '/Tx-pps:/ {v = $2} END {print v + 0}') || true # timeout's SIGINT status
	# dpkit: ns per frame from the Go benchmark (it makes its own veth).
	k=$(go test -run XXX -bench 'VethTx$' -benchtime 3000000x ./internal/xsk 2>/dev/null |
		awk '/BenchmarkVethTx/ {for (i = 1; i < NF; i++) if ($(i+1) == "ns/op") print $i}') || true
	echo "# run $i: dpdk ${d} pps, dpkit ${k} ns/frame" >&2
	[ "${d%.*}" -gt "$best_dpdk" ] && best_dpdk=${d%.*}
	if [ -n "$k" ] && { [ "$best_dpkit" = 0 ] || [ "$(echo "$k < $best_dpkit" | bc)" = 1 ]; }; then best_dpkit=$k; fi
done
awk -v k="$best_dpkit" -v d="$best_dpdk" 'BEGIN {
	printf "%-32s %10s %10s %8s\n", "figure", "dpkit", "dpdk", "ratio"
	dns = (d > 0 ? 1e9 / d : 0)
	printf "%-32s %10.1f %10.1f %8.2f  ns/frame (ratio = dpkit/dpdk time, lower is better)\n", "xsk_veth_tx_64B_copy_ns", k, dns, (dns > 0 ? k / dns : 0)
}'
