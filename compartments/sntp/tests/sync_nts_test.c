/*
 * The core with NTS: key exchanges, replies refused for each reason,
 * NAKs and cookies running out, all with time passed in.
 */
#include <errno.h>
#include <string.h>

#include "../../../tests/harness.h"
#include "nts_server.h"
#include "sync_wire.h"

static struct nts_keys keys;

/* What a key exchange gives: two cookies. */
static int
ke_response(struct nts_ke_response *ke)
{
	static const uint8_t stream_head[] = {0x80, 1, 0, 2, 0, 0,
					      0x80, 4, 0, 2, 0, 15};
	uint8_t stream[512];
	size_t pos = sizeof(stream_head);

	for (int k = 0; k < NTS_KEY_LEN; k++) {
		keys.c2s[k] = (uint8_t)k;
		keys.s2c[k] = (uint8_t)(0x40 + k);
	}
	memcpy(stream, stream_head, pos);
	for (unsigned c = 0; c < 2; c++) {
		memcpy(stream + pos, "\0\5\0\x20", 4);
		memset(stream + pos + 4, 0x30 + (int)c, 32);
		pos += 36;
	}
	memcpy(stream + pos, "\x80\0\0\0", 4);
	nts_ke_response_init(ke);
	return nts_ke_response_feed(ke, stream, pos + 4) == 1 ? 0 : -1;
}

static int
keyed_server(uint64_t now)
{
	struct nts_ke_response ke;
	unsigned i;
	uint64_t when;

	if (ke_response(&ke) < 0)
		return -1;
	sync_init(&s, true);
	sync_add_server(&s, "nts.test", 4460, true);
	if (sync_wants_key_exchange(&s, now, &i, &when) != 1)
		return -1;
	sync_key_exchange_started(&s, i);
	return sync_key_exchange_done(&s, 0, &keys, &ke, now);
}

static size_t
nts_answer(const uint8_t *request, size_t len,
	   void (*spoil)(struct nts_server_reply *))
{
	struct nts_server_request seen;
	struct nts_server_reply opt;

	if (nts_server_read_request(&keys, request, len, &seen) < 0)
		return 0;
	nts_server_default(&opt, &seen);
	opt.receive_ts = opt.transmit_ts = ntp_ts(T2024 + MS);
	if (spoil)
		spoil(&opt);
	int n = nts_server_write_reply(&keys, &seen, &opt, rep, sizeof(rep));
	return n > 0 ? (size_t)n : 0;
}

static void
wrong_key(struct nts_server_reply *o)
{
	static const uint8_t bad[NTS_KEY_LEN] = {1};
	o->s2c = bad;
}

static void
no_authenticator(struct nts_server_reply *o)
{
	o->authenticate = false;
}

TEST(nts_replies_refused_for_each_reason)
{
	const struct sync_address ntp = {4, {10, 0, 0, 1}, 123};
	uint64_t when;
	unsigned i;
	int len;
	size_t n;
	struct sync_choice c;

	CHECK_EQ_INT(keyed_server(NOW0), 0);
	CHECK_EQ_INT(strcmp(s.servers[0].ntp_host, "nts.test"), 0);
	CHECK_EQ_INT(s.servers[0].ntp_port, 123);
	CHECK_EQ_INT(sync_due(&s, NOW0, &i, &when), 1);
	len = sync_request(&s, 0, 42, NOW0, req, sizeof(req));
	CHECK(len > 48);
	sync_sent_to(&s, 0, &ntp, T2024);
	n = nts_answer(req, (size_t)len, wrong_key);
	CHECK(n > 0);
	CHECK_EQ_INT(sync_reply(&s, 0, rep, n, &ntp, T2024 + 2 * MS, NOW0),
		     SYNC_WAITING);
	CHECK_EQ_INT(s.servers[0].counters.not_authentic, 1);
	n = nts_answer(req, (size_t)len, no_authenticator);
	CHECK_EQ_INT(sync_reply(&s, 0, rep, n, &ntp, T2024 + 2 * MS, NOW0),
		     SYNC_WAITING);
	CHECK_EQ_INT(s.servers[0].counters.unauthenticated, 1);
	/* A plain reply with our origin is no substitute either. */
	n = reply(42, T2024 + MS, T2024 + MS, 2, NULL, 4);
	CHECK_EQ_INT(sync_reply(&s, 0, rep, n, &ntp, T2024 + 2 * MS, NOW0),
		     SYNC_WAITING);
	CHECK_EQ_INT(s.servers[0].counters.unauthenticated, 2);
	CHECK(!s.servers[0].have_sample);
	n = nts_answer(req, (size_t)len, NULL);
	CHECK_EQ_INT(
	    sync_reply(&s, 0, rep, n, &ntp, T2024 + 2 * MS, NOW0 + 2 * MS),
	    SYNC_SAMPLE);
	CHECK(s.servers[0].authenticated);
	/* The same reply again: a replay. */
	CHECK_EQ_INT(
	    sync_reply(&s, 0, rep, n, &ntp, T2024 + 3 * MS, NOW0 + 3 * MS),
	    SYNC_WAITING);
	CHECK_EQ_INT(s.servers[0].counters.replayed, 1);
	CHECK_EQ_INT(sync_choose(&s, NOW0 + 3 * MS, &c), 0);
	CHECK(c.authenticated);
}

/* A replayed reply to a later request: its origin and identifier are
 * the old request's. */
TEST(nts_old_reply_to_a_new_request)
{
	const struct sync_address ntp = {4, {10, 0, 0, 1}, 123};
	uint8_t old[NTP_MAX_PACKET_LEN];
	int len;
	size_t n;

	CHECK_EQ_INT(keyed_server(NOW0), 0);
	len = sync_request(&s, 0, 42, NOW0, req, sizeof(req));
	sync_sent_to(&s, 0, &ntp, T2024);
	n = nts_answer(req, (size_t)len, NULL);
	memcpy(old, rep, n);
	CHECK_EQ_INT(sync_reply(&s, 0, rep, n, &ntp, T2024 + 2 * MS, NOW0),
		     SYNC_SAMPLE);
	len = sync_request(&s, 0, 43, NOW0 + 100 * S, req, sizeof(req));
	CHECK(len > 0);
	sync_sent_to(&s, 0, &ntp, T2024 + 100 * S);
	/* Even with its origin rewritten to the new request's. */
	put_be(old + 24, 43, 8);
	CHECK_EQ_INT(
	    sync_reply(&s, 0, old, n, &ntp, T2024 + 100 * S, NOW0 + 100 * S),
	    SYNC_WAITING);
	CHECK_EQ_INT(s.servers[0].counters.not_ours +
			 s.servers[0].counters.not_authentic,
		     1);
	CHECK_EQ_INT(s.servers[0].counters.accepted, 1);
}

/* An NTS NAK carries no authenticator: anyone who saw the request can
 * write one. */
static void
nak(struct nts_server_reply *o)
{
	o->stratum = 0;
	o->reference_id = NTP_KISS_NTSN;
	o->authenticate = false;
	o->cookies = 0;
}

static int req_len;

/* A request to the keyed server at now, answered with a NAK. */
static int
nak_request(uint64_t now)
{
	const struct sync_address ntp = {4, {10, 0, 0, 1}, 123};
	size_t n;

	req_len = sync_request(&s, 0, 42 + now, now, req, sizeof(req));
	if (req_len <= 0)
		return -1;
	sync_sent_to(&s, 0, &ntp, T2024);
	n = nts_answer(req, (size_t)req_len, nak);
	if (n == 0)
		return -1;
	return (int)sync_reply(&s, 0, rep, n, &ntp, T2024 + MS, now + MS);
}

/* A forged NAK that comes first ends nothing: the genuine reply after it
 * still counts, and the keys and cookies stay. */
TEST(nts_nak_then_the_genuine_reply)
{
	const struct sync_address ntp = {4, {10, 0, 0, 1}, 123};
	uint64_t when;
	unsigned i;
	size_t n;

	CHECK_EQ_INT(keyed_server(NOW0), 0);
	CHECK_EQ_INT(nak_request(NOW0), SYNC_WAITING);
	CHECK_EQ_INT(s.servers[0].counters.kiss_ntsn, 1);
	CHECK(s.servers[0].in_flight);
	CHECK_EQ_INT(nts_jar_count(&s.servers[0].client.jar), 1);
	n = nts_answer(req, (size_t)req_len, NULL);
	CHECK(n > 0);
	CHECK_EQ_INT(
	    sync_reply(&s, 0, rep, n, &ntp, T2024 + 2 * MS, NOW0 + 2 * MS),
	    SYNC_SAMPLE);
	CHECK(s.servers[0].authenticated);
	CHECK(nts_jar_count(&s.servers[0].client.jar) > 1);
	CHECK_EQ_INT(sync_wants_key_exchange(&s, NOW0 + 100 * S, &i, &when), 0);
	CHECK_EQ_INT(sync_due(&s, NOW0 + 100 * S, &i, &when), 1);
	CHECK_EQ_INT(s.servers[0].counters.key_exchanges, 1);
}

/* A NAK and then nothing until the timeout: new keys are due, and until
 * they come the cookies left are still used. */
TEST(nts_nak_then_silence_asks_for_new_keys)
{
	uint64_t when;
	unsigned i;

	CHECK_EQ_INT(keyed_server(NOW0), 0);
	CHECK_EQ_INT(nak_request(NOW0), SYNC_WAITING);
	sync_timeout(&s, 0, NOW0 + S);
	CHECK_EQ_INT(s.servers[0].counters.timeouts, 1);
	CHECK_EQ_INT(nts_jar_count(&s.servers[0].client.jar), 1);
	CHECK_EQ_INT(sync_wants_key_exchange(&s, NOW0 + 2 * S, &i, &when), 1);
	/* Failed exchanges back off: 2 s, 4 s, 8 s... */
	sync_key_exchange_started(&s, 0);
	CHECK(!sync_settled(&s));
	sync_key_exchange_failed(&s, 0, NOW0 + 2 * S);
	CHECK_EQ_INT(sync_wants_key_exchange(&s, NOW0 + 3 * S, &i, &when), 0);
	CHECK_EQ_INT(when, NOW0 + 4 * S);
	CHECK_EQ_INT(sync_due(&s, NOW0 + 3 * S, &i, &when), 1);
	sync_key_exchange_started(&s, 0);
	sync_key_exchange_failed(&s, 0, NOW0 + 4 * S);
	sync_wants_key_exchange(&s, NOW0 + 4 * S, &i, &when);
	CHECK_EQ_INT(when, NOW0 + 8 * S);
	CHECK_EQ_INT(s.servers[0].counters.key_exchange_failures, 2);
}

/* NAKs that nothing genuine follows, again and again: key exchanges
 * still come further and further apart. */
TEST(nts_repeated_naks_pace_key_exchanges)
{
	struct nts_ke_response ke;
	uint64_t now = NOW0, when, when_ke;
	unsigned i, exchanges = 0;
	int outcome;

	CHECK_EQ_INT(keyed_server(now), 0);
	CHECK_EQ_INT(ke_response(&ke), 0);
	for (int step = 0; step < 10000 && now < NOW0 + 3600 * S; step++) {
		if (sync_wants_key_exchange(&s, now, &i, &when_ke)) {
			sync_key_exchange_started(&s, 0);
			CHECK_EQ_INT(
			    sync_key_exchange_done(&s, 0, &keys, &ke, now), 0);
			exchanges++;
		} else if (sync_due(&s, now, &i, &when)) {
			outcome = nak_request(now);
			CHECK(outcome == SYNC_WAITING || outcome == SYNC_REKEY);
			now += S;
			sync_timeout(&s, 0, now);
		} else {
			now = when < when_ke ? when : when_ke;
		}
	}
	/* 2 s, then doubling: a dozen in the hour. */
	CHECK(exchanges >= 2);
	CHECK(exchanges <= 12);
}

/* Cookies used up: the server wants a key exchange, not a request. */
TEST(nts_cookies_run_out)
{
	const struct sync_address ntp = {4, {10, 0, 0, 1}, 123};
	uint64_t when, now = NOW0;
	unsigned i;

	CHECK_EQ_INT(keyed_server(now), 0);
	for (int k = 0; k < 2; k++) {
		CHECK_EQ_INT(sync_due(&s, now, &i, &when), 1);
		CHECK(sync_request(&s, 0, 42, now, req, sizeof(req)) > 0);
		sync_sent_to(&s, 0, &ntp, T2024);
		sync_timeout(&s, 0, now + S);
		now += 100 * S;
	}
	CHECK_EQ_INT(nts_jar_count(&s.servers[0].client.jar), 0);
	CHECK_EQ_INT(sync_due(&s, now, &i, &when), 0);
	CHECK_EQ_INT(sync_wants_key_exchange(&s, now, &i, &when), 1);
}

int
main(void)
{
	RUN(nts_replies_refused_for_each_reason);
	RUN(nts_old_reply_to_a_new_request);
	RUN(nts_nak_then_the_genuine_reply);
	RUN(nts_nak_then_silence_asks_for_new_keys);
	RUN(nts_repeated_naks_pace_key_exchanges);
	RUN(nts_cookies_run_out);
	HARNESS_EXIT();
}
