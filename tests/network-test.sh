#!/usr/bin/env bash
# The network data path against real servers, in namespaces this test
# makes and removes itself:
#
#   srv: veth end "vs" 10.0.0.1/24, dnsmasq (DHCP), a TCP echo server
#   dev: the other veth end and a TAP device on bridge br0; sealnet runs
#        here and its Firewall holds the TAP device
#
# Checks that TCPIP gets an address by DHCP through the Firewall, that an
# application echoes 10 MiB through Firewall, TCPIP and NetAPI with
# matching checksums, and that a host it holds no capability for is
# refused.  Needs root.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
tmp=$(mktemp -d)
# shellcheck source=../scripts/testnet.sh
. "$root/scripts/testnet.sh"
sv_pid=
failed=0

cleanup() {
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
has() { grep -qE -- "$1" "$tmp/run.log"; }
wait_for() {
	local end=$((SECONDS + $2))
	until has "$1"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.05
	done
}
check() {
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

if [ "$(id -u)" -ne 0 ]; then
	echo "FAIL network-test: needs root (namespaces, TAP)"
	exit 1
fi

# ---- the throwaway network ----
testnet_up "$tmp" echo.test || {
	echo "FAIL network-test: cannot build the test network"
	exit 1
}
testnet_spawn "$build/tools/echo_server" 7007

# ---- the stack ----
"$build/bin/sealnet" image build -o "$tmp/net.json" \
	"$build/compartments/firewall" "$build/compartments/tcpip" \
	"$build/compartments/netapi" "$build/compartments/dns" \
	"$build/compartments/tcp_test" ||
	fail "image build"
ip netns exec "$TESTNET_DEV" "$build/bin/sealnet" run "$tmp/net.json" --tap tap0 \
	>"$tmp/run.log" 2>&1 &
sv_pid=$!

check "all five compartments become ready" \
	wait_for 'all 5 compartments ready' 10
check "TCPIP gets an address by DHCP through the Firewall" \
	wait_for 'TCPIP: address 10\.0\.0\.[0-9]+/24, gateway [0-9.]+, by DHCP' 30
grep -oE 'TCPIP: address [^,]+' "$tmp/run.log" | sed 's/^/  /'
check "the application sees the address" wait_for 'RESULT address: ok' 30
check "the application is done" wait_for 'RESULT done' 120
grep 'RESULT' "$tmp/run.log" | sed 's/^/  /'
check "connect by name, through NetAPI and DNS, succeeds" has 'RESULT connect: ok'
check "10 MiB echo through the stack, checksums match" \
	has 'RESULT echo: 10485760 bytes sent, 10485760 back in [0-9]+ ms, checksums match'
check "a host:port without a capability is refused" \
	has 'RESULT not granted: refused \(-EPERM\)'
check "no compartment but the test app ended" \
	bash -c "! grep -E '(Firewall|TCPIP|NetAPI|DNS) \(incarnation [0-9]+\) ' '$tmp/run.log'"

kill -TERM "$sv_pid"
wait "$sv_pid"
check "the supervisor stops cleanly" test $? -eq 0
sv_pid=
if [ "$failed" -ne 0 ]; then
	echo "---- sealnet ----"
	cat "$tmp/run.log"
	echo "---- dnsmasq ----"
	tail -20 "$tmp/dnsmasq.log" 2>/dev/null
fi
exit "$failed"
