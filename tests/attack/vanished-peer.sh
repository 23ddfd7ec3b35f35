#!/usr/bin/env bash
# A client that vanishes while the server still has something for it, in
# namespaces this test makes and removes itself (scripts/testnet.sh).  The
# stack runs the demo's http_server compartment (port 80, at most 4
# connections), which waits up to 5 s for a request, answers, and closes.
#
# A client connects and sends nothing; then every frame its namespace
# sends to the stack is dropped (a blackhole route), as when a peer
# vanishes or its address was forged (a SYN cookie a forged ACK matched:
# docs/network.md).  http_server answers and closes, and lwIP has data
# and a FIN that nobody will acknowledge.  Checks that TCPIP gives that
# closed connection up after its retransmissions go unanswered, well
# before lwIP's own limit for every connection (39 minutes here),
# so that its Firewall rule and its place under the port's limit come
# back within 150 s of the peer vanishing; that TCPIP says so; that the
# port then serves a real client; and that no part of the stack died.
# Prints how long the place was held.
#
# SEALNET_BUILD=DIR runs it against another build (default: build/).
# Needs root.
set -uo pipefail
[ -n "${SEALNET_BUILD:-}" ] && SN_BUILD=$SEALNET_BUILD
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../netlib.sh
. "$SN_ROOT/tests/netlib.sh"
net_begin vanished python3 curl
GIVE_UP_LIMIT=150

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

# The client holds its socket open, reads nothing and says nothing: its
# kernel would acknowledge, and the blackhole takes that.
spawn ip netns exec "$TESTNET_SRV" /usr/bin/python3 -c "
import socket, time
s = socket.create_connection(('$addr', 80))
print('connected', flush=True)
time.sleep(3600)" >"$SN_TMP/client.out"
check "the client connects" quietly wait_line "$SN_TMP/client.out" '^connected' 5
check "the Firewall holds a rule for it" wait_until 3 rules_not_idle
in_srv ip route add blackhole "$addr/32"
at_cleanup "ip netns exec '$TESTNET_SRV' ip route del blackhole '$addr/32' 2>/dev/null"
start=$SECONDS
mark "$log"
check "http_server answers and closes after its 5 s wait" \
	quietly wait_line "$log" '^http_server: served request' 10

until [ "$(rules)" = "$idle" ] || [ $((SECONDS - start)) -ge "$GIVE_UP_LIMIT" ]; do
	sleep 1
done
held=$((SECONDS - start))
say "the rule and the place were held $held s after the client vanished (limit $GIVE_UP_LIMIT s)"
check "the Firewall's rule count returns to its idle value" \
	test -n "$idle" -a "$(rules)" = "$idle"
check "TCPIP says it gave the closed connection up" \
	has_line "$log" '^TCPIP: gave up 1 closed connections whose peer stopped answering$'
in_srv ip route del blackhole "$addr/32"
check "then a real client is served" \
	quietly in_srv curl -s -o /dev/null -m 5 "http://$addr/"
check "no part of the stack died, and the supervisor killed none" \
	no_event "$ev" '.event=="died" or .event=="killed"'

stack_stop vanished
check "the supervisor stops cleanly" test $? -eq 0
finish
