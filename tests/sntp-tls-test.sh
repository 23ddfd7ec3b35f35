#!/usr/bin/env bash
# TLS checks certificate dates at the SNTP compartment's time when, and
# only when, it is NTS-authenticated; and SNTP needs TLS only for NTS.
#
# Client and server share one clock in these namespaces, so the time
# server is chrony run under libfaketime two years (730 days) ahead:
# it serves NTP and NTS (its certificate, for ntp.test, valid for three
# years) at 10.0.0.1, never touching the host's clock (-x).  Two
# openssl s_server answer TLS with certificates from the test's CA that
# differ only in their dates:
#
#   now.test:4441     valid from an hour ago for a day: expired at +2 y
#   future.test:4442  valid from +1 y to +3 y: not yet valid today
#
# tests/compartments/tls_clock.c connects to both once a second.  Three
# images, the same but for SNTP: with an NTS server TLS takes the
# shifted time (now refused as expired, future accepted); with only a
# plain NTP server it does not, since plain NTP can be forged (now
# accepted, future refused as not yet valid); without SNTP it uses the
# system clock as before (the same).  SNTP killed for good, TLS keeps
# the last NTS time, carried forward.  Then an image with SNTP and plain
# NTP but no TLS builds, boots and synchronises; one with an NTS server
# but no TLS is refused by image build and by image check.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
require_root "network namespaces, and compartments run under their own uids"
require_tools chronyd openssl jq ip faketime /usr/bin/python3
# shellcheck source=../scripts/testnet.sh
. "$SN_ROOT/scripts/testnet.sh"
at_cleanup testnet_down

B=$SN_BUILD
T=$SN_TMP
SHIFT_DAYS=730
FAKETIME_LIB=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketime\.so\.1$' | head -1)
[ -n "$FAKETIME_LIB" ] || {
	fail "sntp-tls: libfaketime.so.1 not found (scripts/install-deps.sh)"
	finish
}
on_failure 'for f in "$T"/*.log; do echo "--- $f"; tail -40 "$f"; done'

# ---- certificates ----
# shellcheck source=tls-certs.sh
. "$SN_ROOT/tests/tls-certs.sh"
PKI=$T/pki
mkdir -m 700 "$PKI" && tls_ca "$PKI" ca 1200 &&
	tls_cert "$PKI" ca ntp.test DNS:ntp.test \
		"$(tls_date '-1 hour')" "$(tls_date '+1095 days')" &&
	tls_cert "$PKI" ca now.test DNS:now.test &&
	tls_cert "$PKI" ca future.test DNS:future.test \
		"$(tls_date '+365 days')" "$(tls_date '+1095 days')" || {
	fail "sntp-tls: the test certificates could not be made"
	finish
}

# ---- the network, the shifted time server, the TLS servers ----
testnet_up "$T" ntp.test now.test future.test || {
	fail "sntp-tls: the test network could not be made"
	finish
}
cat >"$T/chrony.conf" <<EOF
local stratum 8
allow all
cmdport 0
bindcmdaddress /
pidfile $T/chrony.pid
ntsserverkey $PKI/server.key
ntsservercert $PKI/ntp.test.pem
EOF
# env execs chronyd, so the PID tracked is chronyd's own; the monotonic
# clock stays real, only the time of day moves.
testnet_spawn env LD_PRELOAD="$FAKETIME_LIB" FAKETIME="+${SHIFT_DAYS}d" \
	FAKETIME_DONT_FAKE_MONOTONIC=1 \
	chronyd -x -d -f "$T/chrony.conf" -u root >"$T/chrony.log" 2>&1
# Serving, and two years ahead.
chrony_shifted() {
	ip netns exec "$TESTNET_SRV" /usr/bin/python3 \
		"$SN_ROOT/tests/tools/ntp_ready.py" 10.0.0.1 "$SHIFT_DAYS"
}
check "sntp-tls: chrony serves time $SHIFT_DAYS days ahead of the system clock" \
	wait_until 10 chrony_shifted
for s in now:4441 future:4442; do
	ip netns exec "$TESTNET_SRV" openssl s_server -quiet -accept "${s#*:}" \
		-cert "$PKI/${s%:*}.test.pem" -key "$PKI/server.key" \
		</dev/null >"$T/srv-${s%:*}.log" 2>&1 &
	track_pid $!
done

# ---- the images ----
net=(--ipv4 10.0.0.40/24 --gateway 10.0.0.1 --dns 10.0.0.1)
stack=(--trust-anchors "$PKI/ca.pem" "$B"/compartments/{firewall,tcpip,netapi,dns,tls})
check "sntp-tls: an image with an NTS server builds" \
	quietly "$SN_SEALNET" image build -o "$T/nts.json" "${net[@]}" \
	--nts-server ntp.test "${stack[@]}" "$B"/compartments/{sntp,tls_clock}
check "sntp-tls: an image with a plain NTP server builds" \
	quietly "$SN_SEALNET" image build -o "$T/plain.json" "${net[@]}" \
	--ntp-server ntp.test "${stack[@]}" "$B"/compartments/{sntp,tls_clock}
check "sntp-tls: the same image without SNTP builds" \
	quietly "$SN_SEALNET" image build -o "$T/nosntp.json" "${net[@]}" \
	"${stack[@]}" "$B/compartments/tls_clock"

# Who maps the time record, and the time TLS checks certificates at.
audit() { # IMAGE
	"$SN_SEALNET" audit "$1" | jq -r -L "$SN_ROOT/audit" \
		'include "network_stack"; "\(time_record_readers | join(",")) \(tls_certificate_time)"'
}
expect "sntp-tls: the audit: with NTS, TLS reads the time record and uses NTS time" \
	"TLS nts" "$(audit "$T/nts.json")"
expect "sntp-tls: the audit: with plain NTP, TLS reads it but keeps the system clock" \
	"TLS system_clock" "$(audit "$T/plain.json")"
expect "sntp-tls: the audit: without SNTP, no record, the system clock" \
	" system_clock" "$(audit "$T/nosntp.json")"
# What SNTP may call for NTS key establishment: a TCP connection, TLS.
nts_calls() { # IMAGE
	"$SN_SEALNET" audit "$1" | jq -r '[.compartments.SNTP.imports[]
		| select(.kind == "call" and (.compartment == "TLS"
			or .export == "network_socket_connect_tcp"
			or .export == "network_socket_delegate"))] | length'
}
expect "sntp-tls: the audit: with NTS, SNTP may open TCP and call TLS" \
	7 "$(nts_calls "$T/nts.json")"
expect "sntp-tls: the audit: with plain NTP, SNTP may open no TCP and call no TLS" \
	0 "$(nts_calls "$T/plain.json")"

# ---- what TLS accepts in each ----

# The last of two tls_clock rounds after TLS logged SOURCE (a regex), or
# after a minute without it: what TLS accepted is judged on its own.
rounds_after_source() { # NAME SOURCE
	local log=$T/$1.log
	wait_line "$log" "^TLS: certificate dates are checked against $2" 60 \
		>/dev/null
	rounds_now "$1"
}
# The last of the next two rounds.
# The last of the next two rounds.
rounds_now() { # NAME
	local log=$T/$1.log
	mark "$log"
	wait_until 20 eval '[ "$(count_lines "$log" "^tls_clock: round=")" -ge 2 ]' ||
		return 1
	lines "$log" '^tls_clock: round=' | tail -1 | sed 's/^tls_clock: round=[0-9]* //'
}
logged_source() { # NAME SOURCE
	has_line "$T/$1.log" "^TLS: certificate dates are checked against $2"
}

stack_start --netns "$TESTNET_DEV" nts "$T/nts.json" --tap tap0
check "sntp-tls: NTS: SNTP synchronises, authenticated" \
	wait_line "$T/nts.log" '^SNTP: synchronised to ntp\.test \(stratum 8, authenticated\)' 30
nts_source='NTS-authenticated network time from ntp\.test, \+6307[12][0-9]{3} s'
got=$(rounds_after_source nts "$nts_source")
check "sntp-tls: NTS: TLS logs that it checks dates at NTS time, two years ahead" \
	logged_source nts "$nts_source"
expect "sntp-tls: NTS: now.test refused as expired, future.test accepted" \
	"now=expired future=ok" "$got"
check "sntp-tls: NTS: TLS logged the system clock until SNTP synchronised" \
	has_line "$T/nts.log" '^TLS: certificate dates are checked against the system clock \(SNTP has not synchronised yet\)'
# SNTP killed until the supervisor stops restarting it (its image allows
# 10 restarts a minute): the record keeps the last authenticated time,
# marked as no longer updated, and TLS goes on checking dates at it,
# carried forward on the monotonic clock, not at the system clock.
mark "$T/nts.log"
for _ in $(seq 12); do
	mark "$T/nts.events"
	kill -KILL "$(newest_pid "$T/nts.events" SNTP)" 2>/dev/null
	wait_event "$T/nts.events" \
		'(.event=="ready" or .event=="crash_loop") and .compartment=="SNTP"' \
		10 >/dev/null || break
	has_event "$T/nts.events" '.event=="crash_loop" and .compartment=="SNTP"' &&
		break
done
check "sntp-tls: NTS: SNTP killed until the supervisor gave up on it" \
	has_event "$T/nts.events" '.event=="crash_loop" and .compartment=="SNTP"'
held_source='NTS-authenticated network time, last measured by an SNTP compartment that no longer updates it.* from ntp\.test, \+6307[12][0-9]{3} s'
got=$(rounds_after_source nts "$held_source")
check "sntp-tls: NTS: ... TLS logs that it holds the last NTS time" \
	logged_source nts "$held_source"
expect "sntp-tls: NTS: ... and still checks dates at it: now.test expired, future.test accepted" \
	"now=expired future=ok" "$got"
check "sntp-tls: NTS: ... never at the system clock" \
	no_line "$T/nts.log" '^TLS: certificate dates are checked against the system clock'
stack_stop nts

stack_start --netns "$TESTNET_DEV" plain "$T/plain.json" --tap tap0
check "sntp-tls: plain NTP: SNTP synchronises to the shifted server" \
	wait_line "$T/plain.log" '^SNTP: synchronised to ntp\.test \(stratum 8' 30
plain_source='the system clock \(SNTP.s time is plain NTP.*; it is \+6307[12][0-9]{3} s from the system clock, from ntp\.test'
got=$(rounds_after_source plain "$plain_source")
check "sntp-tls: plain NTP: TLS logs that it keeps the system clock, and the time it refused" \
	logged_source plain "$plain_source"
expect "sntp-tls: plain NTP: the shifted time is not used: now.test accepted, future.test not yet valid" \
	"now=ok future=not_yet_valid" "$got"
stack_stop plain

stack_start --netns "$TESTNET_DEV" nosntp "$T/nosntp.json" --tap tap0
nosntp_source='the system clock \(the image has no SNTP compartment\)'
got=$(rounds_after_source nosntp "$nosntp_source")
check "sntp-tls: no SNTP: TLS logs that it uses the system clock, as there is no SNTP" \
	logged_source nosntp "$nosntp_source"
expect "sntp-tls: no SNTP: the system clock: now.test accepted, future.test not yet valid" \
	"now=ok future=not_yet_valid" "$got"
stack_stop nosntp

# ---- SNTP without TLS ----

check "sntp-tls: an SNTP image with a plain NTP server and no TLS builds" \
	quietly "$SN_SEALNET" image build -o "$T/notls.json" "${net[@]}" \
	--ntp-server ntp.test "$B"/compartments/{firewall,tcpip,netapi,dns,sntp,sntp_probe}
expect "sntp-tls: ... and SNTP imports nothing from TLS there" 0 \
	"$(jq -r '[.compartments.SNTP.imports[] | select(.compartment == "TLS")] | length' "$T/notls.json")"
stack_start --netns "$TESTNET_DEV" notls "$T/notls.json" --tap tap0
check "sntp-tls: ... boots and synchronises by plain NTP" \
	wait_line "$T/notls.log" '^sntp_probe: time synchronised=1 authenticated=0 ' 30
stack_stop notls

"$SN_SEALNET" image build -o "$T/nts-notls.json" "${net[@]}" \
	--nts-server ntp.test \
	"$B"/compartments/{firewall,tcpip,netapi,dns,sntp,sntp_probe} \
	>"$T/nts-notls.out" 2>&1
expect "sntp-tls: image build refuses an NTS server without TLS" 1 "$?"
check "sntp-tls: ... and says why" grep -q \
	'NTS server "ntp.test": NTS key establishment runs over TLS, and the image has no TLS compartment' \
	"$T/nts-notls.out"
jq '(.compartments.SNTP.imports[] | select(.name == "ntp_1")) |= (.type = "TCP" | .port = 4460)' \
	"$T/notls.json" >"$T/edited.json"
"$SN_SEALNET" image check "$T/edited.json" >"$T/edited.out" 2>&1
expect "sntp-tls: image check refuses an image file given an NTS server without TLS" 1 "$?"
check "sntp-tls: ... and says why" grep -q \
	"SNTP's capability ntp_1, the NTS server ntp.test:4460: NTS key establishment runs over TLS, and the image has no TLS compartment" \
	"$T/edited.out"
finish
