/*
 * SYN cookies alone (syncookie.c): what a cookie keeps of its SYN, for
 * which connection and how long it is valid, and that a new SYN on the
 * same addresses and ports gets a new one.
 */
#include <errno.h>
#include <stdbool.h>
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
	/* A shift comes back rounded down to 0, 6 or 9: never above the
	 * client's, so lwIP never reads its window as larger than it is. */
	static const int wscale[][2] = {{-1, -1}, {0, 0},  {1, 0},  {5, 0},
					{6, 6},	  {7, 6},  {8, 6},  {9, 9},
					{10, 9},  {14, 9}, {15, 9}, {255, 9}};
	struct syncookie_syn got;
	uint32_t cookie;

	for (unsigned i = 0; i < sizeof(mss) / sizeof(mss[0]); i++)
		for (unsigned j = 0; j < sizeof(wscale) / sizeof(wscale[0]);
		     j++) {
			syn.has_mss = mss[i].has;
			syn.mss = (uint16_t)mss[i].mss;
			syn.has_wscale = wscale[j][0] >= 0;
			syn.wscale = (uint8_t)wscale[j][0];
			CHECK_EQ_INT(syncookie_make(&key, &syn, 5, &cookie), 0);
			ack = syn;
			ack.seq = syn.seq + 1;
			ack.ack = cookie + 1;
			CHECK_EQ_INT(syncookie_check(&key, &ack, 5, &got), 0);
			CHECK_EQ_INT(got.mss, mss[i].expected);
			CHECK_EQ_INT(got.wscale, wscale[j][1]);
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

/*
 * A random ACK matches a connection's cookie when its low bits are a
 * value a cookie may keep in clear and the rest is that value's MAC: the
 * fewer values in clear, the rarer.  What a SYN's options and the
 * counter's parity decide must sit in the low 5 bits, all of them used,
 * and every bit above must come from the MAC, so that a random ACK
 * matches with probability 2^-27.
 */
TEST(a_cookie_keeps_five_bits_in_clear)
{
	static const int mss[] = {0, 536, 1220, 1300, 1440, 1460, 9000};
	bool used[32] = {false};
	struct tcpseg syn = segment(0, client4, 40000, TCPSEG_SYN);
	uint32_t cookie, low = 0, mac_bits_set, mac_bits_clear;
	unsigned n = 0;

	for (uint64_t counter = 6; counter < 8; counter++)
		for (unsigned i = 0; i < sizeof(mss) / sizeof(mss[0]); i++)
			for (int shift = -1; shift <= 255; shift++) {
				syn.has_mss = mss[i] > 0;
				syn.mss = (uint16_t)mss[i];
				syn.has_wscale = shift >= 0;
				syn.wscale = (uint8_t)(shift >= 0 ? shift : 0);
				mac_bits_set = 0;
				mac_bits_clear = 0;
				/* The same SYN from 64 ports: the same clear
				 * part, and MAC bits that vary. */
				for (uint16_t port = 40000; port < 40064;
				     port++) {
					syn.src_port = port;
					CHECK_EQ_INT(syncookie_make(&key, &syn,
								    counter,
								    &cookie),
						     0);
					if (port == 40000)
						low = cookie & 0x1f;
					CHECK_EQ_INT(cookie & 0x1f, low);
					mac_bits_set |= cookie;
					mac_bits_clear |= ~cookie;
				}
				CHECK_EQ_INT(mac_bits_set | 0x1f, 0xffffffffu);
				CHECK_EQ_INT(mac_bits_clear | 0x1f,
					     0xffffffffu);
				used[low] = true;
			}
	for (unsigned i = 0; i < 32; i++)
		n += used[i];
	CHECK_EQ_INT(n, 32);
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
	RUN(a_cookie_keeps_five_bits_in_clear);
	syncookie_key_free(&key);
	HARNESS_EXIT();
}
