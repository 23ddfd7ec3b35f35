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
# stack's event stream ($tmp/bench.events; its log is $tmp/bench.log,
# stack_log).
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
# The log failed prints: a benchmark that runs the stack more than once
# names the current run's.
stack_log=$tmp/bench.log
log() { echo "sealnet-bench: $*" >&2; }
failed() {
	log "FAILED: $*; no figures"
	[ -f "$stack_log" ] && cat "$stack_log" >&2
	exit 1
}
number() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; }

# Waits up to SECONDS for COMPARTMENT's first incarnation to end, and
# fails unless it exited 0.  While it runs, nothing polls the way the
# tests wait (tail, perl and jq twenty times a second): those processes
# took a fifth of a 2-CPU machine during a TCP transfer, and the kernel's
# transfers, timed without them, would have been compared with sealnet's
# timed beside them.  Here tail checks the process with kill(2) ten
# times a second and starts nothing.
bench_await_exit() { # COMPARTMENT SECONDS
	local who=$1 started pid
	started=".event==\"started\" and .compartment==\"$who\" and .incarnation==1"
	wait_until 30 has_event "$events" "$started" || failed "$who never started"
	pid=$(events "$events" "$started" | jq -r .pid)
	number "$pid" || failed "no process id for $who"
	timeout "$2" tail --pid="$pid" -s 0.1 -f /dev/null
	[ $? -ne 124 ] || failed "gave up waiting for $who"
	# The supervisor reaps it and reports how it ended.
	wait_until 10 has_event "$events" \
		".event==\"died\" and .compartment==\"$who\" and .incarnation==1" ||
		failed "no report of $who's end"
	has_event "$events" ".event==\"died\" and .compartment==\"$who\" and
		.incarnation==1 and .cause==\"exit\" and .exit_status==0" ||
		failed "$who $(events "$events" ".event==\"died\" and .compartment==\"$who\"" |
			jq -r .why)"
}
