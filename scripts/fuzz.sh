#!/usr/bin/env bash
# fuzz.sh [FUZZTIME]: run every Fuzz* target in the module for FUZZTIME
# (default 10s) each, one after the other. Targets are discovered with
# `go test -list '^Fuzz' ./...`. Exits non-zero on the first failure; the
# failing input is left in the package's testdata/fuzz/ by go test.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
FUZZTIME=${1:-10s}

# go test -list prints each package's matching names, then its "ok pkg"
# line; pair every name with the package that follows it.
# A package that does not build fails the run here.
if ! list=$($GO test -list '^Fuzz' ./...); then
	echo "$list" >&2
	echo "fuzz: listing the fuzz targets failed" >&2
	exit 1
fi
mapfile -t targets < <(
	awk '
		/^Fuzz/ { names[n++] = $1; next }
		/^ok[ \t]/ { for (i = 0; i < n; i++) print $2, names[i]; n = 0 }
	' <<<"$list"
)

if [ ${#targets[@]} -eq 0 ]; then
	echo "fuzz: no Fuzz* targets found"
	exit 0
fi

for t in "${targets[@]}"; do
	pkg=${t% *}
	name=${t#* }
	echo "==> fuzz $pkg $name ($FUZZTIME)"
	$GO test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$pkg"
done
echo "fuzz: ${#targets[@]} targets passed"
