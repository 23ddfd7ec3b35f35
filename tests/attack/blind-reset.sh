#!/usr/bin/env bash
# Blind resets against a server's connection, in namespaces this test
# makes and removes itself (scripts/testnet.sh).  The stack runs the
# demo's http_server compartment (port 80), which waits up to 5 s for a
# request.
#
# A client connects and sends half a request.  An off-path attacker that
# knows the client's address and port, but not the connection's numbers,
# then sends resets at sixteen sequence numbers spread over the whole
# space (hping3, from the client's own address).  lwIP ends a connection
# only for a reset at the number it expects (RFC 5961) and the Firewall
# keeps no numbers, so the Firewall must leave the connection to lwIP:
# checks that the resets reached the stack, that the connection's rule is
# still there, that the client then finishes its request and gets the
# page on the same connection, and that no part of the stack died.
#
# SEALNET_BUILD=DIR runs it against another build (default: build/).
# Needs root.
set -uo pipefail
[ -n "${SEALNET_BUILD:-}" ] && SN_BUILD=$SEALNET_BUILD
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../netlib.sh
. "$SN_ROOT/tests/netlib.sh"
net_begin blindrst python3 hping3 curl
go=$SN_TMP/go

rules_not_idle() { [ "$(rules)" != "$idle" ]; }

net_up
net_stack http_server
check "the server listens on port 80" \
	quietly wait_line "$log" '^http_server: listening on port 80' 30
net_address
check "a real client is served" \
	quietly in_srv curl -s -o /dev/null -m 5 "http://$addr/"
sleep 1.5
idle=$(rules)
say "the Firewall's rules when idle: ${idle:-none logged}"

# The client: half a request, then the rest once told to, then the page.
spawn ip netns exec "$TESTNET_SRV" /usr/bin/python3 -c "
import os, socket, sys, time
s = socket.create_connection(('$addr', 80), timeout=5)
s.sendall(b'GET / HTTP/1.0\r\n')
print('port', s.getsockname()[1], flush=True)
while not os.path.exists('$go'):
    time.sleep(0.01)
reply = b''
try:
    s.sendall(b'\r\n')
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        reply += chunk
except OSError as e:
    print('failed:', e, flush=True)
    sys.exit(1)
print('page' if reply.startswith(b'HTTP/1.0 200 OK') else
      'no page: %r' % reply[:60], flush=True)" >"$SN_TMP/client.out"
check "the client connects" quietly wait_line "$SN_TMP/client.out" '^port ' 5
port=$(awk '/^port / {print $2}' "$SN_TMP/client.out")
check "the Firewall holds a rule for it" wait_until 3 rules_not_idle
with_client=$(rules)
say "the Firewall's rules with the client connected: ${with_client:-none logged}"

mark "$log"
pids=()
for i in $(seq 0 15); do
	testnet_spawn ip netns exec "$TESTNET_SRV" hping3 -q -R -k -s "$port" \
		-p 80 -M $((i * 268435456)) -c 1 "$addr"
	pids+=("${TESTNET_PIDS[-1]}")
done
wait "${pids[@]}" 2>/dev/null
# The Firewall logs its rule count at most once a second, when it moved.
sleep 1.5
check "the connection's rule is still there after the resets" \
	test -n "$with_client" -a "$(rules)" = "$with_client"
touch "$go"
check "the client finishes its request and gets the page" \
	quietly wait_line "$SN_TMP/client.out" '^page$' 5
sed -n '2,$p' "$SN_TMP/client.out" | sed 's/^/  client: /'
check "no part of the stack died, and the supervisor killed none" \
	no_event "$ev" '.event=="died" or .event=="killed"'

stack_stop blindrst
check "the supervisor stops cleanly" test $? -eq 0
finish
