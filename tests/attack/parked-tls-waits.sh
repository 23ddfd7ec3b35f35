#!/usr/bin/env bash
# tests/attack/parked-waits.sh for the TLS compartment: a hostile
# application parks a receive on every TLS session its quota allows,
# then floods TLS, beside an honest one, in namespaces this test makes
# and removes itself (scripts/testnet.sh).  The image holds the stack
# (Firewall, TCPIP, NetAPI, DNS, TLS) and the applications
# tls_wait_hostile and tls_wait_honest (tests/compartments/); the
# servers are tests/tools/tls_server.py, with certificates made here.
# What the three parked-waits tests share is
# tests/attack/parked-waits-lib.sh.
#
# Checks that the hostile compartment reaches its quota of 20 sessions
# and no further (-EDQUOT); that a receive parks on each, more than a
# caller may have calls in flight, and a second is refused with -EBUSY
# while its sends are still answered; that a 4 s flood of receives on
# those sessions (-EBUSY), on a made-up handle (-EPERM) and of the TLS
# exporter it may not call (-EPERM) is answered, every call as
# documented; that meanwhile the honest compartment makes 200 round
# trips through a TLS echo server and 5 new sessions, all correct, none
# slower than 1 s; that TLS's and TCPIP's resident memory grow by less
# than 2 MiB during the flood; and that when the hostile compartment is
# killed, its connections close (the server sees them go), the
# Firewall's rules go back to the honest one's connection, and its
# successor gets the whole tls_sessions quota again: TLS released every
# session it held.
#
# SEALNET_BUILD=DIR runs it against another build (default: build/).
# Needs root.
set -uo pipefail
# shellcheck source=parked-waits-lib.sh
. "$(dirname "$0")/parked-waits-lib.sh"
waits_begin tls-waits openssl

# The hostile compartment's tls_sessions quota.
QUOTA=20
# The TLS server its sessions go to: it reads and never writes.
SERVER_PORT=4440

waits_certificates sink DNS:sink.test echo DNS:echo.test
waits_network echo.test sink.test
testnet_spawn /usr/bin/python3 "$root/tests/tools/tls_server.py" \
	"$pki/sink.pem" "$pki/server.key" $SERVER_PORT sink
testnet_spawn /usr/bin/python3 "$root/tests/tools/tls_server.py" \
	"$pki/echo.pem" "$pki/server.key" 4441 echo
waits_boot "the honest application has its TLS session" \
	--trust-anchors "$pki/ca.pem" -- tls tls_wait_hostile tls_wait_honest
tls=$(newest_pid "$ev" TLS)
tcpip=$(newest_pid "$ev" TCPIP)
say "before the attack: TLS's memory $(rss_kb "$tls") KiB, TCPIP's $(rss_kb "$tcpip") KiB"

# ---- the hostile application parks its receives ----
waits_hostile_begins 60
tls_before=$(rss_kb "$tls")
tcpip_before=$(rss_kb "$tcpip")
say "with its sessions parked: TLS's memory ${tls_before:-?} KiB, TCPIP's ${tcpip_before:-?} KiB"
check "it holds $QUOTA sessions, then its quota is used up" \
	has "RESULT hostile sessions: $QUOTA, then Disk quota exceeded"
check "a receive waits parked on each" \
	has "RESULT hostile parked: $QUOTA receives, $QUOTA still waiting"
check "a second receive on each session is refused with -EBUSY" \
	has "RESULT hostile second receives: $QUOTA of $QUOTA refused"
check "with $QUOTA receives parked, more than it may have in flight, its sends are still answered" \
	has "RESULT hostile sends while $QUOTA receives are parked: $QUOTA of $QUOTA taken"
check "the server has its $QUOTA connections" \
	wait_until 5 established_is $QUOTA

# ---- the honest application, during the flood ----
waits_honest_ran TLS sessions 5
waits_flood_answered 'receive|Device or resource busy' \
	'forged|Operation not permitted' \
	'tls_connection_keying_material|Operation not permitted'
check "its receives are still parked after the flood" has "RESULT hostile holds $QUOTA parked receives"
tls_after=$(rss_kb "$tls")
tcpip_after=$(rss_kb "$tcpip")
say "after the flood: TLS's memory ${tls_after:-?} KiB, TCPIP's ${tcpip_after:-?} KiB"
check "TLS's memory grew by less than $RSS_BOUND_KB KiB during the flood" \
	rss_grew_less "$tls_before" "$tls_after"
check "... and TCPIP's" rss_grew_less "$tcpip_before" "$tcpip_after"
check "during the attack the Firewall holds a rule for each connection: $((QUOTA + idle_rules))" \
	wait_until 3 rules_are $((QUOTA + idle_rules))

# ---- the hostile application killed ----
# TCPIP closes them, as sockets charged to the dead compartment's quota;
# that TLS released its sessions, the successor's quota shows.
waits_kill_hostile tls_wait_hostile \
	"... and its connections close: the server sees them go" 10
check "TLS is the same process, alive" sn_alive "$tls"
check "... and TCPIP" sn_alive "$tcpip"
waits_successor_runs 60
check "... gets the whole quota again" \
	has "RESULT hostile sessions: $QUOTA, then Disk quota exceeded"
check "... and parks the same receives" \
	has "RESULT hostile parked: $QUOTA receives, $QUOTA still waiting"
waits_end tls_wait_hostile
