#!/usr/bin/env bash
# vs-dpdk-pcap.sh: dpkit's net_pcap side by side with DPDK 22.11's net_pcap,
# in testpmd's io forwarding on one port, on the same machine, back to back
# (never at the same time), N runs per side taking turns, best of each kept.
#
# Usage: bench/vs-dpdk-pcap.sh [--runs N] [--seconds S] [--core C]
#
# Cases (per packet, 1024 frames of 64 or 1514 bytes replayed from memory):
#   infinite_drop  rx_pcap=F,infinite_rx=1                 no tx key: tx frees
#   infinite_null  rx_pcap=F,infinite_rx=1,tx_pcap=/dev/null  plus the pcap writer
#
# DPDK side: dpdk-testpmd -l 0,C --vdev 'net_pcap0,...' -- --forward-mode=io
# --burst=32 --stats-period 1, stopped with SIGINT after S seconds; its
# figure is 1e9 / (the best Rx-pps of the run), in ns per packet.
# dpkit side: `go test -bench BenchmarkForward/<case>/<size>B` in
# driver/net/pcap (RxBurst of 32 then TxBurst, one goroutine), pinned to
# core C with taskset, ns per packet.
#
# Prints: figure  dpkit_ns  dpdk_ns  ratio (dpkit/dpdk, lower is better).
set -euo pipefail
runs=3 secs=6 core=1
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--seconds) secs=$2; shift 2 ;;
	--core) core=$2; shift 2 ;;
	*) echo "unknown flag $1" >&2; exit 2 ;;
	esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# The frames: 1024 Ethernet frames of random bytes per size, classic pcap.
/usr/bin/python3 - "$tmp" <<'PY'
import struct, random, sys
random.seed(1)
for size in (64, 1514):
    with open(f"{sys.argv[1]}/in-{size}.pcap", "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 65535, 1))
        for i in range(1024):
            d = bytes([2,0,0,0,0,2,2,0,0,0,0,1,0x88,0xb5]) + random.randbytes(size-14)
            f.write(struct.pack("<IIII", 1700000000+i, i, size, size) + d)
PY

(cd "$root" && go test -c -o "$tmp/pcap.test" ./driver/net/pcap)

dpdk_ns() { # case size
	local extra=",infinite_rx=1"
	[ "$1" = infinite_null ] && extra="$extra,tx_pcap=/dev/null"
	timeout -s INT "$secs" dpdk-testpmd --no-pci --file-prefix=pcap -m 256 -l "0,$core" \
		--vdev "net_pcap0,rx_pcap=$tmp/in-$2.pcap$extra" -- --forward-mode=io \
		--stats-period 1 --burst=32 --total-num-mbufs=8192 2>&1 |
		awk '/Rx-pps:/ { if ($2 > best) best = $2 } END { if (best > 0) printf "%.2f\n", 1e9 / best; else print "NaN" }'
}

dpkit_ns() { # case size
	(cd "$root/driver/net/pcap" && taskset -c "$core" "$tmp/pcap.test" -test.run '^$' \
		-test.bench "BenchmarkForward/$1/$2B\$" -test.benchtime 2s -test.cpu 1) |
		awk '/^BenchmarkForward/ { for (i = 1; i <= NF; i++) if ($(i+1) == "ns/op") { print $i; exit } }'
}

min() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || a == "NaN") print b; else if (b == "NaN" || a + 0 < b + 0) print a; else print b }'; }

printf '%-28s %10s %10s %7s\n' figure dpkit_ns dpdk_ns ratio
for c in infinite_drop infinite_null; do
	for s in 64 1514; do
		best_ours="" best_theirs=""
		for _ in $(seq "$runs"); do
			best_ours=$(min "$best_ours" "$(dpkit_ns $c $s)")
			best_theirs=$(min "$best_theirs" "$(dpdk_ns $c $s)")
		done
		awk -v f="pcap_fwd_${c}_${s}B" -v a="$best_ours" -v b="$best_theirs" \
			'BEGIN { printf "%-28s %10.2f %10.2f %7.2f\n", f, a, b, a / b }'
	done
done
