#!/usr/bin/env bash
# Messages built by the C codec, checked by the official implementations:
# FlatBuffers' C++ verifier accepts them, flatc decodes them to the same
# JSON as `sealnet msg verify`, and flatc's Python code reads the same
# values.  A damaged message is refused with a reason.
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
root=$SN_ROOT
build=$SN_BUILD
tmp=$SN_TMP

check "the codec writes its sample messages" \
	"$build/tests/codec_test" --write-samples "$tmp"
samples=("$tmp"/*.snmsg)
check "there are sample messages (${#samples[@]})" test -e "${samples[0]}"
for msg in "${samples[@]}"; do
	[ -e "$msg" ] || continue
	name=$(basename "$msg" .snmsg)
	reported "official verifier on $name" \
		"$build/tests-cpp/official_verify" "$msg"

	if ! "$SN_SEALNET" msg verify "$msg" >"$tmp/$name.ours.json"; then
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
		pass "flatc and sealnet print the same JSON for $name"
	else
		fail "flatc and sealnet disagree on $name"
		diff "$tmp/$name.json" "$tmp/$name.ours.json" | head -20
	fi
	reported "python reads back $name" /usr/bin/python3 \
		"$root/tests/codec_roundtrip.py" "$build/gen/python" \
		"$msg" "$tmp/$name.ours.json"
done

# A damaged message: exit 1, with the reason on stderr.
head -c 40 "$tmp/echo.snmsg" >"$tmp/cut.snmsg"
"$SN_SEALNET" msg verify "$tmp/cut.snmsg" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && grep -q "rejected at byte" "$tmp/err" && [ ! -s "$tmp/out" ]; then
	pass "sealnet msg verify refuses a cut message: $(cat "$tmp/err")"
else
	fail "sealnet msg verify on a cut message: exit $rc"
fi
finish
