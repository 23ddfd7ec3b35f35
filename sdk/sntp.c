/* The SNTP API: the shared time record read in place, and the two calls
 * to the SNTP compartment. */
#include "sealnet/sntp.h"

#include <errno.h>
#include <string.h>

#include "boot.h"
#include "sdk.h"
#include "time_record.h"

_Static_assert(SNTP_SERVER_MAX == SN_TIME_SERVER_MAX,
	       "a server name from the record fits sntp_time");

static _Alignas(8) uint8_t reply_buf[SN_MAX_MESSAGE];

int
sntp_time_get(struct sntp_time *out)
{
	struct sn_time_payload p;
	const struct sn_time_record *r;
	struct sn_peer *peer;
	uint64_t now;
	int rc = sn_sdk_peer(SN_EXPORT_SNTP_TIME_GET, __func__, &peer);

	if (rc < 0)
		return rc;
	if (out == NULL)
		return -EINVAL;
	r = sn_time_record_shared();
	if (r == NULL)
		return -EPERM;
	now = sn_now_ns();
	rc = sn_time_record_read(r, now, &p);
	if (rc < 0)
		return rc;
	memset(out, 0, sizeof(*out));
	out->synchronised = (p.flags & SN_TIME_SYNCHRONISED) != 0;
	out->authenticated = (p.flags & SN_TIME_AUTHENTICATED) != 0;
	out->updating = (p.flags & SN_TIME_UPDATING) != 0;
	out->updates = p.updates;
	if (!out->synchronised)
		return -ENODATA;
	sn_time_now(&p, now, &out->seconds, &out->nanoseconds);
	sn_time_now(&p, p.updated_monotonic_ns, &out->updated_seconds,
		    &out->updated_nanoseconds);
	out->age_ns = now - p.updated_monotonic_ns;
	out->error_ns = sn_time_error_now(&p, now);
	out->stratum = p.stratum;
	memcpy(out->server, p.server, sizeof(out->server));
	return 0;
}

int
sntp_time_to_timespec(const struct sntp_time *t, struct timespec *ts)
{
	if (t == NULL || ts == NULL)
		return -EINVAL;
	if (!t->synchronised)
		return -ENODATA;
	if ((int64_t)(time_t)t->seconds != t->seconds)
		return -EOVERFLOW;
	ts->tv_sec = (time_t)t->seconds;
	ts->tv_nsec = (long)t->nanoseconds;
	return 0;
}

int
sntp_update(uint64_t timeout_ns)
{
	sn_message_ref m;

	return sn_sdk_call_empty(SN_EXPORT_SNTP_UPDATE, __func__, timeout_ns,
				 reply_buf, sizeof(reply_buf), &m);
}

static int
server_status(sn_sntp_server_status_ref s, struct sntp_server_status *out)
{
	uint32_t len;
	const char *host = sn_sntp_server_status_host(s, &len);

	memset(out, 0, sizeof(*out));
	if (len > SNTP_SERVER_MAX || memchr(host, 0, len) != NULL)
		return -EPROTO;
	memcpy(out->host, host, len);
	out->port = sn_sntp_server_status_port(s);
	out->nts = sn_sntp_server_status_nts(s);
	out->usable = sn_sntp_server_status_usable(s);
	out->poll = sn_sntp_server_status_poll(s);
	out->cookies = sn_sntp_server_status_cookies(s);
	out->requests = sn_sntp_server_status_requests(s);
	out->accepted = sn_sntp_server_status_accepted(s);
	out->timeouts = sn_sntp_server_status_timeouts(s);
	out->rejected_not_ours = sn_sntp_server_status_rejected_not_ours(s);
	out->rejected_source = sn_sntp_server_status_rejected_source(s);
	out->rejected_malformed = sn_sntp_server_status_rejected_malformed(s);
	out->rejected_unsynchronised =
	    sn_sntp_server_status_rejected_unsynchronised(s);
	out->rejected_unauthenticated =
	    sn_sntp_server_status_rejected_unauthenticated(s);
	out->rejected_not_authentic =
	    sn_sntp_server_status_rejected_not_authentic(s);
	out->rejected_replayed = sn_sntp_server_status_rejected_replayed(s);
	out->kiss_rate = sn_sntp_server_status_kiss_rate(s);
	out->kiss_deny = sn_sntp_server_status_kiss_deny(s);
	out->kiss_ntsn = sn_sntp_server_status_kiss_ntsn(s);
	out->falseticker = sn_sntp_server_status_falseticker(s);
	out->key_exchanges = sn_sntp_server_status_key_exchanges(s);
	out->key_exchange_failures =
	    sn_sntp_server_status_key_exchange_failures(s);
	out->offset_ns = sn_sntp_server_status_offset_ns(s);
	out->delay_ns = sn_sntp_server_status_delay_ns(s);
	return 0;
}

int
sntp_status(uint64_t timeout_ns, struct sntp_status *out)
{
	sn_message_ref m;
	sn_sntp_status_ref st;
	struct sn_peer *p;
	int rc = sn_sdk_peer(SN_EXPORT_SNTP_STATUS, __func__, &p);

	if (rc < 0)
		return rc;
	if (out == NULL)
		return -EINVAL;
	rc = sn_sdk_call_empty(SN_EXPORT_SNTP_STATUS, __func__, timeout_ns,
			       reply_buf, sizeof(reply_buf), &m);
	if (rc < 0)
		return rc;
	st = sn_message_body_as_sntp_status(m);
	memset(out, 0, sizeof(*out));
	out->nts_required = sn_sntp_status_nts_required(st);
	out->synchronised = sn_sntp_status_synchronised(st);
	out->updates = sn_sntp_status_updates(st);
	out->no_majority = sn_sntp_status_no_majority(st);
	for (uint32_t i = 0; i < sn_sntp_status_servers_count(st) &&
			     out->nservers < SNTP_STATUS_SERVERS_MAX;
	     i++)
		if (server_status(sn_sntp_status_servers_at(st, i),
				  &out->servers[out->nservers++]) < 0)
			return -EPROTO;
	return 0;
}
