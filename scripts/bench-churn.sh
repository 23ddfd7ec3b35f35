#!/usr/bin/env bash
# sealnet-bench churn: 10,000 short connections one after another through
# the whole stack (connect by name, 1 KiB each way, close) to an echo
# server on a throwaway network, after 1,000 to warm up; then how many
# failed, and how much each compartment's resident memory grew between
# the warm-up and the end (the largest growth is the figure).  Then
# 1,000 connections held open at once by one application, its whole
# socket quota, and one more, which must be refused at once.  Prints
# one JSON object per line.  Run as root.  KEEP_LOG=FILE keeps the
# stack's log.
#
# Figures come only from a run that got to its end: if a step fails,
# nothing is printed on standard output, the reason and the stack's log
# go to standard error, and the exit status is 1.
set -uo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
sv_pid=
# shellcheck source=testnet.sh
. "$root/scripts/testnet.sh"
cleanup() {
	[ -n "$sv_pid" ] && kill -TERM "$sv_pid" 2>/dev/null && wait "$sv_pid"
	testnet_down
	[ -n "${KEEP_LOG:-}" ] && [ -f "$tmp/log" ] && cp "$tmp/log" "$KEEP_LOG"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ "$(id -u)" -ne 0 ]; then
	echo "sealnet-bench churn: run as root (it makes network namespaces)" >&2
	exit 1
fi
log() { echo "sealnet-bench: $*" >&2; }
failed() {
	log "FAILED: $*; no figures"
	[ -f "$tmp/log" ] && tail -50 "$tmp/log" >&2
	exit 1
}
number() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; }
# Waits for a line of the stack's log matching $1, up to $2 seconds.
wait_log() {
	local end=$((SECONDS + $2))
	until grep -q "$1" "$tmp/log" 2>/dev/null; do
		[ $SECONDS -ge $end ] && failed "gave up waiting for '$1'"
		kill -0 "$sv_pid" 2>/dev/null || failed "the supervisor stopped"
		grep -q 'churn (incarnation 1) ' "$tmp/log" &&
			failed "the churn compartment $(grep -o 'churn (incarnation 1) .*' "$tmp/log")"
		sleep 0.2
	done
}
# Every compartment's resident memory in KiB: "name kbytes" lines.
rss() {
	local name pid kb
	while read -r name pid; do
		kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null)
		number "${kb:-}" || failed "no resident memory figure for $name (pid $pid)"
		echo "$name $kb"
	done < <(grep -oE 'started [A-Za-z_]+ \(pid [0-9]+' "$tmp/log" |
		awk '{gsub(/\(/, ""); print $2, $4}')
}

testnet_up "$tmp" bench.test || failed "cannot build the test network"
testnet_spawn "$build/tools/echo_server" 7103
sleep 0.3
"$build/bin/sealnet" image build -o "$tmp/churn.json" \
	"$build/compartments/firewall" "$build/compartments/tcpip" \
	"$build/compartments/netapi" "$build/compartments/dns" \
	"$build/compartments/churn" || failed "image build"
ip netns exec "$TESTNET_DEV" "$build/bin/sealnet" run "$tmp/churn.json" \
	--tap tap0 >"$tmp/out" 2>"$tmp/log" &
sv_pid=$!
log "1,000 connections to warm up"
wait_log 'churn: warm' 300
rss >"$tmp/rss.warm"
log "10,000 connections"
wait_log 'churn: done' 1200
sleep 0.5
rss >"$tmp/rss.end"
log "1,000 connections held at once"
wait_log 'held: done' 600
[ "$(wc -l <"$tmp/rss.warm")" -eq 5 ] ||
	failed "expected five compartments, found $(wc -l <"$tmp/rss.warm")"
grep -q restart "$tmp/log" && failed "a compartment restarted: $(grep restart "$tmp/log" | head -1)"
figure=$(sed -n 's/^churn: //p' "$tmp/out" | grep sealnet_churn)
held=$(sed -n 's/^churn: //p' "$tmp/out" | grep sealnet_held)
[ -n "$figure" ] && [ -n "$held" ] ||
	failed "the churn compartment printed no figure"
growth=$(awk 'NR == FNR { warm[$1] = $2; next }
	{ g = 100 * ($2 - warm[$1]) / warm[$1]; if (g > max) max = g
	  printf "{\"bench\": \"rss_growth\", \"compartment\": \"%s\", \"warm_kbytes\": %d, \"end_kbytes\": %d, \"growth_pct\": %.2f}\n", $1, warm[$1], $2, g > "/dev/stderr" }
	END { printf "%.2f", max }' "$tmp/rss.warm" "$tmp/rss.end" 2>"$tmp/rss.lines")
number "${growth#-}" || failed "no growth figure"
cat "$tmp/rss.lines"
echo "${figure%\}}, \"rss_growth_pct\": $growth}"
echo "$held"
