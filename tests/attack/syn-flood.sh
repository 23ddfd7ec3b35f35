#!/usr/bin/env bash
# SYN and ACK floods against a server port, in namespaces this test makes
# and removes itself (scripts/testnet.sh).  The stack runs the demo's
# http_server compartment: port 80, at most 4 connections.  Attacks come
# from the server namespace with hping3; real clients are curl there too.
#
# Checks that 4 spoofed SYNs leave the port open; that during 10 s floods
# at 20,000 packets a second (random-source SYNs, random-source ACKs, and
# SYNs from one real address) at least 90% of real requests succeed and
# all do within 1 s after the flood; that the Firewall's rule count goes
# back to its idle value; and that no part of the stack died.  Prints
# the rate hping3 reached, the requests served during each flood, the
# time to the first success after it, and the Firewall's CPU use.
#
# SEALNET_BUILD=DIR runs it against another build (default: build/).
# SYN_FLOOD_PCAP=FILE also records, on the TAP device, every frame to or
# from the real clients' address (not the random-source floods), and
# keeps FILE only if the run fails.
# Needs root.
set -uo pipefail
[ -n "${SEALNET_BUILD:-}" ] && SN_BUILD=$SEALNET_BUILD
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../netlib.sh
. "$SN_ROOT/tests/netlib.sh"
tmp=$SN_TMP
net_begin server hping3 curl
FLOOD_SECONDS=10
HPING_INTERVAL=${HPING_INTERVAL:-u25}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# One real request, within $1 seconds, with curl's further arguments:
# prints the seconds it took (and, if it failed, the HTTP status, curl's
# exit status, the seconds to connect and the client's port, to find its
# frames in SYN_FLOOD_PCAP's capture), and succeeds on a 200.
request() {
	local out rc code total connect port
	out=$(in_srv curl -s -o /dev/null -m "$@" \
		-w '%{http_code} %{time_total} %{time_connect} %{local_port}' \
		"http://$addr/" 2>/dev/null)
	rc=$?
	read -r code total connect port <<<"$out"
	if [ "$code" = 200 ]; then
		echo "$total s"
		return 0
	fi
	echo "$total s (HTTP ${code:-none}, curl exit $rc, connected after ${connect:-?} s, from port ${port:-?})"
	return 1
}

# One request from client port $1 that, unlike curl, closes only after
# the server has closed (so only the server keeps the connection in
# TIME_WAIT): prints the seconds it took, or what went wrong, and
# succeeds when the whole page came back within 2 s.
request_from_port() {
	in_srv /usr/bin/python3 - "$addr" "$1" <<'PY'
import socket, sys, time
start = time.monotonic()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.settimeout(2)
reply, ended = b"", False
try:
    s.bind(("", int(sys.argv[2])))
    s.connect((sys.argv[1], 80))
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    while not ended:
        chunk = s.recv(4096)
        reply += chunk
        ended = chunk == b""
except OSError as e:
    print("failed after %.3f s: %s" % (time.monotonic() - start, e))
    sys.exit(1)
finally:
    s.close()
print("%.6f s" % (time.monotonic() - start))
sys.exit(0 if reply.startswith(b"HTTP/1.0 200 OK") else 1)
PY
}

# CPU seconds a process has used so far.
cpu_seconds() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / hz }' \
		"/proc/$1/stat" 2>/dev/null
}

# Real requests one after another, until the file $1 exists; one line
# each in $2: "ok" or "failed".
clients() {
	local t
	while [ ! -e "$1" ]; do
		if t=$(request 3); then echo ok; else echo "failed: $t"; fi
		sleep 0.1
	done >"$2"
}

# flood NAME HPING3-ARGS...: FLOOD_SECONDS of hping3 at 20,000 packets a
# second with real requests meanwhile, then requests until one succeeds.
# One hping3 with -i u50 reaches about half that here (its sleeps take
# longer than asked), so two run side by side at -i u25.
flood() {
	local name=$1 ok total end cpu0 cpu1 sent=0 rate first after=0 pids=() i n t
	shift
	rm -f "$tmp/stop"
	cpu0=$(cpu_seconds "$fw_pid")
	for i in 1 2; do
		testnet_spawn timeout -s INT "$FLOOD_SECONDS" hping3 -q -p 80 \
			-i "$HPING_INTERVAL" "$@" "$addr" >"$tmp/hping$i.log" 2>&1
		pids+=("${TESTNET_PIDS[-1]}")
	done
	sleep 0.5 # the flood is under way
	spawn clients "$tmp/stop" "$tmp/clients.log"
	clients_pid=$SN_LAST_PID
	wait "${pids[@]}" 2>/dev/null
	end=$(now)
	cpu1=$(cpu_seconds "$fw_pid")
	touch "$tmp/stop"
	first=none
	for _ in $(seq 50); do
		if request 1 >/dev/null; then
			first=$(elapsed "$end" "$(now)")
			break
		fi
	done
	for _ in 1 2 3 4 5; do
		if t=$(request 1); then
			after=$((after + 1))
		else
			echo "  $name: a request after the flood failed: $t"
		fi
	done
	wait "$clients_pid"
	grep '^failed' "$tmp/clients.log" | sed "s/^/  $name: a request during the flood /"
	ok=$(grep -c '^ok$' "$tmp/clients.log")
	total=$(grep -c . "$tmp/clients.log")
	for i in 1 2; do
		n=$(grep -oE '^[0-9]+ packets transmitted' "$tmp/hping$i.log" | grep -oE '^[0-9]+')
		sent=$((sent + ${n:-0}))
	done
	rate=$((sent / FLOOD_SECONDS))
	echo "  $name: hping3 sent $sent packets in $FLOOD_SECONDS s: $rate packets/s"
	echo "  $name: $ok of $total requests served during the flood"
	echo "  $name: first success ${first} s after the flood; then $after of 5"
	echo "  $name: Firewall CPU $(awk -v a="$cpu0" -v b="$cpu1" -v t="$FLOOD_SECONDS" \
		'BEGIN { printf "%.0f%%", 100 * (b - a) / t }') of one core during the flood"
	# The rate hping3 reaches depends on what else the machine runs
	# (3,300 to 22,000 a second here): the check is that this was a
	# flood, hundreds of times what the port admits, and the figure
	# above says how strong.
	check "$name: hping3 flooded (over 1,000 packets a second)" \
		test "$rate" -gt 1000
	check "$name: at least 90% of requests succeed during the flood" \
		test "$total" -gt 0 -a $((ok * 10)) -ge $((total * 9))
	check "$name: all requests succeed within 1 s after it" \
		awk -v f="$first" -v a="$after" 'BEGIN { exit !(f != "none" && f <= 1.0 && a == 5) }'
}

net_up
if [ -n "${SYN_FLOOD_PCAP:-}" ]; then
	spawn ip netns exec "$TESTNET_DEV" tcpdump -q -i tap0 -s 160 -B 8192 \
		-w "$SYN_FLOOD_PCAP" host 10.0.0.1 2>"$tmp/tcpdump.log"
	at_cleanup 'any_failed && cp "$log" "$SYN_FLOOD_PCAP.log" || rm -f "$SYN_FLOOD_PCAP"'
fi
net_stack http_server
check "the server listens on port 80" \
	quietly wait_line "$log" '^http_server: listening on port 80' 30
net_address
fw_pid=$(newest_pid "$ev" Firewall)
check "a real client is served before any attack" quietly request 5
# The count with no connection open: the Firewall logs it within a second.
sleep 1.5
idle=$(rules)
echo "  the Firewall's rules when idle: ${idle:-none logged}"

# ---- one client port, three connections in a row ----
# The server closes first, so lwIP keeps each connection in TIME_WAIT for
# two minutes while the client is free to use its port again at once
# (Linux does, under load): a new connection with the same addresses and
# ports, proven by its cookie, must be served, not answered by the old.
# After the idle count, so that a rule left behind counts against it.
for i in 1 2 3; do
	sleep 0.2 # TCPIP has closed the last one's hole
	t=$(request_from_port 40080)
	rc=$?
	echo "  request $i from client port 40080: $t"
	check "request $i from a client port lwIP holds in TIME_WAIT is served" \
		test $rc -eq 0
done

# ---- four spoofed SYNs: the port's limit is 4 ----
in_srv hping3 -q -S -p 80 -c 4 -i u10000 --rand-source "$addr" >/dev/null 2>&1
sleep 0.2
t=$(request 1)
rc=$?
echo "  after 4 spoofed SYNs, a real request took $t"
check "after 4 spoofed SYNs, a real client connects at once" test $rc -eq 0

# ---- floods ----
flood "random-source SYN flood" -S --rand-source
flood "random-source ACK flood" -A --rand-source
flood "SYN flood from one real address" -S

# ---- afterwards ----
end=$((SECONDS + 10))
until [ "$(rules)" = "$idle" ] || [ $SECONDS -ge $end ]; do sleep 0.2; done
echo "  the Firewall's rules afterwards: $(rules)"
check "the Firewall's rule count returns to its idle value" \
	test -n "$idle" -a "$(rules)" = "$idle"
lines "$log" 'Firewall: (answered|dropped inbound frame: (bad_cookie|server_full))' |
	tail -3 | sed 's/^/  /'
check "no part of the stack died, and the supervisor killed none" \
	no_event "$ev" '.event=="died" or .event=="killed"'

mark "$ev"
stack_stop server
check "the supervisor stops cleanly" test $? -eq 0
check "and says that no compartment is left running" \
	has_event "$ev" '.event=="stopped"'
finish
