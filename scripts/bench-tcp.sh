#!/usr/bin/env bash
# sealnet-bench tcp: 100 MB each way through sealnet and through the
# kernel's TCP over the same bridge, in one run, on a throwaway network;
# then connect latency, and each compartment's resident memory.  Prints
# one JSON object per line.  Run as root.  KEEP_LOG=FILE keeps the stack's
# log, for when a figure needs explaining.
#
# Figures come only from a run in which every transfer moved every byte:
# if any step fails, nothing is printed on standard output, the reason
# and the stack's log go to standard error, and the exit status is 1.
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
	[ -n "${KEEP_LOG:-}" ] && [ -f "$tmp/log" ] && cp "$tmp/log" "$KEEP_LOG"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ "$(id -u)" -ne 0 ]; then
	echo "sealnet-bench tcp: run as root (it makes network namespaces)" >&2
	exit 1
fi
log() { echo "sealnet-bench: $*" >&2; }
failed() {
	log "FAILED: $*; no figures"
	[ -f "$tmp/log" ] && cat "$tmp/log" >&2
	exit 1
}
number() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; }

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
ip netns exec "$TESTNET_DEV" "$build/bin/sealnet" run "$tmp/bench.json" \
	--tap tap0 >"$tmp/out" 2>"$tmp/log" &
sv_pid=$!
# The supervisor logs the bench compartment's end, whatever it was.
end=$((SECONDS + 180))
until grep -q 'tcp_bench (incarnation 1) ' "$tmp/log" 2>/dev/null; do
	[ $SECONDS -ge $end ] && failed "gave up waiting for the bench compartment"
	kill -0 "$sv_pid" 2>/dev/null || failed "the supervisor stopped"
	sleep 0.2
done
grep -q 'tcp_bench (incarnation 1) exited with status 0$' "$tmp/log" ||
	failed "the bench compartment $(grep -o 'tcp_bench (incarnation 1) .*' "$tmp/log")"
# Resident memory, read while the stack still runs.
total=0
rss=()
while read -r name pid; do
	kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null)
	number "${kb:-}" || failed "no resident memory figure for $name (pid $pid)"
	total=$((total + kb))
	rss+=("{\"bench\": \"rss\", \"compartment\": \"$name\", \"kbytes\": $kb}")
done < <(grep -oE 'started [A-Za-z_]+ \(pid [0-9]+' "$tmp/log" |
	awk '{gsub(/\(/, ""); print $2, $4}' | grep -v tcp_bench)
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
