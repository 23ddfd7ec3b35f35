# shellcheck shell=bash
# A throwaway network for the demo and the network tests.  Source this
# file, then call testnet_up; testnet_down removes everything it made,
# and is safe to call more than once.
#
#   $TESTNET_SRV  namespace with veth end "vs" = 10.0.0.1/24 and
#                 fd00::1/64, running dnsmasq (DHCP 10.0.0.50-99, router
#                 advertisements for fd00::/64, DNS for the names given)
#   $TESTNET_DEV  namespace with the other veth end and TAP device "tap0"
#                 on bridge br0; sealnet runs here with --tap tap0
#
# testnet_up TMPDIR NAME...   NAME... are answered with 10.0.0.1
#                             With TESTNET_DNS set to an address, DHCP
#                             names that address as the DNS server
#                             instead, and the caller runs one there.
#                             TESTNET_DNS_TTL: the TTL of those answers
#                             (dnsmasq's default is 0: not to be kept).
# testnet_spawn CMD...        runs CMD in the server namespace, tracked
TESTNET_SRV=sn-srv-$$
TESTNET_DEV=sn-dev-$$
TESTNET_PIDS=()

testnet_up() {
	local tmp=$1 name
	shift
	local dns_args=(--local=/test/)
	for name in "$@"; do
		dns_args+=(--address="/$name/10.0.0.1")
	done
	[ -n "${TESTNET_DNS_TTL:-}" ] && dns_args+=(--local-ttl="$TESTNET_DNS_TTL")
	if [ -n "${TESTNET_DNS:-}" ]; then
		dns_args=(--port=0 --dhcp-option="option:dns-server,$TESTNET_DNS")
	fi
	ip netns add "$TESTNET_SRV" && ip netns add "$TESTNET_DEV" || return 1
	ip link add vs netns "$TESTNET_SRV" type veth peer name vd netns "$TESTNET_DEV" &&
		ip -n "$TESTNET_SRV" addr add 10.0.0.1/24 dev vs &&
		ip -n "$TESTNET_SRV" addr add fd00::1/64 dev vs nodad &&
		ip -n "$TESTNET_SRV" link set lo up &&
		ip -n "$TESTNET_SRV" link set vs up &&
		ip -n "$TESTNET_DEV" link add br0 type bridge stp_state 0 forward_delay 0 &&
		ip -n "$TESTNET_DEV" tuntap add tap0 mode tap &&
		ip -n "$TESTNET_DEV" link set vd master br0 &&
		ip -n "$TESTNET_DEV" link set tap0 master br0 || return 1
	for l in lo vd tap0 br0; do
		ip -n "$TESTNET_DEV" link set "$l" up || return 1
	done
	testnet_spawn dnsmasq --conf-file=/dev/null --keep-in-foreground \
		--interface=vs --bind-interfaces --no-resolv --no-hosts \
		"${dns_args[@]}" \
		--dhcp-range=10.0.0.50,10.0.0.99,255.255.255.0,1h --no-ping \
		--enable-ra --dhcp-range=::,constructor:vs,ra-only \
		--dhcp-leasefile="$tmp/leases" --pid-file="$tmp/dnsmasq.pid" \
		--user=root --log-facility="$tmp/dnsmasq.log"
}

testnet_spawn() {
	ip netns exec "$TESTNET_SRV" "$@" &
	TESTNET_PIDS+=($!)
}

testnet_down() {
	local p
	for p in "${TESTNET_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	# Up to 2 s for them to end; one that ignores SIGTERM is killed
	# rather than waited on for ever.
	for _ in $(seq 40); do
		for p in "${TESTNET_PIDS[@]}"; do
			kill -0 "$p" 2>/dev/null && break
			p=
		done
		[ -z "${p:-}" ] && break
		sleep 0.05
	done
	for p in "${TESTNET_PIDS[@]}"; do
		kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	TESTNET_PIDS=()
	# Servers fork per connection: whatever still runs in the server
	# namespace was started here, so it goes too.
	for p in $(ip netns pids "$TESTNET_SRV" 2>/dev/null); do
		kill -KILL "$p" 2>/dev/null
	done
	ip netns del "$TESTNET_SRV" 2>/dev/null
	ip netns del "$TESTNET_DEV" 2>/dev/null
	return 0
}
