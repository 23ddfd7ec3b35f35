#!/usr/bin/env bash
# tests/lib.sh itself: marks, partial lines, deadlines, event filters,
# the one-line rule for PASS and FAIL, and the cleanup, which must stop
# what a test started by pid whether it ends normally, fails, or is
# sent SIGTERM.  Needs neither root nor a build.
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
tmp=$SN_TMP

# ---- marks ----
f=$tmp/a.log
printf 'old 1\nold 2\n' >"$f"
mark "$f"
printf 'new 1\npartial' >>"$f"
expect "since_mark gives only the complete lines after the mark" \
	"new 1" "$(since_mark "$f")"
check "a line before the mark is not seen" no_line "$f" '^old'
check "a line after it is" has_line "$f" '^new 1$'
check "a line not yet ended is not seen" no_line "$f" 'partial'
printf ' now\r\n' >>"$f"
expect "a terminal's CRLF ends a line" "partial now" "$(lines "$f" '^partial')"
expect "count_lines counts from the mark" 2 "$(count_lines "$f" .)"
unmark "$f"
expect "unmark reads from the first line again" 4 "$(count_lines "$f" .)"
check "has_text takes the string as it is" has_text "$f" 'old 1'
check "has_text is not a regex" not has_text "$f" 'old .'
printf 'x\nFROM\nin\nTO\nafter\nTO\n' >"$tmp/b.log"
expect "between stops at the first TO after FROM" \
	"FROM in TO" "$(between "$tmp/b.log" '^FROM$' '^TO$' | tr '\n' ' ' | sed 's/ $//')"

# ---- waiting ----
(sleep 0.3 && echo late >>"$f") &
track_pid $!
expect "wait_line waits for a line and prints it" \
	late "$(wait_line "$f" '^late$' 5)"
t0=$(sn_now_us)
wait_until 0.4 false
waited=$((($(sn_now_us) - t0) / 1000))
check "wait_until gives up at its deadline (0.4 s: $waited ms)" \
	test "$waited" -ge 400 -a "$waited" -lt 1400
check "wait_line fails when nothing comes" not wait_line "$f" '^never$' 0.2 2>/dev/null

# ---- events ----
ev=$tmp/e.events
printf '%s\n' '{"event":"started","compartment":"A","pid":11}' \
	'{"event":"died","compartment":"A","pid":11,"signal":9}' \
	'{"event":"started","compartment":"A","pid":12}' >"$ev"
expect "newest_pid is the last started" 12 "$(newest_pid "$ev" A)"
expect "count_events counts the matches" 2 "$(count_events "$ev" '.event=="started"')"
mark "$ev"
check "no_event sees only what follows the mark" no_event "$ev" '.event=="died"'
printf '%s\n' '{"event":"stopped"}' >>"$ev"
check "has_event sees an event after the mark" has_event "$ev" '.event=="stopped"'
check "no_event fails on a filter jq cannot read" \
	not no_event "$ev" '.event==' 2>/dev/null

# ---- reporting ----
out=$(
	SN_FAILED_FILE=$tmp/sub.failed
	fail $'two\nFAIL lines'
	check "x" false
)
expect "a text with a newline makes one FAIL line" 2 "$(grep -c '^FAIL ' <<<"$out")"
expect "and no other line" 2 "$(wc -l <<<"$out")"
check "a failure in a subshell is recorded" test -e "$tmp/sub.failed"
out=$(
	SN_FAILED_FILE=$tmp/rep.failed
	reported "quiet tool" true
	reported "failing tool" bash -c 'echo "PASS a"; exit 3'
)
check "reported: a tool that prints nothing fails" \
	grep -q '^FAIL quiet tool: reported no PASS or FAIL line' <<<"$out"
check "reported: a tool that exits non-zero fails" \
	grep -q '^FAIL failing tool: exit status 3' <<<"$out"

# ---- cleanup ----
# A script that starts a process and an at_cleanup command, then ends
# one of three ways; afterwards nothing it started may be left.
cat >"$tmp/child.sh" <<EOF
#!/usr/bin/env bash
. "$SN_ROOT/tests/lib.sh"
how=\$1
spawn sleep 300
echo "\$SN_LAST_PID" >"$tmp/child.\$how.pid"
echo "\$SN_TMP" >"$tmp/child.\$how.tmp"
at_cleanup 'echo hook >"$tmp/child.\$how.hook"'
case \$how in
end) finish ;;
fail) fail x; finish ;;
term) for _ in \$(seq 100); do sleep 0.1; done ;;
esac
EOF
chmod +x "$tmp/child.sh"
for how in end fail term; do
	if [ $how = term ]; then
		"$tmp/child.sh" $how >/dev/null 2>"$tmp/child.$how.err" &
		child=$!
		wait_until 5 test -s "$tmp/child.$how.pid"
		kill -TERM "$child"
		wait "$child"
	else
		"$tmp/child.sh" $how >/dev/null
	fi
	rc=$?
	pid=$(cat "$tmp/child.$how.pid" 2>/dev/null)
	expect "ending by $how: exit status" \
		"$(case $how in end) echo 0 ;; fail) echo 1 ;; term) echo 143 ;; esac)" "$rc"
	check "ending by $how: the process it started is stopped" \
		wait_until 3 not sn_alive "${pid:-0}"
	check "ending by $how: its cleanup command ran" test -s "$tmp/child.$how.hook"
	check "ending by $how: its temporary folder is gone" \
		not test -e "$(cat "$tmp/child.$how.tmp")"
done
finish
