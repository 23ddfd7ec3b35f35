#!/usr/bin/env bash
# The demo: build a throwaway network, boot the demo image on it, and
# show each step in plain words.  The image is build/images/demo.json's
# compartments with TLS, MQTT, examples/03.https and examples/04.mqtt,
# built here to trust the CA this demo makes for its HTTPS server, its
# time server and its MQTT broker, and with the demo network's chrony as
# the SNTP compartment's NTS server.  Everything it creates is removed at
# the end, also on failure or Ctrl-C.  Run as root.
set -uo pipefail
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root: it makes network namespaces, and each" \
		"compartment gets its own namespaces and uid" >&2
	exit 1
fi
SN_BUILD=$(cd "${1:-build}" && pwd) || exit 1
# shellcheck source=../tests/lib.sh
. "$(dirname "$0")/../tests/lib.sh"
root=$SN_ROOT
sealnet=$SN_SEALNET
tmp=$SN_TMP
image=$tmp/demo.json
log=$tmp/demo.log
events=$tmp/demo.events
# shellcheck source=testnet.sh
. "$root/scripts/testnet.sh"

# The cleanup runs these last first: the network goes, then this says so.
at_cleanup 'echo; echo "demo: removed the namespaces, the TAP device and every process it started"'
at_cleanup testnet_down
say() { printf '\ndemo: %s\n' "$*"; }
# Each step waits for what it caused: the log and the event stream are
# read from the mark set before it (tests/lib.sh), never an older line
# that looks the same.
step() { # WHAT COMMAND...
	local what=$1
	shift
	quietly "$@" && return 0
	say "FAILED: gave up waiting for: $what"
	exit 1
}

# The HTTPS server's certificate, for example.com, and chrony's NTS-KE
# certificate, for ntp.test, from a CA made here: the image trusts that
# CA alone.
# shellcheck source=../tests/tls-certs.sh
. "$root/tests/tls-certs.sh"
mkdir -m 700 "$tmp/pki" && tls_ca "$tmp/pki" demo-ca &&
	tls_cert "$tmp/pki" demo-ca example.com DNS:example.com &&
	tls_cert "$tmp/pki" demo-ca ntp.test DNS:ntp.test &&
	tls_cert "$tmp/pki" demo-ca test.mosquitto.org DNS:test.mosquitto.org || {
	say "FAILED: cannot make the demo's certificates"
	exit 1
}
c=$SN_BUILD/compartments
"$sealnet" image build -o "$image" --trust-anchors "$tmp/pki/demo-ca.pem" \
	--nts-server ntp.test \
	"$c/firewall" "$c/tcpip" "$c/netapi" "$c/dns" "$c/tls" "$c/sntp" \
	"$c/mqtt" "$c/http_client" "$c/https_client" "$c/http_server" \
	"$c/sntp_example" "$c/mqtt_demo" ||
	exit 1

say "what the image allows, read from the image alone (sealnet audit | jq):"
"$sealnet" audit "$image" | jq -r -L "$root/audit" 'include "network_stack";
	(.compartments | to_entries[] | "  \(.key): offers \(.value.exports | length) exports, may call \([.value.imports[] | select(.kind == "call")] | length) in \([.value.imports[] | select(.kind == "call") | .compartment] | unique | join(", ") | if . == "" then "no other compartment" else . end)"),
	"  connection capabilities: \(all_connection_capabilities | map("\(.owner) -> \(.type) \(.host):\(.port)") | join(", "))",
	"  bind capabilities: \(all_bind_capabilities | map("\(.owner) <- port \(.port), at most \(.max_connections) connections") | join(", "))",
	"  who may open firewall holes: \(compartments_calling_role("opens_holes") | join(", "))",
	"  TLS sessions: \(tls_sessions | map("\(.owner) -> \(.host):\(.port)") | join(", ")); trust anchors: \(tls_trust_anchors.path)",
	"  time servers: \(time_servers | map("\(.owner) -> \(.use) \(.host):\(.port)") | join(", ")); NTS required: \(nts_required)",
	"  who reads the shared time record (read-only): \(time_record_readers | join(", "))",
	"  MQTT: \(all_mqtt_capabilities | map("\(.owner) -> \(.host):\(.port) over \(.transport), MQTT \(.version), publish \(.publish | join(" ")), subscribe \(.subscribe | join(" "))") | join(", "))",
	"  the stack has its intended call graph: \(valid)"'

say "making a throwaway network: namespaces $TESTNET_SRV and $TESTNET_DEV," \
	"a bridge, TAP device tap0, dnsmasq (DHCP, and DNS answering" \
	"example.com, ntp.test and test.mosquitto.org with 10.0.0.1), a web" \
	"server at 10.0.0.1:80, chrony serving time at 10.0.0.1 (NTS-KE on" \
	"port 4460, NTP on 123) and mosquitto at 10.0.0.1:8883 (TLS)"
testnet_up "$tmp" example.com ntp.test test.mosquitto.org || exit 1
# chrony serves its own clock; -x: it never touches this machine's.
cat >"$tmp/chrony.conf" <<EOF
local stratum 8
allow all
bindaddress 10.0.0.1
cmdport 0
pidfile $tmp/chronyd.pid
ntsserverkey $tmp/pki/server.key
ntsservercert $tmp/pki/ntp.test.pem
EOF
testnet_spawn chronyd -x -d -f "$tmp/chrony.conf" -u root \
	>"$tmp/chrony.log" 2>&1
# The broker: TLS with the demo CA's certificate for test.mosquitto.org
# for sealnet; plain on the server namespace's loopback for the demo's
# own subscriber, which shows what reached the broker.
cat >"$tmp/mosquitto.conf" <<EOF
user root
persistence false
log_dest file $tmp/mosquitto.log
per_listener_settings false
allow_anonymous true
listener 8883 10.0.0.1
certfile $tmp/pki/test.mosquitto.org.pem
keyfile $tmp/pki/server.key
listener 1883 127.0.0.1
EOF
testnet_spawn mosquitto -c "$tmp/mosquitto.conf" >"$tmp/mosquitto.out" 2>&1
broker_serving() {
	ip netns exec "$TESTNET_SRV" mosquitto_sub -h 127.0.0.1 -p 1883 \
		-t probe -W 1 -E >/dev/null 2>&1
}
step "the broker serving" wait_until 5 broker_serving
testnet_spawn mosquitto_sub -h 127.0.0.1 -p 1883 -V mqttv5 -q 2 -v \
	-t 'sealnet/demo/#' >"$tmp/broker.log" 2>&1
mkdir -p "$tmp/www"
printf 'Hello from the web server on the throwaway network (10.0.0.1).\n' \
	>"$tmp/www/index.html"
testnet_spawn /usr/bin/python3 -m http.server 80 --bind 10.0.0.1 \
	--directory "$tmp/www" >/dev/null 2>&1
# The same page over TLS on port 443, with the demo CA's certificate.
printf 'Hello over TLS from the web server on the throwaway network (10.0.0.1:443).\n' \
	>"$tmp/www/tls.html"
testnet_spawn /usr/bin/python3 -c '
import functools, http.server, ssl, sys
class Page(http.server.SimpleHTTPRequestHandler):
    def translate_path(self, path):
        return sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
server = http.server.HTTPServer(("10.0.0.1", 443), Page)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
server.serve_forever()' "$tmp/pki/example.com.pem" "$tmp/pki/server.key" \
	"$tmp/www/tls.html" >/dev/null 2>&1

# Its clients connect once each, as soon as the stack is up: the servers
# must answer first, on a loaded machine too.
servers_serving() {
	local port
	for port in 80 443 4460; do
		ip netns exec "$TESTNET_SRV" timeout 1 \
			bash -c "exec 3<>/dev/tcp/10.0.0.1/$port" 2>/dev/null || return 1
	done
}
step "the web servers and chrony's NTS-KE serving" wait_until 10 servers_serving

say "booting $image on tap0"
stack_start --netns "$TESTNET_DEV" demo "$image" --tap tap0
spawn tail -n +1 -f "$log" --pid "$(stack_pid demo)"
step "every compartment ready" \
	wait_event "$events" '.event=="all_ready"' 10
step "an address for TCPIP" \
	wait_line "$log" '^TCPIP: address 10\.0\.0\.[0-9]+' 30
addr=$(lines "$log" '^TCPIP: address 10\.0\.0\.[0-9]+' | head -1 |
	grep -oE '10\.0\.0\.[0-9]+' | head -1)

say "02.http fetches http://example.com/ (resolved by the DNS compartment," \
	"through one firewall hole opened for it); its body is printed above"
step "the page fetched by 02.http" \
	wait_line "$log" '^http_client: HTTP/1\.[01] 200' 30

say "03.https fetches https://example.com/: it connects with its own" \
	"capability, hands the socket to the TLS compartment, which checks the" \
	"certificate against the demo's CA and the name example.com"
step "the page fetched by 03.https" \
	wait_line "$log" '^https_client: HTTP/1\.[01] 200' 30

say "01.sntp: the SNTP compartment took keys from chrony by NTS-KE through" \
	"the TLS compartment, then asked it for the time (authenticated NTP," \
	"one firewall hole per request, from a random port); the example read" \
	"it from the shared time record, without a call"
step "the time from 01.sntp" \
	wait_line "$log" '^sntp_example: synchronised: .*, authenticated \(NTS\)$' 30
step "a re-synchronisation SNTP made on its own" \
	wait_line "$log" '^sntp_example: re-synchronised: ' 30

say "04.mqtt: it makes a TLS session to test.mosquitto.org:8883 with its" \
	"own capability and hands it to the MQTT compartment, which speaks" \
	"MQTT 5 over it; it subscribes to sealnet/demo/#, publishes a retained" \
	"status and hello 1 to 9 at QoS 0, 1 and 2, and waits for them to come" \
	"back. A subscriber beside the broker shows what reached it:"
step "04.mqtt's nine messages back from the broker" \
	wait_line "$log" '^mqtt_demo: all 9 of our messages came back' 60
step "the ten messages at the broker's subscriber" \
	wait_until 5 test "$(wc -l <"$tmp/broker.log")" -ge 10
sed 's/^/demo: the broker got: /' "$tmp/broker.log"

say "05.http_server listens on port 80; three clients on the network fetch" \
	"http://$addr/ at once"
step "05.http_server listening" \
	wait_line "$log" '^http_server: listening on port 80' 30
mark "$log"
ip netns exec "$TESTNET_SRV" /usr/bin/python3 - "$addr" <<'EOPY'
import sys, threading, urllib.request
def get(i):
    body = urllib.request.urlopen("http://%s/" % sys.argv[1], timeout=10).read()
    print("demo: client %d got %d bytes: %s" % (i, len(body), body.decode().splitlines()[-1][:60]))
ts = [threading.Thread(target=get, args=(i,)) for i in range(1, 4)]
[t.start() for t in ts]
[t.join() for t in ts]
EOPY
step "the server's third request" \
	wait_line "$log" '^http_server: served request 3$' 10

pid=$(newest_pid "$events" TCPIP)
say "killing TCPIP (pid $pid) with SIGKILL: its sockets are gone; the" \
	"others see -ENOTRECOVERABLE, the Firewall clears its rules, and the" \
	"supervisor restarts it"
mark "$log"
mark "$events"
kill -KILL "$pid"
# The server's first "listening" line is from before the kill: only the
# ones after it show the restarted stack serving again.
step "TCPIP's death by SIGKILL" \
	wait_event "$events" ".event==\"died\" and .compartment==\"TCPIP\" and
		.pid==$pid and .signal==9" 10
step "TCPIP ready again" \
	wait_event "$events" '.event=="ready" and .compartment=="TCPIP"' 10
step "an address for the new TCPIP" \
	wait_line "$log" '^TCPIP: address 10\.0\.0\.[0-9]+' 30
step "05.http_server listening again" \
	wait_line "$log" '^http_server: listening on port 80' 30
addr=$(lines "$log" '^TCPIP: address 10\.0\.0\.[0-9]+' | tail -1 |
	grep -oE '10\.0\.0\.[0-9]+' | head -1)
if ip netns exec "$TESTNET_SRV" /usr/bin/python3 -c "
import sys, urllib.request
urllib.request.urlopen('http://$addr/', timeout=20).read()" 2>/dev/null; then
	say "after the restart, http://$addr/ is served again"
else
	say "FAILED: after the restart the page could not be fetched"
	exit 1
fi

say "stopping with SIGTERM"
mark "$events"
stack_stop demo
status=$?
sleep 0.2
if [ "$status" -ne 0 ]; then
	say "FAILED: the supervisor exited with status $status"
	exit 1
fi
step "the supervisor's word that nothing is left running" \
	has_event "$events" '.event=="stopped"'
