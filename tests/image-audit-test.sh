#!/usr/bin/env bash
# The image and the audit: built from the binaries' own declarations,
# printed in cheriot-audit's shape, queried with the jq policy, and
# refused when anything in it is wrong.
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
root=$SN_ROOT
build=$SN_BUILD
sealnet=$SN_SEALNET
tmp=$SN_TMP
q() { "$sealnet" audit "$tmp/image.json" | jq -c -L "$root/audit" "include \"network_stack\"; $1"; }

bins=()
for c in runtime_service app hostile netapi_refuser sneaky; do
	bins+=("$build/compartments/$c")
done
"$sealnet" image build -o "$tmp/image.json" "${bins[@]}" ||
	fail "image build"

expect "every compartment is in the audit" \
	'["NetAPI","Runtime","app","hostile","sneaky"]' \
	"$(q '.compartments | keys')"
expect "the binary's hash is the file's" \
	"$(sha256sum "$build/compartments/app" | cut -d' ' -f1)" \
	"$("$sealnet" audit "$tmp/image.json" | jq -r '.compartments.app.binary_sha256')"
expect "exports come from the declarations" \
	'["network_socket_connect_tcp"]' "$(q '.compartments.NetAPI.exports')"
expect "all_connection_capabilities names the owner" \
	'[{"name":"allowed","type":"TCP","host":"allowed.test","port":443,"owner":"hostile"}]' \
	"$(q 'all_connection_capabilities')"
expect "all_bind_capabilities is empty here" '[]' "$(q 'all_bind_capabilities')"
expect "compartments_calling finds who may call an export" \
	'["app","hostile"]' "$(q 'compartments_calling("runtime_echo")')"
expect "compartments_calling takes a regex" \
	'["hostile"]' "$(q 'compartments_calling("^network_socket_")')"
expect "declared syscalls extend only their own compartment" \
	'[true,false]' \
	"$(q '[(.compartments.app.sandbox.syscalls | index("sysinfo") != null), (.compartments.Runtime.sandbox.syscalls | index("sysinfo") != null)]')"
expect "no compartment's allowlist holds socket or open" \
	'[]' \
	"$(q '[.compartments[].sandbox.syscalls[] | select(test("^(socket|open|openat|connect|execve)$"))]')"
expect "quotas and restart policy are in the image" \
	'[67108864,"on_failure",2]' \
	"$(q '[.compartments.app.quotas.memory_bytes, .compartments.sneaky.restart.policy, .compartments.sneaky.restart.max_restarts_per_minute]')"
expect "the test image has the intended call graph" true "$(q 'valid')"

# The policy notices what it exists to notice.
"$sealnet" audit "$tmp/image.json" |
	jq '.compartments.app.imports += [{"kind":"call","compartment":"Firewall","export":"firewall_rule_add"}]
	    | .compartments.hostile.sandbox.device = true' >"$tmp/bad-audit.json"
expect "valid is false when an application may add firewall rules" \
	'[false,2]' \
	"$(jq -c -L "$root/audit" 'include "network_stack"; [valid, (violations | length)]' "$tmp/bad-audit.json")"

# ---- every Firewall export against the policy ----
# The policy decides by the roles the schema gives each export, so every
# export the Firewall's service declares, imported by an application, must
# break `valid`, and the violation must name it.  The list comes from the
# schema, so a new export is tested the day it is added.
demo=$build/images/demo.json
firewall_exports=$(awk '/^rpc_service Firewall/ {on = 1; next}
	on && /^}/ {on = 0} on {sub(/\(.*/, ""); gsub(/[ \t]/, ""); print}' \
	"$root/schema/sealnet.fbs")
tested=0
for e in $firewall_exports; do
	jq --arg e "$e" '.compartments.Firewall.exports |= (. + [$e] | unique)
		| .compartments.Firewall.handlers |= (. + [$e] | unique)
		| .compartments.http_client.imports +=
		  [{"kind":"call","compartment":"Firewall","export":$e}]' \
		"$demo" >"$tmp/fw.json"
	verdict=$("$sealnet" audit "$tmp/fw.json" |
		jq -c -L "$root/audit" --arg e "$e" 'include "network_stack";
			[valid, any(violations[]; startswith("http_client may call \($e)"))]')
	expect "an application that may call $e breaks valid, by name" \
		'[false,true]' "$verdict"
	tested=$((tested + 1))
done
expect "every Firewall export in the schema was tried" \
	"$(grep -c 'firewall_[a-z_]*(.*sealnet_role' "$root/schema/sealnet.fbs")" "$tested"
expect "the demo image, as built, has the intended call graph" true \
	"$("$sealnet" audit "$demo" | jq -c -L "$root/audit" 'include "network_stack"; valid')"
expect "the audit prints each import's roles" \
	'["closes_holes","connection_holes"]' \
	"$("$sealnet" audit "$demo" | jq -c '.compartments.TCPIP.imports[] | select(.export == "firewall_port_close") | .roles')"
expect "an audit without roles is not valid" false \
	"$("$sealnet" audit "$demo" | jq -c -L "$root/audit" 'include "network_stack";
		del(.compartments[].imports[].roles) | valid')"
expect "TCPIP may close a connection's holes, not end a DNS lookup" \
	'["TCPIP may call firewall_dns_lookup_end, but TCPIP closes only a connection'"'"'s holes, when lwIP is done with it; NetAPI closes the rest"]' \
	"$("$sealnet" audit "$(jq '.compartments.TCPIP.imports += [{"kind":"call","compartment":"Firewall","export":"firewall_dns_lookup_end"}]' "$demo" >"$tmp/tcpip.json" && echo "$tmp/tcpip.json")" |
		jq -c -L "$root/audit" 'include "network_stack"; violations')"
expect "TCPIP says whether a server port takes new clients, and NetAPI may not" \
	'["NetAPI may call firewall_server_port_listening, but only TCPIP, which holds the listeners, says whether a server port NetAPI opened takes new connections"]' \
	"$("$sealnet" audit "$(jq '.compartments.NetAPI.imports += [{"kind":"call","compartment":"Firewall","export":"firewall_server_port_listening"}]' "$demo" >"$tmp/netapi.json" && echo "$tmp/netapi.json")" |
		jq -c -L "$root/audit" 'include "network_stack"; violations')"
# NTS needs keys from a TLS session; no one else may take them.
expect "the demo's SNTP may export keys from a TLS session" true \
	"$("$sealnet" audit "$demo" | jq -c '.compartments.SNTP.imports
		| any(.export == "tls_connection_keying_material")')"
expect "an application that may export TLS keys breaks valid, by name" \
	'[false,["http_client may call tls_connection_keying_material, but only the SNTP compartment derives keys from a TLS session, for NTS"]]' \
	"$(jq '.compartments.http_client.imports +=
		[{"kind":"call","compartment":"TLS","export":"tls_connection_keying_material"}]' \
		"$demo" >"$tmp/keys.json" && "$sealnet" audit "$tmp/keys.json" |
		jq -c -L "$root/audit" 'include "network_stack"; [valid, violations]')"

# ---- MQTT topics: the policy decides as the MQTT compartment does ----
# Every pair of filters of up to three levels drawn from a, b, $s, + and
# the empty level, each also with a last level #: the policy's
# mqtt_topic_within (what mqtt_publishers and mqtt_subscribers ask)
# against the compartment's own, through tests/tools/mqtt_topic_within.
jq -rn '["a", "b", "$s", "+", ""] as $l
	| [$l[], "\($l[])/\($l[])", "\($l[])/\($l[])/\($l[])"] as $f
	| ($f + ["#"] + [$f[] + "/#"])
	| map(select(. != "")) | unique as $all
	| $all[] as $i | $all[] as $o | "\($i)\t\($o)"' >"$tmp/topic-pairs"
"$build/tools/mqtt_topic_within" <"$tmp/topic-pairs" >"$tmp/topic-c" ||
	fail "mqtt_topic_within did not run"
jq -rR -L "$root/audit" 'include "network_stack"; split("\t")
	| if mqtt_topic_within(.[0]; .[1]) then "1" else "0" end' \
	<"$tmp/topic-pairs" >"$tmp/topic-jq"
# 310 filters, so 96,100 pairs, each answered by both sides.
expect "every pair of topic filters is answered by the compartment and by the policy" \
	"96100 96100 96100" \
	"$(wc -l <"$tmp/topic-pairs") $(wc -l <"$tmp/topic-c") $(wc -l <"$tmp/topic-jq")"
expect "the topic pairs are all valid filters" 0 \
	"$(grep -c invalid "$tmp/topic-c")"
expect "the policy and the MQTT compartment agree on every pair of topic filters ($(wc -l <"$tmp/topic-pairs") pairs, $(grep -c 1 "$tmp/topic-c") within)" \
	"" "$(paste "$tmp/topic-pairs" "$tmp/topic-c" "$tmp/topic-jq" |
		awk -F'\t' '$3 != $4 { print; exit }')"

# The generator refuses an export that does not say what it does, or says
# it in words the policy does not know.
fbs_refused() { # description, sed edit, expected reason
	sed "$2" "$root/schema/sealnet.fbs" >"$tmp/s.fbs"
	local out
	if cmp -s "$root/schema/sealnet.fbs" "$tmp/s.fbs"; then
		fail "$1: the edit changed nothing in the schema"
	elif ! (cd "$tmp" && flatc -b --schema s.fbs) 2>"$tmp/flatc.err"; then
		fail "$1: flatc: $(cat "$tmp/flatc.err")"
	elif out=$("$build/gen/fbsgen" "$tmp/s.bfbs" "$tmp/s.h" "$tmp/s.c" 2>&1); then
		fail "$1: fbsgen accepted it"
	elif grep -qF -- "$3" <<<"$out"; then
		pass "$1 is refused: $out"
	else
		fail "$1: reason was: $out"
	fi
}
fbs_refused "an export without a sealnet_role" \
	's/firewall_port_close(LocalPort): Empty (sealnet_role: "[^"]*", /firewall_port_close(LocalPort): Empty (/' \
	'firewall_port_close has no sealnet_role'
fbs_refused "a misspelt role" \
	's/"closes_holes connection_holes"/"close_holes connection_holes"/' \
	'unknown sealnet_role close_holes'
fbs_refused "a hole closed without saying which" \
	's/firewall_port_close(LocalPort): Empty (sealnet_role: "[^"]*"/firewall_port_close(LocalPort): Empty (sealnet_role: "closes_holes"/' \
	'exactly one kind'

# ---- grants that reach outside the sandbox ----
# Each syscall here lets a compartment act beyond its sandbox.  The audit
# names every one; the worst are refused by `image check` and `run`
# unless the image was built to accept them, and then the audit says so.
for sc in ptrace kill process_vm_readv process_vm_writev io_uring_setup \
	io_uring_enter io_uring_register mount bpf socket execve execveat; do
	jq --arg s "$sc" '.compartments.app.sandbox.syscalls += [$s]' \
		"$tmp/image.json" >"$tmp/d.json"
	jq '.compartments.app.sandbox.allow_dangerous_syscalls = true' \
		"$tmp/d.json" >"$tmp/d-allowed.json"
	if out=$("$sealnet" image check "$tmp/d.json" 2>&1); then
		refused=no
		audited=$tmp/d.json
	elif grep -qF "app may call $sc" <<<"$out" &&
		grep -qF -- "--allow-dangerous-syscalls" <<<"$out"; then
		refused=yes
		audited=$tmp/d-allowed.json
	else
		fail "a grant of $sc: $out"
		continue
	fi
	verdict=$("$sealnet" audit "$audited" | jq -c -L "$root/audit" --arg s "$sc" \
		'include "network_stack"; [valid, any(violations[]; startswith("app may call \($s),"))]')
	expect "a grant of $sc is a violation the audit names (refused without the flag: $refused)" \
		'[false,true]' "$verdict"
	echo "$sc $refused" >>"$tmp/dangers"
done
expect "ptrace, process_vm_*, io_uring_*, mount, bpf and execve* are refused; kill and socket are named only" \
	"ptrace yes,kill no,process_vm_readv yes,process_vm_writev yes,io_uring_setup yes,io_uring_enter yes,io_uring_register yes,mount yes,bpf yes,socket no,execve yes,execveat yes," \
	"$(tr ' \n' ' ,' <"$tmp/dangers")"
expect "the audit shows that the image accepted them" \
	'"app may call execveat, which reach outside its sandbox (the image was built with --allow-dangerous-syscalls)"' \
	"$("$sealnet" audit "$tmp/d-allowed.json" | jq -c -L "$root/audit" 'include "network_stack"; violations[0]')"
jq '.compartments.app.sandbox.syscalls += ["ptrace"]' "$tmp/image.json" >"$tmp/ptrace.json"
# Nothing may start: the event stream (if the refusal comes after it is
# opened) holds no boot and no started event, and the log says nothing
# was started.
out=$(timeout 10 "$sealnet" run "$tmp/ptrace.json" --events "$tmp/ptrace.events" 2>&1)
rc=$?
if [ $rc -eq 0 ] || [ $rc -eq 124 ]; then
	fail "sealnet run on an image that grants ptrace: exit $rc: $out"
elif ! grep -qF 'app may call ptrace' <<<"$out"; then
	fail "sealnet run refused an image that grants ptrace, but said: $out"
elif has_event "$tmp/ptrace.events" '.event=="boot" or .event=="started"' ||
	grep -q 'started' <<<"$out"; then
	fail "sealnet run refused an image that grants ptrace, after starting: $out"
else
	pass "sealnet run refuses an image that grants ptrace, before starting anything (exit $rc): $out"
fi
jq '.compartments.app.sandbox.device = true | .compartments.app.sandbox.network = "device"' \
	"$tmp/image.json" >"$tmp/dev.json"
expect "a compartment other than the Firewall holding the device is a violation" \
	'[false,["app holds the network device; only the Firewall may"]]' \
	"$("$sealnet" audit "$tmp/dev.json" | jq -c -L "$root/audit" 'include "network_stack"; [valid, violations]')"

# A compartment that declares ptrace: refused at build, accepted with the
# flag, and then only that compartment carries it.
cat >"$tmp/danger.c" <<'EOC'
#include "sealnet/compartment.h"
SEALNET_COMPARTMENT("danger");
SEALNET_SYSCALL(ptrace);
int main(void) { return 0; }
EOC
if ! gcc -I"$root/include" -I"$root/runtime" -I"$build/gen" -o "$tmp/danger" "$tmp/danger.c" 2>"$tmp/cc.err"; then
	fail "compiling a compartment that declares ptrace: $(cat "$tmp/cc.err")"
elif out=$("$sealnet" image build -o "$tmp/danger.json" "$tmp/danger" "${bins[@]}" 2>&1); then
	fail "image build accepted a compartment that declares ptrace"
elif ! grep -qF 'danger may call ptrace' <<<"$out"; then
	fail "image build refused ptrace, but said: $out"
elif ! "$sealnet" image build -o "$tmp/danger.json" --allow-dangerous-syscalls \
	"$tmp/danger" "${bins[@]}"; then
	fail "image build --allow-dangerous-syscalls refused it"
else
	pass "image build refuses a compartment that declares ptrace: $out"
	expect "with --allow-dangerous-syscalls, only that compartment is marked" \
		'["danger"]' \
		"$("$sealnet" audit "$tmp/danger.json" | jq -c '[.compartments | to_entries[] | select(.value.sandbox.allow_dangerous_syscalls) | .key]')"
fi

# ---- files that are not files, and strings that are not text ----
mkfifo "$tmp/fifo"
for path in "$tmp/fifo" /dev/zero; do
	out=$(timeout 10 "$sealnet" image build -o "$tmp/x.json" "$path" 2>&1)
	rc=$?
	if [ $rc -eq 124 ]; then
		fail "image build on $path hangs"
	elif [ $rc -ne 0 ] && grep -qF 'not a regular file' <<<"$out"; then
		pass "image build refuses $path at once: $out"
	else
		fail "image build on $path: exit $rc: $out"
	fi
	out=$(timeout 10 "$sealnet" image check "$path" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -qF 'not a regular file' <<<"$out"; then
		pass "image check refuses $path at once"
	else
		fail "image check on $path: exit $rc: $out"
	fi
done
# Control characters in image strings reach no terminal: every message
# that quotes one escapes it.
no_controls() { # description, jq edit, file argument or "", expected text
	jq "$2" "$tmp/image.json" >"$tmp/esc.json"
	local out
	out=$("$sealnet" image check "$tmp/esc.json" 2>&1)
	if [ $? -eq 0 ]; then
		fail "$1: accepted"
	elif LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' <<<"$out" ||
		LC_ALL=C grep -q $'\xc2[\x80-\x9f]' <<<"$out"; then
		fail "$1: a control character reached the terminal: $(od -c <<<"$out" | head -3)"
	elif ! grep -qF -- "$3" <<<"$out"; then
		fail "$1: expected $3 in: $out"
	else
		pass "$1 is escaped: $out"
	fi
}
no_controls "an escape sequence in an unknown key" \
	'.compartments.app["x\u001b]0;owned\u0007"] = 1' 'x\x1b]0;owned\x07'
no_controls "a C1 control in a compartment name" \
	'.compartments["a\u009bb"] = .compartments.app | del(.compartments.app)' 'a\xc2\x9bb'
no_controls "a newline in a binary path" \
	'.compartments.app.binary = "/bin/a\nFAKE: ok"' 'the path holds control characters'
no_controls "a terminal reset in a syscall name" \
	'.compartments.app.sandbox.syscalls += ["read\u001bc"]' 'read\x1bc'
no_controls "an escape in a host name" \
	'(.compartments.hostile.imports[] | select(.kind == "connection") | .host) = "a\u001b[2J"' 'a\x1b[2J'
out=$("$sealnet" image check "$tmp/$(printf 'name\033[31m')" 2>&1)
if LC_ALL=C grep -q $'\x1b' <<<"$out"; then
	fail "a control character in the image's own path reached the terminal"
else
	pass "the image's own path is escaped: $out"
fi

# Images that must be refused, each with a reason.
refused() { # description, jq edit, expected reason
	jq "$2" "$tmp/image.json" >"$tmp/bad.json"
	local out
	if out=$("$sealnet" audit "$tmp/bad.json" 2>&1); then
		fail "$1: accepted"
	elif ! grep -qF -- "$3" <<<"$out"; then
		fail "$1: reason was: $out"
	else
		pass "$1 is refused: $out"
	fi
}
refused "an unknown key" '.compartments.app.extra = 1' 'unknown key "extra"'
# ---- the schema is the wiring: each export belongs to the compartment
# its rpc_service names, and each declared export has a handler ----
refused "a call wired to another compartment than the schema's" \
	'.compartments.app.imports += [{"kind":"call","compartment":"Runtime","export":"dns_resolve"}]' \
	"app's call to dns_resolve goes to Runtime, but the schema assigns dns_resolve to DNS"
refused "a call to an export the compartment does not offer" \
	'.compartments.Runtime.exports -= ["runtime_echo"] | .compartments.Runtime.handlers -= ["runtime_echo"]' \
	'imports runtime_echo from Runtime, which does not export it'
refused "a call into a compartment not in the image" \
	'.compartments.app.imports += [{"kind":"call","compartment":"DNS","export":"dns_resolve"}]' \
	'app imports dns_resolve, which the schema assigns to DNS, and the image has no compartment named DNS'
refused "a compartment renamed in a copy of the image" \
	'.compartments.Runtime2 = .compartments.Runtime | del(.compartments.Runtime)' \
	'Runtime2 declares the export runtime_handle_check, which the schema assigns to Runtime'
refused "a declared export whose handler is removed" \
	'.compartments.Runtime.handlers -= ["runtime_echo"]' \
	'Runtime declares the export runtime_echo but has no handler for it'
refused "an export assigned to the wrong compartment" \
	'.compartments.app.exports += ["runtime_null"] | .compartments.app.handlers += ["runtime_null"]' \
	'app declares the export runtime_null, which the schema assigns to Runtime'
refused "a handler without its export" \
	'.compartments.app.handlers += ["runtime_null"]' \
	'app has a handler for runtime_null but does not declare the export'
jq '.compartments.Resolver = .compartments.DNS | del(.compartments.DNS)' \
	"$build/images/demo.json" >"$tmp/renamed.json"
if out=$("$sealnet" image check "$tmp/renamed.json" 2>&1); then
	fail "the demo with its DNS compartment renamed: accepted"
elif grep -qF "Resolver declares the export dns_resolve, which the schema assigns to DNS" <<<"$out"; then
	pass "the demo with its DNS compartment renamed is refused: $out"
else
	fail "the demo with its DNS compartment renamed: reason was: $out"
fi
if out=$("$sealnet" image build -o "$tmp/misplaced.json" \
	"$build/compartments/misplaced" 2>&1); then
	fail "a binary declaring another compartment's export: image built"
elif grep -qF "misplaced declares the export runtime_null, which the schema assigns to Runtime" <<<"$out"; then
	pass "a binary declaring another compartment's export is refused when the image is built: $out"
else
	fail "a binary declaring another compartment's export: reason was: $out"
fi
refused "an upper-case host" \
	'(.compartments.hostile.imports[] | select(.kind == "connection") | .host) = "Allowed.test"' 'not a lower-case host name'
refused "an unknown syscall" \
	'.compartments.app.sandbox.syscalls += ["no_such_call"]' 'unknown syscall'
refused "a sandbox weaker than sealnet's" \
	'.compartments.app.sandbox.mounts = "host"' 'asks for less isolation'
refused "another schema" \
	'.schema_sha256 = "0000000000000000000000000000000000000000000000000000000000000000"' \
	'was built for schema'
refused "port 0" '(.compartments.hostile.imports[] | select(.kind == "connection") | .port) = 0' 'port 0'

refused "a static address without a prefix" \
	'.network.ipv4 = "10.0.0.5" | .network.gateway = "10.0.0.1"' \
	'network.ipv4: "10.0.0.5" is not ADDRESS/PREFIX'
refused "a static address without a gateway" \
	'.network.ipv4 = "10.0.0.5/24"' 'needs a gateway'
refused "a DNS server that is not an address" \
	'.network.dns = "dns.example"' 'network.dns: "dns.example" is not an address'
expect "without addresses in the image, the audit says DHCP" \
	'{"ipv4":"dhcp","gateway":"dhcp","dns":"dhcp"}' \
	"$("$sealnet" audit "$tmp/image.json" | jq -c .network)"

# A binary without declarations is not a compartment.
if out=$("$sealnet" image build -o "$tmp/x.json" /bin/true 2>&1); then
	fail "a binary without a manifest was accepted"
else
	pass "a binary without a manifest is refused: $out"
fi

# The supervisor checks each binary against its hash before starting.
jq '.compartments.app.binary_sha256 = "'"$(printf '0%.0s' {1..64})"'"' \
	"$tmp/image.json" >"$tmp/tampered.json"
out=$(timeout 10 "$sealnet" run "$tmp/tampered.json" --events "$tmp/tampered.events" 2>&1)
rc=$?
if [ $rc -eq 0 ] || [ $rc -eq 124 ]; then
	fail "a binary that differs from its hash: sealnet run exit $rc: $out"
elif has_event "$tmp/tampered.events" '.event=="started"'; then
	fail "a binary that differs from its hash was started: $(events "$tmp/tampered.events" '.event=="started"')"
elif grep -q 'app: .*refusing to start' <<<"$out"; then
	pass "a binary that differs from its hash is not started (exit $rc): $out"
else
	fail "tampered binary: exit $rc: $out"
fi
finish
