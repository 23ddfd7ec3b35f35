#!/usr/bin/env bash
# sealnet-bench tcp: 100 MB each way through sealnet and through the
# kernel's TCP over the same bridge, in one run, on a throwaway network;
# then connect latency, and each compartment's resident memory.  Prints
# one JSON object per line.  Run as root.  KEEP_LOG=FILE keeps the stack's
# log and KEEP_EVENTS=FILE its event stream (sealnet run --events), for
# when a figure needs explaining.
#
# Figures come only from a run in which every transfer moved every byte:
# if any step fails, nothing is printed on standard output, the reason
# and the stack's log go to standard error, and the exit status is 1.
set -uo pipefail
# shellcheck source=bench-lib.sh
. "$(dirname "$0")/bench-lib.sh" tcp "${1:-build}"
# Its event stream too, for when a figure needs explaining.
at_cleanup '[ -n "${KEEP_EVENTS:-}" ] && cp "$tmp/bench.events" "$KEEP_EVENTS"'

# Answers that may be kept a minute, as a real zone's would: sealnet's
# NetAPI keeps them; the kernel's client asks every time (no cache).
TESTNET_DNS_TTL=60 testnet_up "$tmp" bench.test ||
	failed "cannot build the test network"
peer=$build/tools/tcp_peer
testnet_spawn "$peer" sink 7101
testnet_spawn "$peer" source 7102 100000000
# The kernel's own client sits on the same bridge, beside the TAP device.
ip -n "$TESTNET_DEV" addr add 10.0.0.2/24 dev br0 || failed "no address for the kernel's client"
echo "nameserver 10.0.0.1" >"$tmp/resolv.conf"
sleep 0.5

log "kernel TCP over the bridge"
k_send=$(ip netns exec "$TESTNET_DEV" "$peer" send 10.0.0.1 7101 100000000) &&
	number "$k_send" || failed "the kernel's send did not complete"
k_recv=$(ip netns exec "$TESTNET_DEV" "$peer" recv 10.0.0.1 7102 100000000) &&
	number "$k_recv" || failed "the kernel's receive did not complete"
k_conn=$(ip netns exec "$TESTNET_DEV" unshare -m sh -c \
	"mount --bind '$tmp/resolv.conf' /etc/resolv.conf &&
	 '$peer' connect bench.test 7101 20") &&
	number "$k_conn" || failed "the kernel's connects did not all succeed"

log "sealnet: Firewall, TCPIP, NetAPI, DNS and the bench compartment"
"$build/bin/sealnet" image build -o "$tmp/bench.json" \
	"$build/compartments/firewall" "$build/compartments/tcpip" \
	"$build/compartments/netapi" "$build/compartments/dns" \
	"$build/compartments/tcp_bench" || failed "image build"
stack_start --netns "$TESTNET_DEV" --stdout "$tmp/out" bench "$tmp/bench.json" \
	--tap tap0
bench_await_exit tcp_bench 180
# Resident memory, read while the stack still runs.
total=0
rss=()
while read -r name pid; do
	kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null)
	number "${kb:-}" || failed "no resident memory figure for $name (pid $pid)"
	total=$((total + kb))
	rss+=("{\"bench\": \"rss\", \"compartment\": \"$name\", \"kbytes\": $kb}")
done < <(events "$events" '.event=="started" and .compartment!="tcp_bench"' |
	jq -r '"\(.compartment) \(.pid)"')
# One incarnation each: a restart would make the figures another run's.
[ "${#rss[@]}" -eq 4 ] || failed "expected the four stack compartments, found ${#rss[@]}"
s_conn=$(grep -oE '"sealnet_connect", "median_us": [0-9.]+' "$tmp/out" | grep -oE '[0-9.]+$')
s_send=$(grep -oE '"sealnet_tcp_send", "mbytes_per_s": [0-9.]+' "$tmp/out" | grep -oE '[0-9.]+$')
s_recv=$(grep -oE '"sealnet_tcp_recv", "mbytes_per_s": [0-9.]+' "$tmp/out" | grep -oE '[0-9.]+$')
number "$s_conn" && number "$s_send" && number "$s_recv" ||
	failed "the bench compartment exited 0 but printed: $(cat "$tmp/out")"

printf '%s\n' "${rss[@]}"
echo "{\"bench\": \"rss\", \"compartment\": \"stack\", \"kbytes\": $total}"
# The supervisor puts the compartment's name before each line it prints.
sed 's/^tcp_bench: //' "$tmp/out"
echo "{\"bench\": \"kernel_tcp_send\", \"mbytes_per_s\": $k_send}"
echo "{\"bench\": \"kernel_tcp_recv\", \"mbytes_per_s\": $k_recv}"
echo "{\"bench\": \"kernel_connect\", \"median_us\": $k_conn}"
awk -v a="$s_send" -v b="$k_send" -v c="$s_recv" -v d="$k_recv" 'BEGIN {
	printf "{\"bench\": \"sealnet_vs_kernel_tcp\", \"send_ratio\": %.2f, \"recv_ratio\": %.2f, \"target_min\": 0.5}\n", a / b, c / d }'
