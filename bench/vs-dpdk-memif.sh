#!/usr/bin/env bash
# vs-dpdk-memif.sh: memif throughput, two processes each on its own core:
# a txonly testpmd (memif client) sending 64-byte packets to an rxonly
# testpmd (memif server), for every pairing of dpkit testpmd and DPDK
# 22.11's dpdk-testpmd:
#
#   dpkit -> dpkit,  dpdk -> dpdk,  dpkit -> dpdk,  dpdk -> dpkit,
#   dpkitzc -> dpkit (the sender a zero-copy client)
#
# Each process runs two lcores pinned to one CPU (--lcores 0@C,1@C: the
# main lcore sleeps in the shell, the forwarding lcore polls), the sender
# on CPU 1, the receiver on CPU 0. The rate is what the receiver counts:
# "show port stats 0" twice, SECS apart, and the Rx-pps of the second
# ("Throughput (since last show)"). The pairings take turns RUNS times
# and the best of each is kept (the machine is shared and noisy).
#
# Usage: sudo bench/vs-dpdk-memif.sh [--runs N] [--secs S]
# Prints: figure  value  unit, then the ratios dpkit/dpdk (higher is better:
# they are rates).
set -euo pipefail
runs=3 secs=3
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	--secs) secs=$2; shift 2 ;;
	*) echo "usage: $0 [--runs N] [--secs S]" >&2; exit 2 ;;
	esac
done
cd "$(dirname "$0")/.."
command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd not found (Debian package dpdk)" >&2; exit 1; }
tmp=$(mktemp -d)
cleanup() {
	pkill -f "file-prefix=vs-memif" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
go build -o "$tmp/dpkit" ./cmd/dpkit

bin() { case "$1" in dpkit*) echo "$tmp/dpkit testpmd" ;; *) echo "stdbuf -oL dpdk-testpmd" ;; esac; }

# one TX RX: prints the receiver's Rx-pps for one timed run.
one() {
	local tx=$1 rx=$2 sock="$tmp/memif.sock" out="$tmp/rx.out" zc=""
	[ "$tx" = dpkitzc ] && zc=",zero-copy=yes"
	rm -f "$sock" "$out"
	mkfifo "$tmp/rx.in"
	# The receiver: a memif server, rxonly, fed through a fifo.
	# shellcheck disable=SC2046
	$(bin "$rx") --lcores 0@0,1@0 --no-pci --file-prefix=vs-memif-rx -m 256 \
		--vdev "net_memif0,role=server,id=0,socket=$sock,socket-abstract=no" \
		-- -i --forward-mode=rxonly --burst=32 --txpkts=64 <"$tmp/rx.in" >"$out" 2>&1 &
	local rxpid=$!
	exec 7>"$tmp/rx.in"
	sleep 1
	echo start >&7
	# The sender: a memif client, txonly, started right away.
	# shellcheck disable=SC2046
	{ sleep $((secs + 3)); echo stop; sleep 0.5; echo quit; } |
		$(bin "$tx") --lcores 0@1,1@1 --no-pci --file-prefix=vs-memif-tx -m 256 \
			--vdev "net_memif0,role=client,id=0,socket=$sock,socket-abstract=no$zc" \
			-- -i --forward-mode=txonly --burst=32 --txpkts=64 --auto-start >"$tmp/tx.out" 2>&1 &
	local txpid=$!
	sleep 2 # connect and warm up
	echo "show port stats 0" >&7
	sleep "$secs"
	echo "show port stats 0" >&7
	sleep 0.5
	echo stop >&7
	echo quit >&7
	exec 7>&-
	wait "$txpid" 2>/dev/null || true
	wait "$rxpid" 2>/dev/null || true
	rm -f "$tmp/rx.in"
	awk '/Rx-pps:/ {v = $2} END {print v + 0}' "$out"
}

declare -A best
pairs="dpkit:dpkit dpdk:dpdk dpkit:dpdk dpdk:dpkit dpkitzc:dpkit"
for i in $(seq "$runs"); do
	for p in $pairs; do
		v=$(one "${p%%:*}" "${p##*:}")
		echo "# run $i: ${p%%:*} txonly -> memif -> ${p##*:} rxonly: $v pps" >&2
		if [ "$v" -gt "${best[$p]:-0}" ]; then best[$p]=$v; fi
	done
done
printf "%-44s %10s  %s\n" figure value unit
for p in $pairs; do
	printf "%-44s %10.2f  %s\n" "memif_${p%%:*}_to_${p##*:}_64B_mpps" "$(echo "${best[$p]:-0} / 1000000" | bc -l)" Mpps
done
awk -v a="${best[dpkit:dpkit]:-0}" -v z="${best[dpkitzc:dpkit]:-0}" -v b="${best[dpdk:dpdk]:-0}" 'BEGIN {
	printf "%-44s %10.3f  %s\n", "memif_ratio_dpkit_pair_over_dpdk_pair", (b > 0 ? a / b : 0), "(rate ratio: >= 1.0 means dpkit is as fast)"
	printf "%-44s %10.3f  %s\n", "memif_ratio_dpkit_zerocopy_over_dpdk_pair", (b > 0 ? z / b : 0), "(rate ratio, zero-copy client)"
}'
