#!/usr/bin/env bash
# NetAPI dies in the middle of a lookup, in namespaces this test makes
# and removes itself (scripts/testnet.sh).  The DNS server DHCP names is
# the test's own, on 10.0.0.1, and it never answers: the application
# lookup_once (tests/compartments/lookup_once.c) makes one connect by
# name, and NetAPI holds the Firewall's DNS hole open while it waits.
#
# The test kills NetAPI.  A lookup it began is one it will never end, so
# the Firewall must close the hole itself: checks that the supervisor
# restarts NetAPI, that the Firewall says it closed the dead caller's
# lookup, and that a datagram from the DNS server's port 53 to the port
# the query came from, which passed while the hole was open, is then
# dropped as DNS.
#
# SEALNET_BUILD=DIR runs it against another build (default: build/).
# Needs root.
set -uo pipefail
[ -n "${SEALNET_BUILD:-}" ] && SN_BUILD=$SEALNET_BUILD
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../netlib.sh
. "$SN_ROOT/tests/netlib.sh"
net_begin dnshole python3
queries=$SN_TMP/queries

TESTNET_DNS=10.0.0.1 net_up
# A DNS server that takes every query and answers none; it writes each
# query's source, and for each line added to $sends sends one datagram
# from port 53 to the source of the last query.
sends=$SN_TMP/sends
: >"$sends"
testnet_spawn /usr/bin/python3 -c "
import select, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('10.0.0.1', 53))
last, sent = None, 0
while True:
    if select.select([s], [], [], 0.05)[0]:
        _, last = s.recvfrom(512)
        with open('$queries', 'a') as f:
            f.write('query from %s %d\\n' % last)
    with open('$sends') as f:
        wanted = len(f.readlines())
    while last and sent < wanted:
        s.sendto(b'\\0' * 12, last)
        sent += 1"
net_stack lookup_once
check "the application asks for the name" \
	quietly wait_line "$log" 'RESULT lookup_once connecting' 30
check "the query reaches the test's DNS server" \
	quietly wait_line "$queries" '^query from ' 10
send_from_53() { echo x >>"$sends"; }

# While the lookup is open, a datagram from the server's port 53 passes.
mark "$log"
send_from_53
sleep 0.5
check "while the lookup is open, a datagram from port 53 passes the Firewall" \
	no_line "$log" '^Firewall: dropped inbound frame: dns'

netapi_pid=$(newest_pid "$ev" NetAPI)
mark "$log"
kill -KILL "$netapi_pid"
check "NetAPI (pid $netapi_pid) dies of the SIGKILL and is ready again" \
	quietly wait_event "$ev" '.event=="ready" and .compartment=="NetAPI" and
		.incarnation==2' 10
check "the Firewall closes the dead NetAPI's lookup" \
	quietly wait_line "$log" '^Firewall: NetAPI died with 1 DNS lookups open: closing them$' 5
send_from_53
check "then a datagram from port 53 is dropped as DNS" \
	quietly wait_line "$log" '^Firewall: dropped inbound frame: dns' 5
check "no other part of the stack died, and the supervisor killed none" \
	no_event "$ev" '.event=="killed" or (.event=="died" and .compartment!="NetAPI")'

stack_stop dnshole
check "the supervisor stops cleanly" test $? -eq 0
finish
