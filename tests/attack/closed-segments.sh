#!/usr/bin/env bash
# Closed connections' segments still count to their owner, and bulk data
# is held to the same share, in namespaces this test makes and removes
# itself (scripts/testnet.sh).  The image holds the stack (Firewall,
# TCPIP, NetAPI, DNS), the hostile applications segment_leaver and
# send_hoarder and the honest wait_honest (tests/compartments/).  The
# hostile ones' server reads what it gets and acknowledges none of it
# (its acknowledgements are dropped in its namespace), so every segment
# they send stays in lwIP's pool, to be retransmitted for minutes,
# including after the leaver closes the connection.  In seven rounds the
# leaver connects, makes one-byte sends (a segment each) until one
# waits, and closes.  The hoarder sends bulk data on its two connections
# until a send waits, and keeps them open.
#
# Checks that over all its rounds the leaver's sends taken stay within
# its share of lwIP's segments (compartments/tcpip/segments.h: 768),
# whose first round takes most of it and whose later rounds are held
# back, TCPIP saying so; that then the honest application's 200
# echo round trips and 10 new connections all succeed, none slower than
# 1 s; that once the server's acknowledgements pass again, the closed
# connections' queues are acknowledged and leave the leaver's count (a
# round of its sends no longer waits); and that no compartment died.
# Without the count, each round takes a connection's queue of 1,436 and
# three the pool of 4,096: every other send and connect stalls.  Checks
# too that the hoarder took one connection's whole send buffer (1 MiB)
# and no more than its share in full segments, 768 of 1,460 bytes.
#
# SEALNET_BUILD=DIR runs it against another build (default: build/).
# Needs root.
set -uo pipefail
[ -n "${SEALNET_BUILD:-}" ] && SN_BUILD=$SEALNET_BUILD
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../netlib.sh
. "$SN_ROOT/tests/netlib.sh"
net_begin closedseg nft

# compartments/tcpip/segments.h: OWNER_SEGMENTS_MAX.
SHARE=768
SEND_BUFFER=$((1024 * 1024))
SHARE_BYTES=$((SHARE * 1460))
SLOWEST_US=1000000

net_up echo.test blackhole.test
testnet_spawn "$SN_BUILD/tools/echo_server" 7007
testnet_spawn "$SN_BUILD/tools/tcp_peer" sink 7031
# The blackhole's handshake passes (its SYN-ACK), nothing after it.
ip netns exec "$TESTNET_SRV" nft -f - <<'EONFT' ||
table inet blackhole {
	chain out {
		type filter hook output priority 0;
		tcp sport 7031 tcp flags & syn == 0 drop
	}
}
EONFT
	fail "the blackhole's acknowledgements cannot be dropped"
net_stack segment_leaver send_hoarder wait_honest
has() { has_line "$log" "$1"; }
result() { lines "$log" "RESULT $1" | tail -1; }
check "the honest application is connected" \
	quietly wait_line "$log" 'RESULT honest ready' 30
check "the leaver ends its rounds" \
	quietly wait_line "$log" 'RESULT leaver done' 60
any_failed && finish
lines "$log" 'RESULT leaver' | sed 's/.*RESULT /  /'

taken=$(result 'leaver done' | grep -oE '[0-9]+ one-byte sends' | grep -oE '^[0-9]+')
first=$(result 'leaver round 1:' | grep -oE '[0-9]+ one-byte' | grep -oE '^[0-9]+')
check "every round connected and closed" has 'RESULT leaver done: .*, 0 rounds failed$'
check "its first round takes most of its share: ${first:-?} sends taken" \
	test "${first:-0}" -ge 500
check "over seven rounds it takes at most its share of $SHARE segments (${taken:-?})" \
	test "${taken:-$((SHARE + 1))}" -le "$SHARE"
check "... its later sends waiting, TCPIP says: it is at its share" \
	has "TCPIP: segment_leaver is at its share of lwIP's segments"
check "the hoarder ends its sends" \
	quietly wait_line "$log" 'RESULT hoarder done' 30
say "$(result 'hoarder done' | sed 's/.*RESULT //')"
hoarded=$(result 'hoarder done' | grep -oE '[0-9]+ bytes taken' | grep -oE '^[0-9]+')
check "the hoarder's sends took a whole send buffer of $SEND_BUFFER bytes (${hoarded:-?})" \
	test "${hoarded:-0}" -ge "$SEND_BUFFER"
check "... and no more than its share, $SHARE_BYTES bytes" \
	test "${hoarded:-$((SHARE_BYTES + 1))}" -le "$SHARE_BYTES"
check "... its last send waiting, TCPIP says: it is at its share" \
	has "TCPIP: send_hoarder is at its share of lwIP's segments"

testnet_spawn "$SN_BUILD/tools/echo_server" 7008 # the honest one's go
check "the honest application runs" \
	quietly wait_line "$log" 'RESULT honest done' 60
lines "$log" 'RESULT honest' | sed 's/.*RESULT /  /'
trips=$(result 'honest round trips')
fresh=$(result 'honest new connections')
check "all 200 honest round trips succeed" grep -q 'round trips: 200 of 200' <<<"$trips"
check "all 10 honest new connections echo" grep -q 'connections: 10 of 10' <<<"$fresh"
for line in "$trips" "$fresh"; do
	slowest=$(grep -oE 'slowest [0-9]+' <<<"$line" | grep -oE '[0-9]+')
	check "... none slower than 1 s (slowest: ${slowest:-?} us)" \
		test "${slowest:-$SLOWEST_US}" -lt "$SLOWEST_US"
done
# Its server's acknowledgements pass again: lwIP's retransmissions of
# the closed connections are acknowledged, their queues end, and with
# them the leaver's count.
ip netns exec "$TESTNET_SRV" nft delete table inet blackhole ||
	fail "the blackhole's acknowledgements cannot pass again"
check "once its server acknowledges again, the closed connections' segments leave its count: its sends go on" \
	quietly wait_line "$log" 'RESULT leaver freed: round [0-9]+ took [0-9]+ sends' 60
say "$(result 'leaver freed' | sed 's/.*RESULT //')"
check "no compartment died" no_event "$ev" '.event=="killed" or .event=="died"'
stack_stop closedseg
finish
