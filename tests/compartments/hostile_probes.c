#include "hostile_probes.h"

#include <errno.h>
#include <string.h>

#include "log.h"
#include "waiting.h"

static _Alignas(8) uint8_t reply_buffer[SN_MAX_MESSAGE];

const char *
hostile_said(int rc)
{
	return rc == 0 ? "ok" : strerror(-rc);
}

static int
call_within(struct sn_compartment *c, uint16_t export_id, uint8_t body_type,
	    uint32_t body, uint64_t timeout, sn_message_ref *reply)
{
	return sn_call(sn_export_peer(c, export_id), export_id, body_type, body,
		       timeout, reply_buffer, sizeof(reply_buffer), reply);
}

int
hostile_call(struct sn_compartment *c, uint16_t export_id, uint8_t body_type,
	     uint32_t body, sn_message_ref *reply)
{
	return call_within(c, export_id, body_type, body, HOSTILE_TIMEOUT,
			   reply);
}

uint32_t
hostile_capability(sn_builder *b, uint8_t protocol, const char *host,
		   uint16_t port)
{
	uint32_t cap = sn_connection_capability_start(b);

	sn_connection_capability_add_protocol(b, cap, protocol);
	sn_connection_capability_add_host(b, cap, host, strlen(host));
	sn_connection_capability_add_port(b, cap, port);
	return cap;
}

int
hostile_connect_with(struct sn_compartment *c, const char *host, uint16_t port,
		     uint64_t timeout)
{
	sn_builder *b = sn_call_builder(c);
	uint32_t body = sn_connect_start(b);

	sn_connect_add_capability(
	    b, body, hostile_capability(b, SN_PROTOCOL_TCP, host, port));
	return call_within(c, SN_EXPORT_NETWORK_SOCKET_CONNECT_TCP,
			   SN_BODY_CONNECT, body, timeout, NULL);
}

void
hostile_udp_attempts(struct sn_compartment *c, const char *owner,
		     const char *host, uint16_t port)
{
	sn_builder *b = sn_call_builder(c);
	uint32_t body = sn_socket_listen_start(b);
	sn_message_ref m;
	sn_handle udp;
	int rc;

	sn_socket_listen_add_owner(b, body, owner, strlen(owner));
	rc = hostile_call(c, SN_EXPORT_NETWORK_SOCKET_UDP,
			  SN_BODY_SOCKET_LISTEN, body, &m);
	if (rc < 0) {
		sn_log("RESULT hostile udp socket: %s", hostile_said(rc));
		return;
	}
	sn_socket_created_socket(sn_message_body_as_socket_created(m), &udp);
	b = sn_call_builder(c);
	body = sn_send_start(b);
	uint32_t to = sn_endpoint_start(b);
	sn_endpoint_add_family(b, to, SN_ADDRESS_FAMILY_IPV4);
	sn_endpoint_add_address(b, to, (const uint8_t[]){10, 0, 0, 1}, 4);
	sn_endpoint_add_port(b, to, port);
	sn_send_add_socket(b, body, &udp);
	sn_send_add_data(b, body, "hostile-udp", 11);
	sn_send_add_to(b, body, to);
	rc = hostile_call(c, SN_EXPORT_NETWORK_SOCKET_SEND_TO, SN_BODY_SEND,
			  body, NULL);
	sn_log("RESULT hostile udp send_to without a hole: %s",
	       hostile_said(rc));
	b = sn_call_builder(c);
	body = sn_udp_authorise_start(b);
	sn_udp_authorise_add_socket(b, body, &udp);
	sn_udp_authorise_add_capability(
	    b, body, hostile_capability(b, SN_PROTOCOL_UDP, host, port));
	rc = hostile_call(c, SN_EXPORT_NETWORK_SOCKET_UDP_AUTHORISE_HOST,
			  SN_BODY_UDP_AUTHORISE, body, NULL);
	sn_log("RESULT hostile udp hole with the caller's host: %s",
	       hostile_said(rc));
}

void
hostile_keep(struct hostile_presented slots[HOSTILE_PRESENTED_MAX],
	     struct sn_incoming *in, sn_connection_capability_ref cap,
	     const sn_handle *handle)
{
	uint32_t len;
	const char *host = sn_connection_capability_host(cap, &len);

	for (unsigned i = 0; i < HOSTILE_PRESENTED_MAX; i++) {
		struct hostile_presented *p = &slots[i];

		if (p->waiting)
			continue;
		if (len >= sizeof(p->host))
			break;
		memcpy(p->host, host, len);
		p->host[len] = 0;
		p->port = sn_connection_capability_port(cap);
		p->handle = *handle;
		sn_defer(in, &p->d);
		p->waiting = true;
		return;
	}
	sn_reply_error(in, -EBUSY);
}

int
hostile_serve(struct sn_compartment *c,
	      struct hostile_presented slots[HOSTILE_PRESENTED_MAX],
	      void (*attack)(struct hostile_presented *p))
{
	for (;;) {
		int rc = sn_compartment_serve_step(c);

		if (rc < 0)
			return rc;
		for (unsigned i = 0; i < HOSTILE_PRESENTED_MAX; i++) {
			if (!slots[i].waiting)
				continue;
			attack(&slots[i]);
			/* A refusal that reaches no one (the caller has
			 * gone) leaves nothing to undo. */
			(void)sn_deferred_error(&slots[i].d, -EACCES);
			slots[i].waiting = false;
		}
	}
}

void
hostile_parked_answer(void *ctx, int status, const sn_message_ref *reply)
{
	*(int *)ctx = status;
}

unsigned
hostile_still_parked(const int *status, unsigned n)
{
	unsigned parked = 0;

	for (unsigned i = 0; i < n; i++)
		parked += status[i] == HOSTILE_NOT_YET;
	return parked;
}

static void
flood_answer(void *ctx, int status, const sn_message_ref *reply)
{
	struct hostile_flood_kind *kind = ctx;
	struct hostile_flood *f = kind->flood;

	f->in_flight--;
	kind->answered++;
	if (status == kind->expected ||
	    (kind->has_also && status == kind->also)) {
		kind->as_expected++;
		return;
	}
	if (f->unexpected++ == 0) {
		f->first_unexpected_kind = (int)(kind - f->kinds);
		f->first_unexpected_status = status;
	}
}

/* How many calls were sent, or the error sending one. */
static int64_t
flood_run(struct sn_compartment *c, struct hostile_flood *f,
	  hostile_flood_send *send, uint64_t drain_ns)
{
	uint64_t end = sn_now_ns() + HOSTILE_FLOOD_FOR;
	int64_t sent = 0;

	if (f->nkinds == 0 || f->nkinds > HOSTILE_FLOOD_KINDS_MAX)
		return -EINVAL;
	f->in_flight = f->unexpected = 0;
	f->first_unexpected_kind = -1;
	for (unsigned k = 0; k < f->nkinds; k++) {
		f->kinds[k].answered = f->kinds[k].as_expected = 0;
		f->kinds[k].flood = f;
	}
	while (sn_now_ns() < end) {
		while (f->in_flight < HOSTILE_FLOOD_DEPTH) {
			unsigned k = (unsigned)(sent % f->nkinds);
			int rc = send(k, (unsigned)(sent / f->nkinds),
				      flood_answer, &f->kinds[k]);

			if (rc < 0)
				return rc;
			f->in_flight++;
			sent++;
		}
		sn_loop_run_once(&c->loop, end);
	}
	end = sn_now_ns() + drain_ns;
	while (f->in_flight > 0 && sn_now_ns() < end)
		sn_loop_run_once(&c->loop, end);
	return sent;
}

static void
flood_report(const struct hostile_flood *f, int64_t sent)
{
	uint64_t total = 0;

	if (sent < 0) {
		sn_log("RESULT hostile flood: a call could not be sent: %s",
		       strerror((int)-sent));
		return;
	}
	for (unsigned k = 0; k < f->nkinds; k++)
		total += f->kinds[k].answered;
	sn_log("RESULT hostile flood: %lld calls sent, %llu answered, %llu "
	       "not as documented",
	       (long long)sent, (unsigned long long)total,
	       (unsigned long long)f->unexpected);
	for (unsigned k = 0; k < f->nkinds; k++)
		sn_log("RESULT hostile flood %s: %llu of %llu answered %s%s%s",
		       f->kinds[k].name,
		       (unsigned long long)f->kinds[k].as_expected,
		       (unsigned long long)f->kinds[k].answered,
		       hostile_said(f->kinds[k].expected),
		       f->kinds[k].has_also ? " or " : "",
		       f->kinds[k].has_also ? hostile_said(f->kinds[k].also)
					    : "");
	if (f->first_unexpected_kind >= 0)
		sn_log("RESULT hostile flood: first answer not as documented: "
		       "%s got %s",
		       f->kinds[f->first_unexpected_kind].name,
		       hostile_said(f->first_unexpected_status));
}

void
hostile_flood(struct sn_compartment *c, struct hostile_flood *f,
	      hostile_flood_send *send, uint64_t drain_ns)
{
	sn_log("RESULT hostile flooding");
	flood_report(f, flood_run(c, f, send, drain_ns));
}

struct sn_peer *
hostile_begin(uint16_t export_id, const char *service,
	      const struct sealnet_declaration *go)
{
	struct sn_compartment *self;
	struct sn_peer *peer;

	if (sealnet_start() < 0 || network_start(30 * SN_SECOND) < 0) {
		sn_log("RESULT hostile: no network");
		return NULL;
	}
	self = sn_compartment_self();
	peer = self ? sn_export_peer(self, export_id) : NULL;
	if (peer == NULL || waiting_for_go(go) < 0) {
		sn_log("RESULT hostile: no %s, or no go", service);
		return NULL;
	}
	sn_log("RESULT hostile incarnation %u begins",
	       (unsigned)sealnet_incarnation());
	return peer;
}

void
hostile_hold(struct sn_compartment *c)
{
	for (;;)
		sn_loop_run_once(&c->loop, 0);
}
