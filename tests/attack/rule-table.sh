#!/usr/bin/env bash
# One application fills the Firewall's rule table, which every
# compartment's connections need, in namespaces this test makes and
# removes itself (scripts/testnet.sh).  The image holds the stack
# (Firewall, TCPIP, NetAPI, DNS) and the application rules_filler
# (tests/compartments/rules_filler.c), whose UDP capability names
# rotating.test: the test's DNS server (tests/tools/fake_dns.py) answers
# it with a new address each time.
#
# Checks that its UDP sockets take 16 peers each until the table is full
# (2048 rules) and the next is refused -ENOSPC; that a TCP connect then
# fails with -ENOSPC too, at once, its socket undone
# (tcpip_socket_abort): the application's quota is whole but for the
# sockets it holds, and no SYN of it reached the server; and that once
# it closes its sockets, their rules go and it connects and echoes again.
#
# SEALNET_BUILD=DIR runs it against another build (default: build/).
# Needs root.
set -uo pipefail
[ -n "${SEALNET_BUILD:-}" ] && SN_BUILD=$SEALNET_BUILD
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../netlib.sh
. "$SN_ROOT/tests/netlib.sh"
build=$SN_BUILD
tmp=$SN_TMP
net_begin rules tcpdump

TESTNET_DNS=10.0.0.3
net_up
ip -n "$TESTNET_SRV" addr add 10.0.0.3/24 dev vs
ip -n "$TESTNET_SRV" addr add 10.0.0.9/24 dev vs
testnet_spawn /usr/bin/python3 -u "$SN_ROOT/tests/tools/fake_dns.py" \
	10.0.0.3 10.0.0.9 10.0.0.1 10.0.0.200 >"$tmp/dns.log" 2>&1
testnet_spawn "$build/tools/echo_server" 7007
# SYNs to the echo server, as the server side sees them.
testnet_spawn tcpdump -i vs -n -U -l 'tcp dst port 7007 and tcp[tcpflags] & tcp-syn != 0' \
	>"$tmp/syns.txt" 2>/dev/null
net_stack rules_filler
has() { has_line "$log" "RESULT rules_filler $1"; }
result() { lines "$log" "RESULT rules_filler $1" | sed 's/.*RESULT rules_filler //'; }
check "the application connects and echoes" \
	quietly wait_line "$log" 'RESULT rules_filler echo before: ok' 30
check "its sockets take peers until the table is full" \
	quietly wait_line "$log" 'RESULT rules_filler filled: ' 120
say "$(result filled)"
check "... 2047 peers or more (the table's 2048 rules, less the echo's if still there), then -ENOSPC" \
	has 'filled: 20(4[7-8]) peers on 12[89] sockets, then No space left on device$'
syns_before=$(wc -l <"$tmp/syns.txt")
check "a TCP connect with the table full fails with -ENOSPC" \
	quietly wait_line "$log" 'RESULT rules_filler connect with the table full: No space left on device' 20
check "... its socket undone: the quota is whole but for the sockets held" \
	quietly wait_line "$log" 'RESULT rules_filler sockets free: ([0-9]+), \1 expected' 20
say "$(result 'sockets free')"
# The application waits 2 s here before it gives its peers back.
sleep 0.5
check "... and no SYN of it reached the server" \
	test "$(wc -l <"$tmp/syns.txt")" -eq "$syns_before"
check "once its sockets are closed, it connects and echoes again" \
	quietly wait_line "$log" 'RESULT rules_filler echo after giving them back: ok' 30
check "no compartment died" no_event "$ev" '.event=="killed" or .event=="died"'
stack_stop rules
check "the supervisor stops cleanly" test $? -eq 0
finish
