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
	mosquitto mosquitto-clients
	# tests/mqtt-test.sh silences its broker by dropping its packets.
	nftables
	# Only sealnet-bench mqtt's baseline links libmosquitto.
	libmosquitto-dev
	# The SNTP tests and the demo serve time with chrony (started by
	# them, with -x: never touching the host's clock).
	chrony
	# tests/sntp-tls-test.sh runs that chrony two years ahead
	# (libfaketime, preloaded into it alone).
	faketime
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
# The tests start their own brokers and time servers: the mosquitto and
# chrony packages' daemons must not be started by the install
# (policy-rc.d answering 101 forbids it, for invoke-rc.d and
# deb-systemd-invoke alike), nor at boot; chronyd would also set this
# machine's clock.
policy=/usr/sbin/policy-rc.d
own_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" &&
		own_policy=1
fi
apt-get update -qq
status=0
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
	status=$?
[ -n "$own_policy" ] && rm -f "$policy"
[ "$status" -eq 0 ] || exit "$status"
for p in mosquitto chrony; do
	if [[ " ${missing[*]} " == *" $p "* ]] && [ -d /run/systemd/system ]; then
		systemctl disable --now "$p.service" >/dev/null 2>&1 ||
			echo "install-deps: could not disable $p.service: stop it" >&2
	fi
done
