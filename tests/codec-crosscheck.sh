#!/usr/bin/env bash
# Messages built by the C codec, checked by the official implementations:
# FlatBuffers' C++ verifier accepts them, flatc decodes them to the same
# JSON as `sealnet msg verify`, and flatc's Python code reads the same
# values.  A damaged message is refused with a reason.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() { echo "FAIL $*"; failed=1; }

"$build/tests/codec_test" --write-samples "$tmp" || fail "writing samples"
for msg in "$tmp"/*.snmsg; do
	name=$(basename "$msg" .snmsg)
	"$build/tests-cpp/official_verify" "$msg" || failed=1

	if ! "$build/bin/sealnet" msg verify "$msg" >"$tmp/$name.ours.json"; then
		fail "sealnet msg verify $name"
		continue
	fi
	(cd "$tmp" && flatc --json --strict-json --raw-binary \
		"$root/schema/sealnet.fbs" -- "$msg") ||
		fail "flatc could not decode $name"
	if /usr/bin/python3 - "$tmp/$name.json" "$tmp/$name.ours.json" <<'EOPY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
sys.exit(0 if a == b else 1)
EOPY
	then
		echo "PASS flatc and sealnet print the same JSON for $name"
	else
		fail "flatc and sealnet disagree on $name"
		diff "$tmp/$name.json" "$tmp/$name.ours.json" | head -20
	fi
	/usr/bin/python3 "$root/tests/codec_roundtrip.py" "$build/gen/python" \
		"$msg" "$tmp/$name.ours.json" || failed=1
done

# A damaged message: exit 1, with the reason on stderr.
head -c 40 "$tmp/echo.snmsg" >"$tmp/cut.snmsg"
"$build/bin/sealnet" msg verify "$tmp/cut.snmsg" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && grep -q "rejected at byte" "$tmp/err" && [ ! -s "$tmp/out" ]; then
	echo "PASS sealnet msg verify refuses a cut message: $(cat "$tmp/err")"
else
	fail "sealnet msg verify on a cut message: exit $rc"
fi
exit $failed
