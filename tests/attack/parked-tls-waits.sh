#!/usr/bin/env bash
# tests/attack/parked-waits.sh for the TLS compartment: a hostile
# application parks a receive on every TLS session its quota allows,
# then floods TLS, beside an honest one, in namespaces this test makes
# and removes itself (scripts/testnet.sh).  The image holds the stack
# (Firewall, TCPIP, NetAPI, DNS, TLS) and the applications
# tls_wait_hostile and tls_wait_honest (tests/compartments/); the
# servers are tests/tools/tls_server.py, with certificates made here.
#
# Checks that the hostile compartment reaches its quota of 20 sessions
# and no further (-EDQUOT); that a receive parks on each, more than a
# caller may have calls in flight, and a second is refused with -EBUSY
# while its sends are still answered; that a 4 s flood of receives on
# those sessions (-EBUSY), on a made-up handle (-EPERM) and of the TLS
# exporter it may not call (-EPERM) is answered, every call as
# documented; that meanwhile the honest compartment makes 200 round
# trips through a TLS echo server and 5 new sessions, all correct, none
# slower than 1 s; that TLS's and TCPIP's resident memory grow by less
# than 2 MiB during the flood; and that when the hostile compartment is
# killed, its connections close (the server sees them go), the
# Firewall's rules go back to the honest one's connection, and its
# successor gets the whole tls_sessions quota again: TLS released every
# session it held.
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
require_tools ss jq openssl
log=$tmp/tls-waits.log
ev=$tmp/tls-waits.events
on_failure 'echo "---- sealnet (last 60 lines) ----"; tail -60 "$log"'

# The hostile compartment's tls_sessions quota.
QUOTA=20
# What TLS's and TCPIP's resident memory may grow by during the flood,
# in KiB.
RSS_BOUND_KB=2048
# The slowest honest round trip or new session allowed, in us: a bound
# on correctness (nothing held back for good), not a speed target.
SLOWEST_US=1000000

cd "$tmp" || exit 1
# shellcheck source=../tls-certs.sh
. "$root/tests/tls-certs.sh"
pki=$tmp/pki
{ mkdir -p "$pki" && chmod 700 "$pki" && tls_ca "$pki" ca &&
	tls_cert "$pki" ca sink DNS:sink.test && tls_cert "$pki" ca echo DNS:echo.test; } || {
	fail "parked-tls-waits: cannot make the certificates"
	exit 1
}
testnet_up "$tmp" echo.test sink.test || {
	fail "parked-tls-waits: cannot build the test network"
	exit 1
}
testnet_spawn /usr/bin/python3 "$root/tests/tools/tls_server.py" \
	"$pki/sink.pem" "$pki/server.key" 4440 sink
testnet_spawn /usr/bin/python3 "$root/tests/tools/tls_server.py" \
	"$pki/echo.pem" "$pki/server.key" 4441 echo

"$SN_SEALNET" image build -o "$tmp/tls-waits.json" --trust-anchors "$pki/ca.pem" \
	"$build/compartments/firewall" "$build/compartments/tcpip" \
	"$build/compartments/netapi" "$build/compartments/dns" \
	"$build/compartments/tls" "$build/compartments/tls_wait_hostile" \
	"$build/compartments/tls_wait_honest" || {
	fail "parked-tls-waits: image build"
	finish
}
stack_start --netns "$TESTNET_DEV" tls-waits "$tmp/tls-waits.json" --tap tap0
has() { has_line "$log" "$1"; }
wait_for() { quietly wait_line "$log" "$1" "$2"; }
result() { lines "$log" "RESULT $1" | tail -1; }
check "all seven compartments become ready" \
	quietly wait_event "$ev" '.event=="all_ready" and .compartments==7' 10
check "the honest application has its TLS session" wait_for 'RESULT honest ready' 30
any_failed && finish

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
	ip netns exec "$TESTNET_SRV" ss -Htn state established '( sport = :4440 )' | wc -l
}
idle_rules=1 # the honest application's connection
tls=$(newest_pid "$ev" TLS)
tcpip=$(newest_pid "$ev" TCPIP)
say "before the attack: TLS's memory $(rss_kb "$tls") KiB, TCPIP's $(rss_kb "$tcpip") KiB"

# ---- the hostile application parks its receives ----
testnet_spawn "$build/tools/echo_server" 7009 # the hostile one's go
hostile_go=${TESTNET_PIDS[-1]}
check "the hostile application begins its attack" wait_for 'RESULT hostile flooding' 60
any_failed && finish
tls_before=$(rss_kb "$tls")
tcpip_before=$(rss_kb "$tcpip")
lines "$log" 'RESULT hostile' | sed 's/^/  /'
say "with its sessions parked: TLS's memory ${tls_before:-?} KiB, TCPIP's ${tcpip_before:-?} KiB"
check "it holds $QUOTA sessions, then its quota is used up" \
	has "RESULT hostile sessions: $QUOTA, then Disk quota exceeded"
check "a receive waits parked on each" \
	has "RESULT hostile parked: $QUOTA receives, $QUOTA still waiting"
check "a second receive on each session is refused with -EBUSY" \
	has "RESULT hostile second receives: $QUOTA of $QUOTA refused"
check "with $QUOTA receives parked, more than it may have in flight, its sends are still answered" \
	has "RESULT hostile sends while $QUOTA receives are parked: $QUOTA of $QUOTA taken"
check "the server has its $QUOTA connections" \
	wait_until 5 established_is $QUOTA

# ---- the honest application, during the flood ----
testnet_spawn "$build/tools/echo_server" 7008 # the honest one's go
check "the honest application ran" wait_for 'RESULT honest done' 30
check "the hostile flood ended" wait_for 'RESULT hostile holds' 30
lines "$log" 'RESULT (honest|hostile (flood|holds))' | sed 's/^/  /'
check "the honest application's round trips began while the hostile one flooded" \
	test -n "$(between "$log" 'RESULT hostile flooding' 'RESULT hostile flood:' |
		grep -a 'RESULT honest begins')"
trips=$(result 'honest round trips')
check "all 200 honest TLS round trips succeed" grep -q 'round trips: 200 of 200' <<<"$trips"
slowest=$(grep -oE 'slowest [0-9]+' <<<"$trips" | grep -oE '[0-9]+')
check "... none slower than $((SLOWEST_US / 1000)) ms (slowest: ${slowest:-?} us)" \
	test "${slowest:-$SLOWEST_US}" -lt $SLOWEST_US
fresh=$(result 'honest new sessions')
check "all 5 honest new sessions echo" grep -q 'sessions: 5 of 5' <<<"$fresh"
slowest=$(grep -oE 'slowest [0-9]+' <<<"$fresh" | grep -oE '[0-9]+')
check "... none slower than $((SLOWEST_US / 1000)) ms (slowest: ${slowest:-?} us)" \
	test "${slowest:-$SLOWEST_US}" -lt $SLOWEST_US
flood=$(result 'hostile flood: [0-9]+ calls')
sent=$(grep -oE '[0-9]+ calls sent' <<<"$flood" | grep -oE '^[0-9]+')
check "the flood sent calls (${sent:-none})" test "${sent:-0}" -gt 0
check "... every one answered, as documented" \
	grep -qE "flood: $sent calls sent, $sent answered, 0 not as documented" <<<"$flood"
for pair in 'receive|Device or resource busy' 'forged|Operation not permitted' \
	'tls_connection_keying_material|Operation not permitted'; do
	kind=${pair%%|*} want=${pair#*|}
	check "... $kind: $want, $(result "hostile flood $kind:" | grep -oE '[0-9]+ of [0-9]+') times" \
		has "RESULT hostile flood $kind: ([1-9][0-9]*) of \\1 answered $want\$"
done
check "its receives are still parked after the flood" has "RESULT hostile holds $QUOTA parked receives"
tls_after=$(rss_kb "$tls")
tcpip_after=$(rss_kb "$tcpip")
say "after the flood: TLS's memory ${tls_after:-?} KiB, TCPIP's ${tcpip_after:-?} KiB"
check "TLS's memory grew by less than $RSS_BOUND_KB KiB during the flood" \
	test -n "$tls_after" -a -n "$tls_before" -a \
	"$((${tls_after:-0} - ${tls_before:-0}))" -lt $RSS_BOUND_KB
check "... and TCPIP's" \
	test -n "$tcpip_after" -a -n "$tcpip_before" -a \
	"$((${tcpip_after:-0} - ${tcpip_before:-0}))" -lt $RSS_BOUND_KB
check "during the attack the Firewall holds a rule for each connection: $((QUOTA + idle_rules))" \
	wait_until 3 rules_are $((QUOTA + idle_rules))

# ---- the hostile application killed ----
kill "$hostile_go"
wait "$hostile_go" 2>/dev/null
hostile=$(newest_pid "$ev" tls_wait_hostile)
mark "$log"
kill -KILL "$hostile"
check "the hostile application dies" \
	quietly wait_event "$ev" ".event==\"died\" and .compartment==\"tls_wait_hostile\" and .pid==$hostile" 5
# TCPIP closes them, as sockets charged to the dead compartment's quota;
# that TLS released its sessions, the successor's quota shows.
check "... and its connections close: the server sees them go" \
	wait_until 10 established_is 0
check "the Firewall's rules go back to $idle_rules, the honest application's connection" \
	wait_until 10 rules_are "$idle_rules"
check "TLS is the same process, alive" sn_alive "$tls"
check "... and TCPIP" sn_alive "$tcpip"
testnet_spawn "$build/tools/echo_server" 7009 # the successor's go
check "its successor runs" wait_for 'RESULT hostile holds' 60
check "... gets the whole quota again" \
	has "RESULT hostile sessions: $QUOTA, then Disk quota exceeded"
check "... and parks the same receives" \
	has "RESULT hostile parked: $QUOTA receives, $QUOTA still waiting"
check "no compartment but the killed one died" \
	no_event "$ev" '.event=="killed" or (.event=="died" and .compartment!="tls_wait_hostile" and (.cause!="exit" or .exit_status!=0))'
stack_stop tls-waits

finish
