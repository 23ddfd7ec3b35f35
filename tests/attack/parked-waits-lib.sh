# shellcheck shell=bash
# What the parked-waits tests share (tests/attack/parked-waits.sh,
# parked-tls-waits.sh, parked-mqtt-waits.sh): in namespaces the test
# makes and removes itself (scripts/testnet.sh), a hostile application
# parks calls on a service and floods it while an honest one makes timed
# round trips (tests/compartments/waiting.c), both logging RESULT lines.
# Source it at the top of the script; it sources tests/lib.sh and
# scripts/testnet.sh and sets $root, $build and $tmp.  Then, in order:
#
#   waits_begin NAME TOOL...     root and the tools (ss and jq besides);
#                                the stack NAME's log is $log, its
#                                events $ev
#   waits_certificates NAME SAN...  a CA, $pki/ca.pem, and a certificate
#                                $pki/NAME.pem (key $pki/server.key) for
#                                each NAME SAN pair (a subjectAltName)
#   waits_network HOST...        the test network, with these names for
#                                its server namespace
#   waits_boot READY [OPTION...] -- COMPARTMENT...
#                                the image of Firewall, TCPIP, NetAPI,
#                                DNS and the COMPARTMENTs, built with
#                                the image OPTIONs and started; checks
#                                that every compartment becomes ready,
#                                and READY, that the honest one says so
#   waits_hostile_begins SECONDS opens the hostile one's go port and
#                                checks that its flood begins
#   waits_honest_ran WHAT [NOUN COUNT]
#                                opens the honest one's go port; checks
#                                that its 200 WHAT round trips (and its
#                                COUNT new NOUN) ran during the flood,
#                                correct and within $SLOWEST_US each
#   waits_flood_answered KIND|ANSWER...
#                                checks that every call of the flood was
#                                answered as documented, each KIND with
#                                ANSWER (strerror's text)
#   waits_kill_hostile COMPARTMENT TEXT SECONDS
#                                kills it; checks that it dies, TEXT:
#                                that the server on $SERVER_PORT sees its
#                                connections go within SECONDS, and that
#                                the Firewall's rules go back to
#                                $idle_rules
#   waits_successor_runs SECONDS opens the go port again; checks that the
#                                hostile one's successor runs
#   waits_end COMPARTMENT        checks that no compartment but the
#                                killed one died; stops the stack; ends
#
# And for the script's own checks: has REGEX, wait_for REGEX SECONDS and
# result REGEX (the newest RESULT line) on $log; rules and rules_are N
# (the Firewall's rule count); established and established_is N (the
# connections of the server on $SERVER_PORT, which the script sets);
# rss_kb PID; rss_grew_less BEFORE AFTER.
[ -n "${SEALNET_BUILD:-}" ] && SN_BUILD=$SEALNET_BUILD
# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
root=$SN_ROOT
build=$SN_BUILD
tmp=$SN_TMP
# shellcheck source=../../scripts/testnet.sh
. "$root/scripts/testnet.sh"

# What a service's resident memory may grow by, in KiB, through the
# attack.
RSS_BOUND_KB=2048
# The slowest honest round trip or new connection allowed, in us: a
# bound on correctness (nothing held back for good), not a speed target.
SLOWEST_US=1000000
# Without the hostile application's connections, the Firewall holds one
# rule: the honest one's connection.  (The count seen now may also hold a
# connect to a go port, refused and gone a moment later.)
idle_rules=1

waits_begin() { # NAME TOOL...
	waits_name=$1
	shift
	at_cleanup testnet_down
	require_root "namespaces, TAP"
	require_tools ss jq "$@"
	log=$tmp/$waits_name.log
	ev=$tmp/$waits_name.events
	on_failure 'echo "---- sealnet (last 60 lines) ----"; tail -60 "$log"'
}

waits_certificates() { # NAME SAN...
	# openssl ca writes its records into the working folder.
	cd "$tmp" || exit 1
	# shellcheck source=../tls-certs.sh
	. "$root/tests/tls-certs.sh"
	pki=$tmp/pki
	{ mkdir -p "$pki" && chmod 700 "$pki" && tls_ca "$pki" ca; } || {
		fail "$SN_TEST: cannot make the certificates"
		exit 1
	}
	while [ $# -ge 2 ]; do
		tls_cert "$pki" ca "$1" "$2" || {
			fail "$SN_TEST: cannot make the certificates"
			exit 1
		}
		shift 2
	done
}

waits_network() { # HOST...
	testnet_up "$tmp" "$@" || {
		fail "$SN_TEST: cannot build the test network"
		exit 1
	}
}

waits_boot() { # READY [OPTION...] -- COMPARTMENT...
	local ready=$1 options=() paths=() c
	local words=(none one two three four five six seven eight nine ten)
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		options+=("$1")
		shift
	done
	shift
	for c in firewall tcpip netapi dns "$@"; do
		paths+=("$build/compartments/$c")
	done
	"$SN_SEALNET" image build -o "$tmp/$waits_name.json" "${options[@]}" \
		"${paths[@]}" || {
		fail "$SN_TEST: image build"
		finish
	}
	stack_start --netns "$TESTNET_DEV" "$waits_name" "$tmp/$waits_name.json" --tap tap0
	check "all ${words[${#paths[@]}]} compartments become ready" \
		quietly wait_event "$ev" ".event==\"all_ready\" and .compartments==${#paths[@]}" 10
	check "$ready" wait_for 'RESULT honest ready' 30
	# Nothing below means anything without the stack.
	any_failed && finish
}

has() { has_line "$log" "$1"; }
wait_for() { quietly wait_line "$log" "$1" "$2"; }
result() { lines "$log" "RESULT $1" | tail -1; }
# The Firewall's rule count as it last logged it (it logs the count when
# it changed, at most once a second): the newest line of the whole run.
rules() {
	(
		unmark "$log"
		lines "$log" '^Firewall: rules: [0-9]+$' | tail -1 | grep -oE '[0-9]+$'
	)
}
# Each read again at every poll of wait_until.
rules_are() { test "$(rules)" = "$1"; }
established_is() { test "$(established)" -eq "$1"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null; }
established() { # connections the server on $SERVER_PORT has from the stack
	ip netns exec "$TESTNET_SRV" ss -Htn state established "( sport = :$SERVER_PORT )" | wc -l
}
rss_grew_less() { # BEFORE AFTER (KiB): both read, and by less than the bound
	test -n "$1" -a -n "$2" -a "$((${2:-0} - ${1:-0}))" -lt "$RSS_BOUND_KB"
}

waits_hostile_begins() { # SECONDS
	testnet_spawn "$build/tools/echo_server" 7009 # the hostile one's go
	hostile_go=${TESTNET_PIDS[-1]}
	check "the hostile application begins its attack" \
		wait_for 'RESULT hostile flooding' "$1"
	any_failed && finish
	lines "$log" 'RESULT hostile' | sed 's/^/  /'
}

waits_no_slower() { # RESULT_LINE: its "slowest N" (us) within the bound
	local slowest
	slowest=$(grep -oE 'slowest [0-9]+' <<<"$1" | grep -oE '[0-9]+')
	check "... none slower than $((SLOWEST_US / 1000)) ms (slowest: ${slowest:-?} us)" \
		test "${slowest:-$SLOWEST_US}" -lt "$SLOWEST_US"
}

waits_honest_ran() { # WHAT [NOUN COUNT]
	local trips fresh
	testnet_spawn "$build/tools/echo_server" 7008 # the honest one's go
	check "the honest application ran" wait_for 'RESULT honest done' 30
	check "the hostile flood ended" wait_for 'RESULT hostile holds' 30
	lines "$log" 'RESULT (honest|hostile (flood|holds))' | sed 's/^/  /'
	check "the honest application's round trips began while the hostile one flooded" \
		test -n "$(between "$log" 'RESULT hostile flooding' 'RESULT hostile flood:' |
			grep -a 'RESULT honest begins')"
	trips=$(result 'honest round trips')
	check "all 200 honest $1 round trips succeed" grep -q 'round trips: 200 of 200' <<<"$trips"
	waits_no_slower "$trips"
	[ $# -ge 3 ] || return 0
	fresh=$(result "honest new $2")
	check "all $3 honest new $2 echo" grep -q "$2: $3 of $3" <<<"$fresh"
	waits_no_slower "$fresh"
}

waits_flood_answered() { # KIND|ANSWER...
	local flood sent pair kind want
	flood=$(result 'hostile flood: [0-9]+ calls')
	sent=$(grep -oE '[0-9]+ calls sent' <<<"$flood" | grep -oE '^[0-9]+')
	check "the flood sent calls (${sent:-none})" test "${sent:-0}" -gt 0
	check "... every one answered, as documented" \
		grep -qE "flood: $sent calls sent, $sent answered, 0 not as documented" <<<"$flood"
	for pair; do
		kind=${pair%%|*} want=${pair#*|}
		check "... $kind: $want, $(result "hostile flood $kind:" | grep -oE '[0-9]+ of [0-9]+') times" \
			has "RESULT hostile flood $kind: ([1-9][0-9]*) of \\1 answered $want\$"
	done
}

waits_kill_hostile() { # COMPARTMENT TEXT SECONDS
	local hostile
	# Its successor must wait for the go port until the checks after
	# this are done.
	kill "$hostile_go"
	wait "$hostile_go" 2>/dev/null
	hostile=$(newest_pid "$ev" "$1")
	mark "$log"
	kill -KILL "$hostile"
	check "the hostile application dies" \
		quietly wait_event "$ev" ".event==\"died\" and .compartment==\"$1\" and .pid==$hostile" 5
	check "$2" wait_until "$3" established_is 0
	check "the Firewall's rules go back to $idle_rules, the honest application's connection" \
		wait_until 10 rules_are "$idle_rules"
}

waits_successor_runs() { # SECONDS
	testnet_spawn "$build/tools/echo_server" 7009 # the successor's go
	check "its successor runs" wait_for 'RESULT hostile holds' "$1"
}

waits_end() { # COMPARTMENT
	check "no compartment but the killed one died" \
		no_event "$ev" ".event==\"killed\" or (.event==\"died\" and .compartment!=\"$1\" and (.cause!=\"exit\" or .exit_status!=0))"
	stack_stop "$waits_name"
	finish
}
