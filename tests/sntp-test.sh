#!/usr/bin/env bash
# The SNTP compartment against chrony 4.3, on a network the test makes.
#
# chrony serves its own clock (local stratum 8, never touching the host's
# clock: -x) at 127.0.0.1 in the server namespace, NTP and NTS, with a
# certificate for ntp.test from a CA made here; tests/tools/ntp_proxy.py
# relays to it from 10.0.0.1-3 (UDP 123 and TCP 4460), each address a
# server of the image, and turns attacker when the test says so.  A second
# chrony at 127.0.0.2, relayed from 10.0.0.4 in the NTS part, holds a
# certificate from a CA the image does not trust.  Client and server share
# one clock here, so the time SNTP publishes must agree with the system
# clock to well within a millisecond.
#
# sntp_probe (tests/compartments/sntp_probe.c) prints what sntp_time_get
# and sntp_status say as it changes; it asks for a synchronisation once,
# at its start, and never again.  Each attack is made on a fresh SNTP
# incarnation (killed with SIGKILL; the supervisor restarts it), which
# asks every server at once and again after 2, 4 and 8 s while it has no
# sample: the record keeps the last time meanwhile.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
require_root "network namespaces, and compartments run under their own uids"
require_tools chronyd jq ip /usr/bin/python3
# shellcheck source=../scripts/testnet.sh
. "$SN_ROOT/scripts/testnet.sh"
at_cleanup testnet_down

B=$SN_BUILD
T=$SN_TMP
PROXY=$T/proxy
mkdir -p "$PROXY"
: >"$PROXY/requests"
log=$T/plain.log
events=$T/plain.events
SERVERS=(10.0.0.1 10.0.0.2 10.0.0.3)
# shellcheck source=tls-certs.sh
. "$SN_ROOT/tests/tls-certs.sh"
PKI=$T/pki
mkdir -m 700 "$PKI" && tls_ca "$PKI" ca && tls_ca "$PKI" rogue &&
	tls_cert "$PKI" ca ntp.test DNS:ntp.test &&
	tls_cert "$PKI" rogue rogue IP:10.0.0.2 || {
	fail "sntp: the test certificates could not be made"
	finish
}

mode() { echo "$2" >"$PROXY/mode-$1"; } # ADDRESS MODE

# ---- reading the probe ----

# The value of KEY in the last probe line of KIND (time, offset, server
# host=ADDRESS) after the mark.
probe() { # KIND KEY
	lines "$log" "^sntp_probe: $1( |\$)" | tail -1 |
		grep -oE "(^| )$2=[^ ]*" | cut -d= -f2
}
counter() { probe "server host=$1" "$2"; } # ADDRESS KEY
at_least() { # MIN KIND KEY
	local v
	v=$(probe "$2" "$3")
	[ -n "$v" ] && [ "$v" -ge "$1" ]
}
# |network time - system clock| in the probe's last offset line
offset_below() { # NANOSECONDS
	local o
	o=$(probe offset offset_ns)
	[ -n "$o" ] && [ "${o#-}" -lt "$1" ] && return 0
	echo "  offset_ns=$o at update $(probe offset updates)" >&2
	return 1
}
# The time SNTP publishes is no further from the system clock (the true
# time here) than the error bound it publishes with it.
offset_within_error() {
	local o e
	o=$(probe offset offset_ns)
	e=$(probe offset error_ns)
	[ -n "$o" ] && [ -n "$e" ] && [ "${o#-}" -le "$e" ] && return 0
	echo "  offset_ns=$o error_ns=$e at update $(probe offset updates)" >&2
	return 1
}
error_below() { # NANOSECONDS
	local e
	e=$(probe offset error_ns)
	[ -n "$e" ] && [ "$e" -lt "$1" ]
}
# The record's time has not moved since BEFORE (the probe's base_ns) was
# read from it.  base_ns is network time less CLOCK_MONOTONIC, read a few
# microseconds apart: what the record holds.  The system clock is no
# reference here, for something outside the test may set it (in one run
# it moved 5 ms against CLOCK_MONOTONIC while the record did not change).
offset_unchanged() { # BEFORE
	local o d
	o=$(probe offset base_ns)
	[ -n "$o" ] && d=$((o - $1)) && [ "${d#-}" -lt 100000 ] && return 0
	echo "  base_ns=$o, before $1, at update $(probe offset updates)" >&2
	return 1
}
# Once the record holds all the first samples: its time agrees with the
# system clock within its own error bound, and within 1 ms.  A sample
# queued a millisecond longer one way than the other on a busy machine
# is off by half of that, and its round trip tells SNTP so; the first
# samples can all be such ones, and then the error bound is over 1 ms
# until the rest of the burst (eight samples 2 s apart) brings a better.
time_is_right() { # WHAT
	check "sntp: the time is within the error bound SNTP states ($1)" \
		offset_within_error
	check "sntp: SNTP's error bound comes under 1 ms ($1)" \
		wait_until 40 error_below 1000000
	check "sntp: offset from the system clock below 1 ms ($1)" \
		offset_below 1000000
	check "sntp: ... still within the error bound SNTP states ($1)" \
		offset_within_error
}
requests_to() { # ADDRESS: relayed or answered since the mark
	count_lines "$PROXY/requests" "^$1 "
}
sntp_pid() { newest_pid "$events" SNTP; }
kill_sntp() {
	local pid
	pid=$(sntp_pid)
	mark "$log"
	mark "$events"
	mark "$PROXY/requests"
	kill -KILL "$pid"
	wait_event "$events" ".event==\"ready\" and .compartment==\"SNTP\"" 10
}
on_failure 'for f in "$T"/*.log; do echo "--- $f"; cat "$f"; done; echo "--- proxy"; tail -30 "$PROXY/requests"'

# ---- the network, chrony and the proxy ----

testnet_up "$T" ntp.test || {
	fail "sntp: the test network could not be made"
	finish
}
for a in 10.0.0.2 10.0.0.3 10.0.0.4; do
	ip -n "$TESTNET_SRV" addr add "$a/24" dev vs
done
# chrony NAME ADDRESS CERTIFICATE: one serving NTP and NTS-KE at ADDRESS,
# with no command socket (two share the file system).
chrony() {
	cat >"$T/$1.conf" <<EOF
local stratum 8
allow all
bindaddress $2
cmdport 0
bindcmdaddress /
pidfile $T/$1.pid
ntsserverkey $PKI/server.key
ntsservercert $3
EOF
	testnet_spawn chronyd -x -d -f "$T/$1.conf" -u root >"$T/$1.log" 2>&1
}
chrony chrony 127.0.0.1 "$PKI/ntp.test.pem"
chrony rogue 127.0.0.2 "$PKI/rogue.pem"
# chrony answers late while it starts: the first reply it sends must be
# one it sends at once, or it measures nothing.
chrony_ready() {
	ip netns exec "$TESTNET_SRV" /usr/bin/python3 \
		"$SN_ROOT/tests/tools/ntp_ready.py" 127.0.0.1
}
wait_until 10 chrony_ready || fail "sntp: chrony did not start serving"
testnet_spawn /usr/bin/python3 "$SN_ROOT/tests/tools/ntp_proxy.py" "$PROXY" \
	127.0.0.1 10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4=127.0.0.2 \
	>"$T/proxy.log" 2>&1
wait_line "$T/proxy.log" '^ntp_proxy: serving' 10 >/dev/null ||
	fail "sntp: the proxy did not start"

# ---- the image ----

args=()
for a in "${SERVERS[@]}"; do
	args+=(--ntp-server "$a")
done
check "sntp: image build grants SNTP its servers" \
	quietly "$SN_SEALNET" image build -o "$T/plain.json" \
	--ipv4 10.0.0.40/24 --gateway 10.0.0.1 --dns 10.0.0.1 "${args[@]}" \
	--trust-anchors "$PKI/ca.pem" \
	"$B"/compartments/{firewall,tcpip,netapi,dns,tls,sntp,sntp_probe}
expect "sntp: the audit shows the servers as SNTP's UDP capabilities" \
	"10.0.0.1:123 10.0.0.2:123 10.0.0.3:123" \
	"$("$SN_SEALNET" audit "$T/plain.json" | jq -r -L "$SN_ROOT/audit" \
		'include "network_stack"; [all_connection_capabilities[] |
		select(.owner == "SNTP" and .type == "UDP") |
		"\(.host):\(.port)"] | join(" ")')"
expect "sntp: the audit shows who maps the shared time record" \
	"TLS:read SNTP:write sntp_probe:read" \
	"$("$SN_SEALNET" audit "$T/plain.json" | jq -r '[.compartments |
		to_entries[] | select(.value.shared_memory) |
		"\(.key):\(.value.shared_memory[] |
		select(.name == "time_record") | .access)"] | join(" ")')"

# ---- plain NTP: three servers, one of them 5 s off ----

mode 10.0.0.3 offset:5
stack_start --netns "$TESTNET_DEV" plain "$T/plain.json" --tap tap0
check "sntp: synchronised with plain NTP" \
	wait_line "$log" '^SNTP: synchronised to 10\.0\.0\.[12] ' 20
# The first samples come 2 s apart; the fourth update has them all.
wait_until 15 at_least 4 time updates >/dev/null
check "sntp: a reader cannot make the record writable (EACCES)" \
	has_line "$log" '^sntp_probe: record write_refused errno=13$'
check "sntp: sntp_update returned 0" has_line "$log" '^sntp_probe: update rc=0$'
expect "sntp: the time is not authenticated" 0 "$(probe time authenticated)"
time_is_right "plain NTP"
say "plain NTP, update $(probe offset updates): offset $(probe offset offset_ns) ns," \
	"error bound $(probe offset error_ns) ns;" \
	"$(lines "$log" '^SNTP: first synchronisation' | head -1 | sed 's/^SNTP: //')"
check "sntp: the falseticker 5 s off is outvoted" \
	wait_until 5 at_least 1 "server host=10.0.0.3" falseticker
check "sntp: two of three servers agree" \
	has_line "$log" '^SNTP: synchronised to .* 2 of 3 servers agree'

# ---- forged replies: the time does not change ----

updates=$(probe time updates)
base=$(probe offset base_ns)
mode 10.0.0.1 wrong_origin
mode 10.0.0.2 wrong_source
mode 10.0.0.3 drop
kill_sntp
check "sntp: a forged reply with a wrong origin timestamp is refused and counted" \
	wait_until 20 at_least 2 "server host=10.0.0.1" not_ours
check "sntp: replies forged from another address are lost (the Firewall drops them)" \
	wait_until 20 at_least 2 "server host=10.0.0.2" timeouts
expect "sntp: SNTP never took a reply from the forged address" \
	0 "$(counter 10.0.0.2 accepted)"
check "sntp: the proxy did send forgeries from 10.0.0.9" \
	has_line "$PROXY/requests" '^10\.0\.0\.2 wrong_source'
expect "sntp: no forged reply was accepted" 0 "$(counter 10.0.0.1 accepted)"
check "sntp: SNTP logs the refusal with its count" \
	has_line "$log" '^SNTP: refused a reply from 10\.0\.0\.1: not an answer to our request \([0-9]+ so far\)'
expect "sntp: the record kept its time through the forgeries" \
	"$updates 1" "$(probe time updates) $(probe time synchronised)"
check "sntp: ... and the time did not move" offset_unchanged "$base"

# ---- Kiss-o'-Death ----

mode 10.0.0.1 kod:RATE
mode 10.0.0.2 kod:DENY
mode 10.0.0.3 pass
kill_sntp
check "sntp: after the restart SNTP synchronises without being asked" \
	wait_line "$log" '^SNTP: synchronised to 10\.0\.0\.3 ' 15
check "sntp: a Kiss-o'-Death RATE is counted" \
	wait_until 5 at_least 1 "server host=10.0.0.1" kiss_rate
check "sntp: RATE raises the poll to the server's (2^6 s)" \
	wait_until 5 at_least 6 "server host=10.0.0.1" poll
check "sntp: a Kiss-o'-Death DENY retires the server" \
	wait_until 5 eval '[ "$(counter 10.0.0.2 usable)" = 0 ]'
sleep 12
expect "sntp: in 12 s neither kissing server was asked again" "1 1" \
	"$(requests_to 10.0.0.1) $(requests_to 10.0.0.2)"

# ---- SNTP killed: readers keep the time; it comes back on its own ----

mode 10.0.0.1 pass
mode 10.0.0.2 pass
updates=$(probe time updates)
kill_sntp
check "sntp: the moment SNTP died, the record still holds the time, marked as not updating" \
	has_line "$log" "^sntp_probe: time synchronised=1 authenticated=0 updating=0 updates=$updates "
check "sntp: the new SNTP updates the record again" \
	wait_until 15 at_least $((updates + 1)) time updates
expect "sntp: ... as updating" 1 "$(probe time updating)"
# Its first samples come 2 s apart: by the fourth update it has four.
wait_until 15 at_least $((updates + 4)) time updates >/dev/null
time_is_right "after the restart"

stack_stop plain

# ---- NTS ----
# ntp.test (10.0.0.1, relayed to the trusted chrony), 10.0.0.4 (relayed
# to the one whose certificate comes from an unknown CA) and 10.0.0.3 as
# a plain server, which NTS makes sure is never asked.
log=$T/nts.log
events=$T/nts.events
for a in "${SERVERS[@]}"; do
	mode "$a" pass
done
check "sntp: an image with NTS servers builds" \
	quietly "$SN_SEALNET" image build -o "$T/nts.json" \
	--ipv4 10.0.0.40/24 --gateway 10.0.0.1 --dns 10.0.0.1 \
	--nts-server ntp.test --nts-server 10.0.0.4 --ntp-server 10.0.0.3 \
	--trust-anchors "$PKI/ca.pem" \
	"$B"/compartments/{firewall,tcpip,netapi,dns,tls,sntp,sntp_probe}
expect "sntp: the audit says NTS is required" true \
	"$("$SN_SEALNET" audit "$T/nts.json" | jq -r -L "$SN_ROOT/audit" \
		'include "network_stack"; nts_required')"
mark "$PROXY/requests"
stack_start --netns "$TESTNET_DEV" nts "$T/nts.json" --tap tap0
check "sntp: synchronised with NTS" \
	wait_line "$log" '^SNTP: synchronised to ntp\.test \(stratum 8, authenticated\)' 20
wait_until 15 at_least 4 time updates >/dev/null
expect "sntp: the record says the time is authenticated" 1 \
	"$(probe time authenticated)"
time_is_right NTS
say "NTS, update $(probe offset updates): offset $(probe offset offset_ns) ns," \
	"error bound $(probe offset error_ns) ns;" \
	"$(lines "$log" '^SNTP: first synchronisation' | head -1 | sed 's/^SNTP: //')"
check "sntp: NTS-KE with an untrusted certificate is refused, and says why" \
	has_line "$log" '^SNTP: NTS-KE with 10\.0\.0\.4:4460 failed: TLS: unknown_issuer$'
expect "sntp: no time was taken from the untrusted server" 0 \
	"$(counter 10.0.0.4 requests)"
check "sntp: the cookies were replenished to 8" \
	wait_until 5 eval '[ "$(counter ntp.test cookies)" = 8 ]'
expect "sntp: with NTS configured, the plain server was never asked" \
	0 "$(requests_to 10.0.0.3)"
check "sntp: ... nor is it among SNTP's servers" \
	no_line "$log" '^sntp_probe: server host=10\.0\.0\.3 '

# Each NTS attack on a fresh incarnation, which runs NTS-KE again first.
nts_attack() { # MODE COUNTER WHAT
	local updates base
	updates=$(probe time updates)
	base=$(probe offset base_ns)
	mode 10.0.0.1 "$1"
	kill_sntp
	check "sntp: NTS: $3 is refused and counted" \
		wait_until 20 at_least 2 "server host=ntp.test" "$2"
	expect "sntp: NTS: ... and the record kept its time" \
		"$updates 1 1" \
		"$(probe time updates) $(probe time synchronised) $(probe time authenticated)"
	check "sntp: NTS: ... and the time did not move" offset_unchanged "$base"
}
nts_attack tamper not_authentic "a reply whose authenticator was tampered with"
nts_attack replay not_ours "a replayed reply, its origin rewritten"
nts_attack strip unauthenticated "an unauthenticated reply"

# An NTS NAK: the cookies are refused; SNTP runs NTS-KE again.
mode 10.0.0.1 nak
kill_sntp
check "sntp: NTS NAK: a Kiss-o'-Death NTSN is counted" \
	wait_until 20 at_least 1 "server host=ntp.test" kiss_ntsn
check "sntp: NTS NAK: ... and NTS-KE runs again" \
	wait_until 10 at_least 2 "server host=ntp.test" key_exchanges
updates=$(probe time updates)
mode 10.0.0.1 pass
check "sntp: NTS NAK: ... after which the time is authenticated again" \
	wait_until 15 at_least $((updates + 1)) time updates
expect "sntp: NTS: authenticated" 1 "$(probe time authenticated)"
stack_stop nts
finish
