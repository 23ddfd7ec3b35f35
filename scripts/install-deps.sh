#!/usr/bin/env bash
# Installs the Debian packages sealnet builds, tests and demos with.
# Quiet and quick when everything is already there; needs root otherwise.
set -euo pipefail

packages=(
	build-essential clang clang-format libclang-rt-14-dev
	flatbuffers-compiler libflatbuffers-dev python3 python3-flatbuffers
	libseccomp-dev libc-ares-dev
	libjansson-dev libelf-dev libssl-dev
	jq iproute2 coreutils dnsmasq-base nmap tcpdump python3-scapy pkgconf
	openssl ca-certificates
	hping3 curl strace
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root, or install them with apt-get" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
