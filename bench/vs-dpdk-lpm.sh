#!/usr/bin/env bash
# vs-dpdk-lpm.sh: dpkit's lpm (IPv4, IPv6) side by side with DPDK 22.11's
# rte_lpm / rte_lpm6 and with github.com/gaissmai/bart, on the very same
# route and address files, in ONE command:
#
#   1. dpdk-test-fib writes the data sets (-w routes, -u addresses):
#        bgp   the issue's 1M-route IPv4 table with a BGP-like depth mix,
#              addresses one per route, in route order (dpdk-test-fib's own)
#        rand  the same mix, 99% of the addresses random (-r 99): every
#              lookup a cache and TLB miss, as lpm_perf_autotest's
#        v6    50k IPv6 routes, mostly /48 (-6)
#   2. for each set, taking turns, --runs times: `dpkit bench lpm|lpm6 -f -t`
#      and bench/lpm/lpm_bench (our C program against Debian's librte_lpm:
#      the same loops, same figure names); the best (lowest) of each side
#      is kept
#   3. dpdk-test-fib -f -t -c on the same files (rte_fib and rte_lpm, its
#      own loop), best of --runs
#   4. bart (bart.Fast) on the same files: go test -run TestLPMBart ./app/bench
#   5. lpm_perf_autotest and lpm6_perf_autotest once (DPDK's own route
#      sets, generated inside dpdk-test; printed for reference, unpaired)
#
# and prints, per set,
#
#   figure  dpkit  dpdk  ratio  bart  bart/dpkit
#
# (bart only on the *_lookup_netip_cycles rows: bart takes a netip.Addr,
# so it is compared with dpkit's Lookup(netip.Addr) on the same slice)
#
# ratio = dpkit/dpdk (cycles and bytes: lower is better, < 1 means dpkit
# wins); bart/dpkit is how many times faster dpkit is than bart.
#
# Usage: bench/vs-dpdk-lpm.sh [--quick] [--runs N] [--keep DIR] [--out FILE.md]
#   --quick   100k IPv4 / 10k IPv6 routes, 1 run (a smoke run)
#   --runs N  turns per side (default 3)
#   --keep D  keep data files and raw outputs in D (default: temp dir, removed)
#   --out F   also write the tables as markdown to F
#
# Needs root, hugepages and Debian's dpdk + dpdk-dev (pkg-config libdpdk).
# Each DPDK program runs with --no-pci --file-prefix=lpm -m 2048.
set -euo pipefail

quick=0 runs=3 keep="" out=""
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--runs) runs=${2:?--runs needs a number}; shift ;;
	--runs=*) runs=${1#*=} ;;
	--keep) keep=${2:?--keep needs a directory}; shift ;;
	--keep=*) keep=${1#*=} ;;
	--out) out=${2:?--out needs a file}; shift ;;
	--out=*) out=${1#*=} ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "vs-dpdk-lpm.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "$keep" ]; then
	mkdir -p "$keep"
	dir=$(cd "$keep" && pwd)
else
	dir=$(mktemp -d)
	trap 'rm -rf "$dir"' EXIT
fi
for tool in dpdk-test-fib dpdk-test pkg-config go; do
	command -v $tool >/dev/null || { echo "vs-dpdk-lpm.sh: $tool not found (scripts/install-deps.sh)" >&2; exit 1; }
done

eal=(--no-pci --file-prefix=lpm -m 2048 --log-level=lib.eal:error)
n4=1000000 n6=50000 rounds=5
if [ $quick = 1 ]; then n4=100000 n6=10000 runs=1 rounds=2; fi
# The issue's depth mix for a full BGP feed (DPDK's default uniform mix
# exhausts rte_lpm's groups at 1M routes); IPv6 mostly /48 and /32.
dist4="16:4%,18:6%,19:8%,20:12%,21:10%,22:12%,23:13%,24:30%,26:2%,28:1%,30:1%,32:1%"
dist6="29:5%,32:15%,36:5%,40:10%,44:10%,48:50%,56:3%,64:2%"
g4=200000 g6=$((n6 * 4))

say() { echo "# $*" >&2; }
fib() { dpdk-test-fib "${eal[@]}" -- "$@"; }

say "data in $dir"
fib -n $n4 -d "$dist4" -w "$dir/bgp.routes" -u "$dir/bgp.addrs" >"$dir/gen.log" 2>&1
fib -n $n4 -d "$dist4" -r 99 -w "$dir/rand.routes" -u "$dir/rand.addrs" >>"$dir/gen.log" 2>&1
fib -6 -n $n6 -d "$dist6" -w "$dir/v6.routes" -u "$dir/v6.addrs" >>"$dir/gen.log" 2>&1
# rte_lpm takes no /0 through dpdk-test-fib (its "depth 0" error): drop it
for s in bgp rand; do
	grep -v '/0 ' "$dir/$s.routes" >"$dir/$s.routes.tmp" || true
	mv "$dir/$s.routes.tmp" "$dir/$s.routes"
done
wc -l "$dir"/*.routes "$dir"/*.addrs | sed 's/^/# /' >&2

say "building dpkit and bench/lpm/lpm_bench"
(cd "$root" && go build -o "$dir/dpkit" ./cmd/dpkit)
"$root/bench/lpm/build.sh" >&2
(cd "$root" && go test -c -o "$dir/bench.test" ./app/bench)

run_set() { # set v6flag
	local s=$1 v6=$2 bm=lpm g=$g4 f6=()
	if [ "$v6" = 1 ]; then bm=lpm6 g=$g6 f6=(-6); fi
	: >"$dir/$s.dpkit"; : >"$dir/$s.dpdk"; : >"$dir/$s.fib"
	for i in $(seq "$runs"); do
		say "$s: run $i/$runs: dpkit"
		"$dir/dpkit" bench $bm -f "$dir/$s.routes" -t "$dir/$s.addrs" -g $g -rounds $rounds >>"$dir/$s.dpkit"
		say "$s: run $i/$runs: rte_$bm (bench/lpm/lpm_bench)"
		"$root/bench/lpm/build/lpm_bench" "${eal[@]}" -- "${f6[@]}" -f "$dir/$s.routes" -t "$dir/$s.addrs" -g $g -r $rounds >>"$dir/$s.dpdk" 2>/dev/null
		say "$s: run $i/$runs: dpdk-test-fib -c"
		fib "${f6[@]}" -f "$dir/$s.routes" -t "$dir/$s.addrs" -g $g -c >>"$dir/$s.fib" 2>&1
	done
	say "$s: bart"
	DPKIT_LPM_ROUTES="$dir/$s.routes" DPKIT_LPM_ADDRS="$dir/$s.addrs" DPKIT_LPM_V6=$v6 DPKIT_LPM_ROUNDS=$rounds \
		"$dir/bench.test" -test.run '^TestLPMBart$' -test.count 1 | grep '^bart ' | cut -d' ' -f2- >"$dir/$s.bart"
}
run_set bgp 0
run_set rand 0
run_set v6 1
say "lpm_perf_autotest, lpm6_perf_autotest"
DPDK_TEST=lpm_perf_autotest timeout 900 dpdk-test "${eal[@]}" >"$dir/autotest4.log" 2>&1 </dev/null || true
DPDK_TEST=lpm6_perf_autotest timeout 900 dpdk-test "${eal[@]}" >"$dir/autotest6.log" 2>&1 </dev/null || true

# best value per figure name ("name value unit" lines; '#' lines skipped)
best() { awk '!/^#/ && NF >= 2 { if (!($1 in b) || $2 < b[$1]) b[$1] = $2 } END { for (k in b) print k, b[k] }' "$@" | sort; }
# dpdk-test-fib's figures: the add/delete lines (one per tenth of the
# routes, equal sizes) are averaged, lookups kept; best over runs.
fibfig() { # file prefix(lpm|lpm6)
	awk -v p="$2" '
	/^AVG LPM add/    { la += $4; lan++ } /^AVG LPM delete/ { ld += $4; ldn++ }
	/^AVG FIB add/    { fa += $4; fan++ } /^AVG FIB delete/ { fd += $4; fdn++ }
	/^AVG LPM lookup/ { if (!ll || $4 < ll) ll = $4 } /^AVG FIB lookup/ { if (!fl || $4 < fl) fl = $4 }
	/^Routes total/ && lan { runs++ }
	END {
		if (ll) print p "_bulk_cycles[test-fib:rte_" p "]", ll
		if (fl) print p "_bulk_cycles[test-fib:rte_fib]", fl
		if (lan) print p "_add_cycles[test-fib:rte_" p "]", la / lan
		if (fan) print p "_add_cycles[test-fib:rte_fib]", fa / fan
		if (ldn) print p "_delete_cycles[test-fib:rte_" p "]", ld / ldn
		if (fdn) print p "_delete_cycles[test-fib:rte_fib]", fd / fdn
	}' "$1"
}

table() { # set prefix
	local s=$1 p=$2
	echo
	echo "## $s ($(grep -c . "$dir/$s.routes") routes, $(grep -c . "$dir/$s.addrs") addresses; best of $runs runs x $rounds passes)"
	echo
	best "$dir/$s.dpkit" >"$dir/$s.dpkit.best"
	best "$dir/$s.dpdk" >"$dir/$s.dpdk.best"
	fibfig "$dir/$s.fib" $p >"$dir/$s.fib.best"
	awk -v p="$p" '
	FNR == 1 { f++ }
	f == 1 { us[$1] = $2; order[++n] = $1 }
	f == 2 { them[$1] = $2 }
	f == 3 { fibv[$1] = $2 }
	f == 4 { bart[$1] = $2 }
	function row(name, a, b, c,   r, x) {
		r = (a != "" && b != "" && b > 0) ? sprintf("%.2f", a / b) : "-"
		x = (a != "" && c != "" && a > 0) ? sprintf("%.1fx", c / a) : "-"
		printf "| %-42s | %10s | %10s | %6s | %10s | %8s |\n", name, a == "" ? "-" : a, b == "" ? "-" : b, r, c == "" ? "-" : c, x
	}
	END {
		printf "| %-42s | %10s | %10s | %6s | %10s | %8s |\n", "figure", "dpkit", "dpdk", "ratio", "bart", "bart/dpkit"
		printf "|%s|%s|%s|%s|%s|%s|\n", "---", "---:", "---:", "---:", "---:", "---:"
		for (i = 1; i <= n; i++) {
			k = order[i]
			b = bart[k]
			if (k == p "_lookup_cycles") b = ""
			if (k ~ /_used_bytes/) b = ""
			row(k, us[k], them[k], b)
		}
		for (k in fibv) {
			base = k; sub(/\[.*/, "", base)
			row(k, us[base], fibv[k], "")
		}
	}' "$dir/$s.dpkit.best" "$dir/$s.dpdk.best" "$dir/$s.fib.best" "$dir/$s.bart"
}

{
	echo "# dpkit lpm vs DPDK 22.11 rte_lpm/rte_lpm6 and bart ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
	table bgp lpm
	table rand lpm
	table v6 lpm6
	echo
	echo "Notes: ratio = dpkit/dpdk, lower is better. dpdk = bench/lpm/lpm_bench (rte_lpm/rte_lpm6 on the"
	echo "same files, same loops); [test-fib:...] rows = dpdk-test-fib -c's own figures on the same files."
	echo "bart column: bart.Fast's Lookup(netip.Addr), paired only with dpkit's Lookup(netip.Addr) (*_lookup_netip_cycles):"
	echo "the same input type, the same []netip.Addr; dpkit's LookupIP(uint32) has no bart counterpart."
	echo "*_bytes_per_route: whole table (first level + every group allocated + rules) / routes;"
	echo "*_used_bytes_per_route: first level + groups in use + rules / routes (dpkit only)."
	echo
	echo "DPDK's own perf autotests (their own generated route sets; for reference, unpaired):"
	echo '```'
	grep -E "^No. routes|Average LPM|BULK LPM|LPM LookupX4|fails" "$dir/autotest4.log" | sed 's/^/lpm_perf_autotest:  /' || true
	grep -E "^No. routes|Average LPM|BULK LPM" "$dir/autotest6.log" | sed 's/^/lpm6_perf_autotest: /' || true
	echo '```'
} | tee "${out:-/dev/null}"
