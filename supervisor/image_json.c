/* The image and its audit view, written as JSON. */
#include "image.h"
#include "image_private.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static json_t *
capability_json(const struct image_capability *ic)
{
	const struct sn_capability *c = &ic->cap;

	if (c->kind == SN_CAPABILITY_CONNECTION) {
		json_t *o =
		    json_pack("{s:s, s:s, s:s, s:s, s:i}", "kind", "connection",
			      "name", ic->name, "type",
			      c->protocol == SN_PROTOCOL_TCP ? "TCP" : "UDP",
			      "host", c->host, "port", (json_int_t)c->port);

		/* Only when there is one: most capabilities present none. */
		if (c->identity[0])
			json_object_set_new(o, "identity",
					    json_string(c->identity));
		if (c->mqtt_version)
			json_object_set_new(o, "mqtt",
					    image_mqtt_grant_json(c));
		return o;
	}
	return json_pack("{s:s, s:s, s:i, s:i, s:b}", "kind", "bind", "name",
			 ic->name, "port", (json_int_t)c->port,
			 "max_connections", (json_int_t)c->max_connections,
			 "ipv6", c->ipv6);
}

/* What the schema says the export does, for the audit's policy. */
static json_t *
roles_json(uint16_t export_id)
{
	const sn_export_info *e = sn_export_info_get(export_id);
	json_t *roles = json_array();

	for (unsigned i = 0; e != NULL && e->roles[i] != NULL; i++)
		json_array_append_new(roles, json_string(e->roles[i]));
	return roles;
}

static json_t *
compartment_json(const struct image_compartment *c, bool audit_view)
{
	json_t *o = json_object(), *exports = json_array(),
	       *handlers = json_array(), *imports = json_array(),
	       *quotas = json_object(), *syscalls = json_array();

	json_object_set_new(o, "binary", json_string(c->binary));
	json_object_set_new(o, "binary_sha256", json_string(c->sha256));
	for (unsigned i = 0; i < c->nexports; i++)
		json_array_append_new(
		    exports, json_string(sn_export_name(c->exports[i])));
	for (unsigned i = 0; i < c->nhandlers; i++)
		json_array_append_new(
		    handlers, json_string(sn_export_name(c->handlers[i])));
	json_object_set_new(o, "exports", exports);
	json_object_set_new(o, "handlers", handlers);
	for (unsigned i = 0; i < c->ncalls; i++) {
		json_t *call =
		    json_pack("{s:s, s:s, s:s}", "kind", "call", "compartment",
			      c->calls[i].compartment, "export",
			      sn_export_name(c->calls[i].export_id));

		/* Roles come from this sealnet's schema, not from the image
		 * file, so the file does not carry them. */
		if (audit_view)
			json_object_set_new(call, "roles",
					    roles_json(c->calls[i].export_id));
		json_array_append_new(imports, call);
	}
	for (unsigned i = 0; i < c->ncaps; i++)
		json_array_append_new(imports, capability_json(&c->caps[i]));
	json_object_set_new(o, "imports", imports);
	for (int q = 0; q < QUOTA_COUNT; q++)
		json_object_set_new(quotas, image_quota_names[q],
				    json_integer((json_int_t)c->quota[q]));
	json_object_set_new(o, "quotas", quotas);
	json_object_set_new(
	    o, "restart",
	    json_pack("{s:s, s:i}", "policy", image_restart_names[c->restart],
		      "max_restarts_per_minute", (json_int_t)c->max_restarts));
	for (unsigned i = 0; i < c->nsyscalls; i++)
		json_array_append_new(syscalls, json_string(c->syscalls[i]));
	json_t *sandbox = json_pack(
	    "{s:o, s:s, s:b, s:s, s:s, s:b, s:b}", "syscalls", syscalls,
	    "network", c->device ? "device" : "none", "device", c->device,
	    "mounts", "empty", "user", "unprivileged", "no_new_privs", 1,
	    "allow_dangerous_syscalls", c->allow_dangerous_syscalls);
	/* Derived from the syscalls by this sealnet, for the policy; the
	 * image file does not carry it. */
	if (audit_view) {
		json_t *dangerous = json_array();

		for (unsigned i = 0; i < c->nsyscalls; i++)
			if (image_syscall_danger(c->syscalls[i]) != NULL)
				json_array_append_new(
				    dangerous, json_string(c->syscalls[i]));
		json_object_set_new(sandbox, "dangerous_syscalls", dangerous);
	}
	json_object_set_new(o, "sandbox", sandbox);
	return o;
}

int
image_network_set(struct image_network *n, const char *ipv4,
		  const char *gateway, const char *dns, char *err,
		  size_t errlen)
{
	if ((ipv4 == NULL) != (gateway == NULL))
		return image_fail(
		    err, errlen,
		    "network: a static address needs a gateway, and "
		    "a gateway an address");
	if (ipv4 != NULL) {
		char addr[INET_ADDRSTRLEN];
		const char *slash = strchr(ipv4, '/');
		char *end;
		long prefix;

		if (slash == NULL || (size_t)(slash - ipv4) >= sizeof(addr))
			return image_fail(err, errlen,
					  "network.ipv4: \"%s\" is not "
					  "ADDRESS/PREFIX",
					  ipv4);
		memcpy(addr, ipv4, (size_t)(slash - ipv4));
		addr[slash - ipv4] = 0;
		prefix = strtol(slash + 1, &end, 10);
		if (inet_pton(AF_INET, addr, n->ipv4) != 1 || *end != 0 ||
		    end == slash + 1 || prefix < 1 || prefix > 32)
			return image_fail(err, errlen,
					  "network.ipv4: \"%s\" is not "
					  "ADDRESS/PREFIX",
					  ipv4);
		if (inet_pton(AF_INET, gateway, n->gateway) != 1)
			return image_fail(
			    err, errlen,
			    "network.gateway: \"%s\" is not an IPv4 "
			    "address",
			    gateway);
		n->prefix_length = (uint8_t)prefix;
		n->static_ipv4 = true;
	}
	if (dns != NULL) {
		if (inet_pton(AF_INET, dns, n->dns) == 1) {
			n->dns_ipv6 = false;
		} else if (inet_pton(AF_INET6, dns, n->dns) == 1) {
			n->dns_ipv6 = true;
		} else {
			return image_fail(
			    err, errlen,
			    "network.dns: \"%s\" is not an address", dns);
		}
		n->has_dns = true;
	}
	return 0;
}

static json_t *
network_json(const struct image_network *n)
{
	json_t *o = json_object();
	char a[INET6_ADDRSTRLEN + 4];

	/* Every key is always there: "dhcp" says where the value comes
	 * from. */
	if (n->static_ipv4) {
		inet_ntop(AF_INET, n->ipv4, a, sizeof(a));
		snprintf(a + strlen(a), sizeof(a) - strlen(a), "/%u",
			 n->prefix_length);
		json_object_set_new(o, "ipv4", json_string(a));
		inet_ntop(AF_INET, n->gateway, a, sizeof(a));
		json_object_set_new(o, "gateway", json_string(a));
	} else {
		json_object_set_new(o, "ipv4", json_string("dhcp"));
		json_object_set_new(o, "gateway", json_string("dhcp"));
	}
	if (n->has_dns)
		inet_ntop(n->dns_ipv6 ? AF_INET6 : AF_INET, n->dns, a,
			  sizeof(a));
	json_object_set_new(o, "dns", json_string(n->has_dns ? a : "dhcp"));
	return o;
}

/* Derived from the imports by this sealnet, like the roles: who maps
 * the shared time record, and how. */
static void
add_shared_memory(json_t *o, const struct image *img,
		  const struct image_compartment *c)
{
	uint8_t access = image_time_record_access(img, c);

	if (access == SN_TIME_RECORD_ACCESS_NONE)
		return;
	json_object_set_new(
	    o, "shared_memory",
	    json_pack("[{s:s, s:s}]", "name", "time_record", "access",
		      access == SN_TIME_RECORD_ACCESS_WRITE ? "write"
							    : "read"));
}

int
image_write(const struct image *img, FILE *out, bool audit_view)
{
	json_t *root = json_object(), *all = json_object();
	int rc;

	if (!audit_view) {
		json_object_set_new(root, "sealnet_image",
				    json_integer(IMAGE_VERSION));
		json_object_set_new(root, "schema_sha256",
				    json_string(img->schema_sha256));
	}
	for (unsigned i = 0; i < img->ncompartments; i++) {
		const struct image_compartment *c = &img->compartments[i];
		json_t *cj = compartment_json(c, audit_view);

		if (audit_view)
			add_shared_memory(cj, img, c);
		json_object_set_new(all, c->name, cj);
	}
	json_object_set_new(root, "compartments", all);
	json_object_set_new(root, "network", network_json(&img->network));
	json_object_set_new(root, "tls", image_tls_json(&img->tls));
	/* Only where there is an MQTT compartment: images without one read
	 * as they always have. */
	if (image_mqtt_compartment(img) != NULL)
		json_object_set_new(root, "mqtt", image_mqtt_json(&img->mqtt));
	rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(root);
	return rc < 0 || ferror(out) ? -1 : 0;
}
