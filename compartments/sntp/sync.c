/* Keeping the time from several servers: see sync.h. */
#include "sync.h"

#include <errno.h>
#include <string.h>

/* 2^poll seconds in nanoseconds. */
static uint64_t
interval_ns(const struct sync_server *srv)
{
	return (uint64_t)select_server_interval(&srv->poll) * 1000000000ull;
}

static uint64_t
later(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

void
sync_init(struct sync *s, bool nts_required)
{
	memset(s, 0, sizeof(*s));
	s->nts_required = nts_required;
}

int
sync_add_server(struct sync *s, const char *host, uint16_t port, bool nts)
{
	size_t len = strlen(host);
	struct sync_server *srv;

	if (s->n >= SYNC_MAX_SERVERS)
		return -ENOSPC;
	if (len == 0 || len > SYNC_HOST_MAX || port == 0)
		return -EINVAL;
	/* The rule that keeps unauthenticated time out: with NTS required
	 * no plain server is ever asked. */
	if (s->nts_required && !nts)
		return -EPERM;
	srv = &s->servers[s->n];
	memset(srv, 0, sizeof(*srv));
	if (select_server_init(&srv->poll, SELECT_MIN_POLL, SYNC_MAX_POLL) < 0)
		return -EINVAL;
	memcpy(srv->host, host, len + 1);
	srv->port = port;
	srv->nts = nts;
	return (int)s->n++;
}

/* Ready for an NTP request: usable, idle and, for NTS, keyed. */
static bool
can_ask(const struct sync_server *srv)
{
	return srv->poll.usable && !srv->in_flight && !srv->keying &&
	       (!srv->nts ||
		(srv->keyed && nts_jar_count(&srv->client.jar) > 0));
}

int
sync_due(const struct sync *s, uint64_t now, unsigned *server, uint64_t *when)
{
	uint64_t first = UINT64_MAX;
	unsigned best = 0;

	for (unsigned i = 0; i < s->n; i++) {
		const struct sync_server *srv = &s->servers[i];
		uint64_t at = later(srv->next_ns, srv->not_before_ns);

		if (can_ask(srv) && at < first) {
			first = at;
			best = i;
		}
	}
	*when = first;
	*server = best;
	return first <= now;
}

void
sync_hurry(struct sync *s, uint64_t now)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->servers[i].next_ns > now)
			s->servers[i].next_ns = now;
}

int
sync_request(struct sync *s, unsigned i, uint64_t transmit_ts, uint64_t now,
	     uint8_t *buf, size_t cap)
{
	struct sync_server *srv = &s->servers[i];
	int len;

	if (i >= s->n || srv->in_flight || !srv->poll.usable)
		return -EINVAL;
	if (srv->nts) {
		len = srv->keyed ? nts_request_encode(&srv->client, buf, cap,
						      transmit_ts, NULL, NULL)
				 : -ENOENT;
		if (len == -ENOENT)
			srv->keyed = false;
	} else {
		len = ntp_request_encode(buf, cap, transmit_ts);
	}
	if (len < 0) {
		/* Out of cookies is for NTS-KE; anything else would fail
		 * again at once, so it waits like a lost request. */
		if (len != -ENOENT)
			sync_not_sent(s, i, now);
		return len;
	}
	srv->in_flight = true;
	srv->nak = false;
	srv->transmit_ts = transmit_ts;
	srv->not_before_ns = now + SYNC_MIN_GAP_NS;
	memset(&srv->remote, 0, sizeof(srv->remote));
	srv->counters.requests++;
	return len;
}

void
sync_sent_to(struct sync *s, unsigned i, const struct sync_address *to,
	     int64_t t1_unix_ns)
{
	if (i >= s->n)
		return;
	s->servers[i].remote = *to;
	s->servers[i].t1_unix_ns = t1_unix_ns;
}

static bool
same_address(const struct sync_address *a, const struct sync_address *b)
{
	return a->len == b->len && a->len <= sizeof(a->bytes) &&
	       a->port == b->port && memcmp(a->bytes, b->bytes, a->len) == 0;
}

/* The request is over: the next one after a full interval. */
static void
done(struct sync_server *srv, uint64_t now)
{
	srv->in_flight = false;
	srv->next_ns = now + interval_ns(srv);
}

static enum sync_outcome
take_sample(struct sync_server *srv, const struct ntp_reply *r,
	    bool authenticated, int64_t t4_unix_ns, uint64_t now)
{
	struct ntp_sample smp;

	done(srv, now);
	if (ntp_sample_compute(&smp, r, srv->t1_unix_ns, t4_unix_ns) < 0) {
		srv->counters.malformed++;
		return SYNC_NO_SAMPLE;
	}
	srv->counters.accepted++;
	srv->sample = smp;
	srv->sample_ns = now;
	srv->have_sample = srv->fresh = true;
	srv->authenticated = authenticated;
	srv->quick_retries = 0;
	srv->filter[srv->samples % SYNC_FILTER_SAMPLES] =
	    (struct sync_filtered){smp, now, authenticated};
	if (++srv->samples < SYNC_BURST_SAMPLES)
		srv->next_ns = now + SYNC_MIN_GAP_NS;
	return SYNC_SAMPLE;
}

/* A reply now known to answer our request (and, for NTS, to be
 * authentic): what its header says, as ntp_reply_decode put it. */
static enum sync_outcome
answered(struct sync_server *srv, int rc, const struct ntp_reply *r,
	 bool authenticated, int64_t t4_unix_ns, uint64_t now)
{
	switch (rc) {
	case 0:
		return take_sample(srv, r, authenticated, t4_unix_ns, now);
	case -EBUSY:
		srv->counters.kiss_rate++;
		select_server_kiss(&srv->poll, rc, r->poll);
		done(srv, now);
		/* Not even sntp_update may ask sooner. */
		srv->not_before_ns = srv->next_ns;
		return SYNC_NO_SAMPLE;
	case -EACCES:
	case -EPERM:
		srv->counters.kiss_deny++;
		select_server_kiss(&srv->poll, rc, r->poll);
		srv->in_flight = false;
		return SYNC_NO_SAMPLE;
	case -EKEYEXPIRED:
		srv->counters.kiss_ntsn++;
		srv->in_flight = false;
		srv->keyed = false;
		return SYNC_REKEY;
	case -EAGAIN:
	case -ERANGE:
	case -ECONNREFUSED: /* a kiss code we do not know */
		srv->counters.unsynchronised++;
		select_server_timeout(&srv->poll);
		done(srv, now);
		return SYNC_NO_SAMPLE;
	default: /* -ENODATA: no timestamps to measure with */
		srv->counters.malformed++;
		done(srv, now);
		return SYNC_NO_SAMPLE;
	}
}

static enum sync_outcome
plain_reply(struct sync_server *srv, const uint8_t *pkt, size_t len,
	    int64_t t4_unix_ns, uint64_t now)
{
	struct ntp_reply r;
	int rc = ntp_reply_decode(&r, pkt, len, srv->transmit_ts);

	/* NTSN means nothing to a server we do not ask through NTS. */
	if (rc == -EKEYEXPIRED)
		rc = -ECONNREFUSED;
	switch (rc) {
	case -ENOMSG:
		srv->counters.not_ours++;
		return SYNC_WAITING;
	case -EMSGSIZE:
	case -EBADMSG:
	case -EPROTO:
	case -EPROTONOSUPPORT:
	case -EINVAL:
		srv->counters.malformed++;
		return SYNC_WAITING;
	default:
		return answered(srv, rc, &r, false, t4_unix_ns, now);
	}
}

static enum sync_outcome
nts_reply(struct sync_server *srv, const uint8_t *pkt, size_t len,
	  int64_t t4_unix_ns, uint64_t now)
{
	struct nts_reply_info info;
	int rc = nts_reply_verify(&srv->client, pkt, len, NTS_REQUIRED, &info);

	switch (rc) {
	case -EALREADY:
		srv->counters.replayed++;
		return SYNC_WAITING;
	case -ENOMSG:
		srv->counters.not_ours++;
		return SYNC_WAITING;
	case -ENOKEY:
		srv->counters.unauthenticated++;
		return SYNC_WAITING;
	case -EKEYREJECTED:
		srv->counters.not_authentic++;
		return SYNC_WAITING;
	case -EMSGSIZE:
	case -EBADMSG:
	case -EPROTO:
	case -EPROTONOSUPPORT:
	case -EIO:
		srv->counters.malformed++;
		return SYNC_WAITING;
	case -EKEYEXPIRED:
		/* Unauthenticated, so anyone on the path can send it ahead
		 * of the real reply (RFC 8915 5.7): it means something only
		 * if no authentic reply comes before the timeout. */
		srv->counters.kiss_ntsn++;
		srv->nak = true;
		return SYNC_WAITING;
	default:
		if (info.authenticated && rc != -EKEYEXPIRED) {
			/* The keys work: no new ones needed, and the next
			 * key exchange need not wait longer. */
			srv->rekey = false;
			srv->ke_rekeys = 0;
		}
		return answered(srv, rc, &info.ntp, info.authenticated,
				t4_unix_ns, now);
	}
}

enum sync_outcome
sync_reply(struct sync *s, unsigned i, const uint8_t *pkt, size_t len,
	   const struct sync_address *from, int64_t t4_unix_ns, uint64_t now)
{
	struct sync_server *srv = &s->servers[i];

	if (i >= s->n || !srv->in_flight) {
		if (i < s->n)
			srv->counters.replayed++;
		return SYNC_WAITING;
	}
	if (!same_address(from, &srv->remote)) {
		srv->counters.source++;
		return SYNC_WAITING;
	}
	return srv->nts ? nts_reply(srv, pkt, len, t4_unix_ns, now)
			: plain_reply(srv, pkt, len, t4_unix_ns, now);
}

/* No answer that counted: the next try after a quick retry or, once
 * they are used up, the poll interval, backed off. */
static void
lost(struct sync_server *srv, uint64_t now)
{
	srv->counters.timeouts++;
	/* A NAK and no authentic reply: the server has likely lost our
	 * keys.  The cookies left are still used until new ones come. */
	if (srv->nak)
		srv->rekey = true;
	srv->nak = false;
	if (!srv->have_sample && srv->quick_retries < SYNC_QUICK_RETRIES) {
		srv->next_ns =
		    now + (SYNC_QUICK_RETRY_NS << srv->quick_retries);
		srv->quick_retries++;
		return;
	}
	select_server_timeout(&srv->poll);
	srv->next_ns = now + interval_ns(srv);
}

void
sync_timeout(struct sync *s, unsigned i, uint64_t now)
{
	struct sync_server *srv = &s->servers[i];

	if (i >= s->n || !srv->in_flight)
		return;
	srv->in_flight = false;
	lost(srv, now);
}

void
sync_not_sent(struct sync *s, unsigned i, uint64_t now)
{
	struct sync_server *srv = &s->servers[i];

	if (i >= s->n || srv->in_flight)
		return;
	/* sync_hurry may not undo the wait. */
	srv->not_before_ns = now + SYNC_MIN_GAP_NS;
	lost(srv, now);
}

bool
sync_settled(const struct sync *s)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->servers[i].in_flight || s->servers[i].keying)
			return false;
	return true;
}

bool
sync_has_fresh(const struct sync *s)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->servers[i].fresh)
			return true;
	return false;
}

/* A filtered sample as select_time takes it: the server's own error,
 * our clock's reading, and the drift since it was taken (15 ppm, RFC
 * 5905's PHI). */
static struct select_sample
as_candidate(const struct sync_filtered *f, unsigned i, uint64_t age)
{
	return (struct select_sample){
	    .server = (uint16_t)i,
	    .stratum = f->sample.stratum,
	    .offset_ns = f->sample.offset_ns,
	    .delay_ns = f->sample.delay_ns + f->sample.root_delay_ns,
	    .dispersion_ns = f->sample.root_dispersion_ns +
			     (int64_t)SYNC_LOCAL_PRECISION_NS +
			     (int64_t)(age / 1000000u * 15u),
	};
}

/* Server i's best sample still young enough, if any: the one nearest
 * its reference. */
static bool
candidate(const struct sync_server *srv, unsigned i, uint64_t now,
	  struct select_sample *out, bool *authenticated)
{
	unsigned n = srv->samples < SYNC_FILTER_SAMPLES ? srv->samples
							: SYNC_FILTER_SAMPLES;
	bool found = false;

	if (!srv->poll.usable)
		return false;
	for (unsigned k = 0; k < n; k++) {
		const struct sync_filtered *f = &srv->filter[k];
		struct select_sample c;

		if (now < f->at_ns ||
		    now - f->at_ns > SYNC_SAMPLE_MAX_POLLS * interval_ns(srv))
			continue;
		c = as_candidate(f, i, now - f->at_ns);
		if (!found ||
		    select_root_distance(&c) < select_root_distance(out)) {
			*out = c;
			*authenticated = f->authenticated;
			found = true;
		}
	}
	return found;
}

/* Each sample that took part for the first time tells its server's
 * poll interval how it fared. */
static void
score(struct sync *s, const struct select_sample *samples, unsigned n,
      const struct select_result *res)
{
	for (unsigned k = 0; k < n; k++) {
		struct sync_server *srv = &s->servers[samples[k].server];

		if (!srv->fresh)
			continue;
		srv->fresh = false;
		select_server_sample(&srv->poll, res->truechimer[k]);
		if (!res->truechimer[k])
			srv->counters.falseticker++;
	}
}

int
sync_choose(struct sync *s, uint64_t now, struct sync_choice *out)
{
	struct select_sample samples[SYNC_MAX_SERVERS] = {{0}};
	bool authentic[SYNC_MAX_SERVERS] = {false};
	struct select_result res;
	unsigned n = 0, best = SYNC_MAX_SERVERS;
	int rc;

	for (unsigned i = 0; i < s->n; i++)
		n += candidate(&s->servers[i], i, now, &samples[n],
			       &authentic[n]);
	rc = select_time(samples, n, &res);
	if (rc < 0) {
		for (unsigned i = 0; i < s->n; i++)
			s->servers[i].fresh = false;
		s->no_majority += rc == -EDOM;
		return rc == -EDOM ? -EDOM : -ENODATA;
	}
	score(s, samples, n, &res);
	memset(out, 0, sizeof(*out));
	out->authenticated = true;
	for (unsigned k = 0; k < n; k++) {
		if (!res.truechimer[k])
			continue;
		out->authenticated &= authentic[k];
		if (best == SYNC_MAX_SERVERS ||
		    select_root_distance(&samples[k]) <
			select_root_distance(&samples[best]))
			best = k;
	}
	if (best == SYNC_MAX_SERVERS) /* select_time always leaves one */
		return -ENODATA;
	out->offset_ns = res.offset_ns;
	out->error_ns =
	    (uint64_t)later((uint64_t)(res.high_ns - res.offset_ns),
			    (uint64_t)(res.offset_ns - res.low_ns)) +
	    SYNC_LOCAL_PRECISION_NS;
	out->server = samples[best].server;
	out->stratum = samples[best].stratum;
	out->candidates = res.candidates;
	out->survivors = res.survivors;
	return 0;
}

/* ---- NTS ---- */

int
sync_wants_key_exchange(const struct sync *s, uint64_t now, unsigned *server,
			uint64_t *when)
{
	uint64_t first = UINT64_MAX;

	*server = 0;
	for (unsigned i = 0; i < s->n; i++) {
		const struct sync_server *srv = &s->servers[i];

		if (!srv->nts || !srv->poll.usable || srv->keying ||
		    srv->in_flight ||
		    (srv->keyed && nts_jar_count(&srv->client.jar) > 0 &&
		     !srv->rekey))
			continue;
		if (srv->ke_next_ns < first) {
			first = srv->ke_next_ns;
			*server = i;
		}
	}
	*when = first;
	return first <= now;
}

void
sync_key_exchange_started(struct sync *s, unsigned i)
{
	if (i < s->n)
		s->servers[i].keying = true;
}

/* SYNC_KE_RETRY_MIN_NS doubled n times, at most SYNC_KE_RETRY_MAX_NS. */
static uint64_t
ke_wait(unsigned n)
{
	uint64_t wait = SYNC_KE_RETRY_MIN_NS;

	for (unsigned k = 0; k < n && wait < SYNC_KE_RETRY_MAX_NS; k++)
		wait *= 2;
	return wait < SYNC_KE_RETRY_MAX_NS ? wait : SYNC_KE_RETRY_MAX_NS;
}

int
sync_key_exchange_done(struct sync *s, unsigned i, const struct nts_keys *keys,
		       const struct nts_ke_response *ke, uint64_t now)
{
	struct sync_server *srv = &s->servers[i];
	struct nts_client fresh;
	const char *host;
	int rc;

	if (i >= s->n)
		return -EINVAL;
	srv->keying = false;
	/* Into a copy: an unusable response must not cost the keys and
	 * cookies still held. */
	rc = nts_client_init(&fresh, keys, ke);
	host = ke->have_server ? ke->server : srv->host;
	if (rc == 0 && strlen(host) > SYNC_HOST_MAX)
		rc = -EINVAL;
	if (rc < 0) {
		nts_client_clear(&fresh);
		sync_key_exchange_failed(s, i, now);
		return rc;
	}
	srv->client = fresh;
	nts_client_clear(&fresh);
	memcpy(srv->ntp_host, host, strlen(host) + 1);
	srv->ntp_port = ke->have_port ? ke->port : NTP_PORT;
	srv->keyed = true;
	srv->rekey = false;
	srv->ke_failures = 0;
	srv->counters.key_exchanges++;
	srv->next_ns = now;
	/* Until an authentic reply shows the keys work, each exchange
	 * waits twice as long as the one before: NAKs or lost replies
	 * cannot call for TLS handshakes at the pace of requests. */
	srv->ke_next_ns = now + ke_wait(srv->ke_rekeys++);
	return 0;
}

void
sync_key_exchange_failed(struct sync *s, unsigned i, uint64_t now)
{
	struct sync_server *srv = &s->servers[i];

	if (i >= s->n)
		return;
	srv->keying = false;
	srv->counters.key_exchange_failures++;
	srv->ke_next_ns = now + ke_wait(srv->ke_failures++);
}
