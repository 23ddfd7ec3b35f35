#!/usr/bin/env bash
# A hostile application that parks a wait on every socket its quota
# allows, then floods TCPIP, beside an honest one, in namespaces this
# test makes and removes itself (scripts/testnet.sh).  The image holds
# the stack (Firewall, TCPIP, NetAPI, DNS) and the applications
# wait_hostile and wait_honest (tests/compartments/).
#
# Checks that the hostile compartment reaches its quota of 24 sockets
# and no further (-EDQUOT, for TCP and UDP alike); that an accept and a
# receive park on each, more of them than a caller may have calls in
# flight, and a second one on any slot is refused with -EBUSY while its
# other calls are still answered; that a 4 s flood of receives, accepts,
# sends, sockets past its quota and exports it may not call
# (tcpip_socket_connect, tcpip_address_get: -EPERM) is answered, every
# call as documented; that meanwhile the honest compartment makes 200
# echo round trips and 10 new connections, all correct, none slower
# than 1 s; that TCPIP's resident memory grows by less than 2 MiB; and
# that when the hostile compartment is killed, TCPIP closes every socket
# it held (the server sees them go), the Firewall's rules go back to
# their count before the attack, and its successor gets the whole quota
# again and parks the same calls; and that closing a listener with an
# accept parked on it answers the accept, and TCPIP lives on.
#
# SEALNET_BUILD=DIR runs it against another build (default: build/).
# Needs root.
set -uo pipefail
[ -n "${SEALNET_BUILD:-}" ] && SN_BUILD=$SEALNET_BUILD
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
root=$SN_ROOT
build=$SN_BUILD
tmp=$SN_TMP
# shellcheck source=../../scripts/testnet.sh
. "$root/scripts/testnet.sh"
at_cleanup testnet_down
require_root "namespaces, TAP"
require_tools ss jq
log=$tmp/waits.log
ev=$tmp/waits.events
on_failure 'echo "---- sealnet (last 60 lines) ----"; tail -60 "$log"'

# The hostile compartment's quota: a listener and 23 connections.
QUOTA=24
# What TCPIP's resident memory may grow by, in KiB, through the attack.
RSS_BOUND_KB=2048
# The slowest honest round trip or new connection allowed, in us: a
# bound on correctness (nothing held back for good), not a speed target.
SLOWEST_US=1000000

testnet_up "$tmp" echo.test sink.test || {
	fail "parked-waits: cannot build the test network"
	exit 1
}
testnet_spawn "$build/tools/echo_server" 7007
testnet_spawn "$build/tools/tcp_peer" sink 7020

"$SN_SEALNET" image build -o "$tmp/waits.json" \
	"$build/compartments/firewall" "$build/compartments/tcpip" \
	"$build/compartments/netapi" "$build/compartments/dns" \
	"$build/compartments/wait_hostile" "$build/compartments/wait_honest" || {
	fail "parked-waits: image build"
	finish
}
stack_start --netns "$TESTNET_DEV" waits "$tmp/waits.json" --tap tap0
has() { has_line "$log" "$1"; }
wait_for() { quietly wait_line "$log" "$1" "$2"; }
result() { lines "$log" "RESULT $1" | tail -1; }
check "all six compartments become ready" \
	quietly wait_event "$ev" '.event=="all_ready" and .compartments==6' 10
check "the honest application is connected" wait_for 'RESULT honest ready' 30
# Nothing below means anything without the stack.
any_failed && finish

# The Firewall's rule count as it last logged it (it logs the count when
# it changed, at most once a second): the newest line of the whole run.
rules() {
	(
		unmark "$log"
		lines "$log" '^Firewall: rules: [0-9]+$' | tail -1 | grep -oE '[0-9]+$'
	)
}
# Each read again at every poll of wait_until.
rules_are() { test "$(rules)" = "$1"; }
established_is() { test "$(established)" -eq "$1"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null; }
established() { # connections the sink has from the stack
	ip netns exec "$TESTNET_SRV" ss -Htn state established '( sport = :7020 )' | wc -l
}
# Without the hostile application's connections, the Firewall holds one
# rule: the honest one's connection.  (The count seen now may also hold a
# connect to a go port, refused and gone a moment later.)
idle_rules=1
tcpip=$(newest_pid "$ev" TCPIP)
rss_before=$(rss_kb "$tcpip")
say "before the attack: TCPIP's memory ${rss_before:-?} KiB"

# ---- the hostile application parks its waits ----
testnet_spawn "$build/tools/echo_server" 7009 # the hostile one's go
hostile_go=${TESTNET_PIDS[-1]}
check "the hostile application begins its attack" wait_for 'RESULT hostile flooding' 40
any_failed && finish
lines "$log" 'RESULT hostile' | sed 's/^/  /'
check "it holds a listener and 23 connections, then its quota is used up" \
	has "RESULT hostile sockets: a listener and $((QUOTA - 1)) connections, then Disk quota exceeded"
check "an accept and a receive on each connection wait parked" \
	has "RESULT hostile parked: $QUOTA calls, $QUOTA still waiting"
check "a second accept on the listener is refused with -EBUSY" \
	has 'RESULT hostile second accept: Device or resource busy'
check "a second receive on each connection is refused with -EBUSY" \
	has "RESULT hostile second receives: $((QUOTA - 1)) of $((QUOTA - 1)) refused"
check "a connect and a UDP socket past the quota are refused with -EDQUOT" \
	has 'RESULT hostile past the quota: connect Disk quota exceeded, udp Disk quota exceeded'
check "with $QUOTA calls parked, more than it may have in flight, its sends are still answered" \
	has "RESULT hostile sends while $QUOTA calls are parked: $((QUOTA - 1)) of $((QUOTA - 1)) taken"
check "the sink has its $((QUOTA - 1)) connections" \
	wait_until 5 established_is $((QUOTA - 1))

# ---- the honest application, during the flood ----
testnet_spawn "$build/tools/echo_server" 7008 # the honest one's go
check "the honest application ran" wait_for 'RESULT honest done' 30
check "the hostile flood ended" wait_for 'RESULT hostile holds' 30
lines "$log" 'RESULT (honest|hostile (flood|holds))' | sed 's/^/  /'
check "the honest application's round trips began while the hostile one flooded" \
	test -n "$(between "$log" 'RESULT hostile flooding' 'RESULT hostile flood:' |
		grep -a 'RESULT honest begins')"
trips=$(result 'honest round trips')
check "all 200 honest echo round trips succeed" grep -q 'round trips: 200 of 200' <<<"$trips"
slowest=$(grep -oE 'slowest [0-9]+' <<<"$trips" | grep -oE '[0-9]+')
check "... none slower than $((SLOWEST_US / 1000)) ms (slowest: ${slowest:-?} us)" \
	test "${slowest:-$SLOWEST_US}" -lt $SLOWEST_US
fresh=$(result 'honest new connections')
check "all 10 honest new connections echo" grep -q 'connections: 10 of 10' <<<"$fresh"
slowest=$(grep -oE 'slowest [0-9]+' <<<"$fresh" | grep -oE '[0-9]+')
check "... none slower than $((SLOWEST_US / 1000)) ms (slowest: ${slowest:-?} us)" \
	test "${slowest:-$SLOWEST_US}" -lt $SLOWEST_US
flood=$(result 'hostile flood: [0-9]+ calls')
sent=$(grep -oE '[0-9]+ calls sent' <<<"$flood" | grep -oE '^[0-9]+')
check "the flood sent calls (${sent:-none})" test "${sent:-0}" -gt 0
check "... every one answered, as documented" \
	grep -qE "flood: $sent calls sent, $sent answered, 0 not as documented" <<<"$flood"
for pair in 'receive|Device or resource busy' 'accept|Device or resource busy' \
	'udp|Disk quota exceeded' \
	'tcpip_socket_connect|Operation not permitted' \
	'tcpip_address_get|Operation not permitted'; do
	kind=${pair%%|*} want=${pair#*|}
	check "... $kind: $want, $(result "hostile flood $kind:" | grep -oE '[0-9]+ of [0-9]+') times" \
		has "RESULT hostile flood $kind: ([1-9][0-9]*) of \\1 answered $want\$"
done
check "its waits are still parked after the flood" has "RESULT hostile holds $QUOTA parked calls"
rss_after=$(rss_kb "$tcpip")
say "TCPIP's memory after the flood: ${rss_after:-?} KiB (${rss_before:-?} before)"
check "TCPIP's memory grew by less than $RSS_BOUND_KB KiB" \
	test -n "$rss_after" -a -n "$rss_before" -a \
	"$((${rss_after:-0} - ${rss_before:-0}))" -lt $RSS_BOUND_KB
check "during the attack the Firewall holds a rule for each connection: $QUOTA" \
	wait_until 3 rules_are $QUOTA

# ---- the hostile application killed ----
# Its successor must wait for the go port until the checks below are done.
kill "$hostile_go"
wait "$hostile_go" 2>/dev/null
hostile=$(newest_pid "$ev" wait_hostile)
mark "$log"
kill -KILL "$hostile"
check "the hostile application dies" \
	quietly wait_event "$ev" ".event==\"died\" and .compartment==\"wait_hostile\" and .pid==$hostile" 5
check "... and TCPIP closes every socket it held: the sink sees them go" \
	wait_until 5 established_is 0
check "the Firewall's rules go back to $idle_rules, the honest application's connection" \
	wait_until 10 rules_are "$idle_rules"
say "the Firewall's rules afterwards: $(rules)"
check "TCPIP is the same process, alive" sn_alive "$tcpip"
testnet_spawn "$build/tools/echo_server" 7009 # the successor's go
check "its successor runs" wait_for 'RESULT hostile holds' 40
check "... gets the whole quota again" \
	has "RESULT hostile sockets: a listener and $((QUOTA - 1)) connections, then Disk quota exceeded"
check "... and parks the same calls" \
	has "RESULT hostile parked: $QUOTA calls, $QUOTA still waiting"
check "... and closes its listener, TCPIP alive: the parked accept is answered -ENOTCONN" \
	has 'RESULT hostile closes its listener: ok; its parked accept got Transport endpoint is not connected;'
check "... TCPIP is still the same process" sn_alive "$tcpip"
# Not checked: NetAPI withdraws a server port from the Firewall only when
# its owner dies, so listening again on it is refused until then.
say "$(result 'hostile closes its listener' | grep -oE 'listening again: .*')"
check "no compartment but the killed one died" \
	no_event "$ev" '.event=="killed" or (.event=="died" and .compartment!="wait_hostile" and (.cause!="exit" or .exit_status!=0))'
stack_stop waits

finish
