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
	# The SNTP tests and the demo serve time with chrony (started by
	# them, with -x: never touching the host's clock).
	chrony
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

# Packages that bring a daemon (chrony) would start it on a machine with
# systemd, and chronyd would set this machine's clock.  While apt-get
# runs, a policy-rc.d that refuses every start keeps them stopped (an
# existing one is left alone: it already decides).  Afterwards a chrony
# installed here is disabled, so a reboot does not start it either.
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	made_policy=1
fi
remove_policy() { [ -n "$made_policy" ] && rm -f "$policy"; }
trap remove_policy EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
for p in "${missing[@]}"; do
	if [ "$p" = chrony ] && [ -d /run/systemd/system ]; then
		systemctl disable --now chrony.service >/dev/null 2>&1 ||
			echo "install-deps: could not disable chrony.service:" \
				"stop it, or it sets this machine's clock" >&2
	fi
done
