/* Channels between compartments, and the messages that hand them over. */
#include "links.h"

#include <errno.h>
#include <string.h>

#include "control.h"
#include "files.h"
#include "report.h"
#include "sealnet_msg.h"
#include "time_share.h"

/* ---- who is joined to whom ---- */

static bool
imports_from(const struct image_compartment *caller, const char *callee)
{
	for (unsigned i = 0; i < caller->ncalls; i++)
		if (strcmp(caller->calls[i].compartment, callee) == 0)
			return true;
	return false;
}

void
links_plan(struct supervisor *sv)
{
	const struct image *img = sv->img;

	for (unsigned a = 0; a < img->ncompartments; a++)
		for (unsigned b = a + 1; b < img->ncompartments; b++)
			if (imports_from(&img->compartments[a],
					 img->compartments[b].name) ||
			    imports_from(&img->compartments[b],
					 img->compartments[a].name))
				sv->links[sv->nlinks++] =
				    (struct link){.a = a, .b = b};
}

static bool
link_joins(const struct link *l, unsigned self)
{
	return l->a == self || l->b == self;
}

static unsigned
link_side(const struct link *l, unsigned self)
{
	return l->a == self ? 0 : 1;
}

static unsigned
link_other(const struct link *l, unsigned self)
{
	return l->a == self ? l->b : l->a;
}

static void
push_fds(int *fds, unsigned *n, const struct link *l)
{
	fds[(*n)++] = l->fds.shm;
	fds[(*n)++] = l->fds.eventfd[0];
	fds[(*n)++] = l->fds.eventfd[1];
}

/* ---- what a compartment is told about a peer ---- */

static uint32_t
endpoint(sn_builder *b, const uint8_t *address, bool ipv6)
{
	uint32_t ep = sn_endpoint_start(b);

	sn_endpoint_add_family(
	    b, ep, ipv6 ? SN_ADDRESS_FAMILY_IPV6 : SN_ADDRESS_FAMILY_IPV4);
	sn_endpoint_add_address(b, ep, address, ipv6 ? 16 : 4);
	return ep;
}

/* The image's addresses, for TCPIP (the others ignore them). */
static uint32_t
build_network(sn_builder *b, const struct image_network *n)
{
	uint32_t nc = sn_network_config_start(b);

	if (n->static_ipv4) {
		sn_network_config_add_prefix_length(b, nc, n->prefix_length);
		sn_network_config_add_ipv4(b, nc, endpoint(b, n->ipv4, false));
		sn_network_config_add_gateway(b, nc,
					      endpoint(b, n->gateway, false));
	}
	if (n->has_dns)
		sn_network_config_add_dns(b, nc,
					  endpoint(b, n->dns, n->dns_ipv6));
	return nc;
}

/* The exports of `me` that `them` may call. */
static void
build_may_call(sn_builder *b, uint32_t peer, const struct image_compartment *me,
	       const struct image_compartment *them)
{
	unsigned nperm = 0;
	uint32_t vec;

	for (unsigned i = 0; i < them->ncalls; i++)
		nperm += strcmp(them->calls[i].compartment, me->name) == 0;
	vec = sn_boot_peer_start_may_call(b, peer, nperm);
	for (unsigned i = 0, k = 0; i < them->ncalls; i++) {
		if (strcmp(them->calls[i].compartment, me->name) != 0)
			continue;
		uint32_t perm = sn_permission_start(b);
		sn_permission_add_export(b, perm, them->calls[i].export_id);
		sn_builder_set_table_at(b, vec, k++, perm);
	}
}

static unsigned
count_capabilities(const struct image_compartment *c,
		   enum sn_capability_kind kind)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->ncaps; i++)
		n += c->caps[i].cap.kind == kind;
	return n;
}

/* One connection capability, as a peer or its holder is told it. */
static uint32_t
connection_table(sn_builder *b, const struct sn_capability *c)
{
	uint32_t t = sn_connection_capability_start(b);

	sn_connection_capability_add_protocol(b, t, c->protocol);
	sn_connection_capability_add_host(b, t, c->host, strlen(c->host));
	sn_connection_capability_add_port(b, t, c->port);
	if (c->identity[0])
		sn_connection_capability_add_identity(b, t, c->identity,
						      strlen(c->identity));
	if (c->mqtt_version)
		sn_connection_capability_add_mqtt(
		    b, t, sn_capability_mqtt_build(b, c));
	return t;
}

/* The static capabilities `them` holds: whom it may connect to, which
 * ports it may serve. */
static void
build_capabilities(sn_builder *b, uint32_t peer,
		   const struct image_compartment *them)
{
	uint32_t conns = sn_boot_peer_start_connections(
	    b, peer, count_capabilities(them, SN_CAPABILITY_CONNECTION));
	for (unsigned i = 0, k = 0; i < them->ncaps; i++) {
		const struct sn_capability *c = &them->caps[i].cap;
		if (c->kind != SN_CAPABILITY_CONNECTION)
			continue;
		sn_builder_set_table_at(b, conns, k++, connection_table(b, c));
	}
	uint32_t binds = sn_boot_peer_start_binds(
	    b, peer, count_capabilities(them, SN_CAPABILITY_BIND));
	for (unsigned i = 0, k = 0; i < them->ncaps; i++) {
		const struct sn_capability *c = &them->caps[i].cap;
		if (c->kind != SN_CAPABILITY_BIND)
			continue;
		uint32_t t = sn_bind_capability_start(b);
		sn_bind_capability_add_port(b, t, c->port);
		sn_bind_capability_add_max_connections(b, t,
						       c->max_connections);
		sn_bind_capability_add_ipv6(b, t, c->ipv6);
		sn_builder_set_table_at(b, binds, k++, t);
	}
}

/* Whether `them` imports an export of `target` that takes delegated
 * sockets: then it may hand its sockets to `target`. */
static bool
may_delegate_to(const struct image_compartment *them,
		const struct image_compartment *target)
{
	for (unsigned i = 0; i < them->ncalls; i++) {
		const sn_export_info *e =
		    sn_export_info_get(them->calls[i].export_id);

		if (strcmp(them->calls[i].compartment, target->name) != 0 ||
		    e == NULL)
			continue;
		for (unsigned r = 0; e->roles[r] != NULL; r++)
			if (strcmp(e->roles[r], "takes_delegated_sockets") ==
				0 ||
			    strcmp(e->roles[r], "takes_delegated_sessions") ==
				0)
				return true;
	}
	return false;
}

/* The compartments `them` may hand its sockets to, from its imports. */
static void
build_delegations(const struct supervisor *sv, sn_builder *b, uint32_t peer,
		  const struct image_compartment *them)
{
	const struct image *img = sv->img;
	unsigned n = 0;
	uint32_t vec;

	for (unsigned i = 0; i < img->ncompartments; i++)
		n += may_delegate_to(them, &img->compartments[i]);
	if (n == 0)
		return;
	if (n > SN_MAX_DELEGATES)
		n = SN_MAX_DELEGATES;
	vec = sn_boot_peer_start_delegates_to(b, peer, n);
	for (unsigned i = 0, k = 0; i < img->ncompartments && k < n; i++) {
		const struct image_compartment *t = &img->compartments[i];

		if (!may_delegate_to(them, t))
			continue;
		uint32_t name = sn_compartment_name_start(b);
		sn_compartment_name_add_name(b, name, t->name, strlen(t->name));
		sn_builder_set_table_at(b, vec, k++, name);
	}
}

/* The peer entry that tells compartment `self` about its link to
 * `other`. */
static uint32_t
build_peer(const struct supervisor *sv, sn_builder *b, unsigned self,
	   unsigned other, unsigned side)
{
	const struct image_compartment *me = sv->child[self].ic;
	const struct image_compartment *them = sv->child[other].ic;
	uint32_t peer = sn_boot_peer_start(b);

	sn_boot_peer_add_name(b, peer, them->name, strlen(them->name));
	sn_boot_peer_add_side(b, peer, (uint8_t)side);
	sn_boot_peer_add_sockets(b, peer, (uint32_t)them->quota[QUOTA_SOCKETS]);
	sn_boot_peer_add_buffered_bytes(
	    b, peer, (uint32_t)them->quota[QUOTA_BUFFERED_BYTES]);
	sn_boot_peer_add_tls_sessions(
	    b, peer, (uint32_t)them->quota[QUOTA_TLS_SESSIONS]);
	sn_boot_peer_add_mqtt_connections(
	    b, peer, (uint32_t)them->quota[QUOTA_MQTT_CONNECTIONS]);
	build_may_call(b, peer, me, them);
	build_capabilities(b, peer, them);
	build_delegations(sv, b, peer, them);
	return peer;
}

/* The compartment's own connection capabilities: an SNTP compartment
 * learns its time servers from them. */
static void
build_own_connections(sn_builder *b, uint32_t boot,
		      const struct image_compartment *me)
{
	uint32_t vec = sn_boot_start_connections(
	    b, boot, count_capabilities(me, SN_CAPABILITY_CONNECTION));

	for (unsigned i = 0, k = 0; i < me->ncaps; i++) {
		const struct sn_capability *c = &me->caps[i].cap;
		if (c->kind != SN_CAPABILITY_CONNECTION)
			continue;
		sn_builder_set_table_at(b, vec, k++, connection_table(b, c));
	}
}

/* ---- the messages ---- */

/* The image's files, each a sealed memfd after the channels'. */
static void
add_files(const struct supervisor *sv, const struct child *ch, sn_builder *b,
	  uint32_t boot, int *fds, unsigned *nfds)
{
	unsigned n = 0, k = 0;

	for (unsigned i = 0; i < sv->nfiles; i++)
		n += files_give(sv, ch, &sv->files[i]);
	uint32_t vec = sn_boot_start_files(b, boot, n);
	for (unsigned i = 0; i < sv->nfiles; i++) {
		const struct boot_file *f = &sv->files[i];

		if (!files_give(sv, ch, f))
			continue;
		uint32_t t = sn_boot_file_start(b);
		sn_boot_file_add_name(b, t, f->name, strlen(f->name));
		sn_boot_file_add_sha256(b, t, f->sha256, sizeof(f->sha256));
		sn_builder_set_table_at(b, vec, k++, t);
		fds[(*nfds)++] = f->fd;
	}
}

int
send_boot(struct supervisor *sv, unsigned self)
{
	static _Alignas(8) uint8_t buf[SN_MAX_MESSAGE];
	struct child *ch = &sv->child[self];
	int fds[SN_MAX_CONTROL_FDS];
	unsigned nfds = 0, npeers = 0, k = 0;
	uint8_t time_access;
	int time_fd = time_share_fd(sv, self, &time_access);
	uint32_t msg, boot, vec;
	sn_builder b;
	size_t len;

	for (unsigned i = 0; i < sv->nlinks; i++)
		npeers += link_joins(&sv->links[i], self);
	sn_builder_init(&b, buf, sizeof(buf));
	msg = sn_message_start(&b);
	sn_message_add_call_id(&b, msg, ch->incarnation);
	sn_message_add_call_type(&b, msg, SN_CALL_TYPE_REQUEST);
	sn_message_add_export(&b, msg, SN_EXPORT_COMPARTMENT_BOOT);
	boot = sn_boot_start(&b);
	sn_boot_add_compartment(&b, boot, ch->ic->name, strlen(ch->ic->name));
	sn_boot_add_incarnation(&b, boot, ch->incarnation);
	sn_boot_add_hardware_address(&b, boot, sv->hardware_address,
				     sizeof(sv->hardware_address));
	sn_boot_add_device_offloads(&b, boot, sv->device_offloads);
	if (sv->img->network.static_ipv4 || sv->img->network.has_dns)
		sn_boot_add_network(&b, boot,
				    build_network(&b, &sv->img->network));
	vec = sn_boot_start_peers(&b, boot, npeers);
	for (unsigned i = 0; i < sv->nlinks; i++) {
		struct link *l = &sv->links[i];

		if (!link_joins(l, self))
			continue;
		sn_builder_set_table_at(&b, vec, k++,
					build_peer(sv, &b, self,
						   link_other(l, self),
						   link_side(l, self)));
		push_fds(fds, &nfds, l);
	}
	if (files_for(sv, ch))
		add_files(sv, ch, &b, boot, fds, &nfds);
	build_own_connections(&b, boot, ch->ic);
	/* The shared time record's descriptor goes last. */
	if (time_fd >= 0) {
		sn_boot_add_time_record(&b, boot, time_access);
		fds[nfds++] = time_fd;
	}
	sn_message_add_body(&b, msg, SN_BODY_BOOT, boot);
	if (sn_builder_finish(&b, msg, &len) < 0)
		return -ENOBUFS;
	return control_send(sv, ch, buf, len, fds, nfds);
}

static int
send_peer_restarted(struct supervisor *sv, unsigned self, const struct link *l)
{
	static _Alignas(8) uint8_t buf[SN_MAX_MESSAGE];
	unsigned other = link_other(l, self);
	int fds[FDS_PER_LINK];
	unsigned nfds = 0;
	uint32_t msg, body;
	sn_builder b;
	size_t len;

	sn_builder_init(&b, buf, sizeof(buf));
	msg = sn_message_start(&b);
	sn_message_add_call_id(&b, msg, sv->child[other].incarnation);
	sn_message_add_call_type(&b, msg, SN_CALL_TYPE_REQUEST);
	sn_message_add_export(&b, msg, SN_EXPORT_COMPARTMENT_PEER_RESTARTED);
	body = sn_peer_restarted_start(&b);
	sn_peer_restarted_add_incarnation(&b, body,
					  sv->child[other].incarnation);
	sn_peer_restarted_add_peer(
	    &b, body, build_peer(sv, &b, self, other, link_side(l, self)));
	sn_message_add_body(&b, msg, SN_BODY_PEER_RESTARTED, body);
	if (sn_builder_finish(&b, msg, &len) < 0)
		return -ENOBUFS;
	push_fds(fds, &nfds, l);
	return control_send(sv, &sv->child[self], buf, len, fds, nfds);
}

/* ---- opening and closing ---- */

int
links_open(struct supervisor *sv, unsigned self)
{
	for (unsigned i = 0; i < sv->nlinks; i++) {
		struct link *l = &sv->links[i];
		unsigned other;
		int rc;

		if (!link_joins(l, self) || l->open)
			continue;
		rc = sn_channel_create(CHANNEL_RING_BYTES, &l->fds);
		if (rc < 0)
			return rc;
		l->open = true;
		/* A peer that is running learns of the new channel now; one
		 * that is not gets it in its boot message. */
		other = link_other(l, self);
		if (sv->child[other].state == CHILD_RUNNING &&
		    (rc = send_peer_restarted(sv, other, l)) < 0 &&
		    rc != -ENOBUFS)
			say("%s: could not hand over the new channel to %s: %s",
			    sv->child[other].ic->name, sv->child[self].ic->name,
			    strerror(-rc));
	}
	return 0;
}

void
links_close(struct supervisor *sv, unsigned self)
{
	for (unsigned i = 0; i < sv->nlinks; i++) {
		struct link *l = &sv->links[i];

		int rc;

		if (!link_joins(l, self) || !l->open)
			continue;
		rc = sn_channel_mark_dead(&l->fds);
		if (rc < 0)
			say("%s: its channel to %s could not be marked dead "
			    "(%s): calls in flight wait for their deadlines",
			    sv->child[self].ic->name,
			    sv->child[link_other(l, self)].ic->name,
			    strerror(-rc));
		sn_channel_fds_close(&l->fds);
		l->open = false;
	}
}
