#!/usr/bin/env bash
# Boots a test image under `sealnet run` and checks, from what the
# supervisor and the compartments print, that:
#  - a hostile compartment's every attempt is refused and counted, while a
#    well-behaved compartment's calls keep succeeding (with figures);
#  - a forbidden syscall kills the compartment and is named, and a crash
#    loop is bounded;
#  - SIGKILL and a real segfault lead to a restart, service continues, and
#    handles from before the restart are refused (kill-to-first-success
#    measured);
#  - SIGTERM leaves no process behind.
# Needs root: the sandbox uses namespaces and changes uid.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
tmp=$(mktemp -d)
log=$tmp/run.log
sv_pid=
failed=0

cleanup() {
	if [ -n "$sv_pid" ] && kill -0 "$sv_pid" 2>/dev/null; then
		kill -TERM "$sv_pid" 2>/dev/null
		sleep 1
		kill -KILL "$sv_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

pass() { echo "PASS $*"; }
fail() {
	echo "FAIL $*"
	failed=1
}
check() { # description, then a command that must succeed
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}
has() { grep -qE -- "$1" "$log"; }
# Waits up to $2 seconds for a line matching $1.
wait_for() {
	local end=$((SECONDS + $2))
	while [ $SECONDS -lt $end ]; do
		has "$1" && return 0
		sleep 0.05
	done
	return 1
}
latest_pid() { # the newest pid the supervisor started for compartment $1
	grep -oE "started $1 \(pid [0-9]+" "$log" | tail -1 | grep -oE '[0-9]+$'
}

if [ "$(id -u)" -ne 0 ]; then
	echo "FAIL supervisor-test: needs root (namespaces, uid change)"
	exit 1
fi

image=$tmp/test.json
bins=()
for c in runtime_service app hostile netapi_refuser sneaky; do
	bins+=("$build/compartments/$c")
done
check "image builds from the test compartments" \
	"$build/bin/sealnet" image build -o "$image" "${bins[@]}"

"$build/bin/sealnet" run "$image" >"$log" 2>&1 &
sv_pid=$!

check "all five compartments become ready" \
	wait_for 'all 5 compartments ready, [0-9.]+ ms after start' 10
ready_ms=$(grep -oE 'all 5 compartments ready, [0-9.]+ ms' "$log" |
	grep -oE '[0-9.]+ ms')
echo "  start to all compartments ready: $ready_ms"

# ---- the forbidden syscalls ----
check "socket() kills sneaky and is named" \
	wait_for 'sneaky \(incarnation 1\) killed for a forbidden syscall: socket' 10
check "open() kills sneaky and is named" \
	wait_for 'sneaky \(incarnation 2\) killed for a forbidden syscall: open' 10
check "the crash loop is bounded and reported" \
	wait_for 'sneaky: crash loop: 2 restarts in the last minute' 10
check "no forbidden syscall ever returned" bash -c "! grep -q 'STILL ALIVE' '$log'"

# ---- the hostile compartment ----
check "the attack runs to its end" wait_for 'hostile: attack over' 30
refused_all() { # every try of attack $1 refused
	local line
	line=$(grep -F "ATTACK $1" "$log") || return 1
	echo "  $line"
	[[ $line =~ ([0-9]+)\ tries,\ ([0-9]+)\ refused ]] &&
		[ "${BASH_REMATCH[1]}" -eq "${BASH_REMATCH[2]}" ] &&
		[ "${BASH_REMATCH[1]}" -gt 0 ]
}
check "exports not imported are refused" refused_all 'export not imported'
check "forged handles are refused" refused_all 'forged handles'
check "capabilities not held are refused" refused_all 'capabilities not held'
check "a held handle still works (the check can say yes)" \
	has 'hostile: own handle: accepted'
check "a held capability reaches the handler" \
	has 'capability held: connect returned Network is unreachable'
check "the callee counted the refused imports" \
	has 'Runtime: refused runtime_null from hostile: not imported \(64 so far\)'
check "the callee counted the refused capabilities" \
	has 'NetAPI: refused network_socket_connect_tcp from hostile: presented a capability it does not hold \(32 so far\)'
check "the callee counted the forged handles" \
	has 'Runtime: refused a handle from hostile: not one it owns \(512 so far\)'
check "malformed messages are rejected and counted" \
	has 'Runtime: rejected message from hostile at byte [0-9]+: .*\(512 so far\)'
check "service to the attacker continues after malformed messages" \
	has 'malformed messages: 1000 sent; echo afterwards: ok'
check "an oversized message is refused" \
	has 'oversized message: send returned Message too long'
check "a flood is held back by a full ring, not by dropping" \
	has 'ATTACK flood: [0-9]+ requests sent in 3 s, [1-9][0-9]* refused by a full ring'
check "an impossible ring index cuts off the attacker only" \
	wait_for 'Runtime: channel to hostile: peer broke the ring' 5

# The app's once-a-second reports before and while the attack ran.
sed -n '1,/hostile: attack begins/p' "$log" | grep 'app: last second:' |
	tail -1 | sed 's/^/  before the attack: /'
during=$(sed -n '/hostile: attack begins/,/hostile: attack over/p' "$log" |
	grep 'app: last second:')
echo "$during" | sed 's/^/  during the attack: /'
ok_during() {
	[ -n "$during" ] || return 1
	! echo "$during" | grep -vq ' 0 failed' &&
		! echo "$during" | grep -qE ': [0-9]{1,2} calls ok'
}
check "the app's calls all succeed during the attack (100+ a second)" ok_during
check "no other compartment died during the attack" \
	bash -c "! grep -qE '(Runtime|app|NetAPI) \(incarnation [0-9]+\) (killed|exited)' '$log'"

# ---- crashes while calls run ----
crash() { # signal name
	local sig=$1 pid before t0 line t1
	pid=$(latest_pid Runtime)
	before=$(grep -c 'runtime_echo ok again' "$log")
	t0=$(date +%s%N)
	kill -"$sig" "$pid"
	local end=$((SECONDS + 10))
	while [ $SECONDS -lt $end ]; do
		[ "$(grep -c 'runtime_echo ok again' "$log")" -gt "$before" ] && break
		sleep 0.02
	done
	line=$(grep 'runtime_echo ok again' "$log" | tail -1)
	[[ $line =~ unix_ns=([0-9]+) ]] || return 1
	t1=${BASH_REMATCH[1]}
	echo "  SIG$sig to Runtime (pid $pid): first successful call" \
		"$(((t1 - t0) / 1000000)) ms after the kill"
	has "Runtime \(incarnation [0-9]+\) killed by signal"
}
check "SIGKILL to Runtime: restarted, calls succeed again" crash KILL
check "calls in flight failed with the documented error" \
	has 'app: runtime_echo failed: State not recoverable'
check "a handle from before the restart is refused" \
	wait_for 'handle from before the restart: refused \(-EPERM\)' 5
# A pid namespace's init ignores a SIGSEGV sent from outside; SIGUSR1
# makes the Runtime compartment fault for real.
check "a real segfault in Runtime: restarted, calls succeed again" crash USR1
check "the segfault is reported as such" \
	has 'Runtime \(incarnation [0-9]+\) killed by signal 11'

# ---- shutdown ----
pids=$(grep -oE 'started [A-Za-z_]+ \(pid [0-9]+' "$log" | grep -oE '[0-9]+$')
kill -TERM "$sv_pid"
wait "$sv_pid"
rc=$?
sv_pid=
check "SIGTERM stops the supervisor cleanly (exit 0)" test "$rc" -eq 0
check "it says no compartment is left" has 'no compartment is left running'
left=0
for p in $pids; do
	kill -0 "$p" 2>/dev/null && left=$((left + 1))
done
check "no compartment process is left behind" test "$left" -eq 0

if [ "$failed" -ne 0 ]; then
	echo "---- supervisor log ----"
	cat "$log"
fi
exit "$failed"
