#!/usr/bin/env bash
# Closing a listener in TCPIP, with one connection handed to the
# application and one still in the backlog, in namespaces this test makes
# and removes itself (scripts/testnet.sh).  The image holds the stack
# (Firewall, TCPIP, NetAPI, DNS) and the application listener_close
# (tests/compartments/listener_close.c); its clients run in the server
# namespace and follow its RESULT lines.
#
# Checks that the backlog's client sees its connection end within 5 s of
# the close (nobody could ever close it otherwise), and that the
# application gets that socket of its quota back; that the closed
# listener's port lets no new client in (the Firewall answers no SYN)
# while the connection it handed out goes on both ways; that a second listen
# on the port while the first listener is open is refused
# (-EADDRINUSE), and costs nothing of the quota; that once it is closed,
# the application listens on the port again, with the old listener's
# connection still open on it, and a new client reaches it; and that a new
# listener, on another port with at most 1 connection and 1 open, does
# not accept a second client once the old listener's handed-out
# connection closes (its slot in TCPIP's table is the old listener's:
# that close must not lower the new listener's count).  The open
# connection's client resets it, so the Firewall, which counts only
# live connections, lets the second client through to TCPIP.  Last, that
# a listener closed while the Firewall can take no word from TCPIP (the
# test stops it, and the closes of 200 UDP sockets take every call TCPIP
# may have pending there) still has its port shut once the Firewall runs
# again: a new client gets no answer.
#
# SEALNET_BUILD=DIR runs it against another build (default: build/).
# Needs root.
set -uo pipefail
[ -n "${SEALNET_BUILD:-}" ] && SN_BUILD=$SEALNET_BUILD
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../netlib.sh
. "$SN_ROOT/tests/netlib.sh"
tmp=$SN_TMP
net_begin lclose
out=$tmp/lclose.clients
on_failure 'echo "---- clients ----"; cat "$out"'

net_up
net_stack listener_close
has() { has_line "$log" "RESULT listener_close $1"; }
check "the application listens" \
	quietly wait_line "$log" 'RESULT listener_close listening on 8080' 30
net_address
any_failed && finish

# The clients: each step waits for the application's line before it.
cat >"$tmp/lclose.py" <<'PY'
import re, socket, struct, sys, time

addr, log = sys.argv[1], sys.argv[2]

def say(*a):
    print(*a, flush=True)

def wait_for(pattern, seconds=30):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with open(log, errors="replace") as f:
            if re.search(pattern, f.read()):
                return
        time.sleep(0.05)
    say("CLIENT no line:", pattern)
    sys.exit(1)

def connect(port):
    s = socket.create_connection((addr, port), timeout=5)
    return s

def ending(s, seconds):
    """How the connection ends within seconds: eof, reset or open."""
    s.settimeout(seconds)
    try:
        return "eof" if s.recv(1) == b"" else "data"
    except ConnectionResetError:
        return "reset"
    except socket.timeout:
        return "open"

handed = connect(8080)
time.sleep(0.3)  # the first in the backlog is the one accepted
backlog = connect(8080)
wait_for(r"RESULT listener_close closed its listener")
t0 = time.monotonic()
how = ending(backlog, 5)
say(f"CLIENT backlog: {how} after {time.monotonic() - t0:.2f} s")
backlog.close()  # the Firewall counts it until both sides are done
handed.settimeout(10)
got = b""
try:
    while len(got) < 4:
        part = handed.recv(4 - len(got))
        if not part:
            break
        got += part
except OSError as e:
    say(f"CLIENT handed: {e}")
say(f"CLIENT handed got: {got.decode(errors='replace')}")
t0 = time.monotonic()
try:
    probe = socket.create_connection((addr, 8080), timeout=3)
    say(f"CLIENT closed port: connected, then {ending(probe, 5)}")
except socket.timeout:
    say(f"CLIENT closed port: no answer in {time.monotonic() - t0:.1f} s")
except OSError as e:
    say(f"CLIENT closed port: {e.strerror or e}")
handed.sendall(b"g")
wait_for(r"RESULT listener_close listening on 8080 again")
try:
    third = connect(8080)
    say(f"CLIENT again on 8080: {ending(third, 10)}")
except OSError as e:
    say(f"CLIENT again on 8080: not connected ({e.strerror or e})")
wait_for(r"RESULT listener_close listening on 8081")
held = connect(8081)
wait_for(r"RESULT listener_close accepted on 8081")
# A reset: the Firewall forgets the connection, TCPIP's socket stays.
held.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
held.close()
wait_for(r"RESULT listener_close closed the first connection")
try:
    extra = connect(8081)
    say(f"CLIENT second on 8081: {ending(extra, 5)}")
except OSError as e:
    say(f"CLIENT second on 8081: not connected ({e.strerror or e})")
say("CLIENT done")
PY
testnet_spawn /usr/bin/python3 "$tmp/lclose.py" "$addr" "$log" >"$out" 2>&1
client() { grep -a "^CLIENT $1" "$out"; }

check "a second listen on 8080 while the first is open is refused" \
	quietly wait_line "$log" 'RESULT listener_close listening twice: Address already in use' 30
check "the application closes its listener" \
	quietly wait_line "$log" 'RESULT listener_close closed its listener: ok' 30
check "the backlog's client sees its connection end within 5 s" \
	quietly wait_line "$out" '^CLIENT backlog: (eof|reset) ' 10
say "$(client backlog)"
check "the handed-out connection still carries the application's bytes" \
	quietly wait_line "$out" '^CLIENT handed got: open$' 10
check "a new client on the closed listener's port gets no answer" \
	quietly wait_line "$out" '^CLIENT closed port: no answer' 15
say "$(client 'closed port')"
check "... and the old connection carries the client's byte back" \
	quietly wait_line "$log" 'RESULT listener_close the old connection after the close: both ways' 10
check "the application, holding 1 socket, may open 4 more of its 5" \
	quietly wait_line "$log" 'RESULT listener_close holds 1 socket, 4 more allowed of 5' 10
say "$(lines "$log" 'RESULT listener_close holds' | sed 's/.*RESULT //')"
check "it listens on 8080 again, a connection of the old listener's still open" \
	quietly wait_line "$log" 'RESULT listener_close listening on 8080 again' 10
check "... and accepts a new client there" \
	quietly wait_line "$log" 'RESULT listener_close accept on 8080 again: accepted' 15
check "... whose client sees the close" \
	quietly wait_line "$out" '^CLIENT again on 8080: eof' 10
check "it listens on 8081 and accepts one client" \
	quietly wait_line "$log" 'RESULT listener_close accepted on 8081' 30
check "... whose reset it sees" \
	quietly wait_line "$log" 'RESULT listener_close its client ended: Connection reset by peer' 10
check "it closes the old listener's connection" \
	quietly wait_line "$log" 'RESULT listener_close closed the first connection: ok' 10
check "a second client on 8081 is not handed to it: 1 connection is open" \
	quietly wait_line "$log" 'RESULT listener_close second accept on 8081: Connection timed out' 15
check "... its client is reset by the stack" \
	quietly wait_line "$out" '^CLIENT second on 8081: (reset|not connected \(Connection reset)' 10
say "$(client 'second on')"
# A client on 8082 from the server's namespace: whether it got in.
probe_8082() {
	ip netns exec "$TESTNET_SRV" /usr/bin/python3 - "$addr" <<'PY'
import socket, sys, time
t0 = time.monotonic()
try:
    s = socket.create_connection((sys.argv[1], 8082), timeout=3)
    print("connected")
except socket.timeout:
    print(f"no answer in {time.monotonic() - t0:.1f} s")
except OSError as e:
    print(e.strerror or e)
PY
}
check "it listens on 8082" \
	quietly wait_line "$log" 'RESULT listener_close listening on 8082' 30
firewall=$(newest_pid "$ev" Firewall)
mark "$log"
kill -STOP "$firewall"
check "with the Firewall stopped, it closes 200 UDP sockets, then the listener" \
	quietly wait_line "$log" 'RESULT listener_close closed 8082 after 200 UDP sockets: ok' 10
check "... whose word to shut 8082 TCPIP cannot send yet" \
	quietly wait_line "$log" 'TCPIP: the Firewall cannot take the word to shut port 8082 now' 5
# Past the 1 s TCPIP gives each of its calls there.
sleep 1.5
kill -CONT "$firewall"
check "once the Firewall runs again, TCPIP sends it" \
	quietly wait_line "$log" 'TCPIP: asked the Firewall to shut port 8082, closed earlier' 5
sleep 0.5
probe=$(probe_8082)
say "a new client on 8082: $probe"
check "a new client on the port of the listener closed meanwhile gets no answer" \
	grep -q '^no answer' <<<"$probe"
tcpip=$(newest_pid "$ev" TCPIP)
check "TCPIP is alive" sn_alive "$tcpip"
check "no compartment died" no_event "$ev" '.event=="killed" or .event=="died"'
stack_stop lclose

finish
