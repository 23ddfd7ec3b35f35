#!/usr/bin/env bash
# A hostile application that parks a wait on every socket its quota
# allows, then floods TCPIP, beside an honest one, in namespaces this
# test makes and removes itself (scripts/testnet.sh).  The image holds
# the stack (Firewall, TCPIP, NetAPI, DNS) and the applications
# wait_hostile and wait_honest (tests/compartments/).  What the three
# parked-waits tests share is tests/attack/parked-waits-lib.sh.
#
# Checks that the hostile compartment reaches its quota of 24 sockets
# and no further (-EDQUOT, for TCP and UDP alike); that an accept and a
# receive park on each, more of them than a caller may have calls in
# flight, and a second one on any slot is refused with -EBUSY while its
# other calls are still answered; that a 4 s flood of receives, accepts,
# one-byte sends to a server that reads them, sockets past its quota and
# exports it may not call (tcpip_socket_connect, tcpip_address_get:
# -EPERM) is answered, every call as documented, and the TAP device
# drops at most 1 in 1000 of the frames it queues for the Firewall; that
# meanwhile the honest compartment makes 200 echo round trips and 10 new
# connections, all correct, none slower than 1 s; that TCPIP's resident
# memory grows by less than 2 MiB; and that when the hostile compartment
# is killed, TCPIP closes every socket it held (the server sees them
# go), the Firewall's rules go back to their count before the attack,
# and its successor gets the whole quota again and parks the same calls;
# and that closing a listener with an accept parked on it answers the
# accept, TCPIP lives on, and the application may listen on that port
# again.
#
# SEALNET_BUILD=DIR runs it against another build (default: build/).
# Needs root.
set -uo pipefail
# shellcheck source=parked-waits-lib.sh
. "$(dirname "$0")/parked-waits-lib.sh"
waits_begin waits

# The hostile compartment's quota: a listener and 23 connections.
QUOTA=24
# The server its connections go to: it reads and never writes.
SERVER_PORT=7020

waits_network echo.test sink.test
testnet_spawn "$build/tools/echo_server" 7007
testnet_spawn "$build/tools/tcp_peer" sink $SERVER_PORT
waits_boot "the honest application is connected" -- wait_hostile wait_honest
tcpip=$(newest_pid "$ev" TCPIP)
rss_before=$(rss_kb "$tcpip")
say "before the attack: TCPIP's memory ${rss_before:-?} KiB"

# ---- the hostile application parks its waits ----
waits_hostile_begins 40
check "it holds a listener and 23 connections, then its quota is used up" \
	has "RESULT hostile sockets: a listener and $((QUOTA - 1)) connections, then Disk quota exceeded"
check "an accept and a receive on each connection wait parked" \
	has "RESULT hostile parked: $QUOTA calls, $QUOTA still waiting"
check "a second accept on the listener is refused with -EBUSY" \
	has 'RESULT hostile second accept: Device or resource busy'
check "a second receive on each connection is refused with -EBUSY" \
	has "RESULT hostile second receives: $((QUOTA - 1)) of $((QUOTA - 1)) refused"
check "a connect and a UDP socket past the quota are refused with -EDQUOT" \
	has 'RESULT hostile past the quota: connect Disk quota exceeded, udp Disk quota exceeded'
check "with $QUOTA calls parked, more than it may have in flight, its sends are still answered" \
	has "RESULT hostile sends while $QUOTA calls are parked: $((QUOTA - 1)) of $((QUOTA - 1)) taken"
check "the sink has its $((QUOTA - 1)) connections" \
	wait_until 5 established_is $((QUOTA - 1))

# ---- the honest application, during the flood ----
waits_honest_ran echo connections 10
waits_flood_answered 'receive|Device or resource busy' \
	'accept|Device or resource busy' 'udp|Disk quota exceeded' \
	'tcpip_socket_connect|Operation not permitted' \
	'tcpip_address_get|Operation not permitted' \
	'send|ok or Device or resource busy'
# The one-byte sends bring back an acknowledgement each: what the kernel
# queues on the TAP device for the Firewall (its transmit side) must not
# overflow, or everyone's frames are lost alike.
tap_tx() { ip -n "$TESTNET_DEV" -j -s link show tap0 | jq ".[0].stats64.tx.$1"; }
tap_sent=$(tap_tx packets) tap_dropped=$(tap_tx dropped)
say "the device queued ${tap_sent:-?} frames for the Firewall and dropped ${tap_dropped:-?}"
check "... at most 1 in 1000 of them dropped" \
	test "$((${tap_dropped:-1000000} * 1000))" -le "${tap_sent:-0}"
check "its waits are still parked after the flood" has "RESULT hostile holds $QUOTA parked calls"
# Whether its one-byte sends reach its share of lwIP's segments here
# depends on how far the acknowledgements lag, which this test does not
# decide: on a quick run they keep up and the share is never reached.
# tests/attack/closed-segments.sh checks the share against a server that
# acknowledges nothing.
if has "TCPIP: wait_hostile is at its share of lwIP's segments"; then
	say "its one-byte sends reached its share of lwIP's segments, and waited"
else
	say "its one-byte sends never reached its share of lwIP's segments"
fi
rss_after=$(rss_kb "$tcpip")
say "TCPIP's memory after the flood: ${rss_after:-?} KiB (${rss_before:-?} before)"
check "TCPIP's memory grew by less than $RSS_BOUND_KB KiB" \
	rss_grew_less "$rss_before" "$rss_after"
check "during the attack the Firewall holds a rule for each connection: $QUOTA" \
	wait_until 3 rules_are $QUOTA

# ---- the hostile application killed ----
waits_kill_hostile wait_hostile \
	"... and TCPIP closes every socket it held: the sink sees them go" 5
say "the Firewall's rules afterwards: $(rules)"
check "TCPIP is the same process, alive" sn_alive "$tcpip"
waits_successor_runs 40
check "... gets the whole quota again" \
	has "RESULT hostile sockets: a listener and $((QUOTA - 1)) connections, then Disk quota exceeded"
check "... and parks the same calls" \
	has "RESULT hostile parked: $QUOTA calls, $QUOTA still waiting"
check "... and closes its listener, TCPIP alive: the parked accept is answered -ENOTCONN" \
	has 'RESULT hostile closes its listener: ok; its parked accept got Transport endpoint is not connected;'
check "... TCPIP is still the same process" sn_alive "$tcpip"
check "... and listens on its port again, connections of the old listener still open" \
	has 'RESULT hostile closes its listener: ok; .*; listening again: ok$'
waits_end wait_hostile
