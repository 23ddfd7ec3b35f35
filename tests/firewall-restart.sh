#!/usr/bin/env bash
# The Firewall killed while an application echoes through it and a server
# listens behind it, in namespaces this test makes and removes itself
# (scripts/testnet.sh).  The image holds the stack (Firewall, TCPIP,
# NetAPI, DNS), the application firewall_restart
# (tests/compartments/firewall_restart.c) and the demo's http_server.
#
# A new Firewall starts with no rules, and only NetAPI and its own SYN
# proxy may open holes: TCPIP starts again with it, so that nothing
# waits on a connection that can no longer pass.  Checks that the
# supervisor restarts the Firewall, and TCPIP after it, saying why; that
# the application's transfer fails with -ENOTRECOVERABLE within 1 s of
# the kill, not with a time-out; that it connects and echoes again; that
# the server answers again; and that NetAPI and DNS live on.
#
# SEALNET_BUILD=DIR runs it against another build (default: build/).
# Needs root.
set -uo pipefail
[ -n "${SEALNET_BUILD:-}" ] && SN_BUILD=$SEALNET_BUILD
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=netlib.sh
. "$SN_ROOT/tests/netlib.sh"
build=$SN_BUILD
net_begin fwr curl
# How long after the kill the application's error may come, in ms: a
# stack that only hung until its 5 s time-outs would take longer.
MAX_ERROR_MS=1000

net_up echo.test
testnet_spawn "$build/tools/echo_server" 7007
net_stack firewall_restart http_server
has() { has_line "$log" "$1"; }
check "the application echoes through the stack" \
	quietly wait_line "$log" 'RESULT firewall_restart echoing' 30
net_address
served() {
	ip netns exec "$TESTNET_SRV" curl -s -o /dev/null -m 2 \
		-w '%{http_code}' "http://$addr/" | grep -q '^200$'
}
check "the server answers before the kill" wait_until 10 served
any_failed && finish

sleep 0.5
fw_pid=$(newest_pid "$ev" Firewall)
tcpip_pid=$(newest_pid "$ev" TCPIP)
mark "$log"
killed_at=$(date +%s.%N)
kill -KILL "$fw_pid"
check "the Firewall (pid $fw_pid) dies of the SIGKILL" \
	quietly wait_event "$ev" ".event==\"died\" and .compartment==\"Firewall\" and
		.pid==$fw_pid and .cause==\"signal\" and .signal==9" 10
check "the supervisor restarts it, and it is ready again" \
	quietly wait_event "$ev" '.event=="ready" and .compartment=="Firewall" and
		.incarnation==2' 10
check "TCPIP starts again with it, saying why" \
	quietly wait_line "$log" 'TCPIP: the Firewall restarted without our connections. holes' 10
check "... the same TCPIP (pid $tcpip_pid) ends, and a new one is ready" \
	quietly wait_event "$ev" ".event==\"ready\" and .compartment==\"TCPIP\" and
		.incarnation==2 and .pid!=$tcpip_pid" 15
check "the application's transfer fails, not hangs" \
	quietly wait_line "$log" 'RESULT firewall_restart interrupted after [0-9]+ bytes' 15
error_line=$(lines "$log" 'RESULT firewall_restart interrupted' |
	grep -oE 'interrupted after .*')
say "$error_line"
check "... with -ENOTRECOVERABLE, the documented error for a dead compartment" \
	grep -qE ': -ENOTRECOVERABLE at [0-9]+\.[0-9]+$' <<<"$error_line"
error_at=$(grep -oE '[0-9]+\.[0-9]+$' <<<"$error_line")
error_ms=$(awk -v e="${error_at:-0}" -v k="$killed_at" \
	'BEGIN { printf "%.0f", (e - k) * 1000 }')
say "the error came $error_ms ms after the kill"
check "... within $MAX_ERROR_MS ms of the kill, after it" \
	test "$error_ms" -ge 0 -a "$error_ms" -le "$MAX_ERROR_MS"
check "the application connects and echoes again" \
	quietly wait_line "$log" 'RESULT firewall_restart echo again [0-9.]+ s after the error: ok' 45
say "$(lines "$log" 'RESULT firewall_restart echo again' | grep -oE 'echo again .*')"
check "the server answers again" wait_until 40 served
check "NetAPI and DNS live on" \
	no_event "$ev" '.event=="killed" or (.event=="died" and
		(.compartment=="NetAPI" or .compartment=="DNS"))'
stack_stop fwr
check "the supervisor stops cleanly" test $? -eq 0
finish
