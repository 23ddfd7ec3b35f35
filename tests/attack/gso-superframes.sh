#!/usr/bin/env bash
# TCP super-frames from the wire against the device's offloads, in
# namespaces this test makes and removes itself (scripts/testnet.sh).
# With the offloads on, the TAP device hands the Firewall 64 KiB frames
# that the kernel joined or was given whole; each must be filtered like
# the segments it stands for.  From the server namespace, a packet
# socket with a virtio-net header (tests/tools/inject_gso.py) sends:
#
#   - 128 super-frames of 20 segments each to a flow with no rule: the
#     Firewall must count each as one frame dropped for want of a rule
#     (which also shows they arrived whole: background traffic makes a
#     handful of such drops, not a hundred), and none may reach TCPIP,
#     whose lwIP answers a segment to a closed port with a reset (which
#     the Firewall's outbound filter would drop and count, having no
#     rule for it either);
#   - 8 super-frames whose IP length claims one segment: none may reach
#     TCPIP either (the kernel may drop them first; the Firewall counts
#     what it drops as device_header).
#
# Checks the capture for the stack's answers and the Firewall's log for
# its counts.  With the filter bypassed for super-frames, both FAIL.  SEALNET_BUILD=DIR runs it against another build.  Needs
# root.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${SEALNET_BUILD:-$root/build}
tmp=$(mktemp -d)
# shellcheck source=../../scripts/testnet.sh
. "$root/scripts/testnet.sh"
sv_pid=
dump_pid=
failed=0

cleanup() {
	[ -n "$dump_pid" ] && kill -INT "$dump_pid" 2>/dev/null && wait "$dump_pid" 2>/dev/null
	[ -n "$sv_pid" ] && kill -TERM "$sv_pid" 2>/dev/null && wait "$sv_pid" 2>/dev/null
	testnet_down
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

pass() { echo "PASS $*"; }
fail() {
	echo "FAIL $*"
	failed=1
}
check() {
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}
has() { grep -qE -- "$1" "$tmp/run.log"; }
wait_for() {
	local end=$((SECONDS + $2))
	until has "$1"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.05
	done
}
in_srv() { ip netns exec "$TESTNET_SRV" "$@"; }
# Packets from the stack in the capture, as tcpdump reads them.
from_stack() { in_srv tcpdump -nr "$tmp/wire.pcap" "src host $addr and $1" 2>/dev/null; }
# The Firewall's count of drops for a reason, as last logged.
drops() { # REASON [inbound|outbound]
	grep -oE "dropped ${2:-inbound} frame: $1 \([0-9]+ so far\)" "$tmp/run.log" |
		tail -1 | grep -oE '[0-9]+' || echo 0
}
inject() { # KIND COUNT
	in_srv /usr/bin/python3 "$root/tests/tools/inject_gso.py" vs "$addr" "$@" >>"$tmp/inject.log" 2>&1
}

if [ "$(id -u)" -ne 0 ]; then
	echo "FAIL gso-superframes: needs root (namespaces, TAP)"
	exit 1
fi
testnet_up "$tmp" || {
	echo "FAIL gso-superframes: cannot build the test network"
	exit 1
}
"$build/bin/sealnet" image build -o "$tmp/stack.json" \
	"$build/compartments/firewall" "$build/compartments/tcpip" \
	"$build/compartments/netapi" "$build/compartments/dns" >/dev/null ||
	fail "image build"
ip netns exec "$TESTNET_DEV" "$build/bin/sealnet" run "$tmp/stack.json" \
	--tap tap0 >"$tmp/run.log" 2>&1 &
sv_pid=$!
check "the device's offloads are on" wait_for 'device tap0: offloads on' 10
check "TCPIP gets an address by DHCP" wait_for 'TCPIP: address 10\.0\.0\.' 30
addr=$(grep -oE 'TCPIP: address 10\.0\.0\.[0-9]+' "$tmp/run.log" | head -1 | grep -oE '10\.0\.0\.[0-9]+')
[ -n "$addr" ] || {
	cat "$tmp/run.log"
	exit 1
}
ip netns exec "$TESTNET_SRV" tcpdump -i vs -U -w "$tmp/wire.pcap" \
	"host $addr" 2>/dev/null &
dump_pid=$!
sleep 1
out_before=$(drops no_rule outbound)

# Counts are logged as they pass powers of two: a count logged as b is
# under 2b, so a later one logged at 2b + 64 or more grew by 64 at least.
before=$(drops no_rule)
inject norule 128
sleep 1
after=$(drops no_rule)
check "128 super-frames to a flow without a rule were each dropped once for it (logged $before -> $after)" \
	test "$after" -ge $((2 * before + 64))
inject lying 8
sleep 1
echo "  super-frames whose IP length lies, dropped by the Firewall: $(drops device_header) (logged)"
kill -INT "$dump_pid" 2>/dev/null && wait "$dump_pid" 2>/dev/null
dump_pid=
check "TCPIP answered none of them: no reset left, none was dropped outbound ($out_before -> $(drops no_rule outbound))" \
	test -z "$(from_stack tcp)" -a "$(drops no_rule outbound)" = "$out_before"
check "no part of the stack died" bash -c "! grep -qE 'killed|exited|restarting' '$tmp/run.log'"
[ $failed -eq 0 ] || {
	echo "---- sealnet ----"
	cat "$tmp/run.log"
	cat "$tmp/inject.log"
}
exit $failed
