/*
 * The DNS compartment: a stub resolver kept apart from TCPIP, whose only
 * caller is NetAPI.  c-ares builds each query and parses each answer;
 * the queries travel over a UDP socket that TCPIP opens on a random port,
 * with a random id, to the server DHCP gave.
 *
 * A and AAAA are asked at once.  An answer with IPv4 addresses is given
 * as soon as it arrives, whatever happens to the AAAA question, so an
 * IPv4-only name never waits on it; IPv4 addresses are listed before IPv6
 * ones whichever answer came first.  An answer is accepted only from the
 * server's port 53, with one of our ids and our question (dns_answer.h);
 * anything else is dropped and counted.
 */
#include <ares.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <string.h>
#include <sys/random.h>

#include "boot.h"
#include "dns_addresses.h"
#include "dns_answer.h"
#include "dns_ticket.h"
#include "log.h"
#include "sealnet/compartment.h"
#include "sockets.h"

SEALNET_COMPARTMENT("DNS");
SEALNET_IMPORT(tcpip_address_get);
SEALNET_IMPORT(network_socket_udp);
SEALNET_IMPORT(network_socket_send_to);
SEALNET_IMPORT(network_socket_receive_from);
SEALNET_IMPORT(network_socket_close);
SEALNET_RESTART(always, 10);

/* Twice what NetAPI lets one caller have in progress; each lookup's
 * socket counts against this compartment's quota of 16. */
#define MAX_LOOKUPS 16
#define RETRY_NS    (1000 * SN_MS)

enum { Q_A, Q_AAAA, Q_COUNT };

struct lookup {
	bool in_use;
	struct sn_deferred reply;
	char host[SN_HOST_MAX + 1];
	uint8_t family; /* SN_DNS_FAMILY_* */
	uint8_t server[16];
	uint8_t server_family;
	sn_handle socket;
	bool have_socket;
	/* Per question: the query as sent, and what its answer gave. */
	unsigned char *query[Q_COUNT];
	int query_len[Q_COUNT];
	bool asked[Q_COUNT], answered[Q_COUNT];
	struct dns_addresses addrs;
	/* The least TTL of the records the addresses came from. */
	uint32_t ttl;
	char canonical[SN_HOST_MAX + 1];
	uint64_t next_retry_ns;
	unsigned tries;
	int timer;
	/* A receive is outstanding: the slot stays taken until it returns,
	 * so its answer cannot land in a later lookup. */
	bool receiving, finished;
};

static struct sn_compartment compartment;
static struct sn_peer *tcpip;
static struct lookup lookups[MAX_LOOKUPS];
/* Each slot's lookup's ticket, 0 when free: kept apart from the slot,
 * which is zeroed whole when freed. */
static uint32_t tickets[MAX_LOOKUPS];
static uint32_t last_ticket;
_Static_assert(MAX_LOOKUPS <= DNS_TICKET_SLOTS_MAX, "slots outgrow tickets");
static uint64_t dropped_answers;
static struct {
	uint64_t closes_unsent;
} stats;

static uint64_t
remaining(const struct lookup *l)
{
	uint64_t now = sn_now_ns();

	if (l->reply.deadline_ns == 0)
		return 5000 * SN_MS;
	return l->reply.deadline_ns > now ? l->reply.deadline_ns - now : 1;
}

static unsigned
slot_of(const struct lookup *l)
{
	return (unsigned)(l - lookups);
}

/* What every callback of a lookup is given, so that one coming after the
 * lookup ended does not take the slot's next lookup for it. */
static void *
context_of(const struct lookup *l)
{
	return dns_ticket_context(slot_of(l), tickets[slot_of(l)]);
}

/* The lookup a callback was made for, or NULL if it has ended. */
static struct lookup *
lookup_of(void *ctx)
{
	int slot = dns_ticket_slot(ctx, tickets, MAX_LOOKUPS);

	if (slot < 0 || lookups[slot].finished)
		return NULL;
	return &lookups[slot];
}

static void
free_slot(struct lookup *l)
{
	tickets[slot_of(l)] = 0;
	memset(l, 0, sizeof(*l));
}

static void
socket_closed(void *ctx, int status, const sn_message_ref *reply)
{
}

static void
close_socket(sn_handle *s)
{
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t ref = sn_socket_reference_start(b);
	sn_socket_reference_add_socket(b, ref, s);
	int sent_rc = sn_call_async(tcpip, SN_EXPORT_NETWORK_SOCKET_CLOSE,
				    SN_BODY_SOCKET_REFERENCE, ref, 1000 * SN_MS,
				    socket_closed, NULL);

	/* Only a dead TCPIP (which took the socket with it) or a full
	 * ring stops this; the socket then stays on our own quota,
	 * which bounds how many lookups can leave one behind. */
	if (sent_rc < 0 && sn_log_worth(++stats.closes_unsent))
		sn_log("a lookup's socket not closed: %s (%llu so far)",
		       strerror(-sent_rc),
		       (unsigned long long)stats.closes_unsent);
}

/* Ends the lookup: answers NetAPI (with an error if rc < 0) and closes
 * the socket. */
static void
finish(struct lookup *l, int rc)
{
	if (rc < 0) {
		sn_deferred_error(&l->reply, rc);
	} else {
		sn_builder *b = sn_reply_builder(&compartment);
		uint32_t body = sn_resolved_start(b);
		const struct dns_addresses *a = &l->addrs;
		uint32_t vec = sn_resolved_start_addresses(b, body, a->count);

		for (unsigned i = 0; i < a->count; i++) {
			uint32_t ep = sn_endpoint_start(b);

			sn_endpoint_add_family(b, ep,
					       a->len[i] == 16
						   ? SN_ADDRESS_FAMILY_IPV6
						   : SN_ADDRESS_FAMILY_IPV4);
			sn_endpoint_add_address(b, ep, a->address[i],
						a->len[i]);
			sn_builder_set_table_at(b, vec, i, ep);
		}
		if (l->canonical[0])
			sn_resolved_add_canonical_name(b, body, l->canonical,
						       strlen(l->canonical));
		sn_resolved_add_ttl_seconds(b, body,
					    l->addrs.count ? l->ttl : 0);
		sn_deferred_ok(&l->reply, SN_BODY_RESOLVED, body);
	}
	if (l->timer >= 0)
		sn_loop_cancel_timer(&compartment.loop, l->timer);
	if (l->have_socket)
		close_socket(&l->socket);
	for (int q = 0; q < Q_COUNT; q++) {
		ares_free_string(l->query[q]);
		l->query[q] = NULL;
	}
	l->timer = -1;
	l->have_socket = false;
	if (l->receiving)
		l->finished = true;
	else
		free_slot(l);
}

static int receive_next(struct lookup *l);

static void
sent(void *ctx, int status, const sn_message_ref *reply)
{
	if (status < 0)
		sn_log("query not sent: %d", status);
}

static void
send_queries(struct lookup *l)
{
	for (int q = 0; q < Q_COUNT; q++) {
		if (!l->asked[q] || l->answered[q])
			continue;
		sn_builder *b = sn_call_builder(&compartment);
		uint32_t body = sn_send_start(b);
		uint32_t to = sn_endpoint_start(b);

		sn_endpoint_add_family(b, to, l->server_family);
		sn_endpoint_add_address(
		    b, to, l->server,
		    l->server_family == SN_ADDRESS_FAMILY_IPV6 ? 16 : 4);
		sn_endpoint_add_port(b, to, DNS_SERVER_PORT);
		sn_send_add_socket(b, body, &l->socket);
		sn_send_add_data(b, body, l->query[q], (size_t)l->query_len[q]);
		sn_send_add_to(b, body, to);
		int rc =
		    sn_call_async(tcpip, SN_EXPORT_NETWORK_SOCKET_SEND_TO,
				  SN_BODY_SEND, body, remaining(l), sent, NULL);

		/* As a query lost on the way: the retry timer sends again. */
		if (rc < 0)
			sent(NULL, rc, NULL);
	}
	l->tries++;
}

static void retry(void *ctx);

/* The retry timer is what ends a lookup whose answers never come: without
 * it the slot would stay taken, so a lookup that cannot have one must end
 * (the caller ends it: nothing may touch a slot once its lookup ended). */
static int
arm_retry(struct lookup *l)
{
	l->timer = sn_loop_add_timer(&compartment.loop, sn_now_ns() + RETRY_NS,
				     retry, context_of(l));
	if (l->timer < 0) {
		sn_log("no timer left for a lookup of %s; refused", l->host);
		return -EAGAIN;
	}
	return 0;
}

static void
retry(void *ctx)
{
	struct lookup *l = lookup_of(ctx);

	if (l == NULL)
		return;
	l->timer = -1;
	if (sn_now_ns() >= l->reply.deadline_ns && l->reply.deadline_ns) {
		finish(l, -ETIMEDOUT);
		return;
	}
	if (l->tries < 3)
		send_queries(l);
	if (arm_retry(l) < 0)
		finish(l, -EAGAIN);
}

static bool
done(const struct lookup *l)
{
	/* IPv4 addresses are enough; otherwise every question answered. */
	if (l->answered[Q_A] && l->addrs.count > 0)
		return true;
	for (int q = 0; q < Q_COUNT; q++)
		if (l->asked[q] && !l->answered[q])
			return false;
	return true;
}

/* The answer is kept no longer than its shortest-lived record. */
static void
keep_ttl(struct lookup *l, int ttl)
{
	uint32_t t = ttl > 0 ? (uint32_t)ttl : 0;

	if (t < l->ttl)
		l->ttl = t;
}

static void
take_answer(struct lookup *l, const uint8_t *msg, uint32_t len)
{
	for (int q = 0; q < Q_COUNT; q++) {
		if (!l->asked[q] || l->answered[q] ||
		    dns_answer_matches(l->query[q], (size_t)l->query_len[q],
				       msg, len) != DNS_ANSWER_ACCEPTED)
			continue;
		struct hostent *host = NULL;
		int n = DNS_MAX_ADDRESSES, rc;

		/* NetAPI takes the first address: IPv4 goes in front even
		 * when AAAA is answered first (dns_addresses.h says why). */
		if (q == Q_A) {
			struct ares_addrttl a[DNS_MAX_ADDRESSES];
			rc = ares_parse_a_reply(msg, (int)len, &host, a, &n);
			for (int i = 0; rc == ARES_SUCCESS && i < n; i++)
				if (dns_addresses_add(
					&l->addrs,
					(const uint8_t *)&a[i].ipaddr, 4))
					keep_ttl(l, a[i].ttl);
		} else {
			struct ares_addr6ttl a[DNS_MAX_ADDRESSES];
			rc = ares_parse_aaaa_reply(msg, (int)len, &host, a, &n);
			for (int i = 0; rc == ARES_SUCCESS && i < n; i++)
				if (dns_addresses_add(
					&l->addrs,
					(const uint8_t *)&a[i].ip6addr, 16))
					keep_ttl(l, a[i].ttl);
		}
		if (host && host->h_name && strcmp(host->h_name, l->host) &&
		    strlen(host->h_name) < sizeof(l->canonical))
			strcpy(l->canonical, host->h_name);
		if (host)
			ares_free_hostent(host);
		/* NXDOMAIN and empty answers are answers too. */
		l->answered[q] = true;
		return;
	}
	if (sn_log_worth(++dropped_answers))
		sn_log(
		    "dropped an answer that matches no question (%llu so far)",
		    (unsigned long long)dropped_answers);
}

static void
datagram(void *ctx, int status, const sn_message_ref *reply)
{
	int slot = dns_ticket_slot(ctx, tickets, MAX_LOOKUPS);

	if (slot < 0)
		return; /* cannot be: the receive held its lookup's slot */
	struct lookup *l = &lookups[slot];
	l->receiving = false;
	if (l->finished) {
		free_slot(l);
		return;
	}
	if (status < 0) {
		finish(l, status == -ETIMEDOUT ? -ETIMEDOUT : -EHOSTUNREACH);
		return;
	}
	sn_received_ref r = sn_message_body_as_received(*reply);
	sn_endpoint_ref from = sn_received_from(r);
	uint32_t len, alen;
	const uint8_t *msg = sn_received_data(r, &len);
	const uint8_t *a = from.pos ? sn_endpoint_address(from, &alen) : NULL;
	struct dns_server server = {
	    .address_len = l->server_family == SN_ADDRESS_FAMILY_IPV6 ? 16 : 4,
	    .port = DNS_SERVER_PORT,
	};

	memcpy(server.address, l->server, sizeof(server.address));
	if (dns_answer_source(&server, a, a ? alen : 0,
			      from.pos ? sn_endpoint_port(from) : 0) !=
	    DNS_ANSWER_ACCEPTED) {
		if (sn_log_worth(++dropped_answers))
			sn_log("dropped an answer not from the server's port "
			       "53 (%llu so far)",
			       (unsigned long long)dropped_answers);
	} else {
		take_answer(l, msg, len);
	}
	if (done(l)) {
		finish(l, l->addrs.count ? 0 : -EHOSTUNREACH);
		return;
	}
	if (receive_next(l) < 0)
		finish(l, -EAGAIN);
}

/* A lookup that cannot receive must end; the caller ends it, so that it
 * does not go on with a slot that is free. */
static int
receive_next(struct lookup *l)
{
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t body = sn_receive_start(b);
	int rc;

	sn_receive_add_socket(b, body, &l->socket);
	sn_receive_add_max_bytes(b, body, 4096);
	rc = sn_call_async(tcpip, SN_EXPORT_NETWORK_SOCKET_RECEIVE_FROM,
			   SN_BODY_RECEIVE, body, remaining(l), datagram,
			   context_of(l));
	if (rc == 0)
		l->receiving = true;
	return rc;
}

static int
make_query(struct lookup *l, int q)
{
	uint16_t id;

	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		return -EIO;
	if (ares_create_query(l->host, ns_c_in, q == Q_A ? ns_t_a : ns_t_aaaa,
			      id, 1, &l->query[q], &l->query_len[q],
			      0) != ARES_SUCCESS ||
	    l->query_len[q] < 12)
		return -EINVAL;
	l->asked[q] = true;
	return 0;
}

static void
socket_opened(void *ctx, int status, const sn_message_ref *reply)
{
	struct lookup *l = lookup_of(ctx);
	sn_handle handle;
	bool made = status == 0 &&
		    sn_socket_created_socket(
			sn_message_body_as_socket_created(*reply), &handle);

	if (l == NULL) {
		/* Ours, and no lookup's: left open, it would hold one of our
		 * sockets for good. */
		if (made)
			close_socket(&handle);
		return;
	}
	if (!made) {
		finish(l, status < 0 ? status : -EPROTO);
		return;
	}
	l->socket = handle;
	l->have_socket = true;
	if (receive_next(l) < 0) {
		finish(l, -EAGAIN);
		return;
	}
	send_queries(l);
	if (arm_retry(l) < 0)
		finish(l, -EAGAIN);
}

static void
got_server(void *ctx, int status, const sn_message_ref *reply)
{
	struct lookup *l = lookup_of(ctx);

	if (l == NULL)
		return;
	if (status < 0) {
		finish(l, status);
		return;
	}
	sn_address_info_ref info = sn_message_body_as_address_info(*reply);
	if (sn_address_info_dns_servers_count(info) == 0) {
		sn_log("no DNS server: DHCP offered none");
		finish(l, -EHOSTUNREACH);
		return;
	}
	sn_endpoint_ref s = sn_address_info_dns_servers_at(info, 0);
	uint32_t len;
	const uint8_t *a = sn_endpoint_address(s, &len);
	if (len != 4 && len != 16) {
		finish(l, -EPROTO);
		return;
	}
	memcpy(l->server, a, len);
	l->server_family = sn_endpoint_family(s);
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t req = sn_socket_listen_start(b);
	sn_socket_listen_add_owner(b, req, "DNS", 3);
	sn_socket_listen_add_port(b, req, 0); /* TCPIP picks a random one */
	sn_socket_listen_add_ipv6(b, req, len == 16);
	if (sn_call_async(tcpip, SN_EXPORT_NETWORK_SOCKET_UDP,
			  SN_BODY_SOCKET_LISTEN, req, remaining(l),
			  socket_opened, context_of(l)) < 0)
		finish(l, -EAGAIN);
}

static void
serve_resolve(void *ctx, struct sn_incoming *in)
{
	sn_resolve_ref req = sn_message_body_as_resolve(in->request);
	uint32_t len;
	const char *host = sn_resolve_host(req, &len);
	struct lookup *l = NULL;

	if (len == 0 || len > SN_HOST_MAX || memchr(host, 0, len)) {
		sn_reply_error(in, -EINVAL);
		return;
	}
	for (unsigned i = 0; i < MAX_LOOKUPS && l == NULL; i++)
		if (!lookups[i].in_use)
			l = &lookups[i];
	if (l == NULL) {
		sn_reply_error(in, -EAGAIN);
		return;
	}
	memset(l, 0, sizeof(*l));
	l->in_use = true;
	tickets[slot_of(l)] = last_ticket = dns_ticket_next(last_ticket);
	l->timer = -1;
	l->ttl = UINT32_MAX; /* until a record says less */
	memcpy(l->host, host, len);
	l->family = sn_resolve_family(req);
	sn_defer(in, &l->reply);
	if ((l->family != SN_DNS_FAMILY_IPV6_ONLY && make_query(l, Q_A) < 0) ||
	    (l->family != SN_DNS_FAMILY_IPV4_ONLY &&
	     make_query(l, Q_AAAA) < 0)) {
		finish(l, -EINVAL);
		return;
	}
	if (sn_call_async(tcpip, SN_EXPORT_TCPIP_ADDRESS_GET, SN_BODY_EMPTY,
			  sn_empty_start(sn_call_builder(&compartment)),
			  remaining(l), got_server, context_of(l)) < 0)
		finish(l, -EAGAIN);
}

/* The exports this compartment serves, each with its handler. */
SEALNET_EXPORT(dns_resolve, serve_resolve);

int
main(void)
{
	if (sn_compartment_boot(&compartment, NULL) < 0)
		return 1;
	tcpip = sn_export_peer(&compartment, SN_EXPORT_TCPIP_ADDRESS_GET);
	if (tcpip == NULL)
		return 1;
	/* A lookup's socket that TCPIP made after the lookup gave up. */
	sn_peer_on_late_reply(tcpip, sn_release_late_socket);
	return sn_compartment_run(&compartment) < 0;
}
