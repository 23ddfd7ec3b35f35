# Questions about a sealnet image, asked of `sealnet audit IMAGE`:
#
#   sealnet audit IMAGE | jq -L audit 'include "network_stack"; QUERY'

# Every import of every compartment, with its owner.
def all_imports:
  [.compartments | to_entries[] | .key as $owner
   | .value.imports[] | . + {owner: $owner}];

# Every call an image allows: {owner, compartment, export, roles}.  The
# roles are what the schema's `sealnet_role` says the export does.
def all_calls:
  [all_imports[] | select(.kind == "call")];

# Who may open which connections: [{owner, type, host, port, name}].
def all_connection_capabilities:
  [all_imports[] | select(.kind == "connection") | del(.kind)];

def all_bind_capabilities:
  [all_imports[] | select(.kind == "bind") | del(.kind)];

# Compartments that may call an export whose name matches the regex.
def compartments_calling(export_regex):
  [all_calls[] | select(.export | test(export_regex)) | .owner] | unique;

# Compartments that may call an export with the given role, such as
# "opens_holes" (the schema lists the roles).
def compartments_calling_role(role):
  [all_calls[] | select((.roles // []) | index([role]) != null) | .owner]
  | unique;

# Compartments that export something matching the regex.
def compartments_exporting(export_regex):
  [.compartments | to_entries[]
   | select(any(.value.exports[]; test(export_regex))) | .key];

def _has(role): index([role]) != null;

# ---- TLS ----

# The trust anchors the image gives its TLS compartment: {path, sha256},
# or null in an image without one.
def tls_trust_anchors: .tls.trust_anchors;

# The compartments that take sockets or TLS sessions others delegate to
# them (TLS, MQTT).
def _takes_delegated: _has("takes_delegated_sockets") or _has("takes_delegated_sessions");
def _delegates:
  [all_calls[] | select((.roles // []) | _takes_delegated)
   | .compartment] | unique;

# Who may create TLS sessions, to which hosts, with which identities:
# one entry per TCP connection capability of each compartment that may
# call an export taking delegated sockets, with its tls_sessions quota.
def tls_sessions:
  compartments_calling_role("takes_delegated_sockets") as $callers
  | [.compartments | to_entries[] | .key as $owner
     | select($callers | index([$owner]) != null)
     | .value.quotas.tls_sessions as $quota
     | .value.imports[] | select(.kind == "connection" and .type == "TCP")
     | {owner: $owner, host, port, identity: (.identity // null),
        tls_sessions: $quota}];

# Which compartment may present which client identity, and where.
def tls_identities:
  [all_connection_capabilities[] | select(.identity != null)
   | {identity, owner, host, port}];

# ---- MQTT ----

# Who may talk to which broker, how, and under which topics: one entry
# per MQTT capability, {owner, host, port, version, transport,
# credentials (a name or null), publish, subscribe}.
def all_mqtt_capabilities:
  [all_connection_capabilities[] | select(.mqtt != null)
   | {owner, host, port, version: .mqtt.version,
      transport: .mqtt.transport, credentials: (.mqtt.credentials // null),
      publish: .mqtt.publish, subscribe: .mqtt.subscribe}];

# The credentials files the image gives the MQTT compartment:
# [{name, path, sha256}].
def mqtt_credentials: .mqtt.credentials // [];

# Whether every topic that the topic filter $inner stands for (a topic
# name stands for itself) is matched by the filter $outer, as the MQTT
# compartment decides what a capability grants (section 4.7 of both
# specifications: "+" is one level, an empty one too; "#" is the parent
# level and all below; a filter that begins with a wildcard matches no
# topic that begins with "$").
def mqtt_topic_within($inner; $outer):
  # A "#" whose parent would be the empty topic, which no topic is ("#",
  # "/#"), stands for what "+/#" there does.
  ($inner | split("/")
   | if .[-1] == "#" and (.[:-1] | join("/")) == "" then .[:-1] + ["+", "#"]
     else . end) as $i
  | ($outer | split("/")) as $o
  | def w($k):
      if $k == ($o | length) then $k == ($i | length)
      elif $o[$k] == "#" then $k > 0 or ($i[0] | startswith("$") | not)
      elif $k == ($i | length) or $i[$k] == "#" then false
      elif $o[$k] == "+" then
        ($k > 0 or ($i[0] | startswith("$") | not)) and w($k + 1)
      else $i[$k] == $o[$k] and w($k + 1) end;
    w(0);

# Who may publish to a topic (or to every topic of a filter), and who may
# subscribe to a filter (or read a topic): one entry for each capability
# filter that grants it, {owner, host, port, transport, filter}.
def _mqtt_granting(field; $topic):
  [all_mqtt_capabilities[] | . as $c | (.[field] // [])[]
   | select(mqtt_topic_within($topic; .))
   | {owner: $c.owner, host: $c.host, port: $c.port,
      transport: $c.transport, filter: .}];
def mqtt_publishers($topic): _mqtt_granting("publish"; $topic);
def mqtt_subscribers($filter): _mqtt_granting("subscribe"; $filter);

# One sentence for each MQTT capability to a broker without TLS.
def _mqtt_plaintext_violations:
  [all_mqtt_capabilities[] | select(.transport != "tls")
   | "\(.owner) may reach the MQTT broker \(.host):\(.port) in plaintext: its messages\(if .credentials then " and its password" else "" end) cross the network unencrypted"];

# One sentence per way sockets could be delegated wrongly: to no one the
# delegator calls, on by a delegate, or to a delegate that holds
# capabilities of its own (it must reach only what it is handed).
def _delegation_violations:
  _delegates as $delegates
  | (compartments_calling_role("takes_delegated_sockets")
     + compartments_calling_role("takes_delegated_sessions") | unique) as $callers
  | [all_calls[] | select((.roles // []) | _has("delegates_sockets") or _has("delegates_sessions"))]
  | group_by(.owner)
  | map(.[0].owner as $o | map(.export) | unique | join(", ") as $e
        | if ($delegates | index([$o])) != null then
            "\($o) may call \($e), but a compartment that takes delegated sockets passes none on"
          elif ($callers | index([$o])) == null then
            "\($o) may call \($e), but imports no export that takes delegated sockets: it has no one to hand them to"
          else empty end);

def _delegate_capabilities:
  _delegates as $delegates
  | [.compartments | to_entries[] | .key as $k
     | select($delegates | index([$k]) != null)
     | select(any(.value.imports[]; .kind == "connection" or .kind == "bind"))
     | "\(.key) holds capabilities, but a compartment that takes delegated sockets opens no connection of its own"];

# ---- network time ----

# Who maps the shared time record, and how: the compartments that read it
# (they import sntp_time_get) and the one that writes it (SNTP).  sealnet
# derives `shared_memory` from the image; the image file does not carry it.
def _time_record(access):
  [.compartments | to_entries[]
   | select(any(.value.shared_memory[]?;
                .name == "time_record" and .access == access))
   | .key];
def time_record_readers: _time_record("read");
def time_record_writers: _time_record("write");

# The time servers the image grants: the writer's connection capabilities,
# [{owner, host, port, use}], where use is "NTP" (UDP) or "NTS-KE" (TCP).
def time_servers:
  time_record_writers as $w
  | [all_connection_capabilities[] | select(.owner as $o | $w | index([$o]) != null)
     | {owner, host, port, use: (if .type == "TCP" then "NTS-KE" else "NTP" end)}];

# With an NTS-KE server in the image, unauthenticated time is never used.
def nts_required: any(time_servers[]; .use == "NTS-KE");

# The time TLS checks certificate dates at: "nts" when it maps the time
# record and SNTP has an NTS server (the system clock until SNTP has
# synchronised), else "system_clock": TLS never takes plain NTP time,
# which anyone on the path can forge.
def tls_certificate_time:
  if (time_record_readers | index(["TLS"])) != null and nts_required
  then "nts" else "system_clock" end;

# One sentence per compartment outside `who` that may call an export whose
# roles pass `roles_test`, naming the exports.
def _only(who; roles_test; why):
  [all_calls[] | .owner as $o | select(who | index([$o]) == null)
   | select(.roles // [] | roles_test)]
  | group_by(.owner)
  | map("\(.[0].owner) may call \(map(.export) | unique | join(", ")), but \(why)");

# What breaks the network stack's intended shape, one sentence each.
def violations:
  # An audit from a sealnet that does not say what each export does
  # cannot be judged by role: that is a violation, not a pass.
  ([all_calls[] | select(has("roles") | not) | .export] | unique
   | if length > 0 then
       ["the audit does not say what \(join(", ")) do: audit with this sealnet"]
     else [] end)
  + _only(["NetAPI"]; _has("opens_holes");
          "only NetAPI opens holes in the firewall")
  + _only(["NetAPI", "TCPIP"]; _has("closes_holes");
          "only NetAPI and TCPIP close them")
  + _only(["NetAPI"]; _has("closes_holes") and (_has("connection_holes") | not);
          "TCPIP closes only a connection's holes, when lwIP is done with it; NetAPI closes the rest")
  + _only(["TCPIP"]; _has("gates_holes");
          "only TCPIP, which holds the listeners, says whether a server port NetAPI opened takes new connections")
  + _only(["TCPIP"]; _has("sends_frames");
          "only TCPIP sends frames")
  + _only(["DNS"]; _has("sends_dns_frames");
          "only DNS sends DNS frames")
  + _only(["Firewall"]; _has("delivers_frames");
          "only the Firewall delivers frames")
  + _only(["NetAPI"]; _has("trusts_caller");
          "sockets and lookups are made through NetAPI, which checks capabilities")
  + _delegation_violations
  + _delegate_capabilities
  + _mqtt_plaintext_violations
  + (time_record_writers
     | if length > 1 then
         ["\(join(", ")) all write the shared time record; one compartment may"]
       else [] end)
  + (time_record_writers as $sntp
     | _only($sntp; _has("exports_keying_material");
             "only the SNTP compartment derives keys from a TLS session, for NTS"))
  + ([.compartments | to_entries[] | select(.value.sandbox.device)
      | .key | select(. != "Firewall")]
     | if length > 0 then
         ["\(join(", ")) holds the network device; only the Firewall may"]
       else [] end)
  + ([.compartments | to_entries[] | .key as $c
      | .value.exports[] | select(startswith("firewall_")) | select($c != "Firewall")]
     | if length > 0 then ["firewall exports outside the Firewall: \(join(", "))"]
       else [] end)
  # sealnet itself names the syscalls that reach outside a sandbox; an
  # audit without that list cannot be judged either.
  + [.compartments | to_entries[]
     | if (.value.sandbox | has("dangerous_syscalls") | not) then
         "the audit does not say which of \(.key)'s syscalls are dangerous: audit with this sealnet"
       elif (.value.sandbox.dangerous_syscalls | length) > 0 then
         "\(.key) may call \(.value.sandbox.dangerous_syscalls | join(", ")), which reach outside its sandbox"
         + (if .value.sandbox.allow_dangerous_syscalls
            then " (the image was built with --allow-dangerous-syscalls)"
            else "" end)
       else empty end];

# True when the image has the stack's intended call graph and no
# compartment may reach outside its sandbox.
def valid: violations | length == 0;
