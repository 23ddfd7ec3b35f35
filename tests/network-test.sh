#!/usr/bin/env bash
# The network data path against real servers, in namespaces this test
# makes and removes itself:
#
#   srv: veth end "vs" 10.0.0.1/24, dnsmasq (DHCP), a TCP echo server
#   dev: the other veth end and a TAP device on bridge br0; sealnet runs
#        here and its Firewall holds the TAP device
#
#   srv also holds 10.0.0.3, the DNS server DHCP names (tools/fake_dns.py,
#   which forges answers for some names), and 10.0.0.9, a rogue host.
#
# Checks DHCP through the Firewall; a 10 MiB echo by name with matching
# checksums; UDP only to an authorised peer; that a host without a
# capability is refused and no packet reaches it; forged DNS answers and
# forged TCP segments are ignored; nmap sees only the bound port; the
# connection limit; and recovery when TCPIP is killed mid-transfer.
# Needs root.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
tmp=$(mktemp -d)
# shellcheck source=../scripts/testnet.sh
. "$root/scripts/testnet.sh"
sv_pid=
failed=0

cleanup() {
	[ -n "$sv_pid" ] && kill -TERM "$sv_pid" 2>/dev/null && wait "$sv_pid" 2>/dev/null
	testnet_down
	[ -n "$KEEP_PCAP" ] && cp "$tmp/wire.pcap" "$KEEP_PCAP"
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
KEEP_PCAP=${KEEP_PCAP:-}

pass() { echo "PASS $*"; }
fail() {
	echo "FAIL $*"
	failed=1
}
# The stack on the TAP device in the dev namespace; its log is run.log.
run_image() {
	ip netns exec "$TESTNET_DEV" "$build/bin/sealnet" run "$1" --tap tap0 \
		>"$tmp/run.log" 2>&1 &
	sv_pid=$!
}
has() { grep -qE -- "$1" "$tmp/run.log"; }
wait_for() {
	local end=$((SECONDS + $2))
	until has "$1"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.05
	done
}
check() {
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

if [ "$(id -u)" -ne 0 ]; then
	echo "FAIL network-test: needs root (namespaces, TAP)"
	exit 1
fi

# ---- the throwaway network ----
TESTNET_DNS=10.0.0.3
# Where forged DNS answers point.  Outside the DHCP range: sealnet's
# address is leased by a hash of a random MAC, and must never be this one.
forged_addr=10.0.0.200
testnet_up "$tmp" || {
	echo "FAIL network-test: cannot build the test network"
	exit 1
}
ip -n "$TESTNET_SRV" addr add 10.0.0.3/24 dev vs
ip -n "$TESTNET_SRV" addr add 10.0.0.9/24 dev vs
testnet_spawn /usr/bin/python3 -u "$root/tests/tools/fake_dns.py" \
	10.0.0.3 10.0.0.9 10.0.0.1 "$forged_addr" >"$tmp/dns.log" 2>&1
# Everything on the wire, as the server side sees it.
testnet_spawn tcpdump -i vs -n -U -s 128 -w "$tmp/wire.pcap" 2>/dev/null
capture_pid=${TESTNET_PIDS[-1]}
testnet_spawn "$build/tools/echo_server" 7007
testnet_spawn "$build/tools/echo_server" udp 7009

# ---- the stack ----
"$build/bin/sealnet" image build -o "$tmp/net.json" \
	"$build/compartments/firewall" "$build/compartments/tcpip" \
	"$build/compartments/netapi" "$build/compartments/dns" \
	"$build/compartments/tcp_test" "$build/compartments/http_server" ||
	fail "image build"
run_image "$tmp/net.json"

check "all six compartments become ready" \
	wait_for 'all 6 compartments ready' 10
check "TCPIP gets an address by DHCP through the Firewall" \
	wait_for 'TCPIP: address 10\.0\.0\.[0-9]+/24, gateway [0-9.]+, by DHCP' 30
grep -oE 'TCPIP: address [^,]+' "$tmp/run.log" | sed 's/^/  /'
check "the application sees the address" wait_for 'RESULT address: ok' 30
check "the echo test ran" wait_for 'RESULT not granted' 120
grep 'RESULT' "$tmp/run.log" | sed 's/^/  /'
check "connect by name, through NetAPI and DNS, succeeds" has 'RESULT connect: ok'
check "10 MiB echo through the stack, checksums match" \
	has 'RESULT echo: 10485760 bytes sent, 10485760 back in [0-9]+ ms, checksums match'
check "a host:port without a capability is refused" \
	has 'RESULT not granted: refused \(-EPERM\)'
check "a UDP socket reaches no one until its peer is authorised" \
	has 'RESULT udp before authorising: [1-9][0-9]* bytes sent, nothing came back'
check "UDP round trip to an authorised peer" \
	has 'RESULT udp round trip: ok in [0-9.]+ ms, from 10\.0\.0\.1:7009'

# ---- forged DNS answers ----
# fake_dns.py forges an answer to each of these names before the true one
# and logs each forgery; only this step looks these names up.  The wrong
# id reaches the DNS compartment, whose own check drops it (the Firewall
# lets it through: it comes from the server's port 53); the Firewall
# drops the other two first.  compartments/dns/tests/dns_answer_test.c shows each of the
# DNS compartment's checks alone.
check "the forged-answer lookups ran" wait_for 'RESULT dns answer with the wrong port' 30
grep 'RESULT dns' "$tmp/run.log" | sed 's/^/  /'
declare -A forged_from=([id]=10.0.0.3:53 [server]=10.0.0.9:53 [port]=10.0.0.3:5353)
for what in id server port; do
	name=wrong$what.test
	forged=$(grep -cE "^fake_dns: forged an answer for $name from ${forged_from[$what]}, [1-9][0-9]* bytes" "$tmp/dns.log")
	check "a forged answer for $name was sent from ${forged_from[$what]} ($forged sent)" \
		test "$forged" -ge 1
	check "a DNS answer with the wrong $what is ignored" \
		has "RESULT dns answer with the wrong $what: ignored, the real server answered"
done
check "a CNAME is followed to its address" \
	wait_for 'RESULT dns cname: followed to the address' 10
check "an IPv6 address by SLAAC, and TCP over IPv6" \
	wait_for 'RESULT ipv6: address by SLAAC, 64 KiB echoed, checksums match' 20
grep 'RESULT ipv6' "$tmp/run.log" | sed 's/^/  /'

# ---- forged TCP segments ----
sent=none
if wait_for 'RESULT spoof: holding a connection' 30; then
	sleep 0.3
	# The echo server is dual-stack: ss shows IPv4 peers as [::ffff:a.b.c.d].
	client=$(ip netns exec "$TESTNET_SRV" ss -Htn state established '( sport = :7007 )' |
		awk '{print $4}' | sed -E 's/^\[::ffff:([0-9.]+)\]/\1/' | head -1)
	sent=$(ip netns exec "$TESTNET_SRV" /usr/bin/python3 "$root/tests/tools/inject_tcp.py" \
		"$tmp/wire.pcap" 10.0.0.1:7007 "$client" 10.0.0.9 2>&1)
	echo "  injected into the connection from $client: $sent segments"
fi
check "forged segments were sent into a live connection" \
	grep -qxE '[1-9][0-9]*' <<<"$sent"
testnet_spawn "$build/tools/echo_server" 7011 # the attack is over
check "forged resets and data do not touch a connection" \
	wait_for 'RESULT spoof: after the attack, 1 MiB echoed, checksums match' 30

check "data that arrives after a receive timed out goes to the next one" \
	has 'RESULT late data: kept for the next receive'
check "connects that time out leave no socket and no connection behind" \
	has 'RESULT connect timeouts: [0-9]+ connected, [1-9][0-9]* timed out; then 4 of 4 sockets could be opened$'
check "NetAPI works on at most 8 calls of one caller at once" \
	has 'RESULT netapi caller limit: 8 in progress, the 9th refused \(-EAGAIN\); once they ended, a connect: ok'
check "a peer that stops reading stalls no other connection" \
	has 'RESULT stalled peer: stalled after [0-9]+ KiB; another connection echoed 256 KiB meanwhile: ok'
check "TCPIP holds no more sockets for a compartment than its quota" \
	has 'RESULT socket quota: 4 sockets, then refused \(-EDQUOT\); after a close, another one'

check "no part of the stack died so far" \
	bash -c "! grep -E '(Firewall|TCPIP|NetAPI|DNS|http_server) \(incarnation [0-9]+\) ' '$tmp/run.log'"

# ---- the server example: only its port is open, up to its limit ----
addr=$(grep -oE 'TCPIP: address 10\.0\.0\.[0-9]+' "$tmp/run.log" | head -1 | grep -oE '10\.0\.0\.[0-9]+')
wait_for 'http_server: listening on port 80' 10
open_ports=$(ip netns exec "$TESTNET_SRV" nmap -Pn -n -T4 -p 1-1024,7007,49152-49200 \
	--max-retries 1 --host-timeout 60s "$addr" 2>/dev/null |
	grep -E '^[0-9]+/tcp +open' | cut -d/ -f1 | tr '\n' ' ')
echo "  nmap from the server side finds open: ${open_ports:-nothing}"
check "nmap finds only the bound port open" test "$open_ports" == "80 "
cat >"$tmp/limit.py" <<'EOPY'
import socket, sys, time
held = [socket.create_connection((sys.argv[1], 80), timeout=5) for _ in range(4)]
try:
    socket.create_connection((sys.argv[1], 80), timeout=2)
    print("fifth connection accepted")
except OSError:
    print("fifth connection refused")
# The clients leave; their places free up once their connections are
# closed on both sides.
for h in held:
    h.close()
deadline = time.time() + 30
while True:
    try:
        s = socket.create_connection((sys.argv[1], 80), timeout=3)
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        print("after they left: " + s.recv(100).split(b"\r\n")[0].decode())
        break
    except OSError:
        if time.time() > deadline:
            print("after they left: still refused")
            break
EOPY
limit_out=$(ip netns exec "$TESTNET_SRV" /usr/bin/python3 "$tmp/limit.py" "$addr" 2>&1)
echo "$limit_out" | sed 's/^/  /'
check "four clients at once, a fifth is held off" \
	grep -q 'fifth connection refused' <<<"$limit_out"
check "when they leave, a new client is served" \
	grep -q 'after they left: HTTP/1.0 200 OK' <<<"$limit_out"

# ---- TCPIP killed during a transfer ----
# Every call in flight to a compartment that dies fails with
# -ENOTRECOVERABLE at once; a stack that only hung until its 5 s
# time-outs would give -ETIMEDOUT, later.  The application prints the
# wall-clock time of its error, to be set against the kill's.
max_error_ms=1000
testnet_spawn "$build/tools/echo_server" 7008 # the signal to begin
check "a long transfer starts" wait_for 'RESULT transfer: started' 30
sleep 0.5
tcpip_pid=$(grep -oE 'started TCPIP \(pid [0-9]+' "$tmp/run.log" | tail -1 | grep -oE '[0-9]+$')
killed_at=$(date +%s.%N)
kill -KILL "$tcpip_pid"
check "the application gets an error, not a hang" \
	wait_for 'RESULT transfer interrupted after [0-9]+ bytes' 15
error_line=$(grep -oE 'RESULT transfer interrupted after .*' "$tmp/run.log")
check "the error is -ENOTRECOVERABLE, the documented one for a dead compartment" \
	grep -qE ': -ENOTRECOVERABLE \(-[0-9]+\) at [0-9]+\.[0-9]+$' <<<"$error_line"
error_at=$(grep -oE '[0-9]+\.[0-9]+$' <<<"$error_line")
error_ms=$(awk -v e="${error_at:-0}" -v k="$killed_at" 'BEGIN { printf "%.0f", (e - k) * 1000 }')
echo "  the error came $error_ms ms after the kill"
check "it comes within $max_error_ms ms of the kill, after it" \
	test "$error_ms" -ge 0 -a "$error_ms" -le "$max_error_ms"
check "a new connection works after TCPIP restarts" \
	wait_for 'RESULT reconnected [0-9.]+ ms after the error; echo ok' 40
grep -E 'RESULT (transfer|reconnected)' "$tmp/run.log" | sed 's/^/  /'
check "the application is done" wait_for 'RESULT done' 30

kill -TERM "$sv_pid"
wait "$sv_pid"
check "the supervisor stops cleanly" test $? -eq 0
sv_pid=

# ---- addresses from the image instead of DHCP ----
mkdir -p "$tmp/www"
echo "static page" >"$tmp/www/index.html"
testnet_spawn /usr/bin/python3 -m http.server 80 --bind 10.0.0.1 \
	--directory "$tmp/www" >/dev/null 2>&1
discovers=$(grep -c DHCPDISCOVER "$tmp/dnsmasq.log")
# The count below means something only if dnsmasq logs what DHCP did.
check "dnsmasq logged the first stack's DHCP requests ($discovers)" \
	test "$discovers" -ge 1
# With its address given, the stack is up at once: the server must be too.
for _ in $(seq 100); do
	ip netns exec "$TESTNET_SRV" ss -Hltn 'sport = :80' | grep -q . && break
	sleep 0.05
done
"$build/bin/sealnet" image build -o "$tmp/static.json" \
	--ipv4 10.0.0.40/24 --gateway 10.0.0.1 --dns 10.0.0.3 \
	"$build/compartments/firewall" "$build/compartments/tcpip" \
	"$build/compartments/netapi" "$build/compartments/dns" \
	"$build/compartments/http_client" "$build/compartments/http_server" ||
	fail "image build with static addresses"
check "the audit shows the image's addresses" \
	bash -c "'$build/bin/sealnet' audit '$tmp/static.json' | jq -e '.network == {\"ipv4\": \"10.0.0.40/24\", \"gateway\": \"10.0.0.1\", \"dns\": \"10.0.0.3\"}' >/dev/null"
run_image "$tmp/static.json"
check "TCPIP takes its address from the image" \
	wait_for 'TCPIP: address 10\.0\.0\.40/24, gateway 10\.0\.0\.1, from the image' 10
check "a name resolves through the image's DNS server" \
	wait_for 'http_client: HTTP/1.0 200 OK' 20
wait_for 'http_server: listening on port 80' 10
check "a client on the network reaches the image's address" \
	bash -c "ip netns exec '$TESTNET_SRV' /usr/bin/python3 -c 'import urllib.request,sys; sys.exit(urllib.request.urlopen(\"http://10.0.0.40/\", timeout=5).status != 200)'"
check "no DHCP request was made" \
	test "$(grep -c DHCPDISCOVER "$tmp/dnsmasq.log")" -eq "$discovers"
kill -TERM "$sv_pid"
wait "$sv_pid"
sv_pid=

# ---- what the wire saw, once the capture is complete ----
kill -INT "$capture_pid"
wait "$capture_pid" 2>/dev/null
on_wire() { tcpdump -r "$tmp/wire.pcap" -n "$1" 2>/dev/null | wc -l; }
check "the capture saw the traffic" test "$(on_wire 'tcp port 7007')" -gt 1000
check "no packet went to the host without a capability" \
	test "$(on_wire 'dst host 10.0.0.1 and tcp dst port 22')" -eq 0
check "exactly one datagram reached the UDP peer: the authorised one" \
	test "$(on_wire 'udp dst port 7009')" -eq 1
check "no packet went to the forged DNS address" \
	test "$(on_wire "dst host $forged_addr or arp host $forged_addr")" -eq 0
if [ "$failed" -ne 0 ]; then
	echo "---- sealnet ----"
	cat "$tmp/run.log"
	echo "---- dnsmasq ----"
	tail -20 "$tmp/dnsmasq.log" 2>/dev/null
fi
exit "$failed"
