#!/usr/bin/env bash
# Fetches lwIP's upstream source from Debian's source package `lwip`,
# checks it against the pinned SHA-256 and unpacks it into DEST.  The
# machine's own apt configuration is left alone: apt gets a private
# deb-src list and lists directory under DEST.
set -euo pipefail
dest=$(realpath -m "${1:?usage: fetch-lwip.sh DEST}")
version=2.1.3+dfsg1
orig=lwip_${version}.orig.tar.xz
sha256=0a8276d09fc4e97bbba2f953d74af2388fc2195ea156be9d7589e297a68fde24

if [ -f "$dest/lwip-2.1.3/src/core/tcp.c" ]; then
	exit 0
fi
mkdir -p "$dest/apt/sources.d" "$dest/apt/lists/partial" "$dest/download"
if [ ! -f "$dest/download/$orig" ]; then
	# The same mirror the machine uses for binary packages.
	uri=$(grep -hoE '^URIs: *http[^ ]+/debian$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | awk '{print $2}')
	uri=${uri:-http://deb.debian.org/debian}
	cat >"$dest/apt/sources.d/lwip-src.sources" <<EOS
Types: deb-src
URIs: $uri
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
	apt_opts=(-o Dir::Etc::SourceList=/dev/null
		-o "Dir::Etc::SourceParts=$dest/apt/sources.d"
		-o "Dir::State::Lists=$dest/apt/lists")
	echo "fetch-lwip: downloading Debian's lwip $version source"
	apt-get "${apt_opts[@]}" update -qq
	(cd "$dest/download" &&
		apt-get "${apt_opts[@]}" source --download-only -qq "lwip=2.1.3+dfsg1-2" 2>&1 |
		grep -v 'unsandboxed' || true)
fi
if ! echo "$sha256  $dest/download/$orig" | sha256sum -c --quiet -; then
	echo "fetch-lwip: $orig does not match the pinned SHA-256" >&2
	exit 1
fi
tar -C "$dest" -xf "$dest/download/$orig"
echo "fetch-lwip: lwIP 2.1.3 unpacked in $dest/lwip-2.1.3 (SHA-256 checked)"
