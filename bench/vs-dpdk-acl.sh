#!/usr/bin/env bash
# vs-dpdk-acl.sh: dpkit's acl classifier side by side with DPDK 22.11's
# rte_acl (dpdk-test-acl from Debian's `dpdk` package) on the SAME rule and
# trace files, on the same lcore, back to back, never at the same time.
#
# Usage: bench/vs-dpdk-acl.sh [--rules N] [--traces N] [--seed S] [--runs N]
#                             [--iter N] [--lcore L] [--burst N] [--runcat N]
#                             [--bldcat N] [--ipv6] [--keep DIR] [--out FILE.md]
#
#   --rules N    rules to generate (default 4000)
#   --traces N   trace lines to generate (default 65536, dpdk-test-acl's
#                default --tracenum)
#   --seed S     generator seed (default 1): same seed, same files
#   --runs N     runs per side, taking turns; the best (lowest) figure of
#                each side is kept (default 5)
#   --iter N     passes over the trace per run (default 100)
#   --lcore L    the one CPU both sides run on (default 1)
#   --burst N    keys per classify call, --tracestep (default 256)
#   --runcat N   categories classified (default 1); --bldcat (default 3)
#   --ipv6       IPv6 rules and trace (dpdk-test-acl --ipv6, 4-byte fields)
#   --keep DIR   keep rules, trace and raw outputs in DIR
#   --out FILE   also write the table as markdown to FILE
#
# The rules and trace come from bench/acl/gen (a ClassBench-like generator,
# deterministic). DPDK runs with --alg=scalar and with every SIMD algorithm
# this CPU has (sse, avx2, and avx512x16/avx512x32 when /proc/cpuinfo has
# avx512f and avx512bw; avx512x32 needs --force-max-simd-bitwidth=512, which
# is passed for it). EAL args: -l L --no-pci --file-prefix=acl -m 512.
#
# Prints
#
#   figure  dpkit  dpdk  ratio  unit
#
# ratio = dpkit/dpdk, lower is better (ratio < 1: dpkit faster), for two
# measures of the same runs (the wall figure is the best of --runs):
#
#   wall: TSC cycles per packet as dpdk-test-acl prints them (and dpkit
#         bench acl the same way): elapsed TSC over the classify loop;
#   cpu:  CPU time per packet, in TSC cycles: the user+system CPU time
#         (GNU time) of a run of --iter passes minus that of a run of one
#         pass, over (iter-1) x traces packets, for both programs alike;
#         the least CPU time of each kind of run over the --runs runs.
#         It leaves out the time the process was not running, which on a
#         shared, loaded machine is most of the wall figure's noise.
#
# Also printed:
# compiled size (DPDK's from its "runtime memory footprint" debug log) and
# build time (dpkit's measured in-process; DPDK's is the wall time of a run
# without a trace minus that of a run with a one-rule file: approximate).
set -euo pipefail

rules=4000 traces=65536 seed=1 runs=5 iter=100 lcore=1 burst=256 runcat=1 bldcat=3
keep="" out="" v6=""
while [ $# -gt 0 ]; do
	case "$1" in
	--rules) rules=$2; shift ;;
	--traces) traces=$2; shift ;;
	--seed) seed=$2; shift ;;
	--runs) runs=$2; shift ;;
	--iter) iter=$2; shift ;;
	--lcore) lcore=$2; shift ;;
	--burst) burst=$2; shift ;;
	--runcat) runcat=$2; shift ;;
	--bldcat) bldcat=$2; shift ;;
	--ipv6) v6=1 ;;
	--keep) keep=$2; shift ;;
	--out) out=$2; shift ;;
	-h|--help) sed -n '2,40p' "$0"; exit 0 ;;
	*) echo "vs-dpdk-acl.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

cd "$(dirname "$0")/.."
command -v dpdk-test-acl >/dev/null || { echo "dpdk-test-acl not found: install Debian's dpdk package (scripts/install-deps.sh)" >&2; exit 1; }
dir=${keep:-$(mktemp -d)}
mkdir -p "$dir"
[ -n "$keep" ] || trap 'rm -rf "$dir"' EXIT

go run ./bench/acl/gen -rules "$rules" -traces "$traces" -seed "$seed" ${v6:+-ipv6} -o "$dir"
go build -o "$dir/dpkit" ./cmd/dpkit
if [ -n "$v6" ]; then
	echo '@::/0 ::/0 0 : 65535 0 : 65535 0/0' >"$dir/one.txt"
else
	echo '@0.0.0.0/0 0.0.0.0/0 0 : 65535 0 : 65535 0/0' >"$dir/one.txt"
fi

flags=$(grep -m1 '^flags' /proc/cpuinfo)
algs="scalar"
case "$flags" in *" sse4_1"*) algs="$algs sse" ;; esac
case "$flags" in *" avx2"*) algs="$algs avx2" ;; esac
case "$flags" in *" avx512f"*) case "$flags" in *" avx512bw"*) algs="$algs avx512x16 avx512x32" ;; esac ;; esac

eal=(-l "$lcore" --no-pci --file-prefix=acl -m 512)
common=(--rulesf="$dir/rules.txt" --tracef="$dir/trace.txt" --tracenum="$traces" --tracestep="$burst"
	--bldcat="$bldcat" --runcat="$runcat" ${v6:+--ipv6})

# cputime OUT CMD...: runs CMD with stdout+stderr to OUT, prints its
# user+system CPU seconds.
cputime() {
	local out=$1; shift
	/usr/bin/time -o "$out.time" -f "%U %S" "$@" >"$out" 2>&1 || true
	awk '{print $1+$2}' "$out.time"
}
dpdkcmd() { # alg iter
	local alg=$1 extra=()
	[ "$alg" = avx512x32 ] && extra=(--force-max-simd-bitwidth=512)
	echo dpdk-test-acl "${eal[@]}" "${extra[@]}" -- "${common[@]}" --iter="$2" --verbose=0 --alg="$alg"
}
ourcmd() { # iter
	echo "$dir/dpkit" bench acl -l "$lcore" -rulesf "$dir/rules.txt" -tracef "$dir/trace.txt" -tracenum "$traces" \
		-tracestep "$burst" -bldcat "$bldcat" -runcat "$runcat" ${v6:+-ipv6} -iter "$1"
}
# measure NAME CMD-FN...: one run of 1 pass and one of --iter passes; sets
# wall (as printed), c1 and cn (their CPU seconds).
measure() {
	local name=$1; shift
	c1=$(cputime "$dir/$name-1.out" $("$@" 1))
	cn=$(cputime "$dir/$name.out" $("$@" "$iter"))
	wall=$(sed -n -e 's/.* \([0-9.]*\) cycles\/pkt.*/\1/p' -e 's/^acl_classify_cycles_per_pkt \([0-9.]*\).*/\1/p' "$dir/$name.out" | head -1)
}
# cpucycles C1 CN: TSC cycles per packet of CPU time, (CN-C1) over the
# packets of iter-1 passes.
cpucycles() {
	awk -v a="$1" -v b="$2" -v hz="$tschz" -v n="$(( (iter - 1) * ntr ))" 'BEGIN{ if (a=="" || b=="") print ""; else printf "%.2f", (b-a)*hz/n }'
}
minof() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a=="" ) print b; else if (b=="" ) print a; else print (a+0<b+0)?a:b }'; }

# The TSC rate (for CPU seconds -> cycles) and the number of traces read.
"$dir/dpkit" bench acl -l "$lcore" -rulesf "$dir/rules.txt" -tracef "$dir/trace.txt" -tracenum "$traces" ${v6:+-ipv6} -iter 1 >"$dir/probe.out" 2>&1
tschz=$(sed -n 's/.*TSC \([0-9.]*\) GHz.*/\1/p' "$dir/probe.out" | head -1)
tschz=$(awk -v g="$tschz" 'BEGIN{printf "%.0f", g*1e9}')
ntr=$(sed -n 's/.* 1 iterations, \([0-9]*\) pkts.*/\1/p' "$dir/probe.out" | head -1)
[ "$iter" -ge 2 ] || { echo "--iter must be at least 2" >&2; exit 2; }

# Each side's CPU figure is (least CPU of its --iter runs) - (least CPU of
# its 1-pass runs): the least of each, as the least noisy.
declare -A best bestcpu min1 minn
bestours="" bestourscpu="" ourbuild="" oursize="" ourgroups="" our1="" ourn=""
for r in $(seq 1 "$runs"); do
	measure dpkit ourcmd
	bestours=$(minof "$bestours" "$wall")
	our1=$(minof "$our1" "$c1"); ourn=$(minof "$ourn" "$cn")
	bestourscpu=$(cpucycles "$our1" "$ourn")
	b=$(awk '$1=="acl_build_ms"{print $2}' "$dir/dpkit.out")
	ourbuild=$(minof "$ourbuild" "$b")
	oursize=$(awk '$1=="acl_size_bytes"{print $2}' "$dir/dpkit.out")
	ourgroups=$(awk '$1=="acl_groups"{print $2}' "$dir/dpkit.out")
	for a in $algs; do
		measure "dpdk-$a" dpdkcmd "$a"
		[ -n "$wall" ] || continue
		best[$a]=$(minof "${best[$a]:-}" "$wall")
		min1[$a]=$(minof "${min1[$a]:-}" "$c1"); minn[$a]=$(minof "${minn[$a]:-}" "$cn")
		bestcpu[$a]=$(cpucycles "${min1[$a]}" "${minn[$a]}")
	done
	echo "# run $r: wall: dpkit $bestours; dpdk $(for a in $algs; do printf '%s=%s ' "$a" "${best[$a]:-n/a}"; done)" >&2
	echo "# run $r: cpu:  dpkit $bestourscpu; dpdk $(for a in $algs; do printf '%s=%s ' "$a" "${bestcpu[$a]:-n/a}"; done)" >&2
done

# DPDK's compiled size and approximate build time.
dpdk-test-acl "${eal[@]}" --log-level=lib.acl:debug -- --rulesf="$dir/rules.txt" --bldcat="$bldcat" ${v6:+--ipv6} --verbose=0 >"$dir/dpdk-build.out" 2>&1 || true
dsize=$(sed -n 's/^total: \([0-9]*\) bytes.*/\1/p' "$dir/dpdk-build.out" | head -1)
dtries=$(sed -n 's/.*num_tries=\([0-9]*\).*/\1/p' "$dir/dpdk-build.out" | head -1)
t1="" t0=""
for r in 1 2 3; do
	s=$(date +%s.%N); dpdk-test-acl "${eal[@]}" -- --rulesf="$dir/rules.txt" --bldcat="$bldcat" ${v6:+--ipv6} --verbose=0 >/dev/null 2>&1 || true; e=$(date +%s.%N)
	t1=$(minof "$t1" "$(echo "($e - $s) * 1000" | bc)")
	s=$(date +%s.%N); dpdk-test-acl "${eal[@]}" -- --rulesf="$dir/one.txt" --bldcat="$bldcat" ${v6:+--ipv6} --verbose=0 >/dev/null 2>&1 || true; e=$(date +%s.%N)
	t0=$(minof "$t0" "$(echo "($e - $s) * 1000" | bc)")
done
dbuild=$(printf "%.1f" "$(echo "$t1 - $t0" | bc)")

# The best SIMD algorithm: the lowest CPU-time figure.
simd="" simdv=""
for a in $algs; do
	[ "$a" = scalar ] && continue
	v=${bestcpu[$a]:-}
	[ -z "$v" ] && continue
	if [ -z "$simdv" ] || awk -v a="$v" -v b="$simdv" 'BEGIN{exit !(a+0<b+0)}'; then simd=$a simdv=$v; fi
done

table() {
	echo "| figure | dpkit | dpdk | ratio dpkit/dpdk | unit |"
	echo "|---|---:|---:|---:|---|"
	row() { awk -v f="$1" -v a="$2" -v b="$3" -v u="$4" 'BEGIN{ if (b+0>0) r=sprintf("%.2f", a/b); else r="n/a"; printf "| %s | %s | %s | %s | %s |\n", f, a, b, r, u }'; }
	row "cpu: acl_classify_cycles_per_pkt vs scalar" "$bestourscpu" "${bestcpu[scalar]:-0}" "cycles/pkt"
	[ -n "$simd" ] && row "cpu: acl_classify_cycles_per_pkt vs $simd (best SIMD)" "$bestourscpu" "$simdv" "cycles/pkt"
	for a in $algs; do
		[ "$a" = scalar ] || [ "$a" = "$simd" ] && continue
		[ -n "${bestcpu[$a]:-}" ] && row "cpu: acl_classify_cycles_per_pkt vs $a" "$bestourscpu" "${bestcpu[$a]}" "cycles/pkt"
	done
	for a in $algs; do
		[ -n "${best[$a]:-}" ] && row "wall: acl_classify_cycles_per_pkt vs $a" "$bestours" "${best[$a]}" "cycles/pkt"
	done
	row "acl_size_bytes" "${oursize%.*}" "${dsize:-0}" "bytes"
	row "acl_build_ms (dpdk: approximate)" "$ourbuild" "$dbuild" "ms"
	echo
	echo "$rules ${v6:+IPv6 }rules, $traces traces (bench/acl/gen -seed $seed${v6:+ -ipv6}), burst $burst, bldcat $bldcat, runcat $runcat, $iter passes a run (cpu: minus a 1-pass run), best of $runs runs a side, lcore $lcore, TSC $tschz Hz; dpkit groups: $ourgroups, DPDK tries: ${dtries:-?}; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
}
table
[ -z "$out" ] || table >"$out"
