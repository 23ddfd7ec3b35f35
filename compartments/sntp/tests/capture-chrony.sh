#!/usr/bin/env bash
# Captures one NTP exchange with chrony as the server, for the test
# vectors in ntp_test.c.  Not part of `make check`: the vectors it printed
# once are committed; this script says how they were made.
#
# Needs root and Debian's chrony.  Everything happens in a network
# namespace made here and deleted on exit; chronyd runs with -x (it never
# touches the clock) and is stopped by its PID.
set -euo pipefail

command -v chronyd >/dev/null || { echo "capture: needs chronyd (apt-get install chrony)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "capture: needs root" >&2; exit 1; }

work=$(mktemp -d)
ns=sntp-capture-$$
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/chrony.conf" <<EOF
local stratum 8
allow 127.0.0.1
bindaddress 127.0.0.1
cmdport 0
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

# One request with a random transmit timestamp, as ntp_request_encode
# builds it; print both packets as hex.
ip netns exec "$ns" /usr/bin/python3 - <<'EOF'
import os, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
request = bytes([0x23]) + bytes(39) + os.urandom(8)
s.sendto(request, ("127.0.0.1", 123))
reply, _ = s.recvfrom(2048)
print("request", request.hex())
print("reply  ", reply.hex())
EOF
