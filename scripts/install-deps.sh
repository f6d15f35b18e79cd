#!/usr/bin/env bash
# install-deps.sh: make this machine ready for `make check` and `make vs-dpdk`.
#
# Idempotent: run it as often as you like; it only changes what is missing.
#
#   - The real peers, installed with apt-get when missing (root only): DPDK
#     22.11 (Debian packages dpdk, dpdk-dev: dpdk-test, dpdk-testpmd..., with
#     the recommended mempool drivers and PMDs tests use), python3-scapy and
#     tshark.
#   - Hugepages: at least $DPKIT_HUGEPAGES (default 1024) 2 MiB pages and
#     hugetlbfs mounted at /dev/hugepages (root only; as non-root it only
#     checks, and warns).
#   - staticcheck $STATICCHECK_VERSION into $(go env GOPATH)/bin.
#
# Environment:
#   DPKIT_HUGEPAGES=N        hugepages wanted (default 1024)
#   DPKIT_SKIP_DPDK=1        do not require DPDK (e.g. a lint-only machine)
#   DPKIT_SKIP_HUGEPAGES=1   do not touch or require hugepages
#
# Exit status is non-zero, with the reason on stderr, when anything that is
# required cannot be had.
set -euo pipefail

STATICCHECK_VERSION=v0.8.2 # staticcheck 2026.2.2; supports Go 1.26
HUGEPAGES_WANT=${DPKIT_HUGEPAGES:-1024}
HUGEPAGES_DIR=/dev/hugepages

die() {
	echo "install-deps: error: $*" >&2
	exit 1
}
warn() { echo "install-deps: warning: $*" >&2; }
info() { echo "install-deps: $*"; }

is_root() { [ "$(id -u)" -eq 0 ]; }

command -v go >/dev/null 2>&1 || die "go not found in PATH; install Go 1.26 (https://go.dev/dl/)"

summary=()

# --- Debian packages ----------------------------------------------------------
# The real peers: DPDK 22.11 (dpdk-test, dpdk-testpmd, dpdk-test-fib,
# dpdk-test-acl), scapy (under /usr/bin/python3: the python3 first on PATH
# may be another interpreter) and tshark.
have_dpdk() { command -v dpdk-test >/dev/null 2>&1 && command -v dpdk-testpmd >/dev/null 2>&1; }
have_scapy() { /usr/bin/python3 -c 'import scapy.all' >/dev/null 2>&1; }
have_tshark() { command -v tshark >/dev/null 2>&1 && command -v editcap >/dev/null 2>&1; }
have_ip() { command -v ip >/dev/null 2>&1 && command -v ethtool >/dev/null 2>&1; }
# bench/vs-dpdk-*.sh use GNU time and bc.
have_benchtools() { [ -x /usr/bin/time ] && command -v bc >/dev/null 2>&1; }

missing=()
if [ "${DPKIT_SKIP_DPDK:-0}" = 1 ]; then
	summary+=("dpdk=skipped")
else
	have_dpdk || missing+=(dpdk dpdk-dev)
fi
have_scapy || missing+=(python3-scapy)
have_tshark || missing+=(tshark wireshark-common)
have_ip || missing+=(iproute2 ethtool)
have_benchtools || missing+=(time bc)
if [ ${#missing[@]} -gt 0 ]; then
	if ! is_root; then
		die "missing Debian packages and not root: ${missing[*]}. Run:
    sudo env DEBIAN_FRONTEND=noninteractive apt-get update
    sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}
or run this script as root (or set DPKIT_SKIP_DPDK=1 to go without DPDK)."
	fi
	command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and apt-get not available: install them by hand"
	info "installing ${missing[*]} with apt-get"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q || die "apt-get update failed"
	apt-get install -y -q "${missing[@]}" || die "apt-get install ${missing[*]} failed"
fi
if [ "${DPKIT_SKIP_DPDK:-0}" != 1 ]; then
	have_dpdk || die "dpdk-test/dpdk-testpmd still missing after installing dpdk dpdk-dev"
	summary+=("dpdk=$(dpkg-query -W -f='${Version}' dpdk 2>/dev/null || echo present)")
fi
have_scapy || die "scapy still not importable by /usr/bin/python3 after installing python3-scapy"
have_tshark || die "tshark/editcap still missing after installing tshark wireshark-common"
have_ip || die "ip/ethtool still missing after installing iproute2 ethtool"
summary+=("scapy=$(/usr/bin/python3 -c 'import scapy; print(scapy.__version__)' 2>/dev/null)" "tshark=present")

# --- hugepages ----------------------------------------------------------------
hugepages_mounted() {
	# hugetlbfs mounted exactly at $HUGEPAGES_DIR?
	awk -v d="$HUGEPAGES_DIR" '$2 == d && $3 == "hugetlbfs" { found = 1 } END { exit !found }' /proc/mounts
}

if [ "${DPKIT_SKIP_HUGEPAGES:-0}" = 1 ]; then
	summary+=("hugepages=skipped")
else
	nr_file=/proc/sys/vm/nr_hugepages
	[ -r "$nr_file" ] || die "$nr_file not found: kernel without hugetlb support"
	have=$(cat "$nr_file")
	if [ "$have" -lt "$HUGEPAGES_WANT" ]; then
		if is_root; then
			echo "$HUGEPAGES_WANT" >"$nr_file" || die "cannot write $nr_file"
			have=$(cat "$nr_file")
			# The kernel grants what it can find contiguous; say so if short.
			[ "$have" -ge "$HUGEPAGES_WANT" ] ||
				die "asked for $HUGEPAGES_WANT hugepages, kernel granted $have (memory fragmented or too small; try after a reboot or lower DPKIT_HUGEPAGES)"
		else
			warn "only $have hugepages (want $HUGEPAGES_WANT); as root run: echo $HUGEPAGES_WANT > $nr_file"
		fi
	fi
	if ! hugepages_mounted; then
		if is_root; then
			mkdir -p "$HUGEPAGES_DIR"
			mount -t hugetlbfs nodev "$HUGEPAGES_DIR" || die "cannot mount hugetlbfs at $HUGEPAGES_DIR"
			hugepages_mounted || die "hugetlbfs not visible at $HUGEPAGES_DIR after mount"
		else
			warn "hugetlbfs not mounted at $HUGEPAGES_DIR; as root run: mount -t hugetlbfs nodev $HUGEPAGES_DIR"
		fi
	fi
	free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
	summary+=("hugepages=$have(free=$free)@$HUGEPAGES_DIR")
fi

# --- staticcheck --------------------------------------------------------------
gobin=$(go env GOBIN)
[ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
staticcheck="$gobin/staticcheck"
want_sc=${STATICCHECK_VERSION#v}
if [ -x "$staticcheck" ] && "$staticcheck" -version 2>/dev/null | grep -q "($want_sc)"; then
	:
else
	info "installing staticcheck $STATICCHECK_VERSION into $gobin"
	# Outside the module, so go.mod is neither read nor touched.
	(cd / && go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION") ||
		die "go install honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION failed (is the Go module proxy reachable?)"
fi
"$staticcheck" -version >/dev/null 2>&1 || die "$staticcheck does not run"
summary+=("staticcheck=$STATICCHECK_VERSION")

info "ok: go=$(go env GOVERSION) ${summary[*]}"
