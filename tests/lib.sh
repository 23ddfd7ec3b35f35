# shellcheck shell=bash
# What every test script shares.  Source it near the top:
#
#   . "$(dirname "$0")/lib.sh"        (tests/attack: "$(dirname "$0")/../lib.sh")
#
# It makes a temporary folder, $SN_TMP, and sets traps so that whatever
# way the script ends (a failed check, an error, Ctrl-C, SIGTERM) every
# process it started is stopped, by pid, and what it made is removed.
#
# Reporting (the lines scripts/run-tests adds up; one line each)
#   pass TEXT / fail TEXT        print "PASS TEXT" / "FAIL TEXT"
#   check TEXT COMMAND...        PASS if COMMAND succeeds, else FAIL
#   expect TEXT WANTED GOT       PASS if the two strings are equal
#   not COMMAND...               succeeds if COMMAND fails (for check)
#   reported TEXT COMMAND...     COMMAND prints its own PASS and FAIL
#                                lines; a non-zero exit without a FAIL
#                                line, or no PASS line, is FAIL TEXT
#   any_failed                   true once any check of this run failed
#   finish                       exits: 0 if nothing failed, else 1 after
#                                running the on_failure commands
#   on_failure COMMAND           a command (a string, eval'd) that shows
#                                what helps to explain a failure
#   require_root WHY             FAIL and exit unless run as root
#   require_tools TOOL...        FAIL and exit unless each is on PATH
#
# Waiting
#   wait_until SECONDS COMMAND...  runs COMMAND every $SN_POLL s until it
#                                  succeeds; false after SECONDS (which
#                                  may have a fraction)
#
# Logs, read from a mark on, so that a check sees only what followed its
# own action.  Only complete lines are read.  Marks are per file:
#   mark FILE                    later reads of FILE start after its
#                                present last line
#   unmark FILE                  later reads start at its first line
#   since_mark FILE              the lines after the mark
#   lines FILE REGEX             those of them matching the extended REGEX
#   has_line FILE REGEX          one matches
#   has_text FILE STRING         one holds STRING, as it is
#   no_line FILE REGEX           none matches
#   count_lines FILE REGEX       how many match
#   wait_line FILE REGEX SECONDS waits for one, and prints the first
#   between FILE FROM TO         the lines from the first matching FROM
#                                to the first after it matching TO (or to
#                                the end), both regexes
#
# The supervisor's event stream (sealnet run --events: one JSON object a
# line, docs/supervisor.md), read from the same marks, with jq filters:
#   events FILE FILTER           the events matching FILTER, one a line
#   has_event FILE FILTER        one matches;  no_event FILE FILTER: none
#   count_events FILE FILTER     how many match
#   wait_event FILE FILTER SECONDS  waits for one, and prints the first
#   newest_pid FILE COMPARTMENT  the pid of its newest incarnation
#   started_pids FILE            every pid the supervisor started
#   is_compartment PID           a live process with a compartment's uid
#
# Processes
#   stack_start [--netns NS] [--stdout FILE] NAME IMAGE [ARG...]
#                                `sealnet run IMAGE --events ... ARG...` in
#                                the background (in namespace NS); its
#                                output goes to $SN_TMP/NAME.log (only
#                                its standard error with --stdout), its
#                                events to $SN_TMP/NAME.events, all
#                                unmarked; its pid is $(stack_pid NAME)
#   stack_stop NAME [SECONDS]    SIGTERM, then waits up to SECONDS (5) for
#                                it to end; returns its exit status, or 1
#                                if it had to be killed
#   spawn COMMAND...             runs COMMAND in the background and stops
#                                it at the end; its pid is $SN_LAST_PID
#   track_pid PID...             stops PID at the end (SIGTERM, SIGKILL)
#   track_events FILE            at the end, kills any compartment still
#                                alive that FILE says was started
#   at_cleanup COMMAND           runs COMMAND (a string, eval'd) at the
#                                end; the last registered runs first
#
# Set SN_BUILD before sourcing to use another build than build/; the
# sealnet binary is $SN_SEALNET.
[ -z "${SN_LIB_LOADED:-}" ] || return 0
SN_LIB_LOADED=1

SN_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SN_BUILD=${SN_BUILD:-$SN_ROOT/build}
SN_SEALNET=$SN_BUILD/bin/sealnet
SN_TEST=${SN_TEST:-$(basename "$0" .sh)}
SN_POLL=${SN_POLL:-0.05}
SN_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sealnet-$SN_TEST.XXXXXX") || {
	echo "FAIL $SN_TEST: no temporary folder"
	exit 1
}
# Failures are also recorded in a file, so that a check run in a
# subshell counts too.
SN_FAILED_FILE=$SN_TMP/.failed
SN_LAST_PID=
declare -gA SN_MARK=()
declare -gA SN_STACK_PID=()
declare -ga SN_STACKS=()
declare -ga SN_PIDS=()
declare -ga SN_EVENT_FILES=()
declare -ga SN_CLEANUPS=()
declare -ga SN_ON_FAILURE=()

# ---- reporting ----

# One line, whatever the text holds: a newline in it would start a line
# that run-tests might count.
sn_one_line() {
	local t=$*
	t=${t//$'\r'/}
	printf '%s\n' "${t//$'\n'/ | }"
}
pass() { sn_one_line "PASS $*"; }
fail() {
	sn_one_line "FAIL $*"
	: >>"$SN_FAILED_FILE"
}
any_failed() { [ -e "$SN_FAILED_FILE" ]; }
check() { # TEXT COMMAND...
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}
not() { ! "$@"; }
expect() { # TEXT WANTED GOT
	if [ "$2" == "$3" ]; then pass "$1"; else fail "$1: expected $2, got $3"; fi
}
reported() { # TEXT COMMAND...
	local what=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	[ -n "$out" ] && printf '%s\n' "$out"
	if grep -q '^FAIL ' <<<"$out"; then
		: >>"$SN_FAILED_FILE"
	elif [ "$rc" -ne 0 ]; then
		fail "$what: exit status $rc"
	elif ! grep -q '^PASS ' <<<"$out"; then
		fail "$what: reported no PASS or FAIL line"
	fi
}
on_failure() { SN_ON_FAILURE+=("$*"); }
finish() {
	local c
	if any_failed; then
		for c in "${SN_ON_FAILURE[@]}"; do
			eval "$c"
		done
		exit 1
	fi
	exit 0
}
require_root() { # WHY
	if [ "$(id -u)" -ne 0 ]; then
		echo "FAIL $SN_TEST: needs root ($1)"
		exit 1
	fi
}
require_tools() { # TOOL...
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || {
			echo "FAIL $SN_TEST: $t is missing (scripts/install-deps.sh)"
			exit 1
		}
	done
}
quietly() { "$@" >/dev/null; } # stdout only: what a wait says on failure stays
say() { echo "  $*"; }

# ---- waiting ----

sn_now_us() { local t=${EPOCHREALTIME//[.,]/}; echo "$((10#$t))"; }
sn_us() { # SECONDS (with a fraction or not) in microseconds
	local s=$1 whole frac
	whole=${s%%.*}
	frac=
	[ "$s" != "$whole" ] && frac=${s#*.}
	frac=${frac}000000
	echo "$((10#${whole:-0} * 1000000 + 10#${frac:0:6}))"
}
wait_until() { # SECONDS COMMAND...
	local end
	end=$(($(sn_now_us) + $(sn_us "$1")))
	shift
	while :; do
		"$@" && return 0
		[ "$(sn_now_us)" -ge "$end" ] && return 1
		sleep "$SN_POLL"
	done
}

# ---- logs from a mark on ----

mark() { # FILE
	local n=0
	[ -e "$1" ] && n=$(wc -l <"$1")
	SN_MARK[$1]=$n
}
unmark() { SN_MARK[$1]=0; }
# The complete lines after the mark.  A line still being written has no
# newline yet and is left for the next read; a terminal's CRLF is read as
# a newline.
since_mark() { # FILE
	[ -e "$1" ] || return 0
	tail -n "+$((${SN_MARK[$1]:-0} + 1))" "$1" |
		perl -ne 's/\r\n\z/\n/; print if /\n\z/'
}
lines() { since_mark "$1" | grep -aE -- "$2"; }
has_line() { lines "$1" "$2" >/dev/null; }
has_text() { since_mark "$1" | grep -aF -- "$2" >/dev/null; }
no_line() { ! has_line "$1" "$2"; }
count_lines() {
	local n
	n=$(lines "$1" "$2" | wc -l)
	echo "$n"
}
sn_first_line() {
	local l
	l=$(lines "$1" "$2" | sed -n 1p)
	[ -n "$l" ] && printf '%s\n' "$l"
}
wait_line() { # FILE REGEX SECONDS
	wait_until "$3" sn_first_line "$1" "$2" && return 0
	echo "  waited $3 s for a line matching /$2/ in $(basename "$1")" >&2
	return 1
}

between() { # FILE FROM TO
	local text from to
	text=$(since_mark "$1")
	from=$(grep -naE -- "$2" <<<"$text" | sed -n '1s/:.*//p')
	[ -n "$from" ] || return 1
	to=$(tail -n "+$((from + 1))" <<<"$text" | grep -naE -- "$3" |
		sed -n '1s/:.*//p')
	if [ -n "$to" ]; then
		sed -n "${from},$((from + to))p" <<<"$text"
	else
		tail -n "+$from" <<<"$text"
	fi
}

# ---- the event stream ----

sn_filter_ok() {
	local err
	err=$(jq -n "empty | select($1)" 2>&1) && [ -z "$err" ] && return 0
	echo "  bad jq filter ($1): $err" >&2
	return 2
}
events() { # FILE FILTER
	since_mark "$1" | jq -c "select($2)"
}
has_event() { [ -n "$(events "$1" "$2")" ]; }
no_event() { sn_filter_ok "$2" && [ -z "$(events "$1" "$2")" ]; }
count_events() {
	local n
	n=$(events "$1" "$2" | wc -l)
	echo "$n"
}
sn_first_event() {
	local e
	e=$(events "$1" "$2" | sed -n 1p)
	[ -n "$e" ] && printf '%s\n' "$e"
}
wait_event() { # FILE FILTER SECONDS
	sn_filter_ok "$2" || return 2
	wait_until "$3" sn_first_event "$1" "$2" && return 0
	echo "  waited $3 s for an event matching $2 in $(basename "$1")" >&2
	return 1
}
newest_pid() { # FILE COMPARTMENT
	jq -r --arg c "$2" 'select(.event=="started" and .compartment==$c) | .pid' \
		"$1" | sed -n '$p'
}
started_pids() { jq -r 'select(.event=="started") | .pid' "$1"; }
# The supervisor gives compartments uids from 61000 to 62023
# (docs/supervisor.md, "Uids").  A zombie is dead already.
is_compartment() { # PID
	local uid state
	uid=$(awk '/^Uid:/ {print $2}' "/proc/$1/status" 2>/dev/null)
	state=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null)
	[ -n "$uid" ] && [ "$uid" -ge 61000 ] && [ "$uid" -lt 62024 ] &&
		[ "$state" != Z ]
}

# ---- processes ----

sn_alive() { # PID: running, not a zombie waiting to be reaped
	local state
	state=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null)
	[ -n "$state" ] && [ "$state" != Z ]
}
sn_all_gone() { # PID...
	local p
	for p in "$@"; do
		sn_alive "$p" && return 1
	done
	return 0
}
track_pid() { SN_PIDS+=("$@"); }
track_events() { SN_EVENT_FILES+=("$1"); }
at_cleanup() { SN_CLEANUPS+=("$*"); }
spawn() { # COMMAND...
	"$@" &
	SN_LAST_PID=$!
	SN_PIDS+=("$SN_LAST_PID")
}

stack_start() { # [--netns NS] [--stdout FILE] NAME IMAGE [ARG...]
	local ns='' out=''
	while :; do
		case $1 in
		--netns) ns=$2 ;;
		--stdout) out=$2 ;;
		*) break ;;
		esac
		shift 2
	done
	local name=$1 image=$2
	shift 2
	local log=$SN_TMP/$name.log ev=$SN_TMP/$name.events
	local -a cmd=("$SN_SEALNET" run "$image" --events "$ev" "$@")
	[ -n "$ns" ] && cmd=(ip netns exec "$ns" "${cmd[@]}")
	: >"$log"
	: >"$ev"
	unmark "$log"
	unmark "$ev"
	if [ -n "$out" ]; then
		: >"$out"
		unmark "$out"
		"${cmd[@]}" >"$out" 2>"$log" &
	else
		"${cmd[@]}" >"$log" 2>&1 &
	fi
	SN_STACK_PID[$name]=$!
	SN_STACKS+=("$name")
	SN_EVENT_FILES+=("$ev")
}
stack_pid() { echo "${SN_STACK_PID[$1]:-}"; }
stack_stop() { # NAME [SECONDS]
	local pid=${SN_STACK_PID[$1]:-} rc
	[ -n "$pid" ] || return 1
	SN_STACK_PID[$1]=
	kill -TERM "$pid" 2>/dev/null
	if ! wait_until "${2:-5}" sn_all_gone "$pid"; then
		echo "  $1 (pid $pid) did not stop within ${2:-5} s; killed" >&2
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 1
	fi
	wait "$pid" 2>/dev/null
	rc=$?
	return "$rc"
}

# Stops, by pid, the processes of the list; SIGKILL for those still
# there after SECONDS.
sn_stop_pids() { # SECONDS PID...
	local secs=$1 p
	shift
	[ $# -gt 0 ] || return 0
	for p in "$@"; do
		kill -TERM "$p" 2>/dev/null
	done
	wait_until "$secs" sn_all_gone "$@"
	for p in "$@"; do
		sn_alive "$p" && kill -KILL "$p" 2>/dev/null
	done
	for p in "$@"; do
		wait "$p" 2>/dev/null
	done
	return 0
}

sn_cleanup() {
	local name pids=() f p i
	[ -z "${SN_CLEANED:-}" ] || return 0
	SN_CLEANED=1
	# A second Ctrl-C does not cut the cleanup short.
	trap '' INT TERM
	# The supervisors first: each stops its own compartments (SIGTERM,
	# then SIGKILL after 2 s).
	for name in "${SN_STACKS[@]}"; do
		[ -n "${SN_STACK_PID[$name]}" ] && pids+=("${SN_STACK_PID[$name]}")
	done
	sn_stop_pids 3 "${pids[@]}"
	sn_stop_pids 2 "${SN_PIDS[@]}"
	# A compartment a supervisor left (one killed outright, say): the
	# pid is one its events name, and it still runs with a compartment's
	# uid.
	for f in "${SN_EVENT_FILES[@]}"; do
		[ -e "$f" ] || continue
		for p in $(started_pids "$f" 2>/dev/null); do
			is_compartment "$p" && kill -KILL "$p" 2>/dev/null
		done
	done
	for ((i = ${#SN_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${SN_CLEANUPS[i]}"
	done
	rm -rf "$SN_TMP"
}
sn_interrupted() { # STATUS
	echo "$SN_TEST: interrupted; stopping what it started" >&2
	exit "$1"
}
trap sn_cleanup EXIT
trap 'sn_interrupted 130' INT
trap 'sn_interrupted 143' TERM
