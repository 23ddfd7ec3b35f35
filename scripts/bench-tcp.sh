#!/usr/bin/env bash
# sealnet-bench tcp: 1 GB each way through sealnet and through the
# kernel's TCP over the same bridge, in one run, on a throwaway network;
# then connect latency, and each compartment's resident memory; then the
# transfers again with the Linux peers' congestion control set to Reno
# (the lines ending in _reno), and the receives once more from a server
# Reno paces at PACE_MBPS megabytes a second (default 1000; the lines
# ending in _paced).  Prints one JSON object per line.  Run as
# root.  KEEP_LOG=FILE keeps the first pass's stack log and
# KEEP_EVENTS=FILE every pass's event stream (sealnet run --events), for
# when a figure needs explaining.
#
# Figures come only from a run in which every transfer moved every byte:
# if any step fails, nothing is printed on standard output, the reason
# and the stack's log go to standard error, and the exit status is 1.
set -uo pipefail
# shellcheck source=bench-lib.sh
. "$(dirname "$0")/bench-lib.sh" tcp "${1:-build}"
at_cleanup '[ -n "${KEEP_EVENTS:-}" ] && cat "$tmp"/bench*.events >"$KEEP_EVENTS"'

# What each transfer moves; the bench compartment moves its own BYTES
# (tests/compartments/tcp_bench.c), and its figures must say the same.
bytes=1000000000
pace=${PACE_MBPS:-1000}
[[ $pace =~ ^[1-9][0-9]*$ ]] || failed "PACE_MBPS must be a whole number of MB/s: $pace"

# Answers that may be kept a minute, as a real zone's would: sealnet's
# NetAPI keeps them; the kernel's client asks every time (no cache).
TESTNET_DNS_TTL=60 testnet_up "$tmp" bench.test ||
	failed "cannot build the test network"
peer=$build/tools/tcp_peer
# The kernel's own client sits on the same bridge, beside the TAP device.
ip -n "$TESTNET_DEV" addr add 10.0.0.2/24 dev br0 || failed "no address for the kernel's client"
echo "nameserver 10.0.0.1" >"$tmp/resolv.conf"
"$build/bin/sealnet" image build -o "$tmp/bench.json" \
	"$build/compartments/firewall" "$build/compartments/tcpip" \
	"$build/compartments/netapi" "$build/compartments/dns" \
	"$build/compartments/tcp_bench" || failed "image build"

# The Linux senders' congestion control decides how fast they send: the
# machine's default in the first pass (BBR, where it is that, paces what
# it sends), Reno in the second (it sends what the window allows, as
# CUBIC, Linux's usual default, does).  sealnet's own sender is lwIP's
# in both.
congestion=$(ip netns exec "$TESTNET_DEV" sysctl -n net.ipv4.tcp_congestion_control) ||
	failed "cannot read the congestion control in use"
peer_pids=()

# Both namespaces' congestion control, and the kernel's servers started
# again under it: an accepted connection takes its listener's.  With
# PACE, the source paces each connection at PACE megabytes a second.
peers_under() { # CONGESTION_CONTROL [PACE]
	local ns
	[ "${#peer_pids[@]}" -eq 0 ] || sn_stop_pids 2 "${peer_pids[@]}"
	for ns in "$TESTNET_DEV" "$TESTNET_SRV"; do
		ip netns exec "$ns" sysctl -qw "net.ipv4.tcp_congestion_control=$1" ||
			failed "cannot use $1 congestion control"
	done
	testnet_spawn "$peer" sink 7101
	if [ -n "${2:-}" ]; then
		testnet_spawn "$peer" paced 7102 "$bytes" "$2"
	else
		testnet_spawn "$peer" source 7102 "$bytes"
	fi
	peer_pids=("${TESTNET_PIDS[@]: -2}")
	sleep 0.5
}

# The rate of the bench compartment's line NAME, if it moved $bytes.
sealnet_rate() { # NAME FILE
	grep -oE '\{.*\}' "$2" | jq -r --arg n "$1" --argjson b "$bytes" \
		'select(.bench == $n and .bytes == $b) | .mbytes_per_s'
}

# One pass: the kernel's transfers, then sealnet's, as NAME (the stack's
# log and events are $tmp/NAME.*, the bench compartment's lines
# $tmp/NAME.out).  The stack is left running for its memory to be read.
pass() { # NAME
	log "$1: kernel TCP over the bridge ($(ip netns exec "$TESTNET_SRV" sysctl -n net.ipv4.tcp_congestion_control))"
	k_send=$(ip netns exec "$TESTNET_DEV" "$peer" send 10.0.0.1 7101 "$bytes") &&
		number "$k_send" || failed "the kernel's send did not complete"
	k_recv=$(ip netns exec "$TESTNET_DEV" "$peer" recv 10.0.0.1 7102 "$bytes") &&
		number "$k_recv" || failed "the kernel's receive did not complete"
	log "$1: sealnet: Firewall, TCPIP, NetAPI, DNS and the bench compartment"
	events=$tmp/$1.events
	stack_log=$tmp/$1.log
	stack_start --netns "$TESTNET_DEV" --stdout "$tmp/$1.out" "$1" \
		"$tmp/bench.json" --tap tap0
	bench_await_exit tcp_bench 180
	s_send=$(sealnet_rate sealnet_tcp_send "$tmp/$1.out")
	s_recv=$(sealnet_rate sealnet_tcp_recv "$tmp/$1.out")
	number "$s_send" && number "$s_recv" ||
		failed "the bench compartment exited 0 but printed: $(cat "$tmp/$1.out")"
}

peers_under "$congestion"
pass bench
k_conn=$(ip netns exec "$TESTNET_DEV" unshare -m sh -c \
	"mount --bind '$tmp/resolv.conf' /etc/resolv.conf &&
	 '$peer' connect bench.test 7101 20") &&
	read -r k_conn k_conn_max <<<"$k_conn" &&
	number "$k_conn" && number "$k_conn_max" ||
	failed "the kernel's connects did not all succeed"
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
s_conn=$(grep -oE '"sealnet_connect", "median_us": [0-9.]+' "$tmp/bench.out" | grep -oE '[0-9.]+$')
s_conn_max=$(grep -oE '"sealnet_connect", "median_us": [0-9.]+, "max_us": [0-9.]+' "$tmp/bench.out" | grep -oE '[0-9.]+$')
number "$s_conn" && number "$s_conn_max" ||
	failed "no sealnet_connect figures in: $(cat "$tmp/bench.out")"
first=("$s_send" "$s_recv" "$k_send" "$k_recv")
stack_stop bench || failed "the first pass's stack did not stop cleanly"

peers_under reno
pass bench_reno
reno=("$s_send" "$s_recv" "$k_send" "$k_recv")
stack_stop bench_reno || failed "the Reno pass's stack did not stop cleanly"

# What sealnet takes from a sender that paces (as BBR does, or any
# sender behind fq), against the kernel's own client at the same pace:
# only the receives of this pass are printed.
peers_under reno "$pace"
pass bench_paced

# One pass's transfers and their ratios; SUFFIX ends each name.
figures() { # SUFFIX CONGESTION SEALNET_SEND SEALNET_RECV KERNEL_SEND KERNEL_RECV
	echo "{\"bench\": \"sealnet_tcp_send$1\", \"mbytes_per_s\": $3, \"bytes\": $bytes}"
	echo "{\"bench\": \"sealnet_tcp_recv$1\", \"mbytes_per_s\": $4, \"bytes\": $bytes}"
	echo "{\"bench\": \"kernel_tcp_send$1\", \"mbytes_per_s\": $5, \"bytes\": $bytes}"
	echo "{\"bench\": \"kernel_tcp_recv$1\", \"mbytes_per_s\": $6, \"bytes\": $bytes}"
	awk -v n="$1" -v cc="$2" -v a="$3" -v c="$4" -v b="$5" -v d="$6" 'BEGIN {
		printf "{\"bench\": \"sealnet_vs_kernel_tcp%s\", \"send_ratio\": %.2f, \"recv_ratio\": %.2f, \"target_min\": 0.5, \"congestion_control\": \"%s\"}\n", n, a / b, c / d, cc }'
}
printf '%s\n' "${rss[@]}"
echo "{\"bench\": \"rss\", \"compartment\": \"stack\", \"kbytes\": $total}"
echo "{\"bench\": \"sealnet_connect\", \"median_us\": $s_conn, \"max_us\": $s_conn_max}"
echo "{\"bench\": \"kernel_connect\", \"median_us\": $k_conn, \"max_us\": $k_conn_max}"
figures "" "$congestion" "${first[@]}"
figures _reno reno "${reno[@]}"
echo "{\"bench\": \"sealnet_tcp_recv_paced\", \"mbytes_per_s\": $s_recv, \"bytes\": $bytes, \"pace_mbytes_per_s\": $pace}"
echo "{\"bench\": \"kernel_tcp_recv_paced\", \"mbytes_per_s\": $k_recv, \"bytes\": $bytes, \"pace_mbytes_per_s\": $pace}"
