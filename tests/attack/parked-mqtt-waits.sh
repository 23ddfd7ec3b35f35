#!/usr/bin/env bash
# tests/attack/parked-waits.sh for the MQTT compartment: a hostile
# application parks an mqtt_run and every subscribe a connection takes on
# each MQTT connection its quota allows, then floods MQTT, beside an
# honest one, in namespaces this test makes and removes itself
# (scripts/testnet.sh).  The image holds the stack (Firewall, TCPIP,
# NetAPI, DNS, TLS, MQTT) and the applications mqtt_wait_hostile and
# mqtt_wait_honest (tests/compartments/).  The honest one's broker is
# mosquitto over TLS; the hostile one's, tests/tools/tls_server.py
# answering CONNECT and nothing more, so that its subscribes wait.
#
# Checks that the hostile compartment reaches its quota of 7 connections
# and no further (-EDQUOT); that a run and 8 subscribes park on each, 63
# waits, and one more of either is refused with -EBUSY; that a 4 s flood
# of subscribes and runs on those connections (-EBUSY), runs on a
# made-up handle (-EPERM) and unsubscribes, which it may not call
# (-EPERM), is answered, every call as documented; that meanwhile the
# honest compartment makes 200 publish round trips through its broker,
# all correct, none slower than 1 s; that MQTT's resident memory grows
# by less than 2 MiB during the flood; and that when the hostile
# compartment is killed, its connections close (the broker sees them
# go), the Firewall's rules go back to the honest one's connection, and
# its successor gets the whole mqtt_connections quota again.
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
require_tools ss jq openssl mosquitto
log=$tmp/mqtt-waits.log
ev=$tmp/mqtt-waits.events
on_failure 'echo "---- sealnet (last 60 lines) ----"; tail -60 "$log"'

# The hostile compartment's mqtt_connections quota, and the calls it
# parks on each: a run and 8 subscribes.
QUOTA=7
PER_CONNECTION=9
# What MQTT's resident memory may grow by during the flood, in KiB.
RSS_BOUND_KB=2048
# The slowest honest round trip allowed, in us: a bound
# on correctness (nothing held back for good), not a speed target.
SLOWEST_US=1000000

cd "$tmp" || exit 1
# shellcheck source=../tls-certs.sh
. "$root/tests/tls-certs.sh"
pki=$tmp/pki
{ mkdir -p "$pki" && chmod 700 "$pki" && tls_ca "$pki" ca &&
	tls_cert "$pki" ca broker DNS:broker.test,DNS:mute.test; } || {
	fail "parked-mqtt-waits: cannot make the certificates"
	exit 1
}
testnet_up "$tmp" echo.test broker.test mute.test || {
	fail "parked-mqtt-waits: cannot build the test network"
	exit 1
}
testnet_spawn /usr/bin/python3 "$root/tests/tools/tls_server.py" \
	"$pki/broker.pem" "$pki/server.key" 8885 connack
cat >"$tmp/mosquitto.conf" <<EOC
user root
persistence false
log_dest file $tmp/mosquitto.log
per_listener_settings false
allow_anonymous true
listener 8883 10.0.0.1
cafile $pki/ca.pem
certfile $pki/broker.pem
keyfile $pki/server.key
EOC
testnet_spawn mosquitto -c "$tmp/mosquitto.conf"

"$SN_SEALNET" image build -o "$tmp/mqtt-waits.json" --trust-anchors "$pki/ca.pem" \
	"$build/compartments/firewall" "$build/compartments/tcpip" \
	"$build/compartments/netapi" "$build/compartments/dns" \
	"$build/compartments/tls" "$build/compartments/mqtt" \
	"$build/compartments/mqtt_wait_hostile" \
	"$build/compartments/mqtt_wait_honest" || {
	fail "parked-mqtt-waits: image build"
	finish
}
stack_start --netns "$TESTNET_DEV" mqtt-waits "$tmp/mqtt-waits.json" --tap tap0
has() { has_line "$log" "$1"; }
wait_for() { quietly wait_line "$log" "$1" "$2"; }
result() { lines "$log" "RESULT $1" | tail -1; }
check "all eight compartments become ready" \
	quietly wait_event "$ev" '.event=="all_ready" and .compartments==8' 10
check "the honest application has its MQTT connection" wait_for 'RESULT honest ready' 30
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
established() { # connections the mute broker has from the stack
	ip netns exec "$TESTNET_SRV" ss -Htn state established '( sport = :8885 )' | wc -l
}
idle_rules=1 # the honest application's connection
mqtt=$(newest_pid "$ev" MQTT)
tls=$(newest_pid "$ev" TLS)
say "before the attack: MQTT's memory $(rss_kb "$mqtt") KiB"

# ---- the hostile application parks its receives ----
testnet_spawn "$build/tools/echo_server" 7009 # the hostile one's go
hostile_go=${TESTNET_PIDS[-1]}
check "the hostile application begins its attack" wait_for 'RESULT hostile flooding' 60
any_failed && finish
mqtt_before=$(rss_kb "$mqtt")
lines "$log" 'RESULT hostile' | sed 's/^/  /'
say "with its calls parked: MQTT's memory ${mqtt_before:-?} KiB"
check "it holds $QUOTA connections, then its quota is used up" \
	has "RESULT hostile connections: $QUOTA, then Disk quota exceeded"
check "a run and 8 subscribes wait parked on each" \
	has "RESULT hostile parked: $((QUOTA * PER_CONNECTION)) calls, $((QUOTA * PER_CONNECTION)) still waiting"
check "one more run on each connection is refused with -EBUSY" \
	has "RESULT hostile one more run: $QUOTA of $QUOTA refused"
check "one more subscribe on each connection is refused with -EBUSY" \
	has "RESULT hostile one more subscribe: $QUOTA of $QUOTA refused"
check "the mute broker has its $QUOTA connections" \
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
check "all 200 honest publish round trips succeed" grep -q 'round trips: 200 of 200' <<<"$trips"
slowest=$(grep -oE 'slowest [0-9]+' <<<"$trips" | grep -oE '[0-9]+')
check "... none slower than $((SLOWEST_US / 1000)) ms (slowest: ${slowest:-?} us)" \
	test "${slowest:-$SLOWEST_US}" -lt $SLOWEST_US
flood=$(result 'hostile flood: [0-9]+ calls')
sent=$(grep -oE '[0-9]+ calls sent' <<<"$flood" | grep -oE '^[0-9]+')
check "the flood sent calls (${sent:-none})" test "${sent:-0}" -gt 0
check "... every one answered, as documented" \
	grep -qE "flood: $sent calls sent, $sent answered, 0 not as documented" <<<"$flood"
for pair in 'subscribe|Device or resource busy' 'run|Device or resource busy' \
	'forged|Operation not permitted' 'unsubscribe|Operation not permitted'; do
	kind=${pair%%|*} want=${pair#*|}
	check "... $kind: $want, $(result "hostile flood $kind:" | grep -oE '[0-9]+ of [0-9]+') times" \
		has "RESULT hostile flood $kind: ([1-9][0-9]*) of \\1 answered $want\$"
done
check "its calls are still parked after the flood" \
	has "RESULT hostile holds $((QUOTA * PER_CONNECTION)) parked calls"
mqtt_after=$(rss_kb "$mqtt")
say "after the flood: MQTT's memory ${mqtt_after:-?} KiB"
check "MQTT's memory grew by less than $RSS_BOUND_KB KiB during the flood" \
	test -n "$mqtt_after" -a -n "$mqtt_before" -a \
	"$((${mqtt_after:-0} - ${mqtt_before:-0}))" -lt $RSS_BOUND_KB
check "during the attack the Firewall holds a rule for each connection: $((QUOTA + idle_rules))" \
	wait_until 3 rules_are $((QUOTA + idle_rules))

# ---- the hostile application killed ----
kill "$hostile_go"
wait "$hostile_go" 2>/dev/null
hostile=$(newest_pid "$ev" mqtt_wait_hostile)
mark "$log"
kill -KILL "$hostile"
check "the hostile application dies" \
	quietly wait_event "$ev" ".event==\"died\" and .compartment==\"mqtt_wait_hostile\" and .pid==$hostile" 5
# TCPIP closes them, as sockets charged to the dead compartment's quota;
# that MQTT released its connections, the successor's quota shows.
check "... and its connections close: the mute broker sees them go" \
	wait_until 10 established_is 0
check "the Firewall's rules go back to $idle_rules, the honest application's connection" \
	wait_until 10 rules_are "$idle_rules"
check "MQTT is the same process, alive" sn_alive "$mqtt"
check "... and TLS" sn_alive "$tls"
testnet_spawn "$build/tools/echo_server" 7009 # the successor's go
check "its successor runs" wait_for 'RESULT hostile holds' 60
check "... gets the whole quota again" \
	has "RESULT hostile connections: $QUOTA, then Disk quota exceeded"
check "... and parks the same calls" \
	has "RESULT hostile parked: $((QUOTA * PER_CONNECTION)) calls, $((QUOTA * PER_CONNECTION)) still waiting"
check "no compartment but the killed one died" \
	no_event "$ev" '.event=="killed" or (.event=="died" and .compartment!="mqtt_wait_hostile" and (.cause!="exit" or .exit_status!=0))'
stack_stop mqtt-waits

finish
