#!/usr/bin/env bash
# The demo: build a throwaway network, boot build/images/demo.json on it,
# and show each step in plain words.  Everything it creates is removed at
# the end, also on failure or Ctrl-C.  Run as root.
set -uo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
sealnet=$build/bin/sealnet
image=$build/images/demo.json
tmp=$(mktemp -d)
log=$tmp/run.log
sv_pid=
tail_pid=
# shellcheck source=testnet.sh
. "$root/scripts/testnet.sh"

cleanup() {
	[ -n "$sv_pid" ] && kill -TERM "$sv_pid" 2>/dev/null && wait "$sv_pid"
	[ -n "$tail_pid" ] && kill "$tail_pid" 2>/dev/null
	testnet_down
	rm -rf "$tmp"
	echo
	echo "demo: removed the namespaces, the TAP device and every process it started"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() { printf '\ndemo: %s\n' "$*"; }
# Waits for a line matching pattern, looking only at what the log gained
# after byte `from` (default 0): a step waits for what it caused, not for
# an older line that looks the same.
wait_for() { # pattern, seconds, [from]
	local end=$((SECONDS + $2)) from=${3:-0}
	until tail -c +$((from + 1)) "$log" | grep -qE -- "$1"; do
		if [ $SECONDS -ge $end ]; then
			say "FAILED: gave up waiting for: $1"
			exit 1
		fi
		sleep 0.05
	done
}

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root: it makes network namespaces, and each" \
		"compartment gets its own namespaces and uid" >&2
	exit 1
fi

say "what the image allows, read from the image alone (sealnet audit | jq):"
"$sealnet" audit "$image" | jq -r -L "$root/audit" 'include "network_stack";
	(.compartments | to_entries[] | "  \(.key): offers \(.value.exports | length) exports, may call \([.value.imports[] | select(.kind == "call")] | length) in \([.value.imports[] | select(.kind == "call") | .compartment] | unique | join(", ") | if . == "" then "no other compartment" else . end)"),
	"  connection capabilities: \(all_connection_capabilities | map("\(.owner) -> \(.type) \(.host):\(.port)") | join(", "))",
	"  bind capabilities: \(all_bind_capabilities | map("\(.owner) <- port \(.port), at most \(.max_connections) connections") | join(", "))",
	"  who may open firewall holes: \(compartments_calling_role("opens_holes") | join(", "))",
	"  the stack has its intended call graph: \(valid)"'

say "making a throwaway network: namespaces $TESTNET_SRV and $TESTNET_DEV," \
	"a bridge, TAP device tap0, dnsmasq (DHCP, and DNS answering" \
	"example.com with 10.0.0.1) and a web server at 10.0.0.1:80"
testnet_up "$tmp" example.com || exit 1
mkdir -p "$tmp/www"
printf 'Hello from the web server on the throwaway network (10.0.0.1).\n' \
	>"$tmp/www/index.html"
testnet_spawn /usr/bin/python3 -m http.server 80 --bind 10.0.0.1 \
	--directory "$tmp/www" >/dev/null 2>&1

say "booting $image on tap0"
ip netns exec "$TESTNET_DEV" "$sealnet" run "$image" --tap tap0 >"$log" 2>&1 &
sv_pid=$!
tail -n +1 -f "$log" --pid "$sv_pid" &
tail_pid=$!
wait_for 'all [0-9]+ compartments ready' 10
wait_for 'TCPIP: address 10\.0\.0\.[0-9]+' 30
addr=$(grep -oE 'TCPIP: address 10\.0\.0\.[0-9]+' "$log" | head -1 | grep -oE '10\.0\.0\.[0-9]+')

say "02.http fetches http://example.com/ (resolved by the DNS compartment," \
	"through one firewall hole opened for it); its body is printed above"
wait_for 'http_client: HTTP/1.[01] 200' 30

say "05.http_server listens on port 80; three clients on the network fetch" \
	"http://$addr/ at once"
wait_for 'http_server: listening on port 80' 30
ip netns exec "$TESTNET_SRV" /usr/bin/python3 - "$addr" <<'EOPY'
import sys, threading, urllib.request
def get(i):
    body = urllib.request.urlopen("http://%s/" % sys.argv[1], timeout=10).read()
    print("demo: client %d got %d bytes: %s" % (i, len(body), body.decode().splitlines()[-1][:60]))
ts = [threading.Thread(target=get, args=(i,)) for i in range(1, 4)]
[t.start() for t in ts]
[t.join() for t in ts]
EOPY
wait_for 'served request 3' 10

pid=$(grep -oE 'started TCPIP \(pid [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+$')
say "killing TCPIP (pid $pid) with SIGKILL: its sockets are gone; the" \
	"others see -ENOTRECOVERABLE, the Firewall clears its rules, and the" \
	"supervisor restarts it"
killed_at=$(stat -c %s "$log")
kill -KILL "$pid"
# The server's first "listening" line is from before the kill: only the
# ones after it show the restarted stack serving again.
wait_for 'TCPIP ready again' 10 "$killed_at"
wait_for 'TCPIP: address 10\.0\.0\.[0-9]+' 30 "$killed_at"
wait_for 'http_server: listening on port 80' 30 "$killed_at"
addr=$(tail -c +$((killed_at + 1)) "$log" | grep -oE 'TCPIP: address 10\.0\.0\.[0-9]+' |
	tail -1 | grep -oE '10\.0\.0\.[0-9]+')
if ip netns exec "$TESTNET_SRV" /usr/bin/python3 -c "
import sys, urllib.request
urllib.request.urlopen('http://$addr/', timeout=20).read()" 2>/dev/null; then
	say "after the restart, http://$addr/ is served again"
else
	say "FAILED: after the restart the page could not be fetched"
	exit 1
fi

say "stopping with SIGTERM"
kill -TERM "$sv_pid"
wait "$sv_pid"
status=$?
sv_pid=
sleep 0.2
if [ "$status" -ne 0 ]; then
	say "FAILED: the supervisor exited with status $status"
	exit 1
fi
