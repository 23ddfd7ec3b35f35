#!/usr/bin/env bash
# NTS against a real server: chrony 4.3 serving NTS-KE and NTS-protected
# NTP in a network namespace, and tests/nts_probe (this folder's modules
# over OpenSSL's TLS) as the client.  Not part of `make check` (it needs
# root and chrony, and installing chrony on a machine with systemd starts
# its daemon); run it by hand after changing the NTS code:
#
#   make build/tools/sntp_nts_probe && compartments/sntp/tests/nts-chrony-interop.sh
#
# Prints PASS/FAIL lines and the exchange as hex.  The namespace, the
# certificate and chronyd (stopped by its PID) are removed on exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/../../.." && pwd)
probe=${PROBE:-$root/build/tools/sntp_nts_probe}
command -v chronyd >/dev/null || { echo "FAIL nts_chrony_interop: needs chronyd (apt-get install chrony)"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "FAIL nts_chrony_interop: needs root"; exit 1; }
[ -x "$probe" ] || { echo "FAIL nts_chrony_interop: $probe not built"; exit 1; }

work=$(mktemp -d)
chmod 755 "$work"
ns=sntp-nts-$$
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$work/key.pem" -out "$work/cert.pem" -days 2 \
	-subj /CN=ntp.test -addext subjectAltName=DNS:ntp.test 2>/dev/null

cat >"$work/chrony.conf" <<EOF
local stratum 8
allow 127.0.0.1
bindaddress 127.0.0.1
cmdport 0
ntsserverkey $work/key.pem
ntsservercert $work/cert.pem
ntsprocesses 0
pidfile $work/chronyd.pid
driftfile $work/drift
EOF

ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" chronyd -f "$work/chrony.conf" -d -x -u root \
	>"$work/chronyd.log" 2>&1 &
pid=$!
for _ in $(seq 50); do
	[ -s "$work/chronyd.pid" ] && break
	sleep 0.1
done

if ip netns exec "$ns" "$probe" "$work/cert.pem" ntp.test 127.0.0.1 \
	| tee "$work/probe.log"; then
	grep -q '^replay -114$' "$work/probe.log" &&
		echo "PASS nts_chrony_interop" ||
		{ echo "FAIL nts_chrony_interop: a replay was accepted"; exit 1; }
else
	echo "FAIL nts_chrony_interop: see above; chronyd said:"
	sed 's/^/    /' "$work/chronyd.log"
	exit 1
fi
