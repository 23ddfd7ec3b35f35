#!/usr/bin/env bash
# MQTT against mosquitto 2.0, in namespaces this test makes and removes:
#
#   srv: veth end "vs" 10.0.0.1/24, dnsmasq (answering test.mosquitto.org,
#        broker.test, secure.test and hostile.test with 10.0.0.1),
#        mosquitto with a TLS listener on 8883 whose certificate a CA
#        made here signs and a plain one on 1883 for the test's own
#        clients, a second mosquitto on 8884 asking for a client
#        certificate and a password, s_servers posing as brokers
#        (8885 to 8890) and one that is some other server (8891);
#        tcpdump on the wire
#   dev: the TAP device; sealnet runs here with a static address
#
# 1. examples/04.mqtt connects over TLS through the TLS and MQTT
#    compartments, subscribes, publishes at QoS 0, 1 and 2 and a retained
#    status, and must get its own messages back; a mosquitto_sub on the
#    network must see them arrive; the audit must show the capability.
# 2. tests/compartments/mqtt_test.c: publishes and subscriptions outside
#    its capability fail with -EPERM and the broker's log shows none of
#    them, one the broker's ACL refuses with -EPERM and reason 0x87;
#    tests/compartments/mqtt_will.c is killed and the broker publishes
#    its Will; a listener asking for a client certificate and a password
#    accepts the image's and no other; a TLS session made for another
#    server, handed to MQTT with the credentialed capability, is refused
#    (-EPERM) before CONNECT reaches that server; fake brokers' malformed or
#    unexpected packets and a fake broker gone silent end their
#    connections with the right code and rule and leave MQTT running;
#    mosquitto silenced (its packets dropped) is detected within 1.5
#    keep-alive intervals and heard again; then four streams of 1,000
#    QoS 1 and 1,000 QoS 2 publishes or more, during which the MQTT
#    compartment, TLS and TCPIP are killed, and the broker restarted
#    (with persistence): each time the broker's subscriber must count
#    none lost and no QoS 2 message twice.
# 3. tests/compartments/mqtt_hostile.c, an MQTT compartment that imports
#    every socket and TLS call: it can reach nothing but the session it
#    was handed, and a receive it parks there is answered as soon as
#    the session's owner exits.
#
# Needs root.
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
root=$SN_ROOT
build=$SN_BUILD
tmp=$SN_TMP
# shellcheck source=../scripts/testnet.sh
. "$root/scripts/testnet.sh"
at_cleanup testnet_down
require_root "namespaces, TAP"
require_tools mosquitto mosquitto_sub mosquitto_pub mosquitto_passwd openssl jq tcpdump nft
on_failure 'for f in "$tmp"/demo.log "$tmp"/test.log "$tmp"/hostile.log "$tmp"/demo.out; do
	[ -e "$f" ] && echo "---- $(basename "$f") ----" && tail -60 "$f"; done'
on_failure 'echo "---- mosquitto.log ----"; tail -40 "$tmp/mosquitto.log"'

# ---- certificates and credentials, made here ----
# shellcheck source=tls-certs.sh
. "$root/tests/tls-certs.sh"
pki=$tmp/pki
{ mkdir -p "$pki" && chmod 700 "$pki" && tls_ca "$pki" ca &&
	tls_cert "$pki" ca broker DNS:test.mosquitto.org,DNS:broker.test,DNS:secure.test,DNS:hostile.test &&
	tls_client "$pki" ca device "mqtt_test device"; } ||
	{ fail "mqtt-test: making certificates"; finish; }
password=pw-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf 'sensor\n%s\n' "$password" >"$tmp/sensor.cred"
printf 'sensor\nnot-%s\n' "$password" >"$tmp/intruder.cred"
mosquitto_passwd -c -b "$tmp/passwd" sensor "$password" ||
	{ fail "mqtt-test: making the password file"; finish; }

# ---- the network and the broker ----
testnet_up "$tmp" test.mosquitto.org broker.test secure.test hostile.test || {
	fail "mqtt-test: cannot build the test network"
	finish
}
# The broker's ACL refuses one subscription, sealnet/test/denied: with
# mosquitto's dynamic security plugin (its acl_file refuses no
# subscription, it only filters what is delivered).
dynsec=$(ls /usr/lib/*/mosquitto_dynamic_security.so 2>/dev/null | head -1)
[ -n "$dynsec" ] || {
	fail "mqtt-test: mosquitto's dynamic security plugin is missing"
	finish
}
cat >"$tmp/dynsec.json" <<EOJ
{
  "defaultACLAccess": {"publishClientSend": true, "publishClientReceive": true,
                       "subscribe": true, "unsubscribe": true},
  "clients": [],
  "groups": [{"groupname": "anonymous", "roles": [{"rolename": "acl"}], "clients": []}],
  "roles": [{"rolename": "acl", "acls": [{"acltype": "subscribeLiteral",
             "topic": "sealnet/test/denied", "priority": 0, "allow": false}]}],
  "anonymousGroup": "anonymous"
}
EOJ
cat >"$tmp/mosquitto.conf" <<EOC
user root
persistence true
persistence_location $tmp/
log_dest file $tmp/mosquitto.log
log_type all
per_listener_settings false
allow_anonymous true
plugin $dynsec
plugin_opt_config_file $tmp/dynsec.json
listener 8883 10.0.0.1
cafile $pki/ca.pem
certfile $pki/broker.pem
keyfile $pki/server.key
listener 1883 10.0.0.1
EOC
# The second broker asks for a client certificate and a password.
cat >"$tmp/secure.conf" <<EOC
user root
persistence false
log_dest file $tmp/secure.log
log_type all
per_listener_settings false
allow_anonymous false
password_file $tmp/passwd
listener 8884 10.0.0.1
cafile $pki/ca.pem
certfile $pki/broker.pem
keyfile $pki/server.key
require_certificate true
EOC
testnet_spawn mosquitto -c "$tmp/mosquitto.conf"
broker_pid=${TESTNET_PIDS[-1]}
testnet_spawn mosquitto -c "$tmp/secure.conf"
# Two brokers that are not: each answers a CONNACK (5.0, accepted), then
# one sends a PUBLISH whose Remaining Length takes five bytes, which no
# broker may send, and the other nothing more.  s_server writes what it
# receives to its standard output.
printf '\x20\x03\x00\x00\x00\x30\xff\xff\xff\xff\x7f' >"$tmp/garbage.bytes"
printf '\x20\x03\x00\x00\x00' >"$tmp/silent.bytes"
# Four more, each after the same CONNACK: a PUBLISH whose topic is the
# overlong (so invalid) UTF-8 C0 AF; a QoS 1 PUBLISH with packet
# identifier 0; a PUBLISH announcing 256 MiB; a PINGREQ.
printf '\x20\x03\x00\x00\x00\x30\x06\x00\x02\xc0\xaf\x00x' >"$tmp/badutf8.bytes"
printf '\x20\x03\x00\x00\x00\x32\x07\x00\x01a\x00\x00\x00x' >"$tmp/idzero.bytes"
printf '\x20\x03\x00\x00\x00\x30\xff\xff\xff\x7f' >"$tmp/oversized.bytes"
printf '\x20\x03\x00\x00\x00\xc0\x00' >"$tmp/pingreq.bytes"
hostile_brokers="garbage:8885 silent:8886 badutf8:8887 idzero:8888 oversized:8889 pingreq:8890"
for b in $hostile_brokers; do
	testnet_spawn bash -c "(cat '$tmp/${b%:*}.bytes'; sleep 100000) | exec openssl s_server \
		-accept ${b#*:} -naccept 1 -quiet -cert '$pki/broker.pem' \
		-key '$pki/server.key' >'$tmp/${b%:*}.out' 2>&1"
done
# A server that is not a broker, which mqtt_test may reach over TLS: it
# sends nothing, and writes what it receives, decrypted, down.
testnet_spawn bash -c "sleep 100000 | exec openssl s_server -accept 8891 \
	-naccept 1 -quiet -cert '$pki/broker.pem' -key '$pki/server.key' \
	>'$tmp/elsewhere.out' 2>&1"
check "the broker is up" wait_until 5 ip netns exec "$TESTNET_SRV" \
	mosquitto_sub -h 10.0.0.1 -p 1883 -t probe -W 1 -E
# What reaches the broker, as clients on the network see it: under
# sealnet/, and everything.
testnet_spawn mosquitto_sub -h 10.0.0.1 -p 1883 -V mqttv5 -q 2 -v \
	-t 'sealnet/#' >"$tmp/sub.log" 2>&1
testnet_spawn mosquitto_sub -h 10.0.0.1 -p 1883 -V mqttv5 -q 2 -v \
	-t '#' -t '$SYS/x' >"$tmp/all.log" 2>&1
# The streams' counter keeps its session (and what the broker holds for
# it) across the broker's restart, and connects again by itself.
testnet_spawn mosquitto_sub -h 10.0.0.1 -p 1883 -V mqttv311 -q 2 -v \
	-c -i sealnet-stream-counter -t 'sealnet/test/+/+' >"$tmp/streams.log" 2>&1
testnet_spawn tcpdump -i vs -n -U --immediate-mode -s 0 -w "$tmp/wire.pcap" 2>/dev/null
# Both subscribers are in place once a message published on the
# network reaches both.
probe() {
	ip netns exec "$TESTNET_SRV" mosquitto_pub -h 10.0.0.1 -p 1883 \
		-t sealnet/probe -m probe 2>/dev/null
	ip netns exec "$TESTNET_SRV" mosquitto_pub -h 10.0.0.1 -p 1883 \
		-t sealnet/test/probe/q0 -m probe 2>/dev/null
	grep -q '^sealnet/probe probe$' "$tmp/sub.log" &&
		grep -q '^sealnet/probe probe$' "$tmp/all.log" &&
		grep -q '^sealnet/test/probe/q0 probe$' "$tmp/streams.log"
}
check "the broker has its three subscribers" wait_until 10 probe
stack=("$build/compartments/firewall" "$build/compartments/tcpip"
	"$build/compartments/netapi" "$build/compartments/dns"
	"$build/compartments/tls")
image() { # OUT [OPTION...] BINARY...
	local out=$1
	shift
	"$SN_SEALNET" image build -o "$out" \
		--ipv4 10.0.0.75/24 --gateway 10.0.0.1 --dns 10.0.0.1 \
		--trust-anchors "$pki/ca.pem" "$@" "${stack[@]}"
}
audit() { # IMAGE QUERY
	"$SN_SEALNET" audit "$1" | jq -c -L "$root/audit" "include \"network_stack\"; $2"
}

# ---- 1. examples/04.mqtt ----
image "$tmp/demo.json" "$build/compartments/mqtt" \
	"$build/compartments/mqtt_demo" || fail "mqtt-test: image build"
expect "the audit shows the MQTT capability: broker, transport, topics" \
	'[{"owner":"mqtt_demo","host":"test.mosquitto.org","port":8883,"version":"5.0","transport":"tls","credentials":null,"publish":["sealnet/demo/#"],"subscribe":["sealnet/demo/#"]}]' \
	"$(audit "$tmp/demo.json" all_mqtt_capabilities)"
expect "MQTT holds no capability and calls only send, receive, close and (TLS) whose session it is on what it is handed" \
	'TCPIP:network_socket_close TCPIP:network_socket_receive TCPIP:network_socket_send TLS:tls_connection_close TLS:tls_connection_peer TLS:tls_connection_receive TLS:tls_connection_send' \
	"$(audit "$tmp/demo.json" '.compartments.MQTT.imports[] | if .kind == "call" then "\(.compartment):\(.export)" else .kind end' |
		tr -d '"' | sort | tr '\n' ' ' | sed 's/ $//')"
expect "the image with MQTT has the stack's intended shape" true \
	"$(audit "$tmp/demo.json" valid)"

stack_start --netns "$TESTNET_DEV" --stdout "$tmp/demo.out" demo "$tmp/demo.json" --tap tap0
log=$tmp/demo.log
ev=$tmp/demo.events
check "all seven compartments become ready" \
	quietly wait_event "$ev" '.event=="all_ready" and .compartments==7' 10
check "04.mqtt connects over TLS and subscribes" \
	quietly wait_line "$log" '^mqtt_demo: connected as [a-z0-9]+, subscribed' 30
check "04.mqtt gets all nine of its messages back" \
	quietly wait_line "$log" '^mqtt_demo: all 9 of our messages came back' 30
check "04.mqtt exits 0 after disconnecting" \
	quietly wait_event "$ev" '.event=="died" and .compartment=="mqtt_demo" and .cause=="exit" and .exit_status==0' 10
id=$(lines "$log" '^mqtt_demo: connected as' | sed -E 's/.*connected as ([a-z0-9]+),.*/\1/' | head -1)
printed=0
for i in 1 2 3 4 5 6 7 8 9; do
	has_line "$tmp/demo.out" "^mqtt_demo: mqtt: received sealnet/demo/$id hello $i\$" &&
		printed=$((printed + 1))
done
expect "04.mqtt printed each of hello 1..9 as received" 9 "$printed"
check "... and the retained status with them" \
	has_line "$tmp/demo.out" "^mqtt_demo: mqtt: received sealnet/demo/status $id online\$"
expect "the broker's subscriber saw hello 1..9 arrive, once each" 9 \
	"$(grep -E "^sealnet/demo/$id hello [1-9]\$" "$tmp/sub.log" | sort -u | wc -l)"
check "the broker received them at QoS 0, 1 and 2" test \
	"$(grep -cE "Received PUBLISH from $id \(d0, q0, r0, m0, 'sealnet/demo/$id'" "$tmp/mosquitto.log")" -eq 3 -a \
	"$(grep -cE "Received PUBLISH from $id \(d0, q1, r0, m[0-9]+, 'sealnet/demo/$id'" "$tmp/mosquitto.log")" -eq 3 -a \
	"$(grep -cE "Received PUBLISH from $id \(d0, q2, r0, m[0-9]+, 'sealnet/demo/$id'" "$tmp/mosquitto.log")" -eq 3
check "the retained status reached the broker" \
	has_line "$tmp/sub.log" "^sealnet/demo/status $id online\$"
check "a new subscriber is given the retained status" \
	test "$(ip netns exec "$TESTNET_SRV" mosquitto_sub -h 10.0.0.1 -p 1883 \
		-t sealnet/demo/status -C 1 -W 5)" = "$id online"
check "04.mqtt disconnected cleanly: the broker got its DISCONNECT" \
	has_line "$tmp/mosquitto.log" "Received DISCONNECT from $id\$"
tls_bytes=$(/usr/bin/python3 - "$tmp/wire.pcap" "$id" <<'EOPY'
import sys
data = open(sys.argv[1], "rb").read()
print(data.count(b"hello 1"), data.count(sys.argv[2].encode()))
EOPY
)
expect "on the wire to 8883 neither a message nor the client id is in the clear" "0 0" "$tls_bytes"
check "no compartment died but 04.mqtt, by exiting" \
	no_event "$ev" '.event=="killed" or (.event=="died" and .compartment!="mqtt_demo")'
stack_stop demo

# ---- 2. outside the capability; a Will; streams under restarts ----
image "$tmp/test.json" --identity "device=$pki/device.pem,$pki/device.key" \
	--mqtt-credentials "sensor=$tmp/sensor.cred" \
	--mqtt-credentials "intruder=$tmp/intruder.cred" \
	"$build/compartments/mqtt" "$build/compartments/mqtt_test" \
	"$build/compartments/mqtt_will" || fail "mqtt-test: image build (test)"
expect "the audit names the plaintext broker, and its level" \
	'plain:plaintext:3.1.1' \
	"$(audit "$tmp/test.json" 'all_mqtt_capabilities[] | select(.transport != "tls") | "\(.port | tostring | sub("1883"; "plain")):\(.transport):\(.version)"' | tr -d '"')"
expect "violations names the plaintext broker, and who may reach it" \
	'["mqtt_test may reach the MQTT broker broker.test:1883 in plaintext: its messages cross the network unencrypted"]' \
	"$(audit "$tmp/test.json" '[violations[] | select(test("MQTT"))]')"
expect "who may publish to sealnet/test/a/b: mqtt_test, through its filter sealnet/test/#" \
	'[{"owner":"mqtt_test","host":"broker.test","port":8883,"transport":"tls","filter":"sealnet/test/#"}]' \
	"$(audit "$tmp/test.json" 'mqtt_publishers("sealnet/test/a/b")')"
expect "who may publish to the Will's topics: mqtt_will alone" \
	'["mqtt_will"]' \
	"$(audit "$tmp/test.json" '[mqtt_publishers("sealnet/will/#")[].owner] | unique')"
expect "who may subscribe to sealnet/test/a: mqtt_test, through sealnet/test/+" \
	'["mqtt_test:sealnet/test/+"]' \
	"$(audit "$tmp/test.json" '[mqtt_subscribers("sealnet/test/a")[] | "\(.owner):\(.filter)"]')"
expect "... and to sealnet/test/a/b or sealnet/test/#: nobody" '[[],[]]' \
	"$(audit "$tmp/test.json" '[mqtt_subscribers("sealnet/test/a/b"), mqtt_subscribers("sealnet/test/#")]')"
expect "the audit names the credentials each capability uses, by name" \
	"badutf8:null broker:null garbage:null idzero:null no_certificate:sensor oversized:null pingreq:null plain:null secure:sensor silent:null wrong_password:intruder" \
	"$(audit "$tmp/test.json" '.compartments.mqtt_test.imports[] | select(.mqtt) | "\(.name):\(.mqtt.credentials)"' |
		tr -d '"' | sort | tr '\n' ' ' | sed 's/ $//')"
expect "... and the files by path and SHA-256" \
	"intruder:$(sha256sum <"$tmp/intruder.cred" | cut -d' ' -f1) sensor:$(sha256sum <"$tmp/sensor.cred" | cut -d' ' -f1)" \
	"$(audit "$tmp/test.json" 'mqtt_credentials[] | "\(.name):\(.sha256)"' | tr -d '"' | sort | tr '\n' ' ' | sed 's/ $//')"
check "the password is in neither the image nor the audit" \
	not grep -q -e "$password" "$tmp/test.json" <("$SN_SEALNET" audit "$tmp/test.json")
mark "$tmp/mosquitto.log"
mark "$tmp/all.log"
stack_start --netns "$TESTNET_DEV" test "$tmp/test.json" --tap tap0
log=$tmp/test.log
ev=$tmp/test.events
has() { has_line "$log" "$1"; }
check "mqtt_test connects" quietly wait_line "$log" 'RESULT connect: ok' 30
# mqtt_will's Will goes out when its owner dies, not before.
check "mqtt_will connects, with a Will" quietly wait_line "$log" 'RESULT will: connected' 30
sleep 0.5
check "... which the broker has not published while it lives" \
	no_line "$tmp/sub.log" '^sealnet/will/'
will_pid=$(newest_pid "$ev" mqtt_will)
kill -KILL "$will_pid"
check "mqtt_will is killed" quietly wait_event "$ev" \
	".event==\"died\" and .compartment==\"mqtt_will\" and .pid==$will_pid" 5
check "... and the broker publishes its Will" \
	wait_until 10 has_line "$tmp/sub.log" '^sealnet/will/mqtt_will gone$'
# A figure, not a check: what the compartment holds with one connection.
echo "  MQTT's resident memory with one connection: $(awk '/^VmRSS/ {print $2, $3}' \
	"/proc/$(newest_pid "$ev" MQTT)/status" 2>/dev/null)"
scan=$(/usr/bin/python3 "$root/tests/tools/scan_memory.py" "$(newest_pid "$ev" MQTT)" "$password")
check "the password is in MQTT's memory (the scan sees it)" grep -qE "^$password [1-9]" <<<"$scan"
scan=$(/usr/bin/python3 "$root/tests/tools/scan_memory.py" "$(newest_pid "$ev" mqtt_test)" "$password")
check "... and nowhere in the application's" grep -qE "^$password 0$" <<<"$scan"
check "it tried what its capability does not allow" \
	quietly wait_line "$log" 'RESULT publish sealnet/test/marker' 20
lines "$log" 'RESULT (publish|subscribe)' | sed 's/^/  /'
for t in "sealnet/other at QoS 0" "sealnet/testing at QoS 1" '\$SYS/x at QoS 2'; do
	check "a publish to $t outside the capability: -EPERM" \
		has "RESULT publish $t: Operation not permitted"
done
for f in '#' 'sealnet/#' 'sealnet/test/#' '\+/test/\+'; do
	check "a subscription to $f, wider than sealnet/test/+: -EPERM" \
		has "RESULT subscribe $f: Operation not permitted"
done
check "the subscription the capability names is granted" \
	has 'RESULT subscribe sealnet/test/\+: ok'
check "a subscription within it that the broker's ACL refuses: -EPERM, with the broker's reason 0x87" \
	has 'RESULT subscribe sealnet/test/denied: Operation not permitted, reason 0x87'
check "... the broker's refusal: it received that SUBSCRIBE" \
	has_line "$tmp/mosquitto.log" ':[[:space:]]+sealnet/test/denied \(QoS 1\)$'
check "... and a publish within it is acknowledged" \
	has 'RESULT publish sealnet/test/marker at QoS 1: ok, acknowledged 1'
check "the broker got the marker (a subscriber on # saw it)" \
	wait_until 5 has_line "$tmp/all.log" '^sealnet/test/marker marker$'
# In order, once each: the payloads "1" to "500" one after another, all
# to the one topic, which after the first the broker knew by its alias.
burst_topic=sealnet/test/burst-of-five-hundred-to-a-topic-long-enough-that-its-alias-shows-on-the-wire-xx/q0
burst_seen() {
	[ "$(grep -E "^$burst_topic [0-9]+\$" "$tmp/all.log" | cut -d' ' -f2 | tr '\n' ' ')" = "$(seq -s ' ' 1 500) " ]
}
check "500 QoS 0 publishes in a row, sent ahead of their answers, are all taken" \
	quietly wait_line "$log" 'RESULT burst: 500 of 500 taken \(ok\), 0 refused after going ahead' 20
check "... and the broker's subscriber saw each of them once, in order, under the whole topic" \
	wait_until 10 burst_seen
# What the 500 took on the wire to the broker, TLS and all: the topic
# alone, sent with each, would be 500 times its length.  A topic alias
# sends it once; then each publish is a few bytes, whatever TLS adds.
# Bytes of TCP payload the capture saw go to the broker within the
# window mqtt_test logged as "RESULT NAME window: FROM TO".  The window
# ends with the broker's acknowledgement of a QoS 1 publish made after
# the series ("RESULT NAME end: acknowledged"), so all of it is inside.
bytes_in_window() { # NAME
	local from to
	read -r from to < <(lines "$log" "RESULT $1 window: " | awk '{ print $(NF - 1), $NF }')
	tcpdump -tt -r "$tmp/wire.pcap" -n 'dst host 10.0.0.1 and dst port 8883' 2>/dev/null |
		awk -v a="${from:-0}" -v b="${to:-0}" '$1 >= a && $1 <= b {
			for (i = 1; i < NF; i++) if ($i == "length") s += $(i + 1) } END { print s + 0 }'
}
check "... then a QoS 1 publish after them is acknowledged: all of them reached the broker within the window" \
	has 'RESULT burst end: acknowledged$'
burst_bytes=$(bytes_in_window burst)
check "... in $burst_bytes bytes to the broker, less than the ${#burst_topic} x 500 its topic alone would take" \
	test "$burst_bytes" -gt 0 -a "$burst_bytes" -lt $((${#burst_topic} * 500))
# Then 800 to 40 topics, a few at a time, with the set moving on: more
# topics than the aliases MQTT may use (mosquitto allows 10), which pass
# from topics it stopped publishing to to new ones.  The broker must
# read each publish under its own topic (publish_one appends /q0), and
# the wire show that most went by alias alone: with topics told in full
# 64 times (4 a stretch), the 800 took 17,101 bytes, TLS and all, where
# their topics alone, each sent in full, would take 73,348.
moving_pad=a-topic-long-enough-that-its-alias-shows-on-the-wire-and-passes-on
# "TOPIC PAYLOAD" of each of the 800, in order, as mqtt_test's
# moving_topic names them.
moving_expected() {
	awk -v pad="$moving_pad" 'BEGIN { for (n = 1; n <= 800; n++)
		printf "sealnet/test/moving/%d/%s/q0 %d\n", (int((n - 1) / 50) * 4 + (n - 1) % 4) % 40, pad, n }'
}
moving_seen() {
	[ "$(grep -E "^sealnet/test/moving/[0-9]+/$moving_pad/q0 [0-9]+\$" "$tmp/all.log")" = \
		"$(moving_expected)" ]
}
check "800 QoS 0 publishes to 40 topics in moving sets of 4 are all taken" \
	quietly wait_line "$log" 'RESULT moving: 800 of 800 taken \(ok\)' 20
check "... and the broker's subscriber saw each once, in order, under its own topic" \
	wait_until 10 moving_seen
moving_topic_bytes=$(moving_expected | awk '{ s += length($1) } END { print s }')
check "... then a QoS 1 publish after them is acknowledged: all of them reached the broker within the window" \
	has 'RESULT moving end: acknowledged$'
moving_bytes=$(bytes_in_window moving)
check "... in $moving_bytes bytes to the broker, under a third of the $moving_topic_bytes their topics alone would take" \
	test "$moving_bytes" -gt 0 -a $((moving_bytes * 3)) -lt "$moving_topic_bytes"
client=sealnet-mqtt-test
expect "the broker received no publish from mqtt_test outside sealnet/test/" "" \
	"$(lines "$tmp/mosquitto.log" "Received PUBLISH from $client " | grep -oE "'[^']*'" | grep -v "^'sealnet/test/" | sort -u)"
expect "... and no subscription but sealnet/test/+" "sealnet/test/+" \
	"$(lines "$tmp/mosquitto.log" "^[0-9]+: $client [0-2] " | awk '{print $4}' | sort -u | tr '\n' ' ' | sed 's/ $//')"
check "... and the subscriber on # saw nothing leak" \
	no_line "$tmp/all.log" 'leak$'

# The broker's PUBACK for its delivery of sealnet/test/quiet, after that
# delivery (identifiers are used again later).
quiet_delivery="Sending PUBLISH to $client \(d0, q1, r0, m[0-9]+, 'sealnet/test/quiet'"
# Prints the second (the broker's log stamps whole seconds) at which
# that PUBACK came.
quiet_acknowledged() {
	local line from mid
	line=$(grep -naE "$quiet_delivery" "$tmp/mosquitto.log" | tail -n 1)
	[ -n "$line" ] || return 1
	from=${line%%:*}
	mid=$(sed -E 's/.*, m([0-9]+), .*/\1/' <<<"$line")
	tail -n "+$from" "$tmp/mosquitto.log" |
		grep -F "Received PUBACK from $client (Mid: $mid," | sed -n '1s/:.*//p' | grep .
}
# Another client publishes it, so that nothing more comes on the
# application's connection after it: only MQTT's own timer can send its
# PUBACK while the application sleeps.
check "the application waits for a message" \
	quietly wait_line "$log" 'RESULT quiet: waiting for a message' 20
check "... which another client publishes at QoS 1" \
	ip netns exec "$TESTNET_SRV" mosquitto_pub -h 10.0.0.1 -p 1883 -V mqttv5 \
	-q 1 -t sealnet/test/quiet -m echo
check "the message came, and the application sleeps" \
	quietly wait_line "$log" 'RESULT quiet: the message came \(ok\), asleep' 20
check "... the broker has its acknowledgement while no call is made" \
	quietly wait_until 2 quiet_acknowledged
# Placed by the clocks, not by how soon this script looks: the PUBACK's
# second must come before the second in which the 4 s nap ended (a
# PUBACK sent only once the application called again comes after it).
quiet_ack_second=$(quiet_acknowledged)
wait_line "$log" 'RESULT quiet nap: ' 10 >/dev/null
read -r _ quiet_nap_end < <(lines "$log" 'RESULT quiet nap: ' | awk '{ print $(NF - 1), $NF }')
check "... (the application was still asleep then: acknowledged in second ${quiet_ack_second:-none}, the nap ended at ${quiet_nap_end:-never})" \
	test -n "$quiet_ack_second" -a "$quiet_ack_second" -lt "${quiet_nap_end%%.*}"
check "... and once awake, it calls again" \
	quietly wait_line "$log" 'RESULT quiet: awake, called again \(ok\)' 10

check "the credentials section ran" \
	quietly wait_line "$log" 'RESULT no certificate connect' 30
lines "$log" 'RESULT (secure|over|wrong|no cert)' | sed 's/^/  /'
check "with the image's client certificate and password, the broker accepts" \
	has 'RESULT secure connect: ok'
check "a third connection, over the mqtt_connections quota of 2: -EDQUOT, twice" \
	test "$(count_lines "$log" 'RESULT over quota connect [12]: Disk quota exceeded')" -eq 2
check "... each TLS session made for one closed again: TLS never found tls_sessions used up" \
	no_line "$log" 'TLS: mqtt_test is at its quota'
check "... and the broker saw no CONNECT for either" \
	not grep -q 'sealnet-mqtt-over' "$tmp/secure.log"
check "... and a publish there is acknowledged" \
	has 'RESULT secure publish: ok, acknowledged 1'
check "the broker saw the user name and the certificate's connection" \
	grep -qE "New client connected from 10\.0\.0\.75:[0-9]+ as sealnet-mqtt-secure .*u'sensor'" "$tmp/secure.log"
# mosquitto 2.0 answers a wrong password with 0x87, not authorized.
check "with the wrong password: refused, -EPERM for the broker's 0x87" \
	has 'RESULT wrong password connect: Operation not permitted'
check "without the client certificate: the connect fails" \
	has 'RESULT no certificate connect: -[0-9]+$'
check "the broker let neither of them in" \
	not grep -qE "(New client connected from .* as |Sending CONNACK to )sealnet-mqtt-(intruder|nocert) \(0, 0\)|New client connected from .* as sealnet-mqtt-(intruder|nocert) " "$tmp/secure.log"
check "the swapped session's section ran" \
	quietly wait_line "$log" 'RESULT swapped session connect' 30
lines "$log" 'RESULT swapped' | sed 's/^/  /'
check "mqtt_test made a TLS session to hostile.test:8891, which it may reach" \
	has 'RESULT swapped session made: ok'
check "... handed to MQTT with secure.test's credentialed capability: -EPERM" \
	has 'RESULT swapped session connect: Operation not permitted'
check "... and MQTT says why, naming the application and both servers" \
	has "MQTT: refused mqtt_test's connect to secure\.test:8884 over a TLS session made for hostile\.test:8891"
check "... and closes the session (the capture sees it end)" \
	wait_until 5 bash -c "tcpdump -r '$tmp/wire.pcap' -n 'src host 10.0.0.75 and tcp dst port 8891 and tcp[tcpflags] & (tcp-fin|tcp-rst) != 0' 2>/dev/null | grep -q ."
check "... the other server received nothing of a CONNECT: no client id, user name or password" \
	not grep -qa -e 'sealnet-mqtt-swapped' -e 'sensor' -e "$password" -e MQTT "$tmp/elsewhere.out"
check "level 3.1.1 over a plain socket: subscribed, published, got it back" \
	has 'RESULT plain: ok, granted QoS 1, acknowledged 1, received 1'
check "... the broker saw a 3.1.1 client on its plain port" \
	grep -qE "New client connected from 10\.0\.0\.75:[0-9]+ as sealnet-mqtt-plain \(p2, " "$tmp/mosquitto.log"
# ---- the broker silenced: its packets dropped on the server's side ----
check "a connection to the broker, for silencing it" \
	quietly wait_line "$log" 'RESULT silenced: connect ok' 40
ip netns exec "$TESTNET_SRV" nft -f - <<'EONFT'
table inet silence {
	chain out {
		type filter hook output priority 0;
		tcp sport 8883 drop
	}
}
EONFT
check "every packet the broker sends on 8883 is dropped from now on" test $? -eq 0
silenced_at=$(date +%s%N)
check "the broker's silence ends the connection" \
	quietly wait_line "$log" 'RESULT silenced: down' 10
down_ms=$((($(date +%s%N) - silenced_at) / 1000000))
ip netns exec "$TESTNET_SRV" nft delete table inet silence ||
	fail "the broker's packets cannot pass again"
check "... with -ETIMEDOUT" has 'RESULT silenced: down -110 '
check "... within 1.5 keep-alive intervals of 2 s, and 0.5 s to see it ($down_ms ms)" \
	test "$down_ms" -le 3500
check "... and it comes back by itself once the broker is heard again" \
	quietly wait_line "$log" 'RESULT silenced: back' 30
check "the hostile brokers' section ran" \
	quietly wait_line "$log" 'RESULT brokers done' 40
lines "$log" 'RESULT (garbage|silent|badutf8|idzero|oversized|pingreq):' | sed 's/^/  /'
# Each: what the broker sent, the error the application gets, and the
# rule MQTT's log names.
while read -r name port error rule what; do
	check "a broker's $what ends the connection with $error" \
		has "RESULT $name: connect ok, then down ${error#*=} "
	check "... and MQTT says which rule it broke: $rule" \
		grep -qE "MQTT: mqtt_test: connection to hostile\.test:$port closed: $rule([^a-z_0-9]|\$)" "$log"
done <<'EOB'
garbage 8885 -EBADMSG=-74 length_too_long five-byte Remaining Length
badutf8 8887 -EBADMSG=-74 utf8 topic that is not UTF-8
idzero 8888 -EPROTO=-71 packet_id_zero QoS 1 PUBLISH with packet identifier 0
oversized 8889 -EMSGSIZE=-90 too_large PUBLISH of 256 MiB
pingreq 8890 -EPROTO=-71 unexpected_type PINGREQ
EOB
check "a broker silent for 1.5 keep-alive intervals: -ETIMEDOUT" \
	has 'RESULT silent: connect ok, then down -110 '
check "... after MQTT asked it for a PINGRESP (PINGREQ on the wire, in TLS)" \
	/usr/bin/python3 -c 'import sys; sys.exit(b"\xc0\x00" not in open(sys.argv[1], "rb").read())' "$tmp/silent.out"
check "MQTT survived all of them" \
	no_event "$ev" '.event=="died" and .compartment=="MQTT"'
# Each stream: something is taken away once it runs, and it ends once
# the connection is back and 1,000 pairs or more have gone.
take_away() { # STREAM
	local pid
	case $1 in
	mqtt | tls | tcpip)
		local who=${1^^}
		pid=$(newest_pid "$ev" "$who")
		kill -KILL "$pid"
		check "stream $1: $who dies mid-stream" quietly wait_event "$ev" \
			".event==\"died\" and .compartment==\"$who\" and .pid==$pid" 5
		check "... and is restarted" quietly wait_event "$ev" \
			".event==\"ready\" and .compartment==\"$who\" and .incarnation==2" 5
		;;
	broker)
		kill -TERM "$broker_pid"
		check "stream broker: the broker stops, saving its state" \
			wait_until 5 not sn_alive "$broker_pid"
		testnet_spawn mosquitto -c "$tmp/mosquitto.conf"
		broker_pid=${TESTNET_PIDS[-1]}
		check "... and starts again" wait_until 5 ip netns exec "$TESTNET_SRV" \
			mosquitto_sub -h 10.0.0.1 -p 1883 -t probe -W 1 -E
		;;
	esac
}
counted() { # STREAM QOS: unique messages, and all, the counter got
	local all
	all=$(grep -E "^sealnet/test/$1/q$2 [0-9]+\$" "$tmp/streams.log")
	echo "$(sort -u <<<"$all" | grep -c .) $(grep -c . <<<"$all")"
}
for name in mqtt tls tcpip broker; do
	mark "$ev"
	check "stream $name runs" quietly wait_line "$log" "RESULT stream $name running" 60 ||
		break
	take_away "$name"
	check "stream $name ends" quietly wait_line "$log" "RESULT stream $name acknowledged" 90 ||
		break
	result=$(lines "$log" "RESULT stream $name published")
	acked=$(lines "$log" "RESULT stream $name acknowledged")
	pairs=$(grep -oE 'in [0-9]+ pairs' <<<"$result" | grep -oE '[0-9]+')
	went=$(grep -oE 'went after pair [0-9]+' <<<"$result" | grep -oE '[0-9]+$')
	say "${result#*RESULT }"
	say "${acked#*RESULT }"
	check "stream $name: the connection went while it ran, after pair 60" \
		test "${went:-0}" -gt 60 -a "${went:-0}" -lt "${pairs:-0}"
	check "... 1,000 pairs or more (${pairs:-none})" test "${pairs:-0}" -ge 1000
	check "... every publish taken: none refused" \
		grep -qE "published $((2 * ${pairs:-0})) in ${pairs:-x} pairs, refused 0 " <<<"$result"
	check "... the broker acknowledged every one, none with an error" \
		grep -qE "acknowledged $((2 * ${pairs:-0})) of $((2 * ${pairs:-0})), 0 with an error" <<<"$acked"
	check "... the connection came back once, with its session" \
		grep -qE "down 1 times, up 1 times, 1 with the session$" <<<"$acked"
	# The last messages may still be on their way to the counter.
	wait_until 5 bash -c "[ \"\$(grep -cE '^sealnet/test/$name/q2 ' '$tmp/streams.log')\" -ge ${pairs:-0} ]"
	read -r q1 q1_all <<<"$(counted "$name" 1)"
	read -r q2 q2_all <<<"$(counted "$name" 2)"
	say "stream $name: the broker's subscriber got $q1 QoS 1 messages ($q1_all deliveries), $q2 QoS 2 ($q2_all)"
	expect "... every QoS 1 message, none lost" "${pairs:-x}" "$q1"
	expect "... every QoS 2 message, none lost" "${pairs:-x}" "$q2"
	expect "... and no QoS 2 message twice" "${pairs:-x}" "$q2_all"
	check "... and mqtt_test's subscription came back with the connection" \
		quietly wait_line "$log" "RESULT stream $name: the subscription still delivers" 15
done
check "mqtt_test ran to its end, disconnecting" has 'RESULT done: disconnect ok'
unmark "$ev"
check "no compartment but the killed MQTT, TLS, TCPIP and mqtt_will died, or ended but by exiting 0" \
	no_event "$ev" '.event=="killed" or (.event=="died" and (.compartment | IN("MQTT", "TLS", "TCPIP", "mqtt_will") | not) and (.cause!="exit" or .exit_status!=0))'
stack_stop test

# ---- 3. a hostile MQTT compartment ----
image "$tmp/hostile.json" "$build/compartments/mqtt_hostile" \
	"$build/compartments/mqtt_demo" || fail "mqtt-test: image build (hostile)"
check "the audit names the hostile MQTT for passing sockets and sessions on" \
	grep -q '"MQTT may call network_socket_delegate, tls_connection_delegate, but a compartment that takes delegated sockets passes none on"' \
	<(audit "$tmp/hostile.json" violations)
hostile_from=$(date +%s.%N)
mark "$tmp/mosquitto.log"
stack_start --netns "$TESTNET_DEV" hostile "$tmp/hostile.json" --tap tap0
log=$tmp/hostile.log
ev=$tmp/hostile.events
check "the hostile MQTT was handed a session" \
	quietly wait_line "$log" 'RESULT hostile send on the presented session' 40
lines "$log" 'RESULT' | sed 's/^/  /'
has() { has_line "$log" "$1"; }
check "it cannot use a forged session handle" \
	has 'RESULT hostile send on a forged session handle: Operation not permitted'
check "... nor connect with the capability its caller presented" \
	has "RESULT hostile connect with the caller's capability: Operation not permitted"
check "... nor to the broker's plain port" \
	has 'RESULT hostile connect to the plain port: Operation not permitted'
check "... nor make a TLS session of its own" \
	has 'RESULT hostile TLS session of its own: Operation not permitted'
check "... nor open a UDP hole" \
	has "RESULT hostile udp hole with the caller's host: Operation not permitted"
check "... nor pass the session on" \
	has 'RESULT hostile passes the session on: Operation not permitted'
check "... only use the session it was handed" \
	has 'RESULT hostile send on the presented session: ok'
check "04.mqtt is refused, and says so" \
	quietly wait_line "$log" '^mqtt_demo: cannot reach the broker: Permission denied' 10
# 04.mqtt exits then, and TLS frees the session it owned: the receive
# the hostile MQTT left parked on it is answered then (-EPIPE), not at
# its 20 s deadline; or the socket's end, which TCPIP sees when 04.mqtt
# dies, reaches TLS first (SEALNET_TLS_EPEER_RESET, -2009).
check "the receive parked on the session is answered once its owner exits" \
	quietly wait_line "$log" 'RESULT hostile receive parked on the session: ' 25
parked=$(lines "$log" 'RESULT hostile receive parked on the session: ')
say "${parked#*RESULT }"
check "... with -EPIPE or -2009, within 3 s" \
	grep -qE 'session: (Broken pipe|Unknown error 2009) after ([0-9]{1,3}|[0-2][0-9]{3}) ms$' <<<"$parked"
stack_stop hostile
sleep 0.3
# The capture since the hostile image started.
wire=$(tcpdump -tt -r "$tmp/wire.pcap" -n 2>/dev/null | awk -v from="$hostile_from" '$1 >= from')
check "the broker saw one TLS connection from the hostile image, and nothing on 1883" \
	test "$(lines "$tmp/mosquitto.log" 'New connection from 10\.0\.0\.75:[0-9]+ on port 8883' | wc -l)" -eq 1 -a \
	"$(lines "$tmp/mosquitto.log" 'New connection from 10\.0\.0\.75:[0-9]+ on port 1883' | wc -l)" -eq 0
check "on the wire, since the hostile image started: its connection to 8883 (the capture sees it)" \
	grep -qE '10\.0\.0\.75\.[0-9]+ > 10\.0\.0\.1\.8883: ' <<<"$wire"
check "... and no UDP from the stack, no packet to 1883" \
	not grep -qE '(10\.0\.0\.75\.[0-9]+ > 10\.0\.0\.1\.1883: |UDP.*1883)' <<<"$wire"
finish
