/*
 * The SNTP compartment: network time from the servers its capabilities
 * name, published in the shared time record.
 *
 * The image's connection capabilities are the servers (servers.h): UDP
 * ones for plain NTP, TCP ones for NTS key establishment, with which
 * unauthenticated time is never used.  NTS-KE runs over TLS 1.3 in the
 * TLS compartment (key_exchange.c), which gives us the two keys its
 * exporter derives and nothing else of the session.  Each request goes
 * out on a fresh socket with a random port and a random transmit
 * timestamp (exchange.c); the core (sync.h) decides which replies count, when
 * each server is asked, and which time the majority agrees on.  Every decision
 * the core makes is performed here without waiting on a peer: calls are
 * answered later, and one timer wakes the compartment when the next server
 * falls due.
 *
 * The record is the supervisor's (runtime/time_record.h): a restarted
 * SNTP finds the last time there, marks it as updated again, and
 * re-synchronises at once, without anyone asking.
 */
#include <errno.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "boot.h"
#include "clock.h"
#include "log.h"
#include "sealnet/compartment.h"
#include "shell.h"
#include "sockets.h"
#include "time_record.h"

SEALNET_COMPARTMENT("SNTP");
SEALNET_IMPORT(network_socket_udp);
SEALNET_IMPORT(network_socket_udp_authorise_host);
SEALNET_IMPORT(network_socket_send_to);
SEALNET_IMPORT(network_socket_receive_from);
SEALNET_IMPORT(network_socket_close);
/* NTS key establishment: a TCP connection of our own, handed to TLS.
 * An image that names no NTS server leaves these calls out, and one
 * without TLS may name none (supervisor/image_sntp.c): plain NTP needs
 * neither TCP nor TLS. */
SEALNET_IMPORT_OPTIONAL(network_socket_connect_tcp);
SEALNET_IMPORT_OPTIONAL(network_socket_delegate);
SEALNET_IMPORT_OPTIONAL(tls_connection_create);
SEALNET_IMPORT_OPTIONAL(tls_connection_send);
SEALNET_IMPORT_OPTIONAL(tls_connection_receive);
SEALNET_IMPORT_OPTIONAL(tls_connection_close);
SEALNET_IMPORT_OPTIONAL(tls_connection_keying_material);
/* One key exchange at a time per server. */
SEALNET_QUOTA(tls_sessions, SYNC_MAX_SERVERS);
SEALNET_RESTART(always, 10);

struct sntp_shell sntp;

/* A caller of sntp_update, answered when a time measured after its call
 * is published, or when none can be before its deadline. */
struct waiter {
	bool used;
	struct sn_deferred reply;
	uint64_t since_ns, deadline_ns;
};

static struct waiter waiters[SYNC_MAX_WAITERS];
/* Without a supervisor's record (a fuzz target), one of our own. */
static struct sn_time_record own_record;
static struct sn_time_record *record;
static uint64_t last_publish_ns, started_ns;
static int timer_id = -1;

int64_t
sntp_local_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * (int64_t)SN_SECOND + ts.tv_nsec +
	       sntp.clock_skew_ns;
}

void
sntp_log_refusal(unsigned server, const char *why, uint64_t count)
{
	if (sn_log_worth(count))
		sn_log("refused a reply from %s: %s (%" PRIu64 " so far)",
		       sntp.sync.servers[server].host, why, count);
}

uint32_t
sntp_capability(sn_builder *b, const struct sn_capability *cap)
{
	uint32_t c = sn_connection_capability_start(b);

	sn_connection_capability_add_protocol(b, c, cap->protocol);
	sn_connection_capability_add_host(b, c, cap->host, strlen(cap->host));
	sn_connection_capability_add_port(b, c, cap->port);
	return c;
}

/* ---- the record ---- */

static void
read_record(struct sn_time_payload *p)
{
	if (sn_time_record_read(record, sn_now_ns(), p) < 0)
		memset(p, 0, sizeof(*p));
}

static void
publish(const struct sync_choice *c)
{
	struct sn_time_payload p;
	const struct sync_server *srv = &sntp.sync.servers[c->server];
	int64_t local = sntp_local_clock_ns();
	uint64_t mono = sn_now_ns();
	/* network time - CLOCK_MONOTONIC, both read just now */
	int64_t offset = local + c->offset_ns - (int64_t)mono;
	int64_t secs = offset / (int64_t)SN_SECOND;
	int64_t ns = offset % (int64_t)SN_SECOND;

	if (ns < 0) {
		ns += (int64_t)SN_SECOND;
		secs--;
	}
	read_record(&p);
	p.flags = SN_TIME_SYNCHRONISED | SN_TIME_UPDATING |
		  (c->authenticated ? SN_TIME_AUTHENTICATED : 0);
	p.updates++;
	p.offset_seconds = secs;
	p.offset_nanoseconds = (uint32_t)ns;
	p.stratum = c->stratum;
	p.updated_monotonic_ns = mono;
	p.error_ns = c->error_ns;
	memset(p.server, 0, sizeof(p.server));
	memcpy(p.server, srv->host, strlen(srv->host));
	sn_time_record_write(record, &p);
	if (last_publish_ns == 0)
		sn_log("first synchronisation of this incarnation, %.1f ms "
		       "after it started",
		       (double)(mono - started_ns) / 1e6);
	last_publish_ns = mono;
	sn_log("synchronised to %s (stratum %u, %s): %+.3f ms from the system "
	       "clock, error %.3f ms; %u of %u servers agree; update %" PRIu32,
	       srv->host, c->stratum,
	       c->authenticated ? "authenticated" : "not authenticated",
	       (double)(c->offset_ns + sntp.clock_skew_ns) / 1e6,
	       (double)c->error_ns / 1e6, c->survivors, c->candidates,
	       p.updates);
}

/* The record as an SntpTime reply, read as a reader would. */
static uint32_t
time_body(sn_builder *b)
{
	struct sn_time_payload p;
	uint64_t now = sn_now_ns();
	uint32_t body = sn_sntp_time_start(b);
	int64_t s;
	uint32_t ns;

	read_record(&p);
	sn_sntp_time_add_updates(b, body, p.updates);
	if (!(p.flags & SN_TIME_SYNCHRONISED))
		return body;
	sn_time_now(&p, now, &s, &ns);
	sn_sntp_time_add_unix_seconds(b, body, s);
	sn_sntp_time_add_nanoseconds(b, body, ns);
	sn_sntp_time_add_synchronised(b, body, true);
	sn_sntp_time_add_authenticated(b, body,
				       (p.flags & SN_TIME_AUTHENTICATED) != 0);
	sn_sntp_time_add_stratum(b, body, p.stratum);
	sn_sntp_time_add_error_ns(b, body, sn_time_error_now(&p, now));
	sn_time_now(&p, p.updated_monotonic_ns, &s, &ns);
	sn_sntp_time_add_updated_seconds(b, body, s);
	sn_sntp_time_add_updated_nanoseconds(b, body, ns);
	sn_sntp_time_add_server(b, body, p.server, strlen(p.server));
	return body;
}

/* ---- sntp_update's callers ---- */

static void
answer(struct waiter *w, int rc)
{
	if (rc < 0)
		(void)sn_deferred_error(&w->reply, rc);
	else
		(void)sn_deferred_ok(
		    &w->reply, SN_BODY_SNTP_TIME,
		    time_body(sn_reply_builder(&sntp.compartment)));
	w->used = false;
}

/* A selection ended: with a time (rc 0) for those who asked before it
 * was measured, or with why there is none. */
static void
answer_waiters(int rc, uint64_t measured_ns)
{
	for (unsigned i = 0; i < SYNC_MAX_WAITERS; i++)
		if (waiters[i].used &&
		    (rc < 0 || waiters[i].since_ns <= measured_ns))
			answer(&waiters[i], rc);
}

/* Those whose deadline passed, or for whom no server falls due before
 * it: no time will come in time. */
static void
expire_waiters(uint64_t now, uint64_t next_work_ns)
{
	bool idle = sync_settled(&sntp.sync);

	for (unsigned i = 0; i < SYNC_MAX_WAITERS; i++) {
		struct waiter *w = &waiters[i];

		if (!w->used)
			continue;
		if (now >= w->deadline_ns)
			answer(w, -ETIMEDOUT);
		else if (idle && next_work_ns > w->deadline_ns)
			answer(w, -EHOSTUNREACH);
	}
}

/* ---- what to do next ---- */

static void
try_publish(uint64_t now)
{
	struct sync_choice c;
	int rc;

	if (!sync_settled(&sntp.sync) || !sync_has_fresh(&sntp.sync))
		return;
	rc = sync_choose(&sntp.sync, now, &c);
	if (rc == 0) {
		publish(&c);
		answer_waiters(0, now);
	} else if (rc == -EDOM) {
		if (sn_log_worth(sntp.sync.no_majority))
			sn_log("the servers disagree and no majority agrees on "
			       "the time; nothing published (%" PRIu64
			       " so far)",
			       sntp.sync.no_majority);
		answer_waiters(-EDOM, now);
	}
}

/* Starts what is due; the earliest time anything else falls due. */
static uint64_t
start_due(uint64_t now)
{
	uint64_t when_ke = UINT64_MAX, when = UINT64_MAX;
	unsigned i;

	for (unsigned k = 0; k < SYNC_MAX_SERVERS; k++)
		if (!sync_wants_key_exchange(&sntp.sync, now, &i, &when_ke) ||
		    key_exchange_busy(i))
			break;
		else
			key_exchange_start(i);
	for (unsigned k = 0; k < SYNC_MAX_SERVERS; k++)
		if (!sync_due(&sntp.sync, now, &i, &when) || exchange_busy(i))
			break;
		else
			exchange_start(i);
	return when < when_ke ? when : when_ke;
}

static void on_timer(void *ctx);

static void
set_timer(uint64_t next)
{
	for (unsigned i = 0; i < SYNC_MAX_WAITERS; i++)
		if (waiters[i].used && waiters[i].deadline_ns < next)
			next = waiters[i].deadline_ns;
	if (timer_id > 0)
		(void)sn_loop_cancel_timer(&sntp.compartment.loop, timer_id);
	timer_id = -1;
	if (next == UINT64_MAX)
		return;
	timer_id =
	    sn_loop_add_timer(&sntp.compartment.loop, next, on_timer, NULL);
	if (timer_id < 0)
		sn_log("no timer for the next request: %s",
		       strerror(-timer_id));
}

void
sntp_after_event(void)
{
	static bool running, again;
	uint64_t next, now;

	/* A step that ends at once calls back in; the loop below takes
	 * another turn instead of nesting. */
	if (running) {
		again = true;
		return;
	}
	running = true;
	do {
		again = false;
		now = sn_now_ns();
		try_publish(now);
		next = start_due(now);
		expire_waiters(now, next);
	} while (again);
	set_timer(next);
	running = false;
}

static void
on_timer(void *ctx)
{
	(void)ctx;
	timer_id = -1;
	sntp_after_event();
}

/* ---- exports ---- */

static void
serve_update(void *ctx, struct sn_incoming *in)
{
	uint64_t now = sn_now_ns();
	struct waiter *w = NULL;

	(void)ctx;
	if (sntp.sync.n == 0) {
		(void)sn_reply_error(in, -ENOENT);
		return;
	}
	if (last_publish_ns != 0 && now - last_publish_ns < SYNC_FRESH_NS) {
		(void)sn_reply_ok(
		    in, SN_BODY_SNTP_TIME,
		    time_body(sn_reply_builder(&sntp.compartment)));
		return;
	}
	for (unsigned i = 0; i < SYNC_MAX_WAITERS && w == NULL; i++)
		if (!waiters[i].used)
			w = &waiters[i];
	if (w == NULL) {
		(void)sn_reply_error(in, -EAGAIN);
		return;
	}
	w->used = true;
	w->since_ns = now;
	w->deadline_ns =
	    in->deadline_ns != 0 ? in->deadline_ns : now + 60 * SN_SECOND;
	sn_defer(in, &w->reply);
	sync_hurry(&sntp.sync, now);
	sntp_after_event();
}
SEALNET_EXPORT(sntp_update, serve_update);

static void
serve_time_get(void *ctx, struct sn_incoming *in)
{
	(void)ctx;
	(void)sn_reply_ok(in, SN_BODY_SNTP_TIME,
			  time_body(sn_reply_builder(&sntp.compartment)));
}
SEALNET_EXPORT(sntp_time_get, serve_time_get);

static uint32_t
server_status(sn_builder *b, const struct sync_server *srv)
{
	const struct sync_counters *k = &srv->counters;
	uint32_t t = sn_sntp_server_status_start(b);

	sn_sntp_server_status_add_host(b, t, srv->host, strlen(srv->host));
	sn_sntp_server_status_add_port(b, t, srv->port);
	sn_sntp_server_status_add_nts(b, t, srv->nts);
	sn_sntp_server_status_add_usable(b, t, srv->poll.usable);
	sn_sntp_server_status_add_poll(b, t, srv->poll.poll);
	sn_sntp_server_status_add_requests(b, t, k->requests);
	sn_sntp_server_status_add_accepted(b, t, k->accepted);
	sn_sntp_server_status_add_timeouts(b, t, k->timeouts);
	sn_sntp_server_status_add_rejected_not_ours(b, t, k->not_ours);
	sn_sntp_server_status_add_rejected_source(b, t, k->source);
	sn_sntp_server_status_add_rejected_malformed(b, t, k->malformed);
	sn_sntp_server_status_add_rejected_unsynchronised(b, t,
							  k->unsynchronised);
	sn_sntp_server_status_add_rejected_unauthenticated(b, t,
							   k->unauthenticated);
	sn_sntp_server_status_add_rejected_not_authentic(b, t,
							 k->not_authentic);
	sn_sntp_server_status_add_rejected_replayed(b, t, k->replayed);
	sn_sntp_server_status_add_kiss_rate(b, t, k->kiss_rate);
	sn_sntp_server_status_add_kiss_deny(b, t, k->kiss_deny);
	sn_sntp_server_status_add_kiss_ntsn(b, t, k->kiss_ntsn);
	sn_sntp_server_status_add_falseticker(b, t, k->falseticker);
	sn_sntp_server_status_add_key_exchanges(b, t, k->key_exchanges);
	sn_sntp_server_status_add_key_exchange_failures(
	    b, t, k->key_exchange_failures);
	sn_sntp_server_status_add_cookies(
	    b, t, srv->nts ? (uint8_t)nts_jar_count(&srv->client.jar) : 0);
	if (srv->have_sample) {
		sn_sntp_server_status_add_offset_ns(b, t,
						    srv->sample.offset_ns);
		sn_sntp_server_status_add_delay_ns(b, t, srv->sample.delay_ns);
	}
	return t;
}

static void
serve_status(void *ctx, struct sn_incoming *in)
{
	sn_builder *b = sn_reply_builder(&sntp.compartment);
	struct sn_time_payload p;
	uint32_t body, vec;

	(void)ctx;
	read_record(&p);
	body = sn_sntp_status_start(b);
	vec = sn_sntp_status_start_servers(b, body, sntp.sync.n);
	for (unsigned i = 0; i < sntp.sync.n; i++)
		sn_builder_set_table_at(
		    b, vec, i, server_status(b, &sntp.sync.servers[i]));
	sn_sntp_status_add_nts_required(b, body, sntp.sync.nts_required);
	sn_sntp_status_add_synchronised(b, body,
					(p.flags & SN_TIME_SYNCHRONISED) != 0);
	sn_sntp_status_add_updates(b, body, p.updates);
	sn_sntp_status_add_no_majority(b, body, sntp.sync.no_majority);
	(void)sn_reply_ok(in, SN_BODY_SNTP_STATUS, body);
}
SEALNET_EXPORT(sntp_status, serve_status);

/* ---- start ---- */

/* The servers the capabilities name, into the core. */
static void
add_servers(void)
{
	sntp.ncaps = sn_compartment_connections(&sntp.caps);
	servers_plan(sntp.caps, sntp.ncaps, &sntp.plan);
	sync_init(&sntp.sync, sntp.plan.nts_required);
	for (unsigned i = 0; i < sntp.plan.n; i++) {
		const struct sn_capability *c = &sntp.caps[sntp.plan.cap[i]];
		int k = sync_add_server(&sntp.sync, c->host, c->port,
					sntp.plan.nts_required);

		if (k < 0) {
			sn_log("server %s:%u left out: %s", c->host, c->port,
			       strerror(-k));
			continue;
		}
		/* Plain: the capability is where requests go.  NTS: it is
		 * the key exchange's, which names where requests go. */
		sntp.ntp_cap[k] =
		    sntp.plan.nts_required ? -1 : (int)sntp.plan.cap[i];
		sntp.ke_cap[k] =
		    sntp.plan.nts_required ? (int)sntp.plan.cap[i] : -1;
		sn_log("server %s:%u (%s)", c->host, c->port,
		       sntp.plan.nts_required ? "NTS" : "NTP, unauthenticated");
	}
	if (sntp.plan.left_out > 0)
		sn_log("%u capabilities beyond %u servers left unused",
		       sntp.plan.left_out, SYNC_MAX_SERVERS);
	if (sntp.sync.n == 0)
		sn_log("no time server: the image grants no capability to one "
		       "(sealnet image build --ntp-server, --nts-server)");
}

/* The previous incarnation's time stays published; from now on it is
 * kept up to date again. */
static void
take_over_record(void)
{
	struct sn_time_payload p;

	record = sn_time_record_writable();
	if (record == NULL)
		record = &own_record;
	read_record(&p);
	p.flags |= SN_TIME_UPDATING;
	sn_time_record_write(record, &p);
}

/* A clock that says it is before SNTP_CLOCK_FLOOR_S was never set: NTP
 * eras are placed from the floor instead. */
static void
choose_clock_skew(void)
{
	int64_t floor = SNTP_CLOCK_FLOOR_S * (int64_t)SN_SECOND;
	int64_t now = sntp_local_clock_ns();

	if (now < floor) {
		sntp.clock_skew_ns = floor - now;
		sn_log("the system clock is before %" PRId64
		       " (Unix time): NTP eras are placed from that date",
		       (int64_t)SNTP_CLOCK_FLOOR_S);
	}
}

int
main(void)
{
	started_ns = sn_now_ns();
	if (sn_compartment_boot(&sntp.compartment, NULL) < 0)
		return 1;
	/* libcrypto (NTS) must not read a configuration file: the sandbox
	 * has none, and may not open one. */
	if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1)
		return 1;
	sntp.tcpip =
	    sn_export_peer(&sntp.compartment, SN_EXPORT_NETWORK_SOCKET_UDP);
	sntp.netapi = sn_export_peer(
	    &sntp.compartment, SN_EXPORT_NETWORK_SOCKET_UDP_AUTHORISE_HOST);
	/* NULL in an image without TLS, which grants no NTS server: key
	 * establishment then fails before it starts (key_exchange.c). */
	sntp.tls =
	    sn_export_peer(&sntp.compartment, SN_EXPORT_TLS_CONNECTION_CREATE);
	if (sntp.tcpip == NULL || sntp.netapi == NULL)
		return 1;
	/* A socket or a session made for a request that had given up. */
	sn_peer_on_late_reply(sntp.tcpip, sn_release_late_socket);
	sn_peer_on_late_reply(sntp.netapi, sn_release_late_socket);
	if (sntp.tls != NULL)
		sn_peer_on_late_reply(sntp.tls, key_exchange_late_session);
	take_over_record();
	choose_clock_skew();
	add_servers();
	sntp_after_event();
	return sn_compartment_run(&sntp.compartment) < 0;
}
