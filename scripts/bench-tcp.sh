#!/usr/bin/env bash
# sealnet-bench tcp: 100 MB each way through sealnet and through the
# kernel's TCP over the same bridge, in one run, on a throwaway network;
# then connect latency, and each compartment's resident memory.  Prints
# one JSON object per line.  Run as root.  KEEP_LOG=FILE keeps the stack's
# log, for when a figure needs explaining.
set -uo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
sv_pid=
# shellcheck source=testnet.sh
. "$root/scripts/testnet.sh"
cleanup() {
	[ -n "$sv_pid" ] && kill -TERM "$sv_pid" 2>/dev/null && wait "$sv_pid"
	testnet_down
	[ -n "${KEEP_LOG:-}" ] && cp "$tmp/log" "$KEEP_LOG"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ "$(id -u)" -ne 0 ]; then
	echo "sealnet-bench tcp: run as root (it makes network namespaces)" >&2
	exit 1
fi
log() { echo "sealnet-bench: $*" >&2; }

testnet_up "$tmp" bench.test || exit 1
peer=$build/tools/tcp_peer
testnet_spawn "$peer" sink 7101
testnet_spawn "$peer" source 7102 100000000
# The kernel's own client sits on the same bridge, beside the TAP device.
ip -n "$TESTNET_DEV" addr add 10.0.0.2/24 dev br0
echo "nameserver 10.0.0.1" >"$tmp/resolv.conf"
sleep 0.5

log "kernel TCP over the bridge"
k_send=$(ip netns exec "$TESTNET_DEV" "$peer" send 10.0.0.1 7101 100000000)
k_recv=$(ip netns exec "$TESTNET_DEV" "$peer" recv 10.0.0.1 7102 100000000)
k_conn=$(ip netns exec "$TESTNET_DEV" unshare -m sh -c \
	"mount --bind '$tmp/resolv.conf' /etc/resolv.conf &&
	 '$peer' connect bench.test 7101 20")

log "sealnet: Firewall, TCPIP, NetAPI, DNS and the bench compartment"
"$build/bin/sealnet" image build -o "$tmp/bench.json" \
	"$build/compartments/firewall" "$build/compartments/tcpip" \
	"$build/compartments/netapi" "$build/compartments/dns" \
	"$build/compartments/tcp_bench" || exit 1
ip netns exec "$TESTNET_DEV" "$build/bin/sealnet" run "$tmp/bench.json" \
	--tap tap0 >"$tmp/out" 2>"$tmp/log" &
sv_pid=$!
end=$((SECONDS + 180))
until grep -q 'tcp_bench: done\|tcp_bench (incarnation 1)' "$tmp/log" 2>/dev/null; do
	if [ $SECONDS -ge $end ]; then
		log "gave up waiting for the bench compartment"
		cat "$tmp/log" >&2
		exit 1
	fi
	sleep 0.2
done
# Resident memory, read while the stack still runs.
total=0
while read -r name pid; do
	kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null)
	[ -n "$kb" ] || continue
	total=$((total + kb))
	echo "{\"bench\": \"rss\", \"compartment\": \"$name\", \"kbytes\": $kb}"
done < <(grep -oE 'started [A-Za-z_]+ \(pid [0-9]+' "$tmp/log" |
	awk '{gsub(/\(/, ""); print $2, $4}' | grep -v tcp_bench)
echo "{\"bench\": \"rss\", \"compartment\": \"stack\", \"kbytes\": $total}"
cat "$tmp/out"
grep -q sealnet_tcp_recv "$tmp/out" || {
	log "the bench compartment did not finish"
	cat "$tmp/log" >&2
	exit 1
}
s_send=$(grep -oE '"sealnet_tcp_send", "mbytes_per_s": [0-9.]+' "$tmp/out" | grep -oE '[0-9.]+$')
s_recv=$(grep -oE '"sealnet_tcp_recv", "mbytes_per_s": [0-9.]+' "$tmp/out" | grep -oE '[0-9.]+$')
echo "{\"bench\": \"kernel_tcp_send\", \"mbytes_per_s\": $k_send}"
echo "{\"bench\": \"kernel_tcp_recv\", \"mbytes_per_s\": $k_recv}"
echo "{\"bench\": \"kernel_connect\", \"median_us\": $k_conn}"
awk -v a="$s_send" -v b="$k_send" -v c="$s_recv" -v d="$k_recv" 'BEGIN {
	printf "{\"bench\": \"sealnet_vs_kernel_tcp\", \"send_ratio\": %.2f, \"recv_ratio\": %.2f, \"target_min\": 0.5}\n", a / b, c / d }'
