#!/usr/bin/env bash
# vs-dpdk-afxdp.sh: AF_XDP throughput on a veth pair between two network
# namespaces, 64-byte frames, one CPU per side (CPU 0 sends, CPU 1
# receives; each testpmd's two lcores are pinned to its CPU with
# --lcores '(0,1)@CPU' and the whole process with taskset), dpkit's
# drivers under `dpkit testpmd` against DPDK 22.11's net_af_xdp PMD under
# dpdk-testpmd, with the same arguments:
#
#   afxdp_rx_Mpps            dpkit af_xdp txonly (the fastest sender here, so
#                            the receiver limits) -> rxonly on DPDK af_xdp |
#                            dpkit af_xdp
#   afxdp_rx_dpdksend_Mpps   the same with DPDK af_xdp txonly sending
#   afxdp_tx_Mpps            txonly on DPDK af_xdp | dpkit af_xdp -> DPDK
#                            af_xdp rxonly
#   afpacket_rx_Mpps         as afxdp_rx_Mpps, dpkit's net_af_packet receiving
#   afpacket_tx_Mpps         as afxdp_tx_Mpps, dpkit's net_af_packet sending
#
# The afpacket rows compare dpkit's af_packet driver with DPDK's af_xdp in
# the same role (and so, with the afxdp rows, AF_XDP with af_packet).
# Rates are the mean of the receiver's (rx) or the sender's (tx) Rx-pps /
# Tx-pps lines of --stats-period 1, the first and last second left out;
# best (highest) of RUNS runs, interleaved.
#
# Usage: sudo bench/vs-dpdk-afxdp.sh [--runs N] [--secs S] [--dpdk-busy BUDGET]
# (--dpdk-busy: DPDK's busy_budget=, default 64 there; dpkit's default is 0)
# Prints: figure  dpkit  dpdk  ratio (Mpps; ratio = dpkit/DPDK Mpps, >= 1.0
# is the bar), the kernel version, XDP mode and load average.
set -euo pipefail
runs=3
secs=8
dpdkargs=
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	--secs) secs=$2; shift 2 ;;
	--dpdk-busy) dpdkargs=",busy_budget=$2"; shift 2 ;;
	*) echo "usage: $0 [--runs N] [--secs S] [--dpdk-busy BUDGET]" >&2; exit 2 ;;
	esac
done
cd "$(dirname "$0")/.."
command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd not found (Debian package dpdk)" >&2; exit 1; }
nsa=vsafxA$$
nsb=vsafxB$$
tmp=$(mktemp -d /tmp/vs-afxdp.XXXXXX)
cleanup() {
	ip netns del "$nsa" 2>/dev/null || true
	ip netns del "$nsb" 2>/dev/null || true
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$nsa"
ip netns add "$nsb"
ip link add fa netns "$nsa" type veth peer name fb netns "$nsb"
for ns_if in "$nsa:fa" "$nsb:fb"; do
	ip netns exec "${ns_if%%:*}" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "${ns_if%%:*}" ip link set "${ns_if#*:}" up
done
sleep 1
go build -o "$tmp/dpkit" ./cmd/dpkit

# testpmd WHO(dpdk|dpkit) NS CPU VDEV MODE SECS OUT
testpmd() {
	local who=$1 ns=$2 cpu=$3 vdev=$4 mode=$5 t=$6 out=$7 bin prefix
	if [ "$who" = dpdk ]; then bin=dpdk-testpmd; prefix=afxdp-$cpu; else bin=$tmp/dpkit; prefix=afxdpk-$cpu; fi
	[ "$who" = dpkit ] && bin="$bin testpmd"
	ip netns exec "$ns" timeout -s INT "$t" taskset -c "$cpu" $bin --file-prefix="$prefix" -m 512 --no-pci \
		--lcores "(0,1)@$cpu" --vdev "$vdev" -- --forward-mode="$mode" --txpkts=64 --burst=32 \
		--stats-period 1 </dev/null >"$out" 2>&1 || true
}

# mean PATTERN FILE: the mean of the non-zero values after PATTERN (the
# seconds traffic flowed), first and last left out, in Mpps.
mean() {
	awk -v pat="$1" '$1 == pat && $2 > 0 {v[n++] = $2} END {
		s = 0; k = 0
		for (i = 1; i < n - 1; i++) { s += v[i]; k++ }
		printf "%.3f\n", (k > 0 ? s / k / 1e6 : 0)
	}' "$2"
}

# pair RXWHO RXVDEV TXWHO TXVDEV TAG: a receiver on fb (CPU 1), then a
# sender on fa (CPU 0); prints "rxMpps txMpps".
pair() {
	testpmd "$1" "$nsb" 1 "$2" rxonly $((secs + 4)) "$tmp/rx.$5" &
	local rxpid=$!
	sleep 2
	testpmd "$3" "$nsa" 0 "$4" txonly "$secs" "$tmp/tx.$5" &
	sleep 2
	ip -n "$nsb" -d link show fb | grep -o 'xdp[a-z]*' | head -1 >"$tmp/xdp.$5" || true
	wait
	echo "$(mean Rx-pps: "$tmp/rx.$5") $(mean Tx-pps: "$tmp/tx.$5")"
}

xdp_fa=net_af_xdp0,iface=fa
xdp_fb=net_af_xdp0,iface=fb
dxdp_fa=$xdp_fa$dpdkargs
dxdp_fb=$xdp_fb$dpdkargs
pkt_fa=net_af_packet0,iface=fa
pkt_fb=net_af_packet0,iface=fb
declare -A best
keep() { # keep NAME VALUE: the highest
	if awk -v a="$2" -v b="${best[$1]:-0}" 'BEGIN {exit !(a > b)}'; then best[$1]=$2; fi
}
# Each receiver is measured with the same sender (dpkit af_xdp txonly, the
# fastest here, so the receiver is what limits), each sender with the same
# receiver (DPDK af_xdp rxonly); the rows with DPDK's sender are kept too.
for i in $(seq "$runs"); do
	read -r r t < <(pair dpdk "$dxdp_fb" dpdk "$dxdp_fa" dd$i)
	echo "# run $i: DPDK af_xdp -> DPDK af_xdp: rx $r tx $t Mpps" >&2
	keep dpdk_tx "$t"
	keep dpdk_rx_dsend "$r"
	read -r r t < <(pair dpkit "$xdp_fb" dpdk "$dxdp_fa" kd$i)
	echo "# run $i: DPDK af_xdp -> dpkit af_xdp: rx $r Mpps (sender sent $t)" >&2
	keep dpkit_rx_dsend "$r"
	read -r r t < <(pair dpdk "$dxdp_fb" dpkit "$xdp_fa" dk$i)
	echo "# run $i: dpkit af_xdp -> DPDK af_xdp: rx $r tx $t Mpps" >&2
	keep dpkit_tx "$t"
	keep dpdk_rx "$r"
	read -r r t < <(pair dpkit "$xdp_fb" dpkit "$xdp_fa" kk$i)
	echo "# run $i: dpkit af_xdp -> dpkit af_xdp: rx $r tx $t Mpps" >&2
	keep dpkit_rx "$r"
	read -r r t < <(pair dpkit "$pkt_fb" dpkit "$xdp_fa" pk$i)
	echo "# run $i: dpkit af_xdp -> dpkit af_packet: rx $r Mpps (sender sent $t)" >&2
	keep pkt_rx "$r"
	read -r r t < <(pair dpdk "$dxdp_fb" dpkit "$pkt_fa" dp$i)
	echo "# run $i: dpkit af_packet -> DPDK af_xdp: tx $t Mpps (receiver got $r)" >&2
	keep pkt_tx "$t"
done
echo "# kernel $(uname -r), veth; XDP mode on the receiving end: DPDK $(cat "$tmp/xdp.dd1" 2>/dev/null), dpkit $(cat "$tmp/xdp.kk1" 2>/dev/null) (xdp = native, xdpgeneric = generic); copy-mode sockets (veth has no zero-copy)"
echo "# DPDK vdev options: ${dpdkargs:-(defaults: busy_budget=64)}"
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
row() {
	awk -v n="$1" -v k="$2" -v d="$3" 'BEGIN { printf "%-26s %8.3f %8.3f %7.2f\n", n, k, d, (d > 0 ? k / d : 0) }'
}
printf "%-26s %8s %8s %7s\n" figure dpkit dpdk ratio
row afxdp_rx_Mpps "${best[dpkit_rx]:-0}" "${best[dpdk_rx]:-0}"
row afxdp_rx_dpdksend_Mpps "${best[dpkit_rx_dsend]:-0}" "${best[dpdk_rx_dsend]:-0}"
row afxdp_tx_Mpps "${best[dpkit_tx]:-0}" "${best[dpdk_tx]:-0}"
row afpacket_rx_Mpps "${best[pkt_rx]:-0}" "${best[dpdk_rx]:-0}"
row afpacket_tx_Mpps "${best[pkt_tx]:-0}" "${best[dpdk_tx]:-0}"
