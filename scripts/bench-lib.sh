# shellcheck shell=bash
# What the benchmarks on a throwaway network share (scripts/bench-tcp.sh,
# -tls, -sntp, -mqtt).  Source it first, with the benchmark's name and
# its build folder:
#
#   . "$(dirname "$0")/bench-lib.sh" NAME "${1:-build}"
#
# It refuses to run but as root, sources tests/lib.sh (whose traps stop
# every process the benchmark starts, and remove what it made) and
# scripts/testnet.sh, and sets build, root and tmp, and events, the
# stack's event stream ($tmp/bench.events; its log is $tmp/bench.log).
# KEEP_LOG=FILE keeps that log when the benchmark ends.
#
# Figures come only from a run in which every step succeeded:
#   log TEXT        a line on standard error
#   failed WHY      says why, with the stack's log, on standard error;
#                   no figures; exit status 1
#   number TEXT     TEXT is a decimal number, without a sign
if [ "$(id -u)" -ne 0 ]; then
	echo "sealnet-bench $1: run as root (it makes network namespaces)" >&2
	exit 1
fi
SN_BUILD=$(cd "$2" && pwd) || exit 1
SN_TEST=sealnet-bench-$1
# shellcheck source=../tests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../tests/lib.sh"
build=$SN_BUILD
root=$SN_ROOT
tmp=$SN_TMP
# shellcheck source=testnet.sh
. "$root/scripts/testnet.sh"
at_cleanup '[ -n "${KEEP_LOG:-}" ] && [ -f "$tmp/bench.log" ] && cp "$tmp/bench.log" "$KEEP_LOG"'
at_cleanup testnet_down
events=$tmp/bench.events
log() { echo "sealnet-bench: $*" >&2; }
failed() {
	log "FAILED: $*; no figures"
	[ -f "$tmp/bench.log" ] && cat "$tmp/bench.log" >&2
	exit 1
}
number() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; }
