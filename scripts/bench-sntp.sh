#!/usr/bin/env bash
# sealnet-bench sntp: how soon the SNTP compartment publishes the time,
# how close that time is, and what it costs in memory, against chrony
# 4.3 serving NTP and NTS for ntp.test (a certificate from a CA made
# here) on a throwaway network.  RUNS boots (default 5) of an image with
# ntp.test as a plain NTP server, then as many with it as an NTS server:
# for each, the time from SNTP's start to its first synchronised record
# (SNTP's own figure: NTS includes the key establishment through TLS),
# the offset from the system clock at its fourth update (client and
# server share that clock, so this is SNTP's error), and SNTP's resident
# memory then.  Prints one JSON object per line: the median and the
# range of each.  Run as root.  KEEP_LOG=FILE keeps the last stack's log.
#
# Figures come only from a run in which every step succeeded: if any
# fails, nothing is printed on standard output, the reason and the
# stack's log go to standard error, and the exit status is 1.
set -uo pipefail
# shellcheck source=bench-lib.sh
. "$(dirname "$0")/bench-lib.sh" sntp "${1:-build}"
RUNS=${RUNS:-5}
# shellcheck source=../tests/tls-certs.sh
. "$root/tests/tls-certs.sh"
# An offset has a sign.
number() { [[ $1 =~ ^[-+]?[0-9]+(\.[0-9]+)?$ ]]; }
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || failed "RUNS must be a positive number"

pki=$tmp/pki
mkdir -m 700 "$pki" && tls_ca "$pki" ca &&
	tls_cert "$pki" ca ntp.test DNS:ntp.test || failed "no certificates"
testnet_up "$tmp" ntp.test || failed "cannot build the test network"
cat >"$tmp/chrony.conf" <<EOF
local stratum 8
allow all
bindaddress 10.0.0.1
cmdport 0
bindcmdaddress /
pidfile $tmp/chronyd.pid
ntsserverkey $pki/server.key
ntsservercert $pki/ntp.test.pem
EOF
testnet_spawn chronyd -x -d -f "$tmp/chrony.conf" -u root >"$tmp/chrony.log" 2>&1
# chrony answers late while it starts; a boot timed before it answers at
# once would measure chrony.
chrony_ready() {
	ip netns exec "$TESTNET_SRV" /usr/bin/python3 \
		"$root/tests/tools/ntp_ready.py" 10.0.0.1
}
wait_until 10 chrony_ready || failed "chrony did not start serving"

c=$build/compartments
stack=("$c/firewall" "$c/tcpip" "$c/netapi" "$c/dns" "$c/tls" "$c/sntp")
"$build/bin/sealnet" image build -o "$tmp/plain.json" --ipv4 10.0.0.40/24 \
	--gateway 10.0.0.1 --dns 10.0.0.1 --ntp-server ntp.test "${stack[@]}" ||
	failed "image build (NTP)"
"$build/bin/sealnet" image build -o "$tmp/nts.json" --ipv4 10.0.0.40/24 \
	--gateway 10.0.0.1 --dns 10.0.0.1 --nts-server ntp.test \
	--trust-anchors "$pki/ca.pem" "${stack[@]}" || failed "image build (NTS)"

# One boot; its figures in first_ms, offset_us and rss_kb.  It runs in
# this shell, so that the cleanup knows the stack it started.
boot() { # IMAGE AUTHENTICATED
	local offset pid
	stack_start --netns "$TESTNET_DEV" bench "$1" --tap tap0
	wait_line "$tmp/bench.log" '^SNTP: synchronised to .* update 4$' 30 \
		>/dev/null || failed "SNTP did not reach its fourth update"
	has_line "$tmp/bench.log" "^SNTP: synchronised to ntp\\.test \\(stratum 8, $2\\)" ||
		failed "SNTP synchronised, but not as expected ($2)"
	first_ms=$(lines "$tmp/bench.log" '^SNTP: first synchronisation' |
		sed -E 's/.*, ([0-9.]+) ms after it started$/\1/')
	offset=$(lines "$tmp/bench.log" '^SNTP: synchronised to .* update 4$' |
		sed -E 's/.*: ([-+][0-9.]+) ms from the system clock.*/\1/')
	pid=$(events "$events" '.event=="started" and .compartment=="SNTP"' |
		jq -r .pid | tail -1)
	rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null)
	number "${first_ms:-}" && number "${offset:-}" && number "${rss_kb:-}" ||
		failed "no figures in the log (first '$first_ms', offset '$offset', rss '$rss_kb')"
	[ "$(count_events "$events" '.event=="started" and .compartment=="SNTP"')" -eq 1 ] ||
		failed "SNTP restarted during the run"
	stack_stop bench || failed "the stack did not stop cleanly"
	offset_us=$(awk -v o="$offset" 'BEGIN { printf "%.0f", (o < 0 ? -o : o) * 1000 + 0 }')
}

# "median min max" of the numbers given.
summary() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		print m, v[1], v[NR] }'
}

# The first boot on a network just made loses its first frames while the
# bridge settles, and waits a second for a retry; that is the test
# network starting, not SNTP, so one boot comes first and counts for
# nothing.
log "one boot to let the network settle"
boot "$tmp/plain.json" "not authenticated"

for kind in plain nts; do
	auth=$([ "$kind" = nts ] && echo authenticated || echo "not authenticated")
	firsts=() offsets=() rss=()
	log "$RUNS boots with ntp.test as an $([ "$kind" = nts ] && echo NTS || echo NTP) server"
	for ((i = 0; i < RUNS; i++)); do
		boot "$tmp/$kind.json" "$auth"
		firsts+=("$first_ms") offsets+=("$offset_us") rss+=("$rss_kb")
	done
	read -r fm fmin fmax < <(summary "${firsts[@]}")
	read -r om omin omax < <(summary "${offsets[@]}")
	read -r km kmin kmax < <(summary "${rss[@]}")
	echo "{\"bench\":\"sntp_first_record_$kind\",\"runs\":$RUNS,\"median_ms\":$fm,\"min_ms\":$fmin,\"max_ms\":$fmax}"
	echo "{\"bench\":\"sntp_offset_$kind\",\"runs\":$RUNS,\"median_abs_us\":$om,\"min_abs_us\":$omin,\"max_abs_us\":$omax}"
	echo "{\"bench\":\"sntp_compartment_rss_$kind\",\"runs\":$RUNS,\"median_kbytes\":$km,\"min_kbytes\":$kmin,\"max_kbytes\":$kmax}"
done
