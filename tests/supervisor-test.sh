#!/usr/bin/env bash
# Boots a test image under `sealnet run` and checks, from the supervisor's
# event stream (--events, read with jq) and from what the compartments
# print, that:
#  - a hostile compartment's every attempt is refused and counted, while a
#    well-behaved compartment's calls keep succeeding (with figures);
#  - a forbidden syscall kills the compartment and is named, and a crash
#    loop is bounded;
#  - SIGKILL and a real segfault lead to a restart, service continues, and
#    handles from before the restart are refused (kill-to-first-success
#    measured);
#  - SIGTERM leaves no process behind.
# Each check looks only at events and lines that came after the action it
# is about: both files are marked before acting (tests/lib.sh).
# Needs root: the sandbox uses namespaces and changes uid.
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
build=$SN_BUILD
log=$SN_TMP/sv.log
events=$SN_TMP/sv.events
on_failure 'echo "---- supervisor log ----"; cat "$log"'
on_failure 'echo "---- events ----"; cat "$events"'

require_root "namespaces, uid change"

image=$SN_TMP/test.json
bins=()
for c in runtime_service app hostile netapi_refuser sneaky; do
	bins+=("$build/compartments/$c")
done
check "image builds from the test compartments" \
	"$SN_SEALNET" image build -o "$image" "${bins[@]}"

stack_start sv "$image"

if ready=$(wait_event "$events" '.event=="all_ready" and .compartments==5' 10); then
	pass "all five compartments become ready"
	echo "  start to all compartments ready:" \
		"$(jq -r '.ms * 10 | round / 10' <<<"$ready") ms"
else
	fail "all five compartments become ready"
fi

# ---- the forbidden syscalls ----
died_of() { # compartment, incarnation, syscall: the death names it
	quietly wait_event "$events" ".event==\"died\" and .compartment==\"$1\" and
		.incarnation==$2 and .cause==\"forbidden_syscall\" and
		.syscall==\"$3\"" 10
}
check "socket() kills sneaky and is named" died_of sneaky 1 socket
check "open() kills sneaky and is named" died_of sneaky 2 openat
check "the crash loop is bounded and reported" \
	quietly wait_event "$events" '.event=="crash_loop" and .compartment=="sneaky" and
		.restarts==2 and .limit==2' 10
check "the log names the syscall too" \
	has_line "$log" '^sealnet: sneaky \(incarnation 1\) killed for a forbidden syscall: socket'
check "no forbidden syscall ever returned" no_line "$log" 'STILL ALIVE'

# ---- the hostile compartment ----
check "the attack runs to its end" quietly wait_line "$log" '^hostile: attack over' 30
refused_all() { # every try of attack $1 refused
	local line
	line=$(lines "$log" "^hostile: ATTACK $1") || return 1
	echo "  $line"
	[[ $line =~ ([0-9]+)\ tries,\ ([0-9]+)\ refused ]] &&
		[ "${BASH_REMATCH[1]}" -eq "${BASH_REMATCH[2]}" ] &&
		[ "${BASH_REMATCH[1]}" -gt 0 ]
}
check "exports not imported are refused" refused_all 'export not imported'
check "forged handles are refused" refused_all 'forged handles'
check "capabilities not held are refused" refused_all 'capabilities not held'
check "a held handle still works (the check can say yes)" \
	has_line "$log" '^hostile: own handle: accepted'
check "a held capability reaches the handler" \
	has_line "$log" '^hostile: capability held: connect returned Network is unreachable'
check "the callee counted the refused imports" \
	has_line "$log" '^Runtime: refused runtime_null from hostile: not imported \(64 so far\)'
check "the callee counted the refused capabilities" \
	has_line "$log" '^NetAPI: refused network_socket_connect_tcp from hostile: presented a capability it does not hold \(32 so far\)'
check "the callee counted the forged handles" \
	has_line "$log" '^Runtime: refused a handle from hostile: not one it owns \(512 so far\)'
check "malformed messages are rejected and counted" \
	has_line "$log" '^Runtime: rejected message from hostile at byte [0-9]+: .*\(512 so far\)'
check "service to the attacker continues after malformed messages" \
	has_line "$log" '^hostile: ATTACK malformed messages: 1000 sent; echo afterwards: ok'
check "an oversized message is refused" \
	has_line "$log" '^hostile: ATTACK oversized message: send returned Message too long'
check "a flood is held back by a full ring, not by dropping" \
	has_line "$log" '^hostile: ATTACK flood: [0-9]+ requests sent in 3 s, [1-9][0-9]* refused by a full ring'
check "an impossible ring index cuts off the attacker only" \
	quietly wait_line "$log" '^Runtime: channel to hostile: peer broke the ring' 5

# The app's once-a-second reports before and while the attack ran.
between "$log" '^sealnet: started' '^hostile: attack begins' |
	grep '^app: last second:' | tail -1 | sed 's/^/  before the attack: /'
during=$(between "$log" '^hostile: attack begins' '^hostile: attack over' |
	grep '^app: last second:')
echo "$during" | sed 's/^/  during the attack: /'
ok_during() {
	[ -n "$during" ] || return 1
	! echo "$during" | grep -vq ' 0 failed' &&
		! echo "$during" | grep -qE ': [0-9]{1,2} calls ok'
}
check "the app's calls all succeed during the attack (100+ a second)" ok_during
check "no other compartment died during the attack" \
	no_event "$events" '.event=="died" and
		(.compartment=="Runtime" or .compartment=="app" or
		 .compartment=="NetAPI")'

# ---- crashes while calls run ----
# crash SIGNAL WHAT EXPECTED: sends SIGNAL to Runtime; its death must be by
# signal EXPECTED, after which it is ready again and the app's calls
# succeed again, all seen after the kill.  Both files stay marked at the
# kill, for the checks that follow.
crash() {
	local sig=$1 what=$2 expect=$3 pid t0 died ready line
	pid=$(newest_pid "$events" Runtime)
	mark "$events"
	mark "$log"
	t0=$(date +%s%N)
	kill -"$sig" "$pid"
	died=$(wait_event "$events" ".event==\"died\" and
		.compartment==\"Runtime\" and .pid==$pid" 10) || {
		echo "  Runtime (pid $pid) did not die of $what"
		return 1
	}
	[ "$(jq -r '.signal // empty' <<<"$died")" = "$expect" ] || {
		echo "  Runtime died otherwise: $(jq -r .why <<<"$died")"
		return 1
	}
	ready=$(wait_event "$events" '.event=="ready" and
		.compartment=="Runtime"' 10) || return 1
	line=$(wait_line "$log" '^app: runtime_echo ok again at unix_ns=' 10) ||
		return 1
	[[ $line =~ unix_ns=([0-9]+) ]] || return 1
	echo "  $what to Runtime (pid $pid): ready again" \
		"$(jq -n "($(jq .mono_ns <<<"$ready") - $(jq .mono_ns <<<"$died")) / 1e6 * 10 | round / 10") ms" \
		"after it died; first successful call" \
		"$(((BASH_REMATCH[1] - t0) / 1000000)) ms after the signal"
}
check "SIGKILL to Runtime: restarted, calls succeed again" crash KILL SIGKILL 9
check "calls in flight failed with the documented error" \
	has_line "$log" '^app: runtime_echo failed: State not recoverable'
check "a handle from before the restart is refused" \
	quietly wait_line "$log" '^app: handle from before the restart: refused \(-EPERM\)' 5
# A pid namespace's init ignores a SIGSEGV sent from outside; SIGUSR1
# makes the Runtime compartment fault for real.
check "a real segfault in Runtime: restarted, calls succeed again" \
	crash USR1 "a segfault (SIGUSR1)" 11
check "the segfault is reported as such" \
	has_line "$log" '^sealnet: Runtime \(incarnation [0-9]+\) killed by signal 11'

# ---- shutdown ----
pids=$(started_pids "$events")
mark "$events"
stack_stop sv
rc=$?
check "SIGTERM stops the supervisor cleanly (exit 0)" test "$rc" -eq 0
check "it says no compartment is left" \
	quietly wait_event "$events" '.event=="stopped"' 1
left=0
for p in $pids; do
	kill -0 "$p" 2>/dev/null && left=$((left + 1))
done
check "no compartment process is left behind" test "$left" -eq 0
finish
