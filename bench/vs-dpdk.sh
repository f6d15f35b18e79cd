#!/usr/bin/env bash
# vs-dpdk.sh: dpkit's ring and mempool figures side by side with DPDK 22.11's
# own (ring_perf_autotest, mempool_perf_autotest from Debian's `dpdk` package),
# measured in ONE run on the same machine, back to back, never at the same
# time (these machines are noisy: only the ratio in one run means anything).
#
# Usage: bench/vs-dpdk.sh [--quick] [--ring-only | --mempool-only] [--out FILE.md]
#                         [--lcores 0-1] [--keep DIR] [--dpdk-only]
#                         [--mempool-timeout SECONDS] [--runs N]
#                         [--mempool-time DURATION] [--mempool-autotest]
#
#   --quick            short runs: dpkit -quick, and DPDK's mempool test is
#                      stopped after its first sweep (no cache, 1 core: ~5 min;
#                      dpkit's cache512 and 2-core figures stay unpaired)
#   --ring-only        only the ring figures
#   --mempool-only     only the mempool figures
#   --out FILE         also write the table as markdown to FILE
#   --lcores LIST      cores for both sides (default 0-1; DPDK -l syntax)
#   --keep DIR         keep the raw outputs in DIR (default: a temp dir, removed)
#   --dpdk-only        run only the DPDK half and print its figures (debugging)
#   --mempool-timeout  stop DPDK's mempool test after this many seconds
#                      (default 3900, 900 with --quick; ~60 min in full)
#   --mempool-time D   how long each mempool case runs on both sides
#                      (default 1s, 0.2s with --quick)
#   --mempool-autotest DPDK side of the mempool figures from dpdk-test's own
#                      mempool_perf_autotest (5 s a case, about an hour)
#                      instead of bench/dpdk/mempool_perf, our small C
#                      program against Debian's librte_mempool that runs
#                      the same loop for the same cases for --mempool-time
#   --runs N           ring: N runs per side, taking turns, best figure kept
#                      (default 3, 1 with --quick; DPDK's takes ~5 s)
#
# Needs root and hugepages for DPDK: run scripts/install-deps.sh first.
#
# Order: dpkit ring, DPDK ring, dpkit mempool, DPDK mempool; the figures are
# then paired by name by bench/vsdpdk (go run), which prints
#
#   figure  dpkit  dpdk  ratio  unit  better
#
# with ratio = dpkit/dpdk. For cycles LOWER is better (ratio < 1: dpkit is
# faster); for objs/s HIGHER is better (ratio > 1: dpkit is faster).
#
# Normalisation (DPDK 22.11's ring_perf_autotest, checked against its
# source): its single-core "burst (size: N)" and "bulk (size: N)" figures are
# cycles per ITERATION -- one enqueue plus one dequeue of the whole burst --
# not per element, despite the name. They are divided by N here, so both
# columns are cycles per element. Its "single" figures (N=1), its two-core
# figures (per element, enqueue side + dequeue side) and its empty-dequeue
# figures (per call) are used as printed. The table's footnotes repeat this.
#
# DPDK's mempool_perf_autotest runs 720 cases of 5 s each (about an hour) in
# four sections; only "without cache" (cache=0) and "with cache" (cache=512)
# have dpkit counterparts, and the latter starts after ~30 min. The script
# therefore stops DPDK as soon as every mempool figure dpkit printed has a
# DPDK counterpart (or, with --quick, after its first sweep; or at
# --mempool-timeout); unpaired figures on either
# side are listed at the end as "dpkit only" / "dpdk only".
set -euo pipefail
here=$PWD

quick=0 ring=1 mempool=1 out="" lcores=0-1 keep="" dpdk_only=0 mp_timeout="" runs=""
mp_time="" mp_autotest=0
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--ring-only) mempool=0 ;;
	--mempool-only) ring=0 ;;
	--out) out=${2:?--out needs a file}; shift ;;
	--out=*) out=${1#*=} ;;
	--lcores) lcores=${2:?--lcores needs a list}; shift ;;
	--lcores=*) lcores=${1#*=} ;;
	--keep) keep=${2:?--keep needs a directory}; shift ;;
	--keep=*) keep=${1#*=} ;;
	--dpdk-only) dpdk_only=1 ;;
	--runs) runs=${2:?--runs needs a number}; shift ;;
	--runs=*) runs=${1#*=} ;;
	--mempool-time) mp_time=${2:?--mempool-time needs a duration}; shift ;;
	--mempool-time=*) mp_time=${1#*=} ;;
	--mempool-autotest) mp_autotest=1 ;;
	--mempool-timeout) mp_timeout=${2:?--mempool-timeout needs seconds}; shift ;;
	--mempool-timeout=*) mp_timeout=${1#*=} ;;
	-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) echo "vs-dpdk: unknown option $1 (try --help)" >&2; exit 2 ;;
	esac
	shift
done
if [ $ring = 0 ] && [ $mempool = 0 ]; then
	echo "vs-dpdk: --ring-only and --mempool-only exclude each other" >&2
	exit 2
fi
[ -n "$runs" ] || runs=$([ $quick = 1 ] && echo 1 || echo 3)
case $runs in '' | *[!0-9]* | 0) echo "vs-dpdk: --runs wants a positive number" >&2; exit 2 ;; esac
if [ -z "$mp_time" ]; then
	if [ $quick = 1 ]; then mp_time=0.2s; else mp_time=1s; fi
fi
if [ -z "$mp_timeout" ]; then
	if [ $quick = 1 ]; then mp_timeout=900; else mp_timeout=3900; fi
fi

# Paths given are relative to where we were started; then work from the repo root.
case $out in '' | /*) ;; *) out=$here/$out ;; esac
case $keep in '' | /*) ;; *) keep=$here/$keep ;; esac
cd "$(dirname "${BASH_SOURCE[0]}")/.."

die() { echo "vs-dpdk: error: $*" >&2; exit 1; }
step() { echo "==> $*" >&2; }

command -v dpdk-test >/dev/null 2>&1 || die "dpdk-test not found: run scripts/install-deps.sh (as root)"
[ "$(id -u)" -eq 0 ] || die "DPDK's autotests need root (hugepages): run as root"
[ "$(cat /proc/sys/vm/nr_hugepages)" -gt 0 ] || die "no hugepages: run scripts/install-deps.sh (as root)"

if [ -n "$keep" ]; then
	mkdir -p "$keep"
	work=$(cd "$keep" && pwd)
else
	work=$(mktemp -d)
fi

prefix=vsdpdk
dpdk_pid=""
stop_dpdk() {
	if [ -n "$dpdk_pid" ] && kill -0 "$dpdk_pid" 2>/dev/null; then
		kill -TERM "$dpdk_pid" 2>/dev/null || true
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$dpdk_pid" 2>/dev/null || break
			sleep 0.5
		done
		kill -KILL "$dpdk_pid" 2>/dev/null || true
		wait "$dpdk_pid" 2>/dev/null || true
	fi
	dpdk_pid=""
	# A DPDK stopped mid-test leaves its hugepage files behind; they are ours.
	rm -f /dev/hugepages/"$prefix"map_* 2>/dev/null || true
}
on_exit() {
	stop_dpdk
	[ -n "$keep" ] || rm -rf "$work"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# Build once, so compiling never overlaps a measurement.
step "building dpkit and bench/vsdpdk"
go build -ldflags "-X main.version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)" -o "$work/dpkit" ./cmd/dpkit
go build -o "$work/vsdpdk" ./bench/vsdpdk

dpkit_flags=(-l "$lcores")
[ $quick = 1 ] && dpkit_flags+=(-quick)

# mempool_enough: DPDK's mempool test has printed all we want: every
# mempool figure dpkit printed has its DPDK peer, or, with --quick, the
# first sweep (no cache, 1 core) is complete.
mempool_enough() {
	if [ $dpdk_only = 0 ] &&
		"$work/vsdpdk" covered -dpkit "$work/dpkit-mempool.txt" -dpdk-mempool "$work/dpdk-mempool.txt" >/dev/null 2>&1; then
		return 0
	fi
	[ $quick = 1 ] && grep -q '^mempool_autotest .* cores=2 ' "$work/dpdk-mempool.txt"
}

# run_dpdk TEST OUTFILE TIMEOUT ON_TIMEOUT [STOP_CHECK [LABEL]]: run one DPDK
# autotest, its output line-buffered into OUTFILE. After TIMEOUT seconds it
# is stopped, and ON_TIMEOUT says whether that is a failure ("fail") or the
# plan ("stop": keep what it printed). STOP_CHECK, if given, is a command
# run every 10 s; DPDK is stopped as soon as it succeeds.
run_dpdk() {
	local test=$1 outfile=$2 timeout=$3 on_timeout=$4 check=${5:-}
	step "DPDK $test (-l $lcores)${6:+ $6}"
	rm -f /dev/hugepages/"$prefix"map_* 2>/dev/null || true
	echo "$test" | stdbuf -oL dpdk-test -l "$lcores" --no-pci --file-prefix="$prefix" >"$outfile" 2>&1 &
	dpdk_pid=$!
	local start=$SECONDS stopped="" ticks=0
	while kill -0 "$dpdk_pid" 2>/dev/null; do
		sleep 2
		ticks=$((ticks + 1))
		if [ $((SECONDS - start)) -ge "$timeout" ]; then
			if [ "$on_timeout" != stop ]; then
				stop_dpdk
				tail -20 "$outfile" >&2
				die "DPDK $test did not finish in ${timeout}s"
			fi
			stopped="at the ${timeout}s limit"
			break
		fi
		if [ -n "$check" ] && [ $((ticks % 5)) -eq 0 ] && $check; then
			stopped="as it has printed what is needed"
			break
		fi
	done
	if [ -n "$stopped" ]; then
		echo "    stopping DPDK $test $stopped ($((SECONDS - start))s)" >&2
		stop_dpdk
		return 0
	fi
	local rc=0
	wait "$dpdk_pid" || rc=$?
	dpdk_pid=""
	if ! grep -q "Test OK" "$outfile"; then
		tail -20 "$outfile" >&2
		die "DPDK $test failed (exit $rc); output in $outfile (use --keep DIR to keep it)"
	fi
	echo "    done in $((SECONDS - start))s" >&2
}

table_args=()
if [ $ring = 1 ]; then
	for i in $(seq "$runs"); do
		if [ $dpdk_only = 0 ]; then
			step "dpkit bench ring ${dpkit_flags[*]} (run $i of $runs)"
			"$work/dpkit" bench ring "${dpkit_flags[@]}" | tee "$work/dpkit-ring-$i.txt" >&2
			table_args+=(-dpkit "$work/dpkit-ring-$i.txt")
		fi
		run_dpdk ring_perf_autotest "$work/dpdk-ring-$i.txt" 1200 fail "" "(run $i of $runs)"
		table_args+=(-dpdk-ring "$work/dpdk-ring-$i.txt")
	done
fi
if [ $mempool = 1 ]; then
	if [ $dpdk_only = 0 ]; then
		mp_flags=("${dpkit_flags[@]}")
		[ $mp_autotest = 1 ] || mp_flags+=(-time "$mp_time")
		step "dpkit bench mempool ${mp_flags[*]}"
		"$work/dpkit" bench mempool "${mp_flags[@]}" | tee "$work/dpkit-mempool.txt" >&2
		table_args+=(-dpkit "$work/dpkit-mempool.txt")
	fi
	if [ $mp_autotest = 1 ]; then
		run_dpdk mempool_perf_autotest "$work/dpdk-mempool.txt" "$mp_timeout" stop mempool_enough
	else
		secs=${mp_time%s}
		step "DPDK bench/dpdk/mempool_perf --time $secs (-l $lcores)"
		rm -f /dev/hugepages/dpkitmpmap_* 2>/dev/null || true
		LCORES=$lcores bench/dpdk/run.sh --time "$secs" $([ $quick = 1 ] && echo --quick) >"$work/dpdk-mempool.txt" 2>&1 ||
			{ tail -20 "$work/dpdk-mempool.txt" >&2; die "bench/dpdk/mempool_perf failed"; }
	fi
	table_args+=(-dpdk-mempool "$work/dpdk-mempool.txt")
fi

if [ $dpdk_only = 1 ]; then
	# No dpkit side: show DPDK's figures under dpkit's names.
	step "DPDK figures under dpkit's names"
	"$work/vsdpdk" dpdk "${table_args[@]}"
	exit 0
fi

meta=(
	-meta "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	-meta "cpu: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), lcores $lcores of $(nproc)"
	-meta "kernel: $(uname -r)"
	-meta "dpdk: $(dpkg-query -W -f='${Version}' dpdk 2>/dev/null || echo unknown) (dpdk-test)"
	-meta "dpkit: $("$work/dpkit" version), $(go env GOVERSION)"
	-meta "mode: $([ $quick = 1 ] && echo quick || echo full), ring runs per side: $runs"
)
[ -n "$out" ] && table_args+=(-md "$out")
step "table"
"$work/vsdpdk" table "${table_args[@]}" "${meta[@]}"
[ -n "$out" ] && echo "vs-dpdk: markdown table written to $out" >&2
exit 0
