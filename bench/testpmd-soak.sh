#!/usr/bin/env bash
# testpmd-soak.sh: long forwarding runs of dpkit testpmd that must end with
# every mbuf back in its pool (testpmd checks the pool at exit: a warning
# and exit status 1 on a leak). Each scenario forwards for SECS seconds
# (default 60), is stopped with SIGINT, and must exit 0 without a warning.
#
# Usage: bench/testpmd-soak.sh [SECS]
set -euo pipefail
secs=${1:-60}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/dpkit" ./cmd/dpkit
fail=0
soak() {
	local name=$1
	shift
	# stdin stays open (a closed one would end the run at once).
	set +e
	sleep $((secs + 10)) | timeout --preserve-status -s INT "$secs" "$tmp/dpkit" testpmd -l 0-1 -m 512 --file-prefix=soak "$@" >"$tmp/$name.txt" 2>&1
	local code=$?
	set -e
	local mpps
	mpps=$(awk '/Throughput \(over/ {print $8}' "$tmp/$name.txt" | tail -1)
	if [ "$code" -ne 0 ] || grep -q "Warning: .* mbufs" "$tmp/$name.txt"; then
		echo "FAIL $name: exit $code"
		grep -i "warning\|error" "$tmp/$name.txt" | head -5
		fail=1
	else
		echo "ok   $name: ${secs}s, exit 0, pool full, TX ${mpps} Mpps"
	fi
}
soak ring_io_txfirst --vdev net_ring0 --vdev net_ring1 -- --forward-mode=io --tx-first
soak null_macswap --vdev net_null0 --vdev net_null1 -- --forward-mode=macswap
soak null_ring_io --vdev net_null0 --vdev net_ring0 -- --forward-mode=io
soak ring_txonly_drops --vdev net_ring0 -- --forward-mode=txonly
exit $fail
