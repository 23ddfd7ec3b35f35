# What a test that boots a stack on the throwaway network begins with
# (scripts/testnet.sh: two namespaces, a bridge, a TAP device, dnsmasq).
# Sourced after lib.sh; the network goes when the test ends, however it
# ends.
. "$SN_ROOT/scripts/testnet.sh"
at_cleanup testnet_down

# net_begin NAME [TOOL...]: root, jq and the tools the test needs; the
# stack's log and events go to $log and $ev ($SN_TMP/NAME.log, .events),
# and the log's last 40 lines are shown if a check fails.
net_begin() {
	net_name=$1
	shift
	require_root "namespaces, TAP"
	require_tools jq "$@"
	log=$SN_TMP/$net_name.log
	ev=$SN_TMP/$net_name.events
	on_failure "echo '---- sealnet (last 40 lines) ----'; tail -40 '$log'"
}

# net_up [NAME...]: the network, with each NAME resolving to the server
# (10.0.0.1); the test ends at once if it cannot be built.
net_up() {
	testnet_up "$SN_TMP" "$@" && return 0
	fail "$net_name: cannot build the test network"
	finish
}

# net_stack COMPARTMENT...: an image of the Firewall, TCPIP, NetAPI, DNS
# and these compartments of the build, booted on the network's TAP
# device with `sealnet run`'s further options in net_run_args; checks
# that they all become ready.
net_run_args=()
net_stack() {
	local c n=$(($# + 4))
	local -a bins=()
	for c in firewall tcpip netapi dns "$@"; do
		bins+=("$SN_BUILD/compartments/$c")
	done
	"$SN_SEALNET" image build -o "$SN_TMP/$net_name.json" "${bins[@]}" || {
		fail "$net_name: image build"
		finish
	}
	stack_start --netns "$TESTNET_DEV" "$net_name" "$SN_TMP/$net_name.json" --tap tap0 \
		"${net_run_args[@]}"
	check "all $n compartments become ready" \
		quietly wait_event "$ev" ".event==\"all_ready\" and .compartments==$n" 10
}

# net_address: the address TCPIP logged taking, in $addr; checked.
net_address() {
	addr=$(lines "$log" '^TCPIP: address 10\.0\.0\.[0-9]+' | head -1 |
		grep -oE '10\.0\.0\.[0-9]+' | head -1)
	check "the stack has an address (${addr:-none})" test -n "$addr"
}

# in_srv COMMAND...: COMMAND in the server namespace (10.0.0.1).
in_srv() { ip netns exec "$TESTNET_SRV" "$@"; }

# The Firewall's rule count as it last logged it.  It logs the count
# only when it changed (at most once a second), so the present count is
# the newest such line of the whole run, not only of what followed a mark.
rules() {
	(
		unmark "$log"
		lines "$log" '^Firewall: rules: [0-9]+$' | tail -1 | grep -oE '[0-9]+$'
	)
}
