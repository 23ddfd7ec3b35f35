#!/usr/bin/env bash
# tests/attack/parked-waits.sh for the MQTT compartment: a hostile
# application parks an mqtt_run and every subscribe a connection takes on
# each MQTT connection its quota allows, then floods MQTT, beside an
# honest one, in namespaces this test makes and removes itself
# (scripts/testnet.sh).  The image holds the stack (Firewall, TCPIP,
# NetAPI, DNS, TLS, MQTT) and the applications mqtt_wait_hostile and
# mqtt_wait_honest (tests/compartments/).  The honest one's broker is
# mosquitto over TLS; the hostile one's, tests/tools/tls_server.py
# answering CONNECT and nothing more, so that its subscribes wait.  What
# the three parked-waits tests share is tests/attack/parked-waits-lib.sh.
#
# Checks that the hostile compartment reaches its quota of 7 connections
# and no further (-EDQUOT); that a run and 8 subscribes park on each, 63
# waits, and one more of either is refused with -EBUSY; that a 4 s flood
# of subscribes and runs on those connections (-EBUSY), runs on a
# made-up handle (-EPERM), unsubscribes, which it may not call (-EPERM),
# and QoS 0 publishes sent without waiting (taken, or -ENOBUFS once the
# connection's queue is full), is answered, every call as documented; that meanwhile the
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
# shellcheck source=parked-waits-lib.sh
. "$(dirname "$0")/parked-waits-lib.sh"
waits_begin mqtt-waits openssl mosquitto

# The hostile compartment's mqtt_connections quota, and the calls it
# parks on each: a run and 8 subscribes.
QUOTA=7
PER_CONNECTION=9
# The mute broker its connections go to: it sends CONNACK and nothing
# more.
SERVER_PORT=8885

waits_certificates broker DNS:broker.test,DNS:mute.test
waits_network echo.test broker.test mute.test
testnet_spawn /usr/bin/python3 "$root/tests/tools/tls_server.py" \
	"$pki/broker.pem" "$pki/server.key" $SERVER_PORT connack
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
waits_boot "the honest application has its MQTT connection" \
	--trust-anchors "$pki/ca.pem" -- tls mqtt mqtt_wait_hostile mqtt_wait_honest
mqtt=$(newest_pid "$ev" MQTT)
tls=$(newest_pid "$ev" TLS)
say "before the attack: MQTT's memory $(rss_kb "$mqtt") KiB"

# ---- the hostile application parks its calls ----
waits_hostile_begins 60
mqtt_before=$(rss_kb "$mqtt")
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
waits_honest_ran publish
waits_flood_answered 'subscribe|Device or resource busy' \
	'run|Device or resource busy' 'forged|Operation not permitted' \
	'unsubscribe|Operation not permitted' \
	'publish|ok or No buffer space available'
check "its calls are still parked after the flood" \
	has "RESULT hostile holds $((QUOTA * PER_CONNECTION)) parked calls"
mqtt_after=$(rss_kb "$mqtt")
say "after the flood: MQTT's memory ${mqtt_after:-?} KiB"
check "MQTT's memory grew by less than $RSS_BOUND_KB KiB during the flood" \
	rss_grew_less "$mqtt_before" "$mqtt_after"
check "during the attack the Firewall holds a rule for each connection: $((QUOTA + idle_rules))" \
	wait_until 3 rules_are $((QUOTA + idle_rules))

# ---- the hostile application killed ----
# TCPIP closes them, as sockets charged to the dead compartment's quota;
# that MQTT released its connections, the successor's quota shows.
waits_kill_hostile mqtt_wait_hostile \
	"... and its connections close: the mute broker sees them go" 10
check "MQTT is the same process, alive" sn_alive "$mqtt"
check "... and TLS" sn_alive "$tls"
waits_successor_runs 60
check "... gets the whole quota again" \
	has "RESULT hostile connections: $QUOTA, then Disk quota exceeded"
check "... and parks the same calls" \
	has "RESULT hostile parked: $((QUOTA * PER_CONNECTION)) calls, $((QUOTA * PER_CONNECTION)) still waiting"
waits_end mqtt_wait_hostile
