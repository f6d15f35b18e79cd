#!/usr/bin/env bash
# vs-dpdk-afxdp-gotest.sh: transmit-only on an AF_XDP port over a veth (copy mode,
# 64-byte frames, bursts of 32): dpkit's net_af_xdp driver
# (BenchmarkPortTx: allocate mbufs, write the frames, TxBurst) against
# DPDK 22.11's net_af_xdp under dpdk-testpmd --forward-mode=txonly, run
# back to back, best of RUNS each (lowest time per frame).
#
# Usage: sudo bench/vs-dpdk-afxdp-gotest.sh [--runs N] [--secs S]
# Prints: figure  dpkit  dpdk  ratio (dpkit time per frame / DPDK's)
set -euo pipefail
runs=3
secs=6
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	--secs) secs=$2; shift 2 ;;
	*) echo "usage: $0 [--runs N] [--secs S]" >&2; exit 2 ;;
	esac
done
cd "$(dirname "$0")/.."
command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd not found (Debian package dpdk)" >&2; exit 1; }
nsa=vsafxA$$
nsb=vsafxB$$
cleanup() { ip netns del "$nsa" 2>/dev/null || true; ip netns del "$nsb" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$nsa"
ip netns add "$nsb"
ip link add fa netns "$nsa" type veth peer name fb netns "$nsb"
for ns_if in "$nsa:fa" "$nsb:fb"; do
	ip netns exec "${ns_if%%:*}" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "${ns_if%%:*}" ip link set "${ns_if#*:}" up
done
sleep 1

go test -c -o /tmp/afxdp-bench.$$ ./driver/net/afxdp
trap 'cleanup; rm -f /tmp/afxdp-bench.$$' EXIT

dpdk_best=0 # packets per second, highest
dpkit_best= # ns per frame, lowest
for i in $(seq "$runs"); do
	pps=$(ip netns exec "$nsa" timeout -s INT "$secs" dpdk-testpmd --file-prefix=afxdp -m 512 --no-pci -l 0,1 \
		--vdev net_af_xdp0,iface=fa,start_queue=0,queue_count=1 -- \
		--forward-mode=txonly --txpkts=64 --burst=32 --stats-period 1 --nb-cores=1 2>&1 |
		awk '/Tx-pps:/ {v = $2} END {print v + 0}') || true
	ns=$(/tmp/afxdp-bench.$$ -test.run XXX -test.bench 'PortTx$' -test.benchtime 4000000x 2>/dev/null |
		awk '/BenchmarkPortTx/ {for (j = 1; j < NF; j++) if ($(j+1) == "ns/op") print $j}') || true
	echo "# run $i: dpdk $pps pps, dpkit $ns ns/frame" >&2
	if [ "${pps%.*}" -gt "$dpdk_best" ]; then dpdk_best=${pps%.*}; fi
	if [ -n "$ns" ] && { [ -z "$dpkit_best" ] || awk -v a="$ns" -v b="$dpkit_best" 'BEGIN {exit !(a < b)}'; }; then dpkit_best=$ns; fi
done
awk -v k="${dpkit_best:-0}" -v d="$dpdk_best" 'BEGIN {
	printf "%-34s %10s %10s %8s\n", "figure", "dpkit", "dpdk", "ratio"
	dns = (d > 0 ? 1e9 / d : 0)
	printf "%-34s %10.1f %10.1f %8.2f  ns/frame (ratio = dpkit/dpdk time, lower is better)\n", "afxdp_port_veth_tx_64B_copy_ns", k, dns, (dns > 0 ? k / dns : 0)
}'
