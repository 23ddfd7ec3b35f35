#!/usr/bin/env bash
# Hostile compartments against the supervisor and the sandbox, booted by
# `sealnet run` as root.  Each scenario boots an image holding the attacker
# and the well-behaved pair (Runtime, and app calling it every 2 ms), then
# checks from outside that the attack failed and that the app's calls kept
# succeeding while it ran.  What is checked comes from the supervisor's
# event stream (--events), the log, /proc and the devices themselves.
#
#   terminal  TIOCSTI on a pseudo-terminal, escape sequences, forged
#             supervisor lines, a seek back over the log, a 256 MiB flood
#   restarts  200 real crashes of a peer; a peer that never reads its
#             control socket; one that closes it; descriptor counts
#   uids      two supervisors at once; a spy in one looks for the other's
#             compartments with process_vm_readv and prlimit64
#   exec      a program written into a memfd and executed
#   rewrite   a binary rewritten in place between restarts
#   kill -9   the supervisor killed outright
#   device    ioctls on the TAP device
#   hog       a compartment that spins
#
# With no arguments every scenario runs; name some to run only those:
# tests/attack/sandbox-attacks.sh uids exec (terminal and log are the two
# halves of the terminal attack, kill9 is kill -9).
#
# Network namespaces are made here, named with $$, and deleted at the end;
# every process started is stopped by pid.
set -uo pipefail
[ -n "${BUILD:-}" ] && SN_BUILD=$BUILD
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
sealnet=$SN_SEALNET
cbin=$SN_BUILD/compartments
tmp=$SN_TMP
netns=sn-att-$$
at_cleanup 'ip netns del "$netns" 2>/dev/null'

require_root "namespaces, uid change"

# For the terminal's transcript, once the terminal is closed: every byte
# of it, the last line too, whether or not it ended.
transcript_has() { tr -d '\r' <"$1" | grep -aE -- "$2" >/dev/null; }

# The app's reports between two lines of the log (regexes, read from
# the log's mark), printed and checked: every second 100 or more calls
# succeeded and none failed.
app_reports_ok() { # WHAT REPORTS
	if [ -z "$2" ]; then
		echo "  no report from the app $1"
		return 1
	fi
	echo "$2" | sed "s/^/  app $1: /"
	! echo "$2" | grep -vq ' 0 failed' &&
		! echo "$2" | grep -qE ': [0-9]{1,2} calls ok'
}
app_during() { # LOG FROM TO WHAT
	app_reports_ok "$4" "$(between "$1" "$2" "$3" | grep '^app: last second:')"
}

# The same for the reports after the log's mark, waiting up to SECONDS
# for one.
app_reports_after() { # LOG SECONDS WHAT
	quietly wait_line "$1" '^app: last second:' "$2"
	app_reports_ok "$3" "$(lines "$1" '^app: last second:')"
}

image() { # OUT [OPTION...] BINARY...: an image built from the binaries
	local out=$1
	shift
	"$sealnet" image build -o "$out" "$@" >"$tmp/image.err" 2>&1 || {
		sed 's/^/  /' "$tmp/image.err"
		return 1
	}
}

# run NAME IMAGE [ARGS...]: boots in the background; its log and events
# are $tmp/NAME.log and $tmp/NAME.events
run() { stack_start "$@"; }
# stop NAME: SIGTERM, and the supervisor must be gone within 5 s
stop() { stack_stop "$1" 5; }
show_on_failure() { # NAME
	if any_failed; then
		echo "---- $1: log (last 40 lines) ----"
		tr -d '\r' <"$tmp/$1.log" | tail -40
		echo "---- $1: events (last 20) ----"
		tail -20 "$tmp/$1.events"
	fi
}

for b in runtime_service app netapi_refuser; do
	[ -x "$cbin/$b" ] || { echo "FAIL sandbox-attacks: $cbin/$b missing"; exit 1; }
done
pair=("$cbin/runtime_service" "$cbin/app")

# ---- terminal: on a pseudo-terminal ----
scenario_terminal() {
	echo "== terminal: TIOCSTI, escape sequences (dev.tty.legacy_tiocsti=$(sysctl -n dev.tty.legacy_tiocsti 2>/dev/null || echo absent))"
	image "$tmp/terminal.json" "${pair[@]}" "$cbin/attack_terminal" || fail "terminal image builds"
	# The supervisor runs on a pseudo-terminal that is its controlling
	# terminal, as under an operator's interactive shell; everything the
	# terminal shows (echoed input included) is kept.
	cat >"$tmp/pty-run.py" <<'EOF'
import fcntl, os, sys, termios
out_path, cmd = sys.argv[1], sys.argv[2:]
master, slave = os.openpty()
pid = os.fork()
if pid == 0:
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    os.close(master)
    os.close(slave)
    os.execvp(cmd[0], cmd)
os.close(slave)
with open(out_path, "wb", buffering=0) as out:
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        out.write(data)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
EOF
	: >"$tmp/tty.events"
	: >"$tmp/tty.log"
	spawn /usr/bin/python3 "$tmp/pty-run.py" "$tmp/tty.log" \
		"$sealnet" run "$tmp/terminal.json" --events "$tmp/tty.events"
	tty_harness=$SN_LAST_PID
	track_events "$tmp/tty.events"
	if boot=$(wait_event "$tmp/tty.events" '.event=="boot"' 10); then
		tty_pid=$(jq .pid <<<"$boot")
		track_pid "$tty_pid"
	fi
	check "terminal: all three compartments become ready" \
		quietly wait_event "$tmp/tty.events" '.event=="all_ready" and .compartments==3' 10
	check "terminal: the attack reaches TIOCSTI" \
		quietly wait_line "$tmp/tty.log" 'terminal: ATTACK TIOCSTI next' 30
	# Every compartment, while the attack runs: no terminal among its
	# descriptors, no controlling terminal.
	no_terminal() {
		local p fds ctty bad=0
		for p in $(jq -r 'select(.event=="started") | .pid' "$tmp/tty.events"); do
			[ -d "/proc/$p" ] || continue
			fds=$(ls -l "/proc/$p/fd" 2>/dev/null | grep -E -- '-> /dev/(pts|tty|ptmx|console)' )
			ctty=$(awk '{print $7}' "/proc/$p/stat" 2>/dev/null)
			if [ -n "$fds" ] || [ "${ctty:-0}" != 0 ]; then
				echo "  pid $p: terminal descriptors: ${fds:-none}; controlling terminal $ctty"
				bad=1
			fi
		done
		return "$bad"
	}
	check "terminal: no compartment holds a terminal or has one as its controlling terminal" no_terminal
	check "terminal: TIOCSTI is refused by the syscall filter, and named" \
		quietly wait_event "$tmp/tty.events" '.event=="died" and
			.compartment=="terminal" and .cause=="forbidden_syscall" and
			.syscall=="ioctl"' 10
	sleep 0.5
	mark "$tmp/tty.events"
	kill -TERM "${tty_pid:-0}" 2>/dev/null
	wait "$tty_harness"
	check "terminal: the supervisor stops cleanly on SIGTERM (exit 0)" \
		test $? -eq 0
	check "terminal: and says that no compartment is left running" \
		has_event "$tmp/tty.events" '.event=="stopped"'
	unmark "$tmp/tty.events"
	check "terminal: nothing was pushed into the terminal's input" \
		not transcript_has "$tmp/tty.log" 'INJECTED-7f3a'
	check "terminal: no escape sequence reached the terminal" \
		not grep -qaP '\x1b' "$tmp/tty.log"
	check "terminal: no line on the terminal poses as the supervisor's" \
		not transcript_has "$tmp/tty.log" '^sealnet: (all 9 compartments|Runtime \(incarnation 7\))'
	check "terminal: the app's calls succeed during the attack" \
		app_during "$tmp/tty.log" '^terminal: attack begins' '^terminal: ATTACK TIOCSTI next' "on the terminal"
	check "terminal: the compartment's lines are there, printable" \
		has_text "$tmp/tty.log" 'terminal: ?]0;terminal-owned??[2J?[31mred text?[0m'
	show_on_failure tty
}

# ---- terminal: into a log file ----
scenario_log() {
	echo "== terminal: forged lines, seeking back over the log, a 256 MiB flood"
	image "$tmp/terminal.json" "${pair[@]}" "$cbin/attack_terminal" ||
		fail "log: terminal image builds"
	run term "$tmp/terminal.json"
	check "log: the attack runs to TIOCSTI" \
		quietly wait_line "$tmp/term.log" 'terminal: ATTACK TIOCSTI next' 60
	# The supervisor's first line says what its first event says.
	first=$(head -1 "$tmp/term.log")
	started=$(events "$tmp/term.events" '.event=="started"' | head -1 |
		jq -r '"sealnet: started \(.compartment) (pid \(.pid), incarnation \(.incarnation))"')
	check "log: its first line is still the supervisor's ($first)" \
		test -n "$started" -a "$first" == "$started"
	check "log: no line was overwritten in place" \
		no_line "$tmp/term.log" '^OVERWRITTEN'
	lines "$tmp/term.log" '^terminal: ATTACK (lseek|flood:)' | sed 's/^/  /'
	check "log: seeking on its output is refused (a pipe)" \
		has_line "$tmp/term.log" 'terminal: ATTACK lseek to the start: stdout -1 \(Illegal seek\), stderr -1 \(Illegal seek\)'
	check "log: no line poses as the supervisor's" \
		no_line "$tmp/term.log" '^sealnet: (all 9 compartments|Runtime \(incarnation 7\))'
	check "log: the forged lines show under the compartment's name" \
		has_line "$tmp/term.log" '^terminal: sealnet: all 9 compartments ready'
	size=$(stat -c %s "$tmp/term.log")
	say "log size after a 256 MiB flood: $size bytes"
	check "log: the flood left less than 1 MiB in the log" test "$size" -lt 1048576
	dropped=$(events "$tmp/term.events" '.event=="output_dropped" and .compartment=="terminal"' |
		jq -s 'map(.lines) | add // 0')
	say "lines dropped and counted: $dropped of $((256 * 16384)) written"
	check "log: the dropped lines are counted (over 4 million)" test "$dropped" -gt 4000000
	check "log: the log says lines were dropped, with a count" \
		has_line "$tmp/term.log" '^sealnet: terminal: output over 100 lines a second or 512 bytes a line: dropped [0-9]+ lines'
	check "log: the app's calls succeed during the flood" \
		app_during "$tmp/term.log" '^terminal: ATTACK flood begins' '^terminal: ATTACK TIOCSTI next' "during the flood"
	check "log: the supervisor stops cleanly" stop term
	show_on_failure term
}

# ---- restarts ----
scenario_restarts() {
	echo "== restarts: 200 real crashes, a deaf peer, a closed control socket"
	image "$tmp/restarts.json" "${pair[@]}" "$cbin/attack_crasher" \
		"$cbin/attack_deaf" "$cbin/attack_closer" || fail "restarts image builds"
	run restarts "$tmp/restarts.json"
	# Every write the supervisor makes while the closer sends its control
	# log lines.
	restarts_pid=$(stack_pid restarts)
	spawn strace -qq -e trace=write -e signal=none -s 256 -p "$restarts_pid" \
		-o "$tmp/writes" 2>/dev/null
	strace_pid=$SN_LAST_PID
	check "restarts: all five compartments become ready" \
		quietly wait_event "$tmp/restarts.events" '.event=="all_ready" and .compartments==5' 10
	runtime=$(newest_pid "$tmp/restarts.events" Runtime)
	quietly wait_event "$tmp/restarts.events" '.event=="ready" and
		.compartment=="crasher" and .incarnation==10' 20
	fds_early=$(ls "/proc/$runtime/fd" | wc -l)
	sv_fds_early=$(ls "/proc/$restarts_pid/fd" | wc -l)
	check "restarts: the crasher's 201st incarnation is ready (200 restarts)" \
		quietly wait_event "$tmp/restarts.events" '.event=="ready" and
			.compartment=="crasher" and .incarnation==201' 60
	# Messages queued for the deaf compartment hold copies of descriptors
	# until they go or it is killed, at most 2 s after the first was queued:
	# count once that has passed.
	sleep 2.5
	fds_late=$(ls "/proc/$runtime/fd" | wc -l)
	sv_fds_late=$(ls "/proc/$restarts_pid/fd" | wc -l)
	kill "$strace_pid" 2>/dev/null
	wait "$strace_pid" 2>/dev/null
	say "Runtime (pid $runtime) holds $fds_early descriptors after 9 restarts of its peer, $fds_late after 200"
	check "restarts: Runtime's descriptor count stays flat" \
		test "$fds_late" -le "$((fds_early + 3))"
	say "the supervisor holds $sv_fds_early descriptors then, $sv_fds_late after"
	# The crasher's own (control socket, two output pipes, listener, and
	# three descriptors for each of its two channels: 10) come and go with
	# each incarnation, so either count may or may not include them; a
	# leak of even one descriptor a restart would add 200.
	check "restarts: the supervisor's own descriptor count stays flat" \
		test "$sv_fds_late" -le "$((sv_fds_early + 10))"
	check "restarts: calls over the newest channel work" \
		has_line "$tmp/restarts.log" '^crasher: incarnation 201: done crashing; echo ok'
	check "restarts: each crash was a real segfault" \
		test "$(count_events "$tmp/restarts.events" '.event=="died" and .compartment=="crasher" and .signal==11')" -eq 200
	# Any other delay, with the death before it, is shown.
	longer=$(events "$tmp/restarts.events" '(.event=="restart_scheduled" and .delay_ms != 10) or .event=="died"' |
		jq -c 'select(.compartment=="crasher")' | grep -B1 '"restart_scheduled"' | grep -v '^--$')
	[ -n "$longer" ] && echo "$longer" | sed 's/^/  /'
	check "restarts: a crash after ready waits the base delay" test -z "$longer"
	killed=$(events "$tmp/restarts.events" '.event=="killed" and .compartment=="deaf"')
	echo "$killed" | head -2 | jq -r '"  deaf (pid \(.pid)) killed: \(.why)"'
	check "restarts: the deaf compartment is killed for its full control queue" \
		test -n "$(echo "$killed" | jq -r 'select(.reason=="control_queue_full" or .reason=="control_queue_stalled")')"
	check "restarts: and the log says why" \
		has_line "$tmp/restarts.log" '^sealnet: deaf \(pid [0-9]+, incarnation [0-9]+\) killed: .*(control queue is full|waited more than)'
	check "restarts: the app's calls succeed during the crash loop" \
		app_during "$tmp/restarts.log" '^sealnet: started crasher \(pid [0-9]+, incarnation 2\)' '^crasher: incarnation 201' "during 200 restarts"
	whole=$(grep -c 'write(2, "closer: info: control-socket line, whole or not at all\\n", 55) = 55' "$tmp/writes")
	say "control-socket log lines written whole: $whole of 5; writes traced: $(wc -l <"$tmp/writes")"
	check "restarts: each control-socket log line is written in one write()" test "$whole" -eq 5
	check "restarts: the closer closed its control socket" \
		has_line "$tmp/restarts.log" '^closer: control socket closed; living on'
	ticks() { awk '{print $14 + $15}' "/proc/$restarts_pid/stat"; }
	t0=$(ticks)
	sleep 1
	cpu=$(($(ticks) - t0))
	say "supervisor CPU time over one quiet second, with a control socket closed: $cpu ticks of $(getconf CLK_TCK)"
	check "restarts: the supervisor does not spin on a closed socket" \
		test "$cpu" -lt "$(($(getconf CLK_TCK) / 10))"
	check "restarts: SIGTERM still stops everything promptly" stop restarts
	show_on_failure restarts
}

# ---- uids: two runs at once ----
scenario_uids() {
	echo "== uids: two supervisors at once, a spy in one"
	image "$tmp/victims.json" "${pair[@]}" "$cbin/netapi_refuser" || fail "victims image builds"
	# The spy declares process_vm_readv, which the image refuses unless
	# told otherwise: the point is what the sandbox does when granted it.
	image "$tmp/spies.json" --allow-dangerous-syscalls "${pair[@]}" \
		"$cbin/attack_spy" || fail "spies image builds"
	run victims "$tmp/victims.json"
	check "uids: the first run is ready" \
		quietly wait_event "$tmp/victims.events" '.event=="all_ready"' 10
	mark "$tmp/victims.log"
	run spies "$tmp/spies.json"
	check "uids: the second run is ready" \
		quietly wait_event "$tmp/spies.events" '.event=="all_ready"' 10
	uids_of() {
		local p
		for p in $(started_pids "$1"); do
			awk '/^Uid:/ {print $2}' "/proc/$p/status" 2>/dev/null
		done | sort -u
	}
	victim_uids=$(uids_of "$tmp/victims.events" | tr '\n' ' ')
	spy_uids=$(uids_of "$tmp/spies.events" | tr '\n' ' ')
	say "first run's uids: $victim_uids; second run's: $spy_uids"
	check "uids: the two runs share no uid" \
		test -z "$(comm -12 <(uids_of "$tmp/victims.events") <(uids_of "$tmp/spies.events"))"
	own_ns() { # each compartment is pid 1 of a pid namespace of its own
		local p line
		for p in $(started_pids "$1"); do
			[ -d "/proc/$p" ] || continue
			line=$(awk '/^NSpid:/ {print $2, $3, NF}' "/proc/$p/status")
			[ "$line" = "$p 1 3" ] || { echo "  pid $p: NSpid $line"; return 1; }
		done
	}
	check "uids: every compartment is pid 1 of its own pid namespace" \
		own_ns "$tmp/victims.events"
	check "uids: the spy's scan ends" \
		quietly wait_line "$tmp/spies.log" '^spy: ATTACK process_vm_readv' 60
	lines "$tmp/spies.log" '^spy: ATTACK' | sed 's/^/  /'
	say "pid_max is $(cat /proc/sys/kernel/pid_max); the spy scans pids up to 65536;" \
		"the first run's highest pid is $(started_pids "$tmp/victims.events" | sort -n | tail -1)"
	check "uids: process_vm_readv finds no other process" \
		has_line "$tmp/spies.log" '^spy: ATTACK process_vm_readv on pids 1 to [0-9]+: 0 other processes seen \(first 0\), 0 readable'
	check "uids: prlimit64 on another pid kills the spy, named" \
		quietly wait_event "$tmp/spies.events" '.event=="died" and
			.compartment=="spy" and .cause=="forbidden_syscall" and
			.syscall=="prlimit64"' 20
	check "uids: no limit of another process was changed" \
		no_line "$tmp/spies.log" '^spy: ATTACK prlimit64:'
	# The first run's app reports after the second run began cover the
	# attack; a compartment left with no room to write a file would die
	# writing one.
	check "uids: the first run's app kept calling during the attack" \
		app_reports_after "$tmp/victims.log" 3 "of the first run"
	check "uids: the first run lost no compartment" \
		no_event "$tmp/victims.events" '.event=="died" or .event=="killed"'
	check "uids: the first run stops cleanly" stop victims
	check "uids: the second run stops cleanly" stop spies
	show_on_failure spies
}

# ---- exec ----
scenario_exec() {
	echo "== exec: a program written into a memfd"
	image "$tmp/exec.json" "${pair[@]}" "$cbin/attack_exec" || fail "exec image builds"
	run exec "$tmp/exec.json"
	killed_by() { # INCARNATION SYSCALL
		quietly wait_event "$tmp/exec.events" ".event==\"died\" and
			.compartment==\"exec\" and .incarnation==$1 and
			.cause==\"forbidden_syscall\" and .syscall==\"$2\"" 10
	}
	check "exec: fcntl(F_DUPFD) kills it, named" killed_by 1 fcntl
	check "exec: execveat after boot kills it, named" killed_by 2 execveat
	check "exec: execve kills it, named" killed_by 3 execve
	check "exec: the fourth incarnation runs" \
		quietly wait_line "$tmp/exec.log" '^exec: incarnation 4: no more attacks' 10
	lines "$tmp/exec.log" '^exec: ATTACK' | sed 's/^/  /'
	check "exec: the unhashed program never ran" \
		no_line "$tmp/exec.log" 'UNHASHED CODE RAN'
	check "exec: Runtime and app lost nothing" \
		no_event "$tmp/exec.events" '.event=="died" and .compartment!="exec"'
	check "exec: the app's calls succeed during the attack" \
		app_reports_after "$tmp/exec.log" 3 "during the exec attacks"
	stop exec || fail "exec: the supervisor stops"
	show_on_failure exec
}

# ---- rewrite ----
scenario_rewrite() {
	echo "== rewrite: the binary overwritten between restarts"
	mkdir -p "$tmp/bin"
	cp "$cbin/attack_crasher" "$tmp/bin/crasher"
	image "$tmp/rewrite.json" "${pair[@]}" "$tmp/bin/crasher" || fail "rewrite image builds"
	run rewrite "$tmp/rewrite.json"
	quietly wait_event "$tmp/rewrite.events" '.event=="ready" and .compartment=="crasher" and .incarnation==3' 10
	# While an incarnation executes the file, the kernel refuses to write it
	# (ETXTBSY); between a death and the restart it does not.  Try until the
	# write goes through.
	written=
	for _ in $(seq 500); do
		if (cat "$cbin/attack_substitute" >"$tmp/bin/crasher") 2>/dev/null; then
			written=1
			break
		fi
		sleep 0.01
	done
	mark "$tmp/rewrite.events"
	say "file rewritten in place: ${written:-no}; $(cmp -s "$cbin/attack_substitute" "$tmp/bin/crasher" && echo "it holds the substitute now")"
	check "rewrite: the file could be rewritten" test -n "$written"
	check "rewrite: five more incarnations start and become ready" \
		quietly wait_event "$tmp/rewrite.events" '.event=="ready" and
			.compartment=="crasher" and .incarnation >= 8' 10
	check "rewrite: the rewritten bytes never ran" \
		no_line "$tmp/rewrite.log" 'SUBSTITUTE RAN'
	check "rewrite: the app's calls succeed during the attack" \
		app_reports_after "$tmp/rewrite.log" 3 "during the rewrite"
	stop rewrite || fail "rewrite: the supervisor stops"
	show_on_failure rewrite
}

# ---- kill -9 ----
scenario_kill9() {
	echo "== kill -9: the supervisor killed outright"
	# The closer no longer reads its control socket, so it cannot learn from
	# it that the supervisor is gone.
	image "$tmp/nine.json" "${pair[@]}" "$cbin/attack_closer" ||
		fail "kill -9 image builds"
	run nine "$tmp/nine.json"
	check "kill -9: the three compartments become ready" \
		quietly wait_event "$tmp/nine.events" '.event=="all_ready" and .compartments==3' 10
	check "kill -9: the closer closes its control socket" \
		quietly wait_line "$tmp/nine.log" '^closer: control socket closed' 10
	pids=$(started_pids "$tmp/nine.events")
	nine_pid=$(stack_pid nine)
	kill -KILL "$nine_pid"
	wait "$nine_pid" 2>/dev/null
	left_after() { # seconds: compartments still there after that long
		local end=$((SECONDS + $1)) left p
		while :; do
			left=0
			for p in $pids; do is_compartment "$p" && left=$((left + 1)); done
			[ "$left" -eq 0 ] || [ $SECONDS -ge $end ] && break
			sleep 0.05
		done
		echo "$left"
	}
	left=$(left_after 2)
	say "compartments left 2 s after kill -9 of the supervisor: $left"
	check "kill -9: no compartment outlives the supervisor" test "$left" -eq 0
}

# ---- device ----
scenario_device() {
	echo "== device: ioctls on the TAP device"
	ip netns add "$netns" || fail "device: a network namespace"
	tap=tapatt
	image "$tmp/device.json" "${pair[@]}" "$cbin/attack_device" || fail "device image builds"
	stack_start --netns "$netns" device "$tmp/device.json" --tap "$tap"
	check "device: all three compartments become ready" \
		quietly wait_event "$tmp/device.events" '.event=="all_ready" and .compartments==3' 10
	ip -n "$netns" link set "$tap" up
	tapfile() { ip netns exec "$netns" cat "/sys/class/net/$tap/$1" 2>/dev/null; }
	check "device: the fifth incarnation runs" \
		quietly wait_line "$tmp/device.log" '^Firewall: incarnation 5: no more attacks' 20
	lines "$tmp/device.log" '^Firewall: ATTACK' | sed 's/^/  /'
	for i in 1 2 3 4; do
		why=$(events "$tmp/device.events" ".event==\"died\" and .compartment==\"Firewall\" and .incarnation==$i" | jq -r .why)
		say "incarnation $i: ${why:-did not die}"
	done
	check "device: each of the four ioctls killed it, named" \
		test "$(count_events "$tmp/device.events" '.event=="died" and .compartment=="Firewall" and
			.cause=="forbidden_syscall" and .syscall=="ioctl"')" -eq 4
	flags=$(tapfile tun_flags)
	say "$tap: tun_flags $flags, owner $(tapfile owner), address $(tapfile address), carrier $(tapfile carrier)"
	check "device: it is not persistent" test "$(((flags & 0x800)))" -eq 0
	check "device: its owner is unchanged" test "$(tapfile owner)" = -1
	check "device: its address is not the attacker's" \
		test "$(tapfile address)" != 02:de:ad:be:ef:01
	check "device: its carrier is up" test "$(tapfile carrier)" = 1
	check "device: the app's calls succeed during the attack" \
		app_reports_after "$tmp/device.log" 3 "during the device attacks"
	check "device: the supervisor stops cleanly" stop device
	check "device: it went away with the supervisor" \
		bash -c "! ip -n '$netns' link show '$tap' >/dev/null 2>&1"
	ip netns del "$netns"
	show_on_failure device
}

# ---- hog ----
scenario_hog() {
	echo "== hog: a compartment that spins"
	image "$tmp/hog.json" "${pair[@]}" "$cbin/attack_hog" || fail "hog image builds"
	run hog "$tmp/hog.json"
	check "hog: it starts spinning" quietly wait_line "$tmp/hog.log" '^hog: spinning' 10
	hog=$(newest_pid "$tmp/hog.events" hog)
	limits=$(grep -E '^Max (cpu time|file size)' "/proc/$hog/limits" 2>/dev/null)
	echo "$limits" | sed 's/^/  hog: /'
	check "hog: its limits are 2 s of CPU time and no file growth" \
		bash -c "grep -qE '^Max cpu time +2 +2 ' <<<'$limits' &&
			grep -qE '^Max file size +0 +0 ' <<<'$limits'"
	if died=$(wait_event "$tmp/hog.events" '.event=="died" and .compartment=="hog"' 30); then
		say "hog: $(jq -r .why <<<"$died") (after $(jq -r '.cpu_seconds * 100 | round / 100' <<<"$died") s of CPU time)"
	fi
	check "hog: the kernel kills it at its CPU time limit" \
		test "$(jq -r '.cause // empty' <<<"${died:-{\}}")" = cpu_limit
	check "hog: the app's calls succeed while it spins" \
		app_during "$tmp/hog.log" '^hog: spinning' '^sealnet: hog \(incarnation 1\)' "while the hog spins"
	stop hog || fail "hog: the supervisor stops"
	show_on_failure hog
}

# Every scenario by default; or those named: sandbox-attacks.sh uids exec
all_scenarios=(terminal log restarts uids exec rewrite kill9 device hog)
[ $# -gt 0 ] || set -- "${all_scenarios[@]}"
for s in "$@"; do
	if declare -F "scenario_$s" >/dev/null; then
		"scenario_$s"
	else
		fail "sandbox-attacks: no scenario $s (there are: ${all_scenarios[*]})"
	fi
done
finish
