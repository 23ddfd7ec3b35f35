# Questions about a sealnet image, asked of `sealnet audit IMAGE`:
#
#   sealnet audit IMAGE | jq -L audit 'include "network_stack"; QUERY'

# Every import of every compartment, with its owner.
def all_imports:
  [.compartments | to_entries[] | .key as $owner
   | .value.imports[] | . + {owner: $owner}];

# Who may open which connections: [{owner, type, host, port, name}].
def all_connection_capabilities:
  [all_imports[] | select(.kind == "connection") | del(.kind)];

def all_bind_capabilities:
  [all_imports[] | select(.kind == "bind") | del(.kind)];

# Compartments that may call an export whose name matches the regex.
def compartments_calling(export_regex):
  [all_imports[] | select(.kind == "call" and (.export | test(export_regex)))
   | .owner] | unique;

# Compartments that export something matching the regex.
def compartments_exporting(export_regex):
  [.compartments | to_entries[]
   | select(any(.value.exports[]; test(export_regex))) | .key];

def _only(who; export_regex; why):
  compartments_calling(export_regex) - who
  | if length > 0 then
      ["\(join(", ")) may call \(export_regex), but \(why)"]
    else [] end;

# What breaks the network stack's intended shape, one sentence each.
def violations:
  _only(["NetAPI"]; "^firewall_(rule_add|server_port_|dns_lookup_)";
        "only NetAPI opens holes in the firewall")
  + _only(["NetAPI", "TCPIP"]; "^firewall_(rule_remove|rules_clear)$";
          "only NetAPI and TCPIP close them")
  + _only(["TCPIP"]; "^firewall_frame_send$";
          "only TCPIP sends frames")
  + _only(["DNS"]; "^firewall_dns_frame_send$";
          "only DNS sends DNS frames")
  + _only(["Firewall"]; "^(tcpip|dns)_frame_receive$";
          "only the Firewall delivers frames")
  + _only(["NetAPI"]; "^(tcpip_socket_(connect|listen)|dns_resolve)$";
          "sockets and lookups are made through NetAPI, which checks capabilities")
  + ([.compartments | to_entries[] | select(.value.sandbox.device)
      | .key | select(. != "Firewall")]
     | if length > 0 then
         ["\(join(", ")) holds the network device; only the Firewall may"]
       else [] end)
  + ([.compartments | to_entries[] | .key as $c
      | .value.exports[] | select(startswith("firewall_")) | select($c != "Firewall")]
     | if length > 0 then ["firewall exports outside the Firewall: \(join(", "))"]
       else [] end);

# True when the image has the stack's intended call graph.
def valid: violations | length == 0;
