#!/usr/bin/env bash
# sealnet-bench mqtt: MQTT 5.0 over TLS through sealnet (an application
# compartment, tests/compartments/mqtt_bench.c, through the MQTT and TLS
# compartments) and through libmosquitto over the kernel's TCP and
# OpenSSL (build/tools/mqtt_peer, from the device's namespace, at
# 10.0.0.2 on the bridge the TAP device is on), side by side in one run,
# to the same mosquitto 2.0 on a throwaway network (TLS on 8883, a
# certificate from a CA made here):
#
# - QoS 0: MESSAGES publishes of a 64-byte payload, as fast as each
#   client takes them.  The rate of both is counted the same way, where
#   the broker delivers them: a libmosquitto subscriber in the broker's
#   namespace (plain MQTT on 1883) times their arrival, first to last,
#   and must see every one of them;
# - QoS 1: the median time (and the 90th percentile) from a publish to
#   a topic the client itself subscribes to until the message comes
#   back, over 200 (after 20 not counted); then the same to a second
#   mosquitto on 8884 that sets TCP_NODELAY (set_tcp_nodelay true).
#   mosquitto's default leaves Nagle's algorithm on, so it holds the
#   message back behind its PUBACK until the client acknowledges that:
#   the two figures side by side, and the 90th percentiles, show what
#   the client's delayed acknowledgements cost;
# - the MQTT compartment's resident memory with 1 connection (mqtt_bench's,
#   before its traffic) and with CONNECTIONS (default 32, MQTT's whole
#   table), held idle by compartments of at most 8 each (the SDK's most
#   per compartment).
#
# Prints one JSON object per line, then a summary with the ratios and
# their goals.  Run as root.  KEEP_LOG=FILE keeps the last stack's log,
# and that of the stack that carried the traffic as FILE.traffic (with
# hop timestamps, bench/hop_trace.h, when built with them).
#
# Figures come only from a run in which every step succeeded: if any
# fails, nothing is printed on standard output, the reason and the
# stack's log go to standard error, and the exit status is 1.
set -uo pipefail
# shellcheck source=bench-lib.sh
. "$(dirname "$0")/bench-lib.sh" mqtt "${1:-build}"
# shellcheck source=../tests/tls-certs.sh
. "$root/tests/tls-certs.sh"
# mqtt_bench.c's MQTT_BENCH_MESSAGES: the subscriber waits for them all.
MESSAGES=20000
ROUND_TRIPS=200
CONNECTIONS=${CONNECTIONS:-32}
[[ $CONNECTIONS =~ ^[1-9][0-9]*$ ]] && ((CONNECTIONS <= 32)) ||
	failed "CONNECTIONS must be 1 to 32"
peer=$build/tools/mqtt_peer

pki=$tmp/pki
mkdir -m 700 "$pki" && tls_ca "$pki" ca &&
	tls_cert "$pki" ca broker DNS:broker.test,IP:10.0.0.1 || failed "no certificates"
testnet_up "$tmp" broker.test || failed "cannot build the test network"
# max_queued_messages 0: mosquitto would otherwise drop QoS 0 messages
# for a subscriber with 1000 waiting, and the counts would not be whole.
# Only errors, warnings and notices are logged: a line per message
# would be the broker's work, not the clients'.
cat >"$tmp/mosquitto.conf" <<EOC
user root
persistence false
log_dest file $tmp/mosquitto.log
log_type error
log_type warning
log_type notice
per_listener_settings false
allow_anonymous true
max_queued_messages 0
listener 8883 10.0.0.1
cafile $pki/ca.pem
certfile $pki/broker.pem
keyfile $pki/server.key
listener 1883 10.0.0.1
EOC
# The second broker: TLS on 8884, Nagle's algorithm off.
sed -e "s|mosquitto.log|nodelay.log|" -e "s|^listener 8883 |listener 8884 |" \
	-e "/^listener 1883 /d" "$tmp/mosquitto.conf" >"$tmp/nodelay.conf" &&
	echo "set_tcp_nodelay true" >>"$tmp/nodelay.conf" || failed "no configuration"
testnet_spawn mosquitto -c "$tmp/mosquitto.conf"
testnet_spawn mosquitto -c "$tmp/nodelay.conf"
wait_until 5 ip netns exec "$TESTNET_SRV" mosquitto_sub -h 10.0.0.1 -p 1883 \
	-t probe -W 1 -E || failed "the broker did not start"
ip -n "$TESTNET_DEV" addr add 10.0.0.2/24 dev br0 || failed "no address for the kernel's client"
sleep 0.5

# The counting subscriber, in the broker's namespace: started, and
# subscribed, before the publisher; count_wait sets rate to the rate at
# which it received them all.
count_start() { # TOPIC
	testnet_spawn "$peer" count 10.0.0.1 1883 "$1" "$MESSAGES" 120 >"$tmp/count.out"
	count_pid=${TESTNET_PIDS[-1]}
	wait_line "$tmp/count.out" '^ready$' 10 >/dev/null || failed "the subscriber did not subscribe"
}
count_wait() { # WHOSE
	local received
	wait "$count_pid"
	read -r received rate < <(sed -n 2p "$tmp/count.out")
	[ "${received:-0}" = "$MESSAGES" ] && number "${rate:-}" ||
		failed "the subscriber got ${received:-none} of $1's $MESSAGES QoS 0 messages"
}

log "libmosquitto over the kernel's TCP and TLS"
count_start bench/kernel/q0
k_written=$(ip netns exec "$TESTNET_DEV" "$peer" publish 10.0.0.1 8883 \
	"$pki/ca.pem" bench/kernel/q0 "$MESSAGES") && number "$k_written" ||
	failed "libmosquitto's publishes did not all go"
count_wait libmosquitto
k_rate=$rate
read -r k_rtt k_rtt_p90 < <(ip netns exec "$TESTNET_DEV" "$peer" rtt 10.0.0.1 8883 \
	"$pki/ca.pem" bench/rtt/kernel "$ROUND_TRIPS") && number "${k_rtt:-}" && number "${k_rtt_p90:-}" ||
	failed "libmosquitto's round trips did not all come back"
read -r k_rtt_nd k_rtt_nd_p90 < <(ip netns exec "$TESTNET_DEV" "$peer" rtt 10.0.0.1 8884 \
	"$pki/ca.pem" bench/rtt/kernel "$ROUND_TRIPS") && number "${k_rtt_nd:-}" && number "${k_rtt_nd_p90:-}" ||
	failed "libmosquitto's round trips (8884) did not all come back"
log "libmosquitto: $k_written QoS 0 publishes/s written"

log "sealnet: Firewall, TCPIP, NetAPI, DNS, TLS, MQTT and mqtt_bench"
c=$build/compartments
stack=("$c/firewall" "$c/tcpip" "$c/netapi" "$c/dns" "$c/tls" "$c/mqtt")
image() { # OUT BINARY...
	local out=$1
	shift
	"$build/bin/sealnet" image build -o "$out" --ipv4 10.0.0.75/24 \
		--gateway 10.0.0.1 --dns 10.0.0.1 --trust-anchors "$pki/ca.pem" \
		"${stack[@]}" "$@"
}
image "$tmp/bench.json" "$c/mqtt_bench" || failed "image build"
mqtt_once() {
	[ "$(count_events "$events" '.event=="started" and .compartment=="MQTT"')" -eq 1 ] ||
		failed "MQTT restarted during the run"
}
mqtt_rss() { # sets rss
	local pid
	mqtt_once
	pid=$(events "$events" '.event=="started" and .compartment=="MQTT"' | jq -r .pid)
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null)
	number "${rss:-}" || failed "no resident memory figure for MQTT"
}
count_start bench/sealnet/q0
stack_start --netns "$TESTNET_DEV" --stdout "$tmp/out" bench "$tmp/bench.json" --tap tap0
wait_line "$tmp/bench.log" 'mqtt_bench: (holding 1 connection|connect:)' 60 >/dev/null ||
	failed "mqtt_bench never connected"
has_line "$tmp/bench.log" 'mqtt_bench: holding 1 connection' || failed "mqtt_bench could not connect"
mqtt_rss
rss1=$rss
bench_await_exit mqtt_bench 60
# A build with hop timestamps (bench/hop_trace.h) writes them
# out on SIGUSR1 (those that record any; to the others it is fatal);
# mqtt_bench did on its exit.
if [ "${HOP_TRACE:-0}" = 1 ]; then
	for pid in $(events "$events" '.event=="started" and
		(.compartment | IN("Firewall", "TCPIP", "TLS", "MQTT"))' | jq -r .pid); do
		kill -USR1 "$pid" || failed "no hop timestamps from $pid"
	done
	sleep 1
fi
count_wait sealnet
s_rate=$rate
value() { grep -oE "\"$1\",\"[a-z_]+\":[0-9.]+" "$tmp/out" | grep -oE '[0-9.]+$'; }
p90() { grep -oE "\"$1\",\"median_us\":[0-9.]+,\"p90_us\":[0-9.]+" "$tmp/out" | grep -oE '[0-9.]+$'; }
s_rtt=$(value sealnet_mqtt_qos1_rtt)
s_rtt_nd=$(value sealnet_mqtt_qos1_rtt_nodelay_broker)
s_rtt_p90=$(p90 sealnet_mqtt_qos1_rtt)
s_rtt_nd_p90=$(p90 sealnet_mqtt_qos1_rtt_nodelay_broker)
number "${s_rtt:-}" && number "${s_rtt_nd:-}" && number "${s_rtt_p90:-}" &&
	number "${s_rtt_nd_p90:-}" ||
	failed "mqtt_bench exited 0 but printed: $(cat "$tmp/out")"
lines "$tmp/bench.log" 'mqtt_bench: [0-9]+ QoS 0 publishes taken' | sed 's/^/sealnet-bench: /' >&2
mqtt_once
stack_stop bench || failed "the stack did not stop cleanly"
if [ -n "${KEEP_LOG:-}" ]; then
	cp "$tmp/bench.log" "$KEEP_LOG.traffic" || failed "cannot keep the log"
fi

# CONNECTIONS held by as few of mqtt_hold_1 ... mqtt_hold_4 as can, 8
# each at most; each is told its share in a retained message.
holders=() held=() left=$CONNECTIONS
for i in 1 2 3 4; do
	((left > 0)) || break
	n=$((left > 8 ? 8 : left))
	ip netns exec "$TESTNET_SRV" mosquitto_pub -h 10.0.0.1 -p 1883 -q 1 -r \
		-t "bench/hold/mqtt_hold_$i" -m "$n" || failed "cannot tell mqtt_hold_$i its share"
	holders+=("$c/mqtt_hold_$i") held+=("$i:$n") left=$((left - n))
done
image "$tmp/hold.json" "${holders[@]}" || failed "image build ($CONNECTIONS connections)"
log "sealnet: $CONNECTIONS connections held by ${#holders[@]} compartments"
stack_start --netns "$TESTNET_DEV" bench "$tmp/hold.json" --tap tap0
all_held() {
	local h
	for h in "${held[@]}"; do
		has_line "$tmp/bench.log" "mqtt_hold_${h%:*}: connection [0-9]+:" &&
			failed "mqtt_hold_${h%:*} could not make a connection"
	done
	sn_alive "$(stack_pid bench)" || failed "the supervisor stopped"
	for h in "${held[@]}"; do
		has_line "$tmp/bench.log" "mqtt_hold_${h%:*}: holding ${h#*:} connections" || return 1
	done
}
wait_until 60 all_held || failed "the $CONNECTIONS connections were never all up at once"
mqtt_rss
rss_many=$rss
for h in "${held[@]}"; do
	bench_await_exit "mqtt_hold_${h%:*}" 60
done
stack_stop bench || failed "the stack did not stop cleanly"

echo "{\"bench\":\"sealnet_mqtt_qos0_publish\",\"msgs_per_s\":$s_rate}"
echo "{\"bench\":\"libmosquitto_qos0_publish\",\"msgs_per_s\":$k_rate}"
echo "{\"bench\":\"sealnet_mqtt_qos1_rtt\",\"median_us\":$s_rtt,\"p90_us\":$s_rtt_p90}"
echo "{\"bench\":\"libmosquitto_qos1_rtt\",\"median_us\":$k_rtt,\"p90_us\":$k_rtt_p90}"
echo "{\"bench\":\"sealnet_mqtt_qos1_rtt_nodelay_broker\",\"median_us\":$s_rtt_nd,\"p90_us\":$s_rtt_nd_p90}"
echo "{\"bench\":\"libmosquitto_qos1_rtt_nodelay_broker\",\"median_us\":$k_rtt_nd,\"p90_us\":$k_rtt_nd_p90}"
echo "{\"bench\":\"mqtt_compartment_rss\",\"connections\":1,\"kbytes\":$rss1}"
echo "{\"bench\":\"mqtt_compartment_rss\",\"connections\":$CONNECTIONS,\"kbytes\":$rss_many}"
awk -v a="$s_rate" -v b="$k_rate" -v c="$s_rtt" -v d="$k_rtt" -v e="$s_rtt_nd" -v f="$k_rtt_nd" 'BEGIN {
	printf "{\"bench\":\"sealnet_vs_libmosquitto_mqtt\",\"publish_ratio\":%.2f,\"rtt_ratio\":%.2f,\"rtt_ratio_nodelay_broker\":%.2f,\"publish_target_min\":0.5,\"rtt_target_max\":2}\n", a / b, c / d, e / f }'
