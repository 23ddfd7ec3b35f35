#!/usr/bin/env bash
# Each public header compiles alone, first in a C file, under gcc and
# clang, with the warnings the tree uses and only include/ on the path:
# a header that needs another one first, a feature macro, or a header
# of the runtime fails here.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

for header in "$root"/include/sealnet/*.h; do
	name=sealnet/$(basename "$header")
	printf '#include <%s>\nint header_check(void);\nint header_check(void) { return 0; }\n' \
		"$name" >"$tmp/check.c"
	for cc in gcc clang; do
		if "$cc" -std=c17 -pedantic -Wall -Wextra -Werror \
			-Wstrict-prototypes -Wmissing-prototypes -Wshadow \
			-I "$root/include" -c "$tmp/check.c" -o "$tmp/check.o" \
			2>"$tmp/errors"; then
			echo "PASS $name compiles alone under $cc"
		else
			echo "FAIL $name compiles alone under $cc"
			sed 's/^/  /' "$tmp/errors"
			failed=1
		fi
	done
done
exit "$failed"
