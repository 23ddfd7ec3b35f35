/*
 * SYN cookies alone (syncookie.c): what a cookie keeps of its SYN, for
 * which connection and how long it is valid, and that a new SYN on the
 * same addresses and ports gets a new one.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "syncookie.h"
#include "tcpseg.h"

static const uint8_t us4[4] = {10, 0, 0, 80};
static const uint8_t client4[4] = {10, 0, 0, 1};
static const uint8_t us6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0,
				0,    0, 0, 0, 0, 0, 0, 0x50};
static const uint8_t client6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0,
				    0,	  0, 0, 0, 0, 0, 0, 1};

static struct syncookie_key key;

/* A segment from a client to port 80 of ours: only addresses, ports and
 * numbers go into a cookie. */
static struct tcpseg
segment(int v6, const uint8_t *client, uint16_t client_port, uint8_t flags)
{
	struct tcpseg s = {.ipv6 = v6 != 0, .flags = flags};
	size_t alen = v6 ? 16 : 4;

	memcpy(s.src_ip, client, alen);
	memcpy(s.dst_ip, v6 ? us6 : us4, alen);
	s.src_port = client_port;
	s.dst_port = 80;
	return s;
}

TEST(a_cookie_holds_the_mss_class_and_window_scale)
{
	struct tcpseg syn = segment(0, client4, 40000, TCPSEG_SYN), ack;
	static const struct {
		int has, mss, expected;
	} mss[] = {{0, 0, 536},	    {1, 100, 536},   {1, 1219, 536},
		   {1, 1400, 1220}, {1, 1440, 1440}, {1, 1459, 1440},
		   {1, 1460, 1460}, {1, 9000, 1460}};
	struct syncookie_syn got;
	uint32_t cookie;

	for (unsigned i = 0; i < sizeof(mss) / sizeof(mss[0]); i++) {
		syn.has_mss = mss[i].has;
		syn.mss = (uint16_t)mss[i].mss;
		syn.has_wscale = i % 2;
		syn.wscale = (uint8_t)(i * 3);
		CHECK_EQ_INT(syncookie_make(&key, &syn, 5, &cookie), 0);
		ack = syn;
		ack.seq = syn.seq + 1;
		ack.ack = cookie + 1;
		CHECK_EQ_INT(syncookie_check(&key, &ack, 5, &got), 0);
		CHECK_EQ_INT(got.mss, mss[i].expected);
		CHECK_EQ_INT(got.wscale,
			     i % 2 ? (int)(i * 3 > 14 ? 14 : i * 3) : -1);
	}
}

TEST(a_cookie_is_valid_for_its_connection_and_two_periods_only)
{
	struct tcpseg syn = segment(1, client6, 40000, TCPSEG_SYN), ack;
	struct syncookie_syn got;
	uint32_t cookie;

	CHECK_EQ_INT(syncookie_make(&key, &syn, 8, &cookie), 0);
	ack = syn;
	ack.seq = syn.seq + 1;
	ack.ack = cookie + 1;
	CHECK_EQ_INT(syncookie_check(&key, &ack, 8, &got), 0);
	CHECK_EQ_INT(syncookie_check(&key, &ack, 9, &got), 0);
	CHECK_EQ_INT(syncookie_check(&key, &ack, 10, &got), -EACCES);
	CHECK_EQ_INT(syncookie_check(&key, &ack, 7, &got), -EACCES);
	/* Another port, another address, a changed class bit: refused. */
	ack.src_port++;
	CHECK_EQ_INT(syncookie_check(&key, &ack, 8, &got), -EACCES);
	ack.src_port--;
	ack.src_ip[15] ^= 1;
	CHECK_EQ_INT(syncookie_check(&key, &ack, 8, &got), -EACCES);
	ack.src_ip[15] ^= 1;
	ack.ack ^= 1;
	CHECK_EQ_INT(syncookie_check(&key, &ack, 8, &got), -EACCES);
	ack.ack ^= 1;
	/* A segment of another connection on this port: its number is not
	 * the one after the SYN the cookie answered. */
	ack.seq += 1000;
	CHECK_EQ_INT(syncookie_check(&key, &ack, 8, &got), -EACCES);
	ack.seq -= 1000;
	CHECK_EQ_INT(syncookie_check(&key, &ack, 8, &got), 0);
}

TEST(a_new_syn_on_the_same_port_gets_a_new_cookie)
{
	struct tcpseg first = segment(0, client4, 40000, TCPSEG_SYN);
	struct tcpseg again = first, late;
	struct syncookie_syn got;
	uint32_t cookie_first, cookie_again;

	again.seq = first.seq + 123456789u;
	CHECK_EQ_INT(syncookie_make(&key, &first, 8, &cookie_first), 0);
	CHECK_EQ_INT(syncookie_make(&key, &again, 8, &cookie_again), 0);
	CHECK(cookie_first != cookie_again);
	/* The earlier connection's late ACK, numbers and all, makes no
	 * handshake for the new one. */
	late = first;
	late.flags = TCPSEG_ACK;
	late.seq = first.seq + 1;
	late.ack = cookie_again + 1;
	CHECK_EQ_INT(syncookie_check(&key, &late, 8, &got), -EACCES);
	late.seq = again.seq + 1;
	CHECK_EQ_INT(syncookie_check(&key, &late, 8, &got), 0);
}

int
main(void)
{
	const uint8_t k[SYNCOOKIE_KEY_BYTES] = "sixteen byte key";

	if (syncookie_key_init(&key, k) < 0) {
		printf("FAIL syncookie_test: no SipHash in OpenSSL\n");
		return 1;
	}
	RUN(a_cookie_holds_the_mss_class_and_window_scale);
	RUN(a_cookie_is_valid_for_its_connection_and_two_periods_only);
	RUN(a_new_syn_on_the_same_port_gets_a_new_cookie);
	syncookie_key_free(&key);
	HARNESS_EXIT();
}
