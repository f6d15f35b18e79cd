#!/usr/bin/env bash
# vs-dpdk-cksum.sh: dpkit's Internet checksum (proto.Checksum) side by side
# with DPDK 22.11's rte_raw_cksum, as measured by dpdk-test's
# cksum_perf_autotest, on the same core, back to back, several runs taking
# turns; then dpkit's packet type parse (proto.ParsePtype, the hot-loop
# form that fills the caller's HdrLens) side by side with gopacket's
# DecodingLayerParser on the same packets (proto's BenchmarkParsePtype and
# BenchmarkGopacket, one after the other in each run); GetPtype, which
# returns the lengths by value, is shown as getptype_byvalue_* rows.
#
# Usage: bench/vs-dpdk-cksum.sh [--runs N] [--lcore CPU] [--keep DIR]
#                               [--no-gopacket] [--out FILE.md]
#
#   --runs N        runs per side, taking turns (default 5); the best (min)
#                   figure of each side is kept
#   --lcore CPU     the core both sides run on (default 1)
#   --keep DIR      keep the raw outputs in DIR (default: a temp dir, removed)
#   --no-gopacket   skip the parse comparison
#   --out FILE      also write the tables as markdown to FILE
#
# Output:
#
#   figure                                dpkit   dpdk  ratio
#   cksum_aligned_1500_cycles_per_block   ...
#
# DPDK's "Aligned 1500 501.3 0.33" line (TSC cycles per block) becomes
# cksum_aligned_1500_cycles_per_block; dpkit's `dpkit bench proto` prints
# that name for the same loop (10 random blocks in turn, 1,000,000 calls).
# ratio = dpkit/dpdk: lower is better, < 1 means dpkit is faster.
# The parse table is ns per packet, ratio = dpkit/gopacket.
#
# Needs root and hugepages for DPDK (scripts/install-deps.sh).
set -euo pipefail
here=$PWD
runs=5 lcore=1 keep="" gopacket=1 out=""
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=${2:?}; shift ;;
	--lcore) lcore=${2:?}; shift ;;
	--keep) keep=${2:?}; shift ;;
	--no-gopacket) gopacket=0 ;;
	--out) out=${2:?}; shift ;;
	-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) echo "vs-dpdk-cksum: unknown option $1 (try --help)" >&2; exit 2 ;;
	esac
	shift
done
case $out in '' | /*) ;; *) out=$here/$out ;; esac
case $keep in '' | /*) ;; *) keep=$here/$keep ;; esac
cd "$(dirname "${BASH_SOURCE[0]}")/.."

die() { echo "vs-dpdk-cksum: error: $*" >&2; exit 1; }
step() { echo "==> $*" >&2; }
command -v dpdk-test >/dev/null 2>&1 || die "dpdk-test not found: run scripts/install-deps.sh (as root)"
[ "$(id -u)" -eq 0 ] || die "DPDK's autotests need root (hugepages)"

if [ -n "$keep" ]; then mkdir -p "$keep"; work=$(cd "$keep" && pwd); else work=$(mktemp -d); fi
prefix=proto
cleanup() {
	rm -f /dev/hugepages/"$prefix"map_* 2>/dev/null || true
	rm -rf /var/run/dpdk/"$prefix" 2>/dev/null || true # its runtime directory
	[ -n "$keep" ] || rm -rf "$work"
}
trap cleanup EXIT

step "building dpkit"
go build -o "$work/dpkit" ./cmd/dpkit

for i in $(seq "$runs"); do
	step "dpkit bench proto -l $lcore (run $i of $runs)"
	"$work/dpkit" bench proto -l "$lcore" -filter '^cksum_' >"$work/dpkit-$i.txt"
	step "DPDK cksum_perf_autotest -l $lcore (run $i of $runs)"
	echo cksum_perf_autotest | dpdk-test -l "$lcore" --no-pci --file-prefix="$prefix" -m 256 >"$work/dpdk-$i.txt" 2>&1 ||
		{ tail -20 "$work/dpdk-$i.txt" >&2; die "dpdk-test failed"; }
	grep -q "Test OK" "$work/dpdk-$i.txt" || { tail -20 "$work/dpdk-$i.txt" >&2; die "cksum_perf_autotest did not pass"; }
done

# Both sides as "name value" lines, then the min per name and the ratio.
{
	cat "$work"/dpkit-*.txt | awk '$1 ~ /^cksum_/ { print "dpkit", $1, $2 }'
	cat "$work"/dpdk-*.txt | awk '$1 ~ /^(Aligned|Unaligned)$/ && NF == 4 {
		printf "dpdk cksum_%s_%d_cycles_per_block %s\n", tolower($1), $2, $3 }'
} >"$work/all.txt"
table() {
	awk -v md="$1" '
	{ k = $2; v = $3 + 0
	  if ($1 == "dpkit") { if (!(k in a) || v < a[k]) a[k] = v }
	  else { if (!(k in b) || v < b[k]) b[k] = v }
	  if (!(k in seen)) { seen[k] = 1; order[n++] = k } }
	END {
	  if (md) { print "| figure | dpkit | dpdk | ratio |"; print "|---|---:|---:|---:|" }
	  else printf "%-40s %8s %8s %6s\n", "figure", "dpkit", "dpdk", "ratio"
	  for (i = 0; i < n; i++) { k = order[i]
	    x = (k in a) ? sprintf("%.1f", a[k]) : "-"; y = (k in b) ? sprintf("%.1f", b[k]) : "-"
	    r = ((k in a) && (k in b) && b[k] > 0) ? sprintf("%.2f", a[k] / b[k]) : "-"
	    if (md) printf "| %s | %s | %s | %s |\n", k, x, y, r
	    else printf "%-40s %8s %8s %6s\n", k, x, y, r } }' "$work/all.txt"
}
meta="cpu: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), lcore $lcore; $(date -u '+%Y-%m-%d %H:%M UTC'); dpdk $(dpkg-query -W -f='${Version}' dpdk 2>/dev/null || echo unknown); $(go env GOVERSION); best of $runs runs per side (TSC cycles per block)"
echo "# $meta"
table 0
[ -z "$out" ] || { echo "$meta"; echo; table 1; } >"$out"

if [ $gopacket = 1 ]; then
	step "go test -c ./proto"
	go test -c -o "$work/proto.test" ./proto
	: >"$work/parse.txt"
	for i in $(seq "$runs"); do
		step "proto.test -test.bench '(Parse|Get)Ptype/(tcp4|vxlan)\$|Gopacket' on CPU $lcore (run $i of $runs)"
		(cd proto && taskset -c "$lcore" "$work/proto.test" -test.run '^$' -test.bench '(Parse|Get)Ptype/(tcp4|vxlan)$|Gopacket' \
			-test.benchtime 2000000x -test.cpu 1) >>"$work/parse.txt"
	done
	awk '/^BenchmarkParsePtype\// { split($1, p, "/"); print "dpkit", "parse_" p[2] "_ns_per_pkt", $3 }
	     /^BenchmarkGopacket\// { split($1, p, "/"); print "dpdk", "parse_" p[2] "_ns_per_pkt", $3 }
	     /^BenchmarkGetPtype\// { split($1, p, "/"); print "dpkit", "getptype_byvalue_" p[2] "_ns_per_pkt", $3 }' "$work/parse.txt" |
		sed 's/-[0-9]*_ns/_ns/' >"$work/all.txt"
	echo "# proto.GetPtype vs gopacket DecodingLayerParser (ns per packet, best of $runs; the 'dpdk' column is gopacket)"
	table 0 | sed '1s/dpdk/gopkt/'
	[ -z "$out" ] || { echo; echo "proto.GetPtype vs gopacket's DecodingLayerParser, ns per packet, best of $runs"; echo; table 1 | sed '1s/dpdk/gopacket/'; } >>"$out"
fi
