#!/usr/bin/env bash
# sealnet-bench tls: TLS through sealnet and OpenSSL over the kernel's TCP,
# side by side in one run, to the same openssl s_server on a throwaway
# network: the median full handshake (a server that issues no tickets;
# each one a connect by name and a handshake) and 100 MB sent; plain TCP
# sent both ways too, for the fraction of the kernel's each path reaches;
# then the TLS compartment's resident memory with 1 and with 64 sessions
# open.  Prints one JSON object per line.  Run as root.  KEEP_LOG=FILE
# keeps the stack's log.  SNTP=nts adds the SNTP compartment, with chrony
# as its NTS server, so that TLS reads the shared time record at every
# handshake, and checks dates at NTS time once SNTP has synchronised.
#
# Figures come only from a run in which every step succeeded: if any
# fails, nothing is printed on standard output, the reason and the
# stack's log go to standard error, and the exit status is 1.
set -uo pipefail
# shellcheck source=bench-lib.sh
. "$(dirname "$0")/bench-lib.sh" tls "${1:-build}"
# shellcheck source=../tests/tls-certs.sh
. "$root/tests/tls-certs.sh"

mkdir -m 700 "$tmp/pki" && tls_ca "$tmp/pki" ca &&
	tls_cert "$tmp/pki" ca bench DNS:bench.test,IP:10.0.0.1 || failed "no certificates"
pki=$tmp/pki
testnet_up "$tmp" bench.test || failed "cannot build the test network"
# One server for both clients: plain mode, what it reads thrown away; no
# tickets, so every handshake is a full one.
testnet_spawn bash -c "sleep 100000 | exec openssl s_server -accept 7201 \
	-naccept 100000 -quiet -no_ticket -cert '$pki/bench.pem' \
	-key '$pki/server.key' >/dev/null 2>'$tmp/s_server.log'"
testnet_spawn "$build/tools/tcp_peer" sink 7101
sntp_args=() sntp_binary=()
if [ "${SNTP:-}" = nts ]; then
	printf '%s\n' 'local stratum 8' 'allow all' 'cmdport 0' \
		'bindcmdaddress /' "pidfile $tmp/chrony.pid" \
		"ntsserverkey $pki/server.key" "ntsservercert $pki/bench.pem" \
		>"$tmp/chrony.conf"
	testnet_spawn chronyd -x -d -f "$tmp/chrony.conf" -u root >"$tmp/chrony.log" 2>&1
	sntp_args=(--nts-server bench.test)
	sntp_binary=("$build/compartments/sntp")
elif [ -n "${SNTP:-}" ]; then
	failed "SNTP=$SNTP: only SNTP=nts is known"
fi
# Holds sessions open, many at once, for the memory figures.
testnet_spawn /usr/bin/python3 -c '
import socket, ssl, sys, threading
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
listener = socket.create_server(("10.0.0.1", 7202), backlog=128)
def hold(conn):
    try:
        with ctx.wrap_socket(conn, server_side=True) as s:
            while s.recv(4096):
                pass
    except OSError:
        pass
while True:
    conn, _ = listener.accept()
    threading.Thread(target=hold, args=(conn,), daemon=True).start()
' "$pki/bench.pem" "$pki/server.key"
ip -n "$TESTNET_DEV" addr add 10.0.0.2/24 dev br0 || failed "no address for the kernel's client"
echo "nameserver 10.0.0.1" >"$tmp/resolv.conf"
sleep 0.5

# The kernel's client resolves bench.test as sealnet does, through
# dnsmasq: /etc/resolv.conf is bind-mounted in a mount namespace of its
# own.
kernel() {
	ip netns exec "$TESTNET_DEV" unshare -m sh -c \
		"mount --bind '$tmp/resolv.conf' /etc/resolv.conf && exec $*"
}
log "OpenSSL over the kernel's TCP"
read -r k_hs k_hs_only < <(kernel "$build/tools/tls_peer" handshake bench.test 7201 "$pki/ca.pem" 20)
number "${k_hs:-}" && number "${k_hs_only:-}" || failed "the kernel's handshakes did not all succeed"
k_tls=$(kernel "$build/tools/tls_peer" send bench.test 7201 "$pki/ca.pem" 100000000) &&
	number "$k_tls" || failed "the kernel's TLS send did not complete"
k_tcp=$(ip netns exec "$TESTNET_DEV" "$build/tools/tcp_peer" send 10.0.0.1 7101 100000000) &&
	number "$k_tcp" || failed "the kernel's TCP send did not complete"

log "sealnet: Firewall, TCPIP, NetAPI, DNS, TLS and the bench compartment"
c=$build/compartments
"$build/bin/sealnet" image build -o "$tmp/bench.json" --trust-anchors "$pki/ca.pem" \
	"${sntp_args[@]}" "$c/firewall" "$c/tcpip" "$c/netapi" "$c/dns" "$c/tls" \
	"$c/tls_bench" "${sntp_binary[@]}" || failed "image build"
stack_start --netns "$TESTNET_DEV" --stdout "$tmp/out" bench "$tmp/bench.json" --tap tap0
tls_pid() { events "$events" '.event=="started" and .compartment=="TLS"' | jq -r .pid | tail -1; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null; }
rss=()
for n in 1 64; do
	wait_line "$tmp/bench.log" "tls_bench: holding $n sessions|tls_bench: session" 120 >/dev/null ||
		failed "the bench compartment never held $n sessions"
	has_line "$tmp/bench.log" "tls_bench: holding $n sessions" ||
		failed "the bench compartment could not hold $n sessions"
	kb=$(rss_kb "$(tls_pid)")
	number "${kb:-}" || failed "no resident memory figure for TLS"
	rss+=("{\"bench\":\"tls_compartment_rss\",\"sessions\":$n,\"kbytes\":$kb}")
done
bench_await_exit tls_bench 60
[ "$(count_events "$events" '.event=="started" and .compartment=="TLS"')" -eq 1 ] ||
	failed "TLS restarted during the run"
value() { grep -oE "\"$1\",\"[a-z_]+\":[0-9.]+" "$tmp/out" | grep -oE '[0-9.]+$'; }
s_hs=$(value sealnet_tls_handshake)
s_hs_only=$(value sealnet_tls_handshake_only)
s_tls=$(value sealnet_tls_send)
s_tcp=$(value sealnet_tcp_send)
number "$s_hs" && number "$s_hs_only" && number "$s_tls" && number "$s_tcp" ||
	failed "the bench compartment exited 0 but printed: $(cat "$tmp/out")"

if [ ${#sntp_args[@]} -gt 0 ]; then
	has_line "$tmp/bench.log" '^TLS: certificate dates are checked against NTS-authenticated network time' ||
		failed "TLS never took NTS time"
	echo '{"bench":"sealnet_tls_with_sntp","time_record":"mapped into TLS, read at every handshake; NTS time once SNTP synchronised"}'
fi
echo "{\"bench\":\"sealnet_tls_handshake\",\"median_ms\":$s_hs}"
echo "{\"bench\":\"kernel_tls_handshake\",\"median_ms\":$k_hs}"
# The same without the connect by name before it: what TLS itself costs.
echo "{\"bench\":\"sealnet_tls_handshake_only\",\"median_ms\":$s_hs_only}"
echo "{\"bench\":\"kernel_tls_handshake_only\",\"median_ms\":$k_hs_only}"
echo "{\"bench\":\"sealnet_tls_send\",\"mbytes_per_s\":$s_tls}"
echo "{\"bench\":\"kernel_tls_send\",\"mbytes_per_s\":$k_tls}"
echo "{\"bench\":\"sealnet_tcp_send\",\"mbytes_per_s\":$s_tcp}"
echo "{\"bench\":\"kernel_tcp_send\",\"mbytes_per_s\":$k_tcp}"
printf '%s\n' "${rss[@]}"
awk -v a="$s_hs" -v b="$k_hs" -v c="$s_tls" -v d="$k_tls" -v e="$s_tcp" -v f="$k_tcp" \
	-v g="$s_hs_only" -v h="$k_hs_only" 'BEGIN {
	printf "{\"bench\":\"sealnet_vs_kernel_tls\",\"handshake_ratio\":%.2f,\"handshake_only_ratio\":%.2f,\"handshake_target_max\":2,\"tls_send_fraction\":%.2f,\"tcp_send_fraction\":%.2f}\n", a / b, g / h, c / d, e / f }'
