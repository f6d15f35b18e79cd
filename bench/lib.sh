# bench/lib.sh: shell functions the vs-dpdk-*.sh scripts share. Source it.

# vs_best_table DIR: pairs the figures of DIR/dpkit-*.txt and DIR/dpdk-*.txt
# (lines "name value [unit]", one file per run, lower is better), keeps each
# side's best (lowest) value of every figure over the runs, and prints
# "figure dpkit dpdk ratio" in the order figures first appear, with "-"
# where DPDK has no such figure.
vs_best_table() {
	awk '
	FNR == 1 { side = (FILENAME ~ /\/dpdk-[0-9]+\.txt$/) ? "dpdk" : "dpkit" }
	/^#/ || NF < 2 { next }
	{
		k = side SUBSEP $1
		if (!(k in best) || $2 + 0 < best[k]) best[k] = $2 + 0
		if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 }
	}
	END {
		printf "%-42s %10s %10s %7s\n", "figure", "dpkit", "dpdk", "ratio"
		for (i = 1; i <= n; i++) {
			f = order[i]
			if (!(("dpkit" SUBSEP f) in best)) continue
			g = best["dpkit" SUBSEP f]
			if (("dpdk" SUBSEP f) in best) {
				d = best["dpdk" SUBSEP f]
				printf "%-42s %10.1f %10.1f %7.2f\n", f, g, d, (d > 0 ? g / d : 0)
			} else {
				printf "%-42s %10.1f %10s %7s\n", f, g, "-", "-"
			}
		}
	}' "$1"/dpkit-*.txt "$1"/dpdk-*.txt
}

# vs_header LCORE RUNS: the two comment lines that head a table: when,
# which CPU, lcore, runs, load; which DPDK, dpkit commit and Go.
vs_header() {
	echo "# date: $(date -u '+%Y-%m-%d %H:%M UTC'), cpu: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), lcore $1, runs $2 (best of each side), load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# dpdk: $(pkg-config --modversion libdpdk 2>/dev/null || echo unknown), dpkit: $(git describe --always --dirty 2>/dev/null), $(go env GOVERSION)"
}
