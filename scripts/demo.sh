#!/usr/bin/env bash
# The demo: audit the demo image, boot it under the supervisor, show the
# app's calls to Runtime, crash Runtime and show the restart, then stop.
# Run as root (the sandbox uses namespaces and per-compartment uids).
set -uo pipefail
build=${1:-build}
sealnet=$build/bin/sealnet
image=$build/images/demo.json
root=$(cd "$(dirname "$0")/.." && pwd)
log=$(mktemp)
sv_pid=
cleanup() {
	[ -n "$sv_pid" ] && kill -TERM "$sv_pid" 2>/dev/null && wait "$sv_pid"
	rm -f "$log"
}
trap cleanup EXIT
say() { printf '\ndemo: %s\n' "$*"; }
wait_for() { # pattern, seconds
	local end=$((SECONDS + $2))
	until grep -qE -- "$1" "$log"; do
		[ $SECONDS -ge $end ] && { say "gave up waiting for: $1"; exit 1; }
		sleep 0.05
	done
}

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root: compartments get namespaces and their own uids" >&2
	exit 1
fi

say "what the image allows, from the image alone (sealnet audit | jq):"
"$sealnet" audit "$image" | jq -c -L "$root/audit" 'include "network_stack";
	.compartments | to_entries[] | {compartment: .key, exports: .value.exports,
	  calls: [.value.imports[] | select(.kind == "call") | "\(.compartment).\(.export)"],
	  restart: .value.restart.policy}'

say "booting $image"
"$sealnet" run "$image" >"$log" 2>&1 &
sv_pid=$!
tail -n +1 -f "$log" --pid "$sv_pid" &
wait_for 'all [0-9]+ compartments ready' 10
wait_for 'app: last second' 5

pid=$(grep -oE 'started Runtime \(pid [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+$')
say "killing Runtime (pid $pid) with SIGKILL while app is calling it"
kill -KILL "$pid"
wait_for 'runtime_echo ok again' 10
wait_for 'handle from before the restart' 5
sleep 1.2

say "stopping with SIGTERM"
kill -TERM "$sv_pid"
wait "$sv_pid"
sv_pid=
sleep 0.2
say "done: Runtime crashed and came back; app kept its own state, lost no" \
	"call silently, and its old handle was refused"
