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
# checksums; UDP only to an authorised peer, and at most 16 peers a
# socket whatever DNS answers; that a host without a
# capability is refused and no packet reaches it; forged DNS answers and
# forged TCP segments are ignored; nmap sees only the bound port; the
# connection limit; and recovery when TCPIP is killed mid-transfer.
# What the supervisor does is read from its event stream; what the test
# application found, from its RESULT lines; each read from a mark set
# before the action it is about (tests/lib.sh).
#
# KEEP_PCAP=FILE keeps the capture.  Needs root.
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
root=$SN_ROOT
build=$SN_BUILD
tmp=$SN_TMP
# shellcheck source=../scripts/testnet.sh
. "$root/scripts/testnet.sh"
KEEP_PCAP=${KEEP_PCAP:-}
# (The last registered runs first: the capture is copied once tcpdump,
# which testnet_down stops, has written all of it.)
[ -n "$KEEP_PCAP" ] && at_cleanup 'cp "$tmp/wire.pcap" "$KEEP_PCAP"'
at_cleanup testnet_down
require_root "namespaces, TAP"

# The stack on the TAP device in the dev namespace: its log is
# $tmp/NAME.log, its events $tmp/NAME.events.
run_image() { # NAME IMAGE
	stack_start --netns "$TESTNET_DEV" "$1" "$2" --tap tap0
	log=$tmp/$1.log
	ev=$tmp/$1.events
}
has() { has_line "$log" "$1"; }
on_failure 'for f in "$tmp"/net.log "$tmp"/static.log; do
	[ -e "$f" ] && echo "---- sealnet: $(basename "$f") ----" && cat "$f"; done'
on_failure 'echo "---- dnsmasq ----"; tail -20 "$tmp/dnsmasq.log" 2>/dev/null'
wait_for() { quietly wait_line "$log" "$1" "$2"; }

# ---- the throwaway network ----
TESTNET_DNS=10.0.0.3
# Where forged DNS answers point.  Outside the DHCP range: sealnet's
# address is leased by a hash of a random MAC, and must never be this one.
forged_addr=10.0.0.200
testnet_up "$tmp" || {
	echo "FAIL network-test: cannot build the test network"
	exit 1
}
dns_log=$tmp/dnsmasq.log
ip -n "$TESTNET_SRV" addr add 10.0.0.3/24 dev vs
ip -n "$TESTNET_SRV" addr add 10.0.0.9/24 dev vs
testnet_spawn /usr/bin/python3 -u "$root/tests/tools/fake_dns.py" \
	10.0.0.3 10.0.0.9 10.0.0.1 "$forged_addr" >"$tmp/dns.log" 2>&1
# Everything on the wire, as the server side sees it.
testnet_spawn tcpdump -i vs -n -U -s 128 -w "$tmp/wire.pcap" 2>/dev/null
capture_pid=${TESTNET_PIDS[-1]}
testnet_spawn "$build/tools/echo_server" 7007
testnet_spawn "$build/tools/echo_server" udp 7009
testnet_spawn "$build/tools/tcp_peer" pairs 7013
testnet_spawn "$build/tools/tcp_peer" counted 7014 8388608 >"$tmp/counted.out"
testnet_spawn "$build/tools/tcp_peer" source 7015 1073741824

# ---- the stack ----
"$build/bin/sealnet" image build -o "$tmp/net.json" \
	"$build/compartments/firewall" "$build/compartments/tcpip" \
	"$build/compartments/netapi" "$build/compartments/dns" \
	"$build/compartments/tcp_test" "$build/compartments/http_server" \
	"$build/compartments/small_quota" "$build/compartments/hoarder" ||
	fail "image build"
run_image net "$tmp/net.json"

check "all eight compartments become ready" \
	quietly wait_event "$ev" '.event=="all_ready" and .compartments==8' 10
check "TCPIP gets an address by DHCP through the Firewall" \
	wait_for 'TCPIP: address 10\.0\.0\.[0-9]+/24, gateway [0-9.]+, by DHCP' 30
addr=$(lines "$log" 'TCPIP: address 10\.0\.0\.[0-9]+' | head -1 |
	grep -oE '10\.0\.0\.[0-9]+' | head -1)
say "TCPIP: address ${addr:-none}"
# dnsmasq's lease file: "expiry MAC address name client-id".
check "dnsmasq leased that address" \
	wait_until 5 awk -v a="${addr:-none}" '$3 == a { found = 1 } END { exit !found }' "$tmp/leases"
check "the application sees the address" wait_for 'RESULT address: ok' 30
check "the echo test ran" wait_for 'RESULT not granted' 120
lines "$log" 'RESULT' | sed 's/^/  /'
check "connect by name, through NetAPI and DNS, succeeds" has 'RESULT connect: ok'
# small_quota may hold 64 KiB in TCPIP, an eighth of a window, and reads
# slowly: the window its connection offers must shrink to that, so the
# sender waits for room instead of sending what TCPIP then throws away.
check "a receiver with a quota under the window gets all 8 MiB" \
	wait_for 'RESULT small quota: 8388608 bytes received' 60
check "... and its sender never had to retransmit" \
	wait_until 5 grep -q '^8388608 bytes written, 0 segments retransmitted$' \
	"$tmp/counted.out"
say "the sender: $(cat "$tmp/counted.out")"
check "10 MiB echo through the stack, checksums match" \
	has 'RESULT echo: 10485760 bytes sent, 10485760 back in [0-9]+ ms, checksums match'
check "a host:port without a capability is refused" \
	has 'RESULT not granted: refused \(-EPERM\)'
check "a UDP socket reaches no one until its peer is authorised" \
	has 'RESULT udp before authorising: [1-9][0-9]* bytes sent, nothing came back'
check "UDP round trip to an authorised peer" \
	has 'RESULT udp round trip: ok in [0-9.]+ ms, from 10\.0\.0\.1:7009'
# A name whose every lookup gives a new address (tools/fake_dns.py): one
# socket may not fill the Firewall's rules, which every compartment needs.
check "a UDP socket authorises at most 16 peers, then -EDQUOT" \
	has 'RESULT udp peers, socket 1: 16 authorised, then Disk quota exceeded'
check "... and a new one 16 again once the first is closed" \
	has 'RESULT udp peers, socket 2: 16 authorised, then Disk quota exceeded'

# ---- forged DNS answers ----
# fake_dns.py forges an answer to each of these names before the true one
# and logs each forgery; only this step looks these names up.  The wrong
# id reaches the DNS compartment, whose own check drops it (the Firewall
# lets it through: it comes from the server's port 53); the Firewall
# drops the other two first.  compartments/dns/tests/dns_answer_test.c shows each of the
# DNS compartment's checks alone.
check "the forged-answer lookups ran" wait_for 'RESULT dns answer with the wrong port' 30
lines "$log" 'RESULT dns' | sed 's/^/  /'
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
lines "$log" 'RESULT ipv6' | sed 's/^/  /'

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
# The verdict must come after the attack: read from here on.
mark "$log"
testnet_spawn "$build/tools/echo_server" 7011 # the attack is over
check "forged resets and data do not touch a connection" \
	wait_for 'RESULT spoof: after the attack, 1 MiB echoed, checksums match' 30
unmark "$log"

check "data that arrives after a receive timed out goes to the next one" \
	has 'RESULT late data: kept for the next receive'
check "connects that time out leave no socket and no connection behind" \
	has 'RESULT connect timeouts: [0-9]+ connected, [1-9][0-9]* timed out; then 4 of 4 sockets could be opened$'
check "NetAPI works on at most 8 calls of one caller at once" \
	has 'RESULT netapi caller limit: 8 in progress, the 9th refused \(-EAGAIN\); once they ended, a connect: ok'
check "a peer that stops reading stalls no other connection" \
	has 'RESULT stalled peer: stalled after [0-9]+ KiB; another connection echoed 256 KiB meanwhile: ok'
# tcp_peer pairs answers each request with two small writes and Nagle's
# algorithm holds the second until the first is acknowledged: without a
# prompt acknowledgement each round waits for lwIP's delayed-ACK timer.
check "a small segment is acknowledged at once: a Nagle peer's 60 answers in 2 s" \
	has 'RESULT small segments: 60 of 60 rounds in 2000 ms'
lines "$log" 'RESULT small segments' | sed 's/^/  /'
check "TCPIP holds no more sockets for a compartment than its quota" \
	has 'RESULT socket quota: 4 sockets, then refused \(-EDQUOT\); after a close, another one'

# hoarder opens its 8 sockets to a source that never stops, and reads
# nothing: whatever TCPIP acknowledged on them, it holds.  Its quota pays
# for 64 KiB of window, each socket for a floor of four 1460-byte
# segments (compartments/tcpip/window.h); with lwIP's whole window each
# would hold 512 KiB.
hoard_floor=$((8 * 4 * 1460)) hoard_max=$((8 * 4 * 1460 + 64 * 1024))
hoarded() { # "connections bytes" the source's side saw acknowledged
	ip netns exec "$TESTNET_SRV" ss -Hti state established '( sport = :7015 )' |
		grep -oE 'bytes_acked:[0-9]+' | awk -F: '{ n++; b += $2 } END { print n + 0, b + 0 }'
}
hoard_settled() { # the sender has stopped: every window is full
	local before
	before=$(hoarded) && sleep 0.5 && [ "$(hoarded)" = "$before" ] &&
		[ "${before% *}" = 8 ] && echo "$before" >"$tmp/hoarded"
}
check "an application opens 8 sockets and reads none" \
	wait_for 'RESULT hoarder: 8 connections, reading none' 30
wait_until 10 hoard_settled
read -r hoard_conns hoard_bytes <"$tmp/hoarded" 2>/dev/null
say "the source's side: ${hoard_conns:-no} connections, ${hoard_bytes:-no} bytes acknowledged"
check "... TCPIP holds for it at most its quota and a floor a socket ($hoard_max bytes)" \
	test "${hoard_bytes:-0}" -le "$hoard_max" -a "${hoard_bytes:-0}" -ge "$hoard_floor"

# No compartment at all: the test application is not done either.
check "no compartment died or was killed so far" \
	no_event "$ev" '(.event=="died" and (.compartment!="small_quota" or
		.cause!="exit" or .exit_status!=0)) or .event=="killed"'

# ---- the server example: only its port is open, up to its limit ----
check "the server example listens on port 80" \
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
tcpip_pid=$(newest_pid "$ev" TCPIP)
mark "$log"
mark "$ev"
killed_at=$(date +%s.%N)
kill -KILL "$tcpip_pid"
check "TCPIP (pid $tcpip_pid) dies of the SIGKILL" \
	quietly wait_event "$ev" ".event==\"died\" and .compartment==\"TCPIP\" and
		.pid==$tcpip_pid and .cause==\"signal\" and .signal==9" 10
check "the supervisor restarts TCPIP, and it is ready again" \
	quietly wait_event "$ev" '.event=="ready" and .compartment=="TCPIP" and
		.incarnation==2' 10
check "the application gets an error, not a hang" \
	wait_for 'RESULT transfer interrupted after [0-9]+ bytes' 15
error_line=$(lines "$log" 'RESULT transfer interrupted after ' | grep -oE 'RESULT transfer interrupted after .*')
check "the error is -ENOTRECOVERABLE, the documented one for a dead compartment" \
	grep -qE ': -ENOTRECOVERABLE \(-[0-9]+\) at [0-9]+\.[0-9]+$' <<<"$error_line"
error_at=$(grep -oE '[0-9]+\.[0-9]+$' <<<"$error_line")
error_ms=$(awk -v e="${error_at:-0}" -v k="$killed_at" 'BEGIN { printf "%.0f", (e - k) * 1000 }')
echo "  the error came $error_ms ms after the kill"
check "it comes within $max_error_ms ms of the kill, after it" \
	test "$error_ms" -ge 0 -a "$error_ms" -le "$max_error_ms"
check "a new connection works after TCPIP restarts" \
	wait_for 'RESULT reconnected [0-9.]+ ms after the error; echo ok' 40
lines "$log" 'RESULT (transfer|reconnected)' | sed 's/^/  /'
check "the application is done" wait_for 'RESULT done' 30
check "it ends with status 0" \
	quietly wait_event "$ev" '.event=="died" and .compartment=="tcptest" and
		.cause=="exit" and .exit_status==0' 10
# (http_server ends when its listener fails, and is restarted.)
check "Firewall, NetAPI and DNS live on after TCPIP's death" \
	no_event "$ev" '.event=="killed" or (.event=="died" and
		(.compartment=="Firewall" or .compartment=="NetAPI" or
		 .compartment=="DNS"))'

mark "$ev"
stack_stop net
check "the supervisor stops cleanly" test $? -eq 0
check "and says that no compartment is left running" \
	has_event "$ev" '.event=="stopped"'

# ---- addresses from the image instead of DHCP ----
mkdir -p "$tmp/www"
echo "static page" >"$tmp/www/index.html"
testnet_spawn /usr/bin/python3 -m http.server 80 --bind 10.0.0.1 \
	--directory "$tmp/www" >/dev/null 2>&1
discovers=$(count_lines "$dns_log" DHCPDISCOVER)
# The check below means something only if dnsmasq logs what DHCP did.
check "dnsmasq logged the first stack's DHCP requests ($discovers)" \
	test "$discovers" -ge 1
mark "$dns_log"
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
run_image static "$tmp/static.json"
check "all six compartments of the second image become ready" \
	quietly wait_event "$ev" '.event=="all_ready" and .compartments==6' 10
check "TCPIP takes its address from the image" \
	wait_for 'TCPIP: address 10\.0\.0\.40/24, gateway 10\.0\.0\.1, from the image' 10
check "a name resolves through the image's DNS server" \
	wait_for 'http_client: HTTP/1.0 200 OK' 20
check "the server example listens again" \
	wait_for 'http_server: listening on port 80' 10
check "a client on the network reaches the image's address" \
	bash -c "ip netns exec '$TESTNET_SRV' /usr/bin/python3 -c 'import urllib.request,sys; sys.exit(urllib.request.urlopen(\"http://10.0.0.40/\", timeout=5).status != 200)'"
check "no DHCP request was made" no_line "$dns_log" DHCPDISCOVER
check "the second stack stops cleanly" stack_stop static

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
finish
