#!/usr/bin/env bash
# vs-dpdk-afpacket.sh: io forwarding over AF_PACKET on a veth pair, DPDK
# 22.11's testpmd with its net_af_packet PMD beside dpkit's net_af_packet
# driver, back to back in one run on the same machine.
#
# Usage: bench/vs-dpdk-afpacket.sh [--time SECONDS] [--runs N] [--burst N]
#                                  [--inject N] [--size BYTES] [--cpu N]
#
#   --time    seconds each side is measured, after a 1 s warm-up (default 5)
#   --runs    runs per side, taking turns; the best of each is kept (default 3)
#   --burst   packets per burst, both sides (default 32, testpmd's)
#   --inject  bursts each port sends first: testpmd's "start tx_first N"
#             (default 4)
#   --size    frame size (default 64, testpmd's txonly)
#   --cpu     the CPU that forwards (default 1; testpmd's main lcore is on
#             the other of 0-1)
#
# Needs root, iproute2 and Debian's dpdk package (dpdk-testpmd).
#
# Both sides: one namespace, one veth pair va-vb, a port on each end, one
# lcore forwarding port 0 -> port 1 and port 1 -> port 0 untouched (io
# mode). Each port first sends --inject bursts of --size-byte UDP frames,
# which then go round through the kernel (tx ring -> veth -> peer's rx
# ring) for as long as the run lasts; the figure is the packets forwarded
# per second by both streams together. The same testpmd command line and
# the same commands on both sides:
#
#   dpdk-testpmd | dpkit testpmd  -l 0-1 --no-pci --no-huge -m 256
#       --vdev net_af_packet0,iface=va --vdev net_af_packet1,iface=vb
#       -- -i --forward-mode=io --burst=N --txpkts=S
#   "start tx_first N", "show port stats all", sleep --time,
#   "show port stats all": the sum of both ports' Rx-pps of the second
#   show (the rate between the two shows, as each testpmd computes it).
#
# dpkit runs twice per turn: with TPACKET_V2 rings (tpacket=2, the driver's
# default and what DPDK's PMD always uses) and with TPACKET_V3 (tpacket=3
# added to dpkit's vdevs).
#
# Prints: figure, dpkit Mpps, DPDK Mpps, and ratio = dpkit time per packet
# / DPDK time per packet (= DPDK Mpps / dpkit Mpps; lower is better).
set -euo pipefail

time_s=5 runs=3 burst=32 inject=4 size=64 cpu=1
while [ $# -gt 0 ]; do
	case "$1" in
	--time) time_s=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--burst) burst=$2; shift 2 ;;
	--inject) inject=$2; shift 2 ;;
	--size) size=$2; shift 2 ;;
	--cpu) cpu=$2; shift 2 ;;
	*) sed -n '2,/^set -euo/p' "$0" | sed 's/^# \{0,1\}//; /^set -euo/d'; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces, veth)" >&2; exit 1; }
command -v dpdk-testpmd >/dev/null || { echo "needs dpdk-testpmd (Debian package dpdk)" >&2; exit 1; }

cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
ns=dpkit-afpbench-$$
cleanup() {
	[ -n "${tpid:-}" ] && kill "$tpid" 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

ip netns add "$ns"
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$ns" link add va type veth peer name vb
for i in va vb; do ip -n "$ns" link set "$i" up; done
for _ in $(seq 100); do
	ip -n "$ns" -o link show va | grep -q 'state UP' && ip -n "$ns" -o link show vb | grep -q 'state UP' && break
	sleep 0.05
done

go build -o "$tmp/dpkit" ./cmd/dpkit

# testpmd_run BIN VDEVEXTRA prints the forwarding rate of one testpmd run
# (dpdk-testpmd or dpkit testpmd), in Mpps.
testpmd_run() {
	local out=$tmp/testpmd.out bin=$1 extra=$2
	rm -f "$tmp/in" "$out"
	mkfifo "$tmp/in"
	ip netns exec "$ns" stdbuf -o0 -e0 $bin -l "$(( 1 - cpu ))-$cpu" --no-pci --file-prefix=afpacket -m 256 --no-huge \
		--vdev "net_af_packet0,iface=va$extra" --vdev "net_af_packet1,iface=vb$extra" \
		-- -i --forward-mode=io --burst="$burst" --total-num-mbufs=8192 --txpkts="$size" <"$tmp/in" >"$out" 2>&1 &
	tpid=$!
	exec 3>"$tmp/in"
	for _ in $(seq 600); do grep -q 'testpmd> ' "$out" && break; sleep 0.1; done
	echo "start tx_first $inject" >&3
	sleep 1
	echo "show port stats all" >&3
	sleep "$time_s"
	echo "show port stats all" >&3
	sleep 0.5
	echo "stop" >&3
	echo "quit" >&3
	exec 3>&-
	wait "$tpid" || true
	tpid=
	cat "$out" >>"$tmp/all.out"
	# The last two Rx-pps lines are the second show's, one per port.
	if [ "$(grep -c 'Rx-pps:' "$out")" -lt 4 ]; then
		echo "# $bin: no rate (its output ends with:)" >&2
		tail -5 "$out" | sed 's/^/#   /' >&2
		echo 0
		return
	fi
	grep 'Rx-pps:' "$out" | tail -2 | awk '{s += $2} END {printf "%.4f\n", s / 1e6}'
}

best() { sort -g | tail -1; }
dpdk_all= v2_all= v3_all=
for r in $(seq "$runs"); do
	d=$(testpmd_run dpdk-testpmd ""); v2=$(testpmd_run "$tmp/dpkit testpmd" ""); v3=$(testpmd_run "$tmp/dpkit testpmd" ",tpacket=3")
	echo "# run $r: dpdk $d Mpps, dpkit tpacket=2 $v2 Mpps, dpkit tpacket=3 $v3 Mpps"
	dpdk_all+="$d"$'\n' v2_all+="$v2"$'\n' v3_all+="$v3"$'\n'
done
d=$(printf %s "$dpdk_all" | best)
v2=$(printf %s "$v2_all" | best)
v3=$(printf %s "$v3_all" | best)

echo "# io forwarding over net_af_packet on a veth pair: burst $burst, $inject bursts of $size bytes injected per port, ${time_s}s per run, best of $runs"
printf '%-36s %10s %10s %8s\n' figure dpkit dpdk ratio
for f in "afpacket_io_fwd_tpacket2 $v2" "afpacket_io_fwd_tpacket3 $v3"; do
	set -- $f
	printf '%-36s %10s %10s %8s\n' "$1_mpps" "$2" "$d" "$(awk -v a="$2" -v b="$d" 'BEGIN {if (a > 0 && b > 0) printf "%.2f", b / a; else printf "n/a"}')"
done
echo "# ratio = dpkit time per packet / DPDK time per packet (lower is better)"
