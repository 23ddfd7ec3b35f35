#!/usr/bin/env bash
# The README's application, built and run from an installed sealnet alone:
# `make install` into a staging DESTDIR, the staged tree moved to its
# PREFIX as a package would be, then the README's fetch.c built with the
# installed sealnet.pc only (PKG_CONFIG_PATH, no path into the tree), an
# image made with the installed compartments, audited with the installed
# jq module, and run on a throwaway network whose DNS answers example.com
# with its own web server.  The three blocks are taken from README.md, so
# the README and this test cannot drift apart.  Needs root.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
stage=$tmp/stage
prefix=$tmp/prefix
app=$tmp/app
page="Hello from the install test's web server (10.0.0.1)."
# shellcheck source=../scripts/testnet.sh
. "$root/scripts/testnet.sh"
sv_pid=
failed=0

cleanup() {
	[ -n "$sv_pid" ] && kill -TERM "$sv_pid" 2>/dev/null && wait "$sv_pid" 2>/dev/null
	testnet_down
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

pass() { echo "PASS $*"; }
fail() {
	echo "FAIL $*"
	failed=1
}
check() {
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}
# The fenced block between <!-- begin NAME --> and <!-- end NAME -->.
readme_block() {
	awk -v name="$1" '
		$0 == "<!-- begin " name " -->" { on = 1; next }
		$0 == "<!-- end " name " -->" { on = 0 }
		on && !/^```/' "$root/README.md"
}
show() { sed 's/^/  /' "$1"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "FAIL sdk-install-test: needs root (namespaces, TAP)"
	exit 1
fi

# ---- install, staged ----
# A make of its own, not a part of whichever make runs this test.
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$root" \
	--no-print-directory install PREFIX="$prefix" DESTDIR="$stage" \
	>"$tmp/install.log" 2>&1; then
	show "$tmp/install.log"
	echo "FAIL make install into a staging DESTDIR"
	exit 1
fi
pass "make install into a staging DESTDIR"
pc=$stage$prefix/lib/pkgconfig/sealnet.pc
check "the staged sealnet.pc names PREFIX" grep -qx "prefix=$prefix" "$pc"
check "no staged file names the staging DESTDIR" \
	bash -c '! grep -rqF -- "$1" "$1"' _ "$stage"
mkdir -p "$(dirname "$prefix")" && mv "$stage$prefix" "$prefix"
for f in bin/sealnet lib/libsealnet.a include/sealnet/sealnet.h \
	libexec/sealnet/firewall libexec/sealnet/tcpip libexec/sealnet/netapi \
	libexec/sealnet/dns share/sealnet/audit/network_stack.jq \
	share/sealnet/schema/sealnet.fbs; do
	[ -e "$prefix/$f" ] || fail "installed: $f"
done

# ---- the README's application, built outside the tree ----
mkdir -p "$app"
readme_block fetch.c >"$app/fetch.c"
readme_block build.sh >"$app/build.sh"
readme_block run.sh >"$app/run.sh"
check "the README holds the three blocks" \
	test -s "$app/fetch.c" -a -s "$app/build.sh" -a -s "$app/run.sh"
export PATH="$prefix/bin:$PATH" PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
check "pkg-config's flags name the prefix and nothing in the tree" \
	bash -c 'f=$(pkg-config --cflags --libs sealnet) &&
		[[ $f == *"-I$1/include"* && $f == *-static* && $f != *"$2"* ]]' \
	_ "$prefix" "$root"
(cd "$app" && bash -e build.sh) >"$tmp/build.out" 2>"$tmp/build.err"
status=$?
show "$tmp/build.err"
check "the README's build commands succeed" test "$status" -eq 0
check "fetch.c compiles without a warning" \
	bash -c '! grep -q "warning:" "$1"' _ "$tmp/build.err"
check "the installed jq module finds the image valid" \
	test "$(head -1 "$tmp/build.out")" = true
check "the audit shows fetch's one capability" \
	grep -qxF '[{"name":"example","type":"TCP","host":"example.com","port":80,"owner":"fetch"}]' \
	"$tmp/build.out"
[ "$status" -eq 0 ] || exit 1

# ---- run on a throwaway network ----
testnet_up "$tmp" example.com || {
	echo "FAIL sdk-install-test: cannot build the test network"
	exit 1
}
mkdir -p "$tmp/www"
printf '%s\n' "$page" >"$tmp/www/index.html"
testnet_spawn /usr/bin/python3 -m http.server 80 --bind 10.0.0.1 \
	--directory "$tmp/www" >/dev/null 2>&1
# The README's command, as it stands, in the namespace that holds tap0.
(cd "$app" && exec ip netns exec "$TESTNET_DEV" bash -c "exec $(cat run.sh)") \
	>"$tmp/run.log" 2>&1 &
sv_pid=$!
events=$app/events.jsonl
# Whether the supervisor's events hold one that matches.
event() { [ -f "$events" ] && jq -n -e "any(inputs; $1)" "$events" >/dev/null 2>&1; }
for _ in $(seq 600); do
	event '.event == "died" and .compartment == "fetch"' && break
	sleep 0.1
done
# The supervisor's own log is complete once it has stopped.
kill -TERM "$sv_pid"
wait "$sv_pid"
status=$?
sv_pid=
check "the supervisor stops cleanly" test "$status" -eq 0
check "the installed stack and fetch all became ready" \
	event '.event == "all_ready" and .compartments == 5'
check "fetch got an address and fetched the page" \
	grep -qE 'fetch: fetched [0-9]+ bytes: HTTP/1\.[01] 200 OK' "$tmp/run.log"
check "fetch printed the test network's page" grep -qxF "fetch: $page" "$tmp/run.log"
check "fetch ended by itself, with status 0" \
	event '.event == "died" and .compartment == "fetch" and
		.cause == "exit" and .exit_status == 0'
[ "$failed" -eq 0 ] || { show "$tmp/run.log"; show "$events"; }
exit "$failed"
