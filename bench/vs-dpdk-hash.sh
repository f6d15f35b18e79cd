#!/usr/bin/env bash
# vs-dpdk-hash.sh: dpkit's hash table side by side with DPDK 22.11's
# hash_perf_autotest (dpdk-test from Debian's `dpdk` package), measured on
# the same machine in ONE run, back to back, never at the same time.
#
# Usage: bench/vs-dpdk-hash.sh [--runs N] [--lcore C] [--filter RE] [--keep DIR]
#                              [--autotest] [--loc L] [--data D] [--entries N]
#
#   --runs N     runs per side, taking turns (default 3); the best (lowest)
#                figure of each side is kept
#   --autotest   DPDK side from dpdk-test's own hash_perf_autotest (all
#                sections in one go, ~5 minutes a run) instead of
#                bench/hash/hash_perf, our small C program against Debian's
#                librte_hash that runs the same cases one section at a time,
#                so the two sides take turns every few seconds (fairer on a
#                loaded machine); its figures match the autotest's
#   --lcore C    the one core both sides run on (default 1)
#   --filter RE  print only the figures matching RE
#   --loc L      harness: only section L (primary, pushes or ext; default all)
#   --data D     harness: only without (0) or with (1) data (default both)
#   --entries N  harness: table size (default 2^19, DPDK's; a small table,
#                e.g. 8192, fits in cache and compares the code, not the
#                memory system)
#   --keep DIR   keep the raw outputs in DIR
#
# Prints one line per figure:
#
#   figure  dpkit  dpdk  ratio
#
# in cycles per operation (lower is better), ratio = dpkit/dpdk (< 1: dpkit
# is faster), then the geometric mean of the ratios per operation. Figure
# names: hash_<primary|pushes|ext>_<nodata|data>_<hash|prehash>_key<N>_<add|
# lookup|lookup_bulk|delete>_cycles (see app/bench/hash.go); DPDK's "with
# locks" sections have no dpkit counterpart and are left out
# (bench/hash/dpdk2figures.awk). The 100k-key figures against Go's map
# (hash_100k_*) are dpkit-only and printed at the end.
#
# Needs root and hugepages for DPDK (scripts/install-deps.sh). DPDK runs
# with --file-prefix=hash --no-pci and -m 1024 (harness) or -m 512
# (autotest, ~5 minutes a run).
set -euo pipefail
runs=3 lcore=1 filter="" keep="" autotest=0 locs="primary pushes ext" datas="0 1" entries=524288
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=${2:?}; shift ;;
	--lcore) lcore=${2:?}; shift ;;
	--filter) filter=${2:?}; shift ;;
	--keep) keep=${2:?}; shift ;;
	--autotest) autotest=1 ;;
	--loc) locs=${2:?}; shift ;;
	--data) datas=${2:?}; shift ;;
	--entries) entries=${2:?}; shift ;;
	-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) echo "vs-dpdk-hash: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
case $keep in '' | /*) ;; *) keep=$PWD/$keep ;; esac
cd "$(dirname "${BASH_SOURCE[0]}")/.."
die() { echo "vs-dpdk-hash: error: $*" >&2; exit 1; }
command -v dpdk-test >/dev/null || die "dpdk-test not found: run scripts/install-deps.sh"
[ "$(id -u)" -eq 0 ] || die "DPDK needs root (hugepages)"
if [ -n "$keep" ]; then mkdir -p "$keep"; work=$keep; else work=$(mktemp -d); fi
cleanup() { [ -n "$keep" ] || rm -rf "$work"; rm -f /dev/hugepages/hashmap_* 2>/dev/null || true; }
trap cleanup EXIT

echo "==> building dpkit and bench/hash/hash_perf" >&2
go build -o "$work/dpkit" ./cmd/dpkit
built=$(git describe --always --dirty 2>/dev/null || echo unknown)
# shellcheck disable=SC2046
cc -O3 $(pkg-config --cflags libdpdk) bench/hash/hash_perf.c -o "$work/hash_perf" $(pkg-config --libs libdpdk) ||
	die "building bench/hash/hash_perf.c (needs dpdk-dev)"
eal=(-l "$lcore" --no-pci --file-prefix=hash -m 1024 --log-level=error)
for i in $(seq "$runs"); do
	: >"$work/dpkit-$i.txt"
	: >"$work/dpdk-$i.txt"
	if [ $autotest = 1 ]; then
		echo "==> dpkit bench hash -l $lcore (run $i of $runs)" >&2
		"$work/dpkit" bench hash -l "$lcore" >>"$work/dpkit-$i.txt"
		echo "==> DPDK hash_perf_autotest -l $lcore (run $i of $runs)" >&2
		echo hash_perf_autotest | timeout 1800 dpdk-test -l "$lcore" --no-pci --file-prefix=hash -m 512 >"$work/dpdk-raw-$i.txt" 2>&1 ||
			{ tail -20 "$work/dpdk-raw-$i.txt" >&2; die "dpdk-test failed"; }
		grep -q "Test OK" "$work/dpdk-raw-$i.txt" || die "hash_perf_autotest did not pass (see $work/dpdk-raw-$i.txt)"
		awk -f bench/hash/dpdk2figures.awk "$work/dpdk-raw-$i.txt" >>"$work/dpdk-$i.txt"
		continue
	fi
	for loc in $locs; do
		for data in $datas; do
			d=$([ $data = 1 ] && echo data || echo nodata)
			sec="hash_${loc}_${d}_"
			echo "==> run $i of $runs: $sec: dpkit, then DPDK" >&2
			"$work/dpkit" bench hash -l "$lcore" -hash-entries "$entries" -filter "^${sec}" >>"$work/dpkit-$i.txt"
			"$work/hash_perf" "${eal[@]}" -- --loc "$loc" --data "$data" --entries "$entries" >>"$work/dpdk-$i.txt" ||
				die "bench/hash/hash_perf failed"
		done
	done
	echo "==> run $i of $runs: dpkit 100k keys vs Go map" >&2
	"$work/dpkit" bench hash -l "$lcore" -filter '^hash_100k_' >>"$work/dpkit-$i.txt"
done

echo "# date: $(date -u '+%Y-%m-%d %H:%M UTC'), cpu: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), lcore $lcore, runs $runs (best of each side)"
echo "# table entries: $([ $autotest = 1 ] && echo 524288 || echo "$entries")"
echo "# dpdk side: $([ $autotest = 1 ] && echo "dpdk-test hash_perf_autotest" || echo "bench/hash/hash_perf (librte_hash)")"
echo "# dpdk: $(dpkg-query -W -f='${Version}' dpdk 2>/dev/null || echo unknown), dpkit: $built, $(go env GOVERSION)"
# Best (min) per figure and side, then pair by name.
awk -v filter="$filter" '
	FNR == 1 { side = (FILENAME ~ /\/dpdk-[0-9]+\.txt$/) ? "dpdk" : "dpkit" }
	/^#/ || NF < 2 { next }
	filter != "" && $1 !~ filter { next }
	{
		k = side SUBSEP $1
		if (!(k in best) || $2 + 0 < best[k]) best[k] = $2 + 0
		if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 }
	}
	END {
		printf "%-52s %9s %9s %7s\n", "figure", "dpkit", "dpdk", "ratio"
		for (i = 1; i <= n; i++) {
			f = order[i]
			if (!(("dpkit" SUBSEP f) in best) || !(("dpdk" SUBSEP f) in best)) continue
			d = best["dpdk" SUBSEP f]; g = best["dpkit" SUBSEP f]
			r = d > 0 ? g / d : 0
			printf "%-52s %9.1f %9.1f %7.2f\n", f, g, d, r
			op = f; sub(/^hash_[a-z]+_[a-z]+_[a-z]+_key[0-9]+_/, "", op); sub(/_cycles$/, "", op)
			if (r > 0) { lsum[op] += log(r); cnt[op]++ }
		}
		print ""
		for (op in cnt) printf "# geometric mean ratio, %s: %.2f (%d figures)\n", op, exp(lsum[op] / cnt[op]), cnt[op]
		for (i = 1; i <= n; i++) {
			f = order[i]
			if (f ~ /^hash_100k_/ && (("dpkit" SUBSEP f) in best))
				printf "%-52s %9.1f (dpkit only)\n", f, best["dpkit" SUBSEP f]
		}
	}' "$work"/dpkit-*.txt "$work"/dpdk-*.txt
