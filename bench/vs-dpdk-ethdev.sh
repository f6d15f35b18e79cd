#!/usr/bin/env bash
# vs-dpdk-ethdev.sh: dpkit's port fast path side by side with DPDK 22.11's,
# on the same machine, back to back (never at the same time), several rounds
# taking turns, best figure of each side kept (these machines are noisy).
#
# Usage: bench/vs-dpdk-ethdev.sh [--runs N] [--lcores 0-1] [--secs S] [--keep DIR]
#
# Figures (both sides run the same loop on one forwarding lcore):
#
#   ethdev_null_rxtx_cycles_per_pkt  dpdk-test pmd_perf_autotest (measure_rxtx)
#                                    with --vdev net_null0 --vdev net_null1;
#                                    dpkit: `dpkit bench ethdev`, the same loop
#                                    (per port: rx 32, tx back on the port,
#                                    59,523,808 packets). TSC cycles per packet.
#   ethdev_null_iofwd_mpps           dpdk-testpmd --forward-mode=io, burst 32,
#   ethdev_ring_iofwd_mpps           one forwarding core, two net_null ports /
#                                    two net_ring ports (--tx-first); the best
#                                    stats period's Rx-pps of both ports summed.
#                                    dpkit: the same streams p0->p1, p1->p0.
#
# ratio = dpkit time / DPDK time (lower is better for dpkit): for cycles
# dpkit/dpdk, for Mpps dpdk/dpkit.
set -euo pipefail
runs=3 lcores=0-1 secs=6 keep=""
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift ;;
	--lcores) lcores=$2; shift ;;
	--secs) secs=$2; shift ;;
	--keep) keep=$2; shift ;;
	*) echo "usage: $0 [--runs N] [--lcores 0-1] [--secs S] [--keep DIR]" >&2; exit 2 ;;
	esac
	shift
done
cd "$(dirname "$0")/.."
out=${keep:-$(mktemp -d)}
mkdir -p "$out"
[ -n "$keep" ] || trap 'rm -rf "$out"' EXIT
eal=(--no-pci -l "$lcores" --file-prefix=ethdev -m 512)

go build -o "$out/dpkit" ./cmd/dpkit

# testpmd_mpps FILE: the best period's Rx-pps of port 0 + port 1, in Mpps.
testpmd_mpps() {
	awk '/Rx-pps:/ { v[n++] = $2 } END {
		best = 0
		for (i = 0; i + 1 < n; i += 2) { s = v[i] + v[i+1]; if (s > best) best = s }
		printf "%.2f\n", best / 1e6 }' "$1"
}

for r in $(seq 1 "$runs"); do
	echo "# round $r of $runs" >&2
	"$out/dpkit" bench ethdev -l "$lcores" >"$out/dpkit.$r.txt"
	DPDK_TEST=pmd_perf_autotest dpdk-test "${eal[@]}" --vdev net_null0 --vdev net_null1 </dev/null >"$out/pmdperf.$r.txt" 2>&1 || true
	echo "ethdev_null_rxtx_cycles_per_pkt $(awk '/^Result:/ { print $2 }' "$out/pmdperf.$r.txt")" >"$out/dpdk.$r.txt"
	timeout -s INT "$secs" dpdk-testpmd "${eal[@]}" --vdev net_null0 --vdev net_null1 -- \
		--forward-mode=io --nb-cores=1 --burst=32 --stats-period=1 >"$out/tp-null.$r.txt" 2>&1 || true
	echo "ethdev_null_iofwd_mpps $(testpmd_mpps "$out/tp-null.$r.txt")" >>"$out/dpdk.$r.txt"
	timeout -s INT "$secs" dpdk-testpmd "${eal[@]}" --vdev net_ring0 --vdev net_ring1 -- \
		--forward-mode=io --nb-cores=1 --burst=32 --stats-period=1 --tx-first >"$out/tp-ring.$r.txt" 2>&1 || true
	echo "ethdev_ring_iofwd_mpps $(testpmd_mpps "$out/tp-ring.$r.txt")" >>"$out/dpdk.$r.txt"
done

# best of each side: min cycles, max Mpps
best() {
	cat "$@" | awk '!/^#/ && NF >= 2 {
		name = $1; v = $2 + 0
		if (!(name in b)) b[name] = v
		else if (name ~ /cycles/ && v < b[name]) b[name] = v
		else if (name ~ /mpps/ && v > b[name]) b[name] = v
	} END { for (n in b) print n, b[n] }' | sort
}
best "$out"/dpkit.*.txt >"$out/dpkit.best"
best "$out"/dpdk.*.txt >"$out/dpdk.best"
printf "%-34s %10s %10s %8s %s\n" figure dpkit dpdk ratio unit
join "$out/dpkit.best" "$out/dpdk.best" | while read -r name a d; do
	if [[ $name == *cycles* ]]; then
		unit=cycles ratio=$(awk -v a="$a" -v d="$d" 'BEGIN { printf "%.2f", a / d }')
	else
		unit=Mpps ratio=$(awk -v a="$a" -v d="$d" 'BEGIN { printf "%.2f", d / a }')
	fi
	printf "%-34s %10s %10s %8s %s\n" "$name" "$a" "$d" "$ratio" "$unit"
done
echo "# best of $runs rounds each; ratio = dpkit time / DPDK time (lower is better)"
