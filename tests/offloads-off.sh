#!/usr/bin/env bash
# The stack on a TAP device without its offloads, as on a kernel or a
# kind of device that has none (`sealnet run --offloads off`), in
# namespaces this test makes and removes itself (tests/netlib.sh): no
# virtio-net header, one frame of at most 1514 bytes per read and write,
# checksums computed and checked by lwIP.  The supervisor must say the
# device is without them, and tcp_bench (tests/compartments/tcp_bench.c)
# must connect by name 20 times, then send and receive 1 GB, and exit
# 0, through the Firewall and TCPIP.
#
# SEALNET_BUILD=DIR runs it against another build (default: build/).
# Needs root.
set -uo pipefail
[ -n "${SEALNET_BUILD:-}" ] && SN_BUILD=$SEALNET_BUILD
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=netlib.sh
. "$SN_ROOT/tests/netlib.sh"
net_begin nooffloads

net_up bench.test
testnet_spawn "$SN_BUILD/tools/tcp_peer" sink 7101
testnet_spawn "$SN_BUILD/tools/tcp_peer" source 7102 1000000000
net_run_args=(--offloads off)
net_stack tcp_bench
check "the supervisor uses the device without its offloads" \
	has_line "$log" 'device tap0: offloads off, as asked'
check "tcp_bench connects, sends and receives 1 GB, and exits 0" \
	quietly wait_event "$ev" '.event=="died" and .compartment=="tcp_bench" and
		.cause=="exit" and .exit_status==0' 180
lines "$log" '"bench": "sealnet_(tcp_send|tcp_recv|connect)"' | sed 's/^/  /'
check "... and prints its figures for all three" \
	test "$(count_lines "$log" '"bench": "sealnet_(tcp_send|tcp_recv|connect)"')" -eq 3
check "no other compartment died" \
	no_event "$ev" '.event=="killed" or (.event=="died" and .compartment!="tcp_bench")'
finish
