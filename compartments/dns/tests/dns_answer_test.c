/*
 * The DNS compartment's rule for what is an answer, alone.  Each test
 * breaks exactly one thing in an answer that is otherwise right, so a
 * check taken out of dns_answer.c lets that answer through and its test
 * fails.  The forgeries are those a resolver meets: another id, another
 * server, another port, a reflected query, a different question.
 */
#include <string.h>

#include "dns_answer.h"
#include "harness.h"

/* A query as c-ares writes it: id 0x5a17, recursion desired, one question
 * for example.test, type A, class IN. */
static const uint8_t query[] = {
    0x5a, 0x17, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 7,    'e',  'x',  'a',	'm',  'p',  'l',  'e',
    4,	  't',	'e',  's',  't',  0,	0x00, 0x01, 0x00, 0x01,
};
/* Its answer: the same header with QR and RA set and one A record. */
static uint8_t answer[sizeof(query) + 16];
static const struct dns_server v4 = {{10, 0, 0, 3}, 4, DNS_SERVER_PORT};
static const struct dns_server v6 = {
    {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3}, 16, DNS_SERVER_PORT};

static void
make_answer(void)
{
	static const uint8_t record[16] = {0xc0, 0x0c, 0, 1, 0,	 1, 0, 0,
					   0,	 60,   0, 4, 10, 0, 0, 1};

	memcpy(answer, query, sizeof(query));
	answer[2] = 0x81;
	answer[3] = 0x80;
	answer[7] = 1; /* ANCOUNT */
	memcpy(answer + sizeof(query), record, sizeof(record));
}

static enum dns_answer_verdict
matches(size_t len)
{
	return dns_answer_matches(query, sizeof(query), answer, len);
}

TEST(the_true_answer_is_accepted)
{
	make_answer();
	CHECK_EQ_INT(dns_answer_source(&v4, v4.address, 4, 53),
		     DNS_ANSWER_ACCEPTED);
	CHECK_EQ_INT(dns_answer_source(&v6, v6.address, 16, 53),
		     DNS_ANSWER_ACCEPTED);
	CHECK_EQ_INT(matches(sizeof(answer)), DNS_ANSWER_ACCEPTED);
	/* No records at all (NODATA) is an answer too. */
	CHECK_EQ_INT(matches(sizeof(query)), DNS_ANSWER_ACCEPTED);
}

TEST(another_server_is_refused)
{
	const uint8_t rogue[4] = {10, 0, 0, 9};
	uint8_t v4_mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	CHECK_EQ_INT(dns_answer_source(&v4, rogue, 4, 53),
		     DNS_ANSWER_WRONG_SERVER);
	/* The server's address in the other family is another server. */
	memcpy(v4_mapped + 12, v4.address, 4);
	CHECK_EQ_INT(dns_answer_source(&v4, v4_mapped, 16, 53),
		     DNS_ANSWER_WRONG_SERVER);
	CHECK_EQ_INT(dns_answer_source(&v6, v6.address, 4, 53),
		     DNS_ANSWER_WRONG_SERVER);
	CHECK_EQ_INT(dns_answer_source(&v4, NULL, 0, 53), DNS_ANSWER_NO_SOURCE);
}

TEST(another_port_is_refused)
{
	CHECK_EQ_INT(dns_answer_source(&v4, v4.address, 4, 5353),
		     DNS_ANSWER_WRONG_PORT);
	CHECK_EQ_INT(dns_answer_source(&v6, v6.address, 16, 0),
		     DNS_ANSWER_WRONG_PORT);
}

TEST(another_id_is_refused)
{
	make_answer();
	answer[0] ^= 0x5a;
	CHECK_EQ_INT(matches(sizeof(answer)), DNS_ANSWER_WRONG_ID);
	make_answer();
	answer[1] ^= 0x01;
	CHECK_EQ_INT(matches(sizeof(answer)), DNS_ANSWER_WRONG_ID);
}

TEST(our_own_query_sent_back_is_refused)
{
	make_answer();
	answer[2] &= 0x7f;
	CHECK_EQ_INT(matches(sizeof(answer)), DNS_ANSWER_NOT_A_RESPONSE);
	CHECK_EQ_INT(
	    dns_answer_matches(query, sizeof(query), query, sizeof(query)),
	    DNS_ANSWER_NOT_A_RESPONSE);
}

TEST(another_question_is_refused)
{
	/* The name's last letter, the type (AAAA), the class, and the
	 * number of questions: each alone. */
	static const size_t where[] = {24, 27, 29, 5};
	static const uint8_t now[] = {'x', 28, 3, 2};

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		make_answer();
		answer[where[i]] = now[i];
		CHECK_EQ_INT(matches(sizeof(answer)),
			     DNS_ANSWER_WRONG_QUESTION);
	}
}

TEST(an_answer_cut_short_is_refused)
{
	make_answer();
	for (size_t len = 0; len < sizeof(query); len++)
		CHECK_EQ_INT(matches(len), DNS_ANSWER_TOO_SHORT);
}

TEST(a_query_shorter_than_a_header_matches_nothing)
{
	make_answer();
	CHECK_EQ_INT(dns_answer_matches(query, 11, answer, sizeof(answer)),
		     DNS_ANSWER_BAD_QUERY);
}

TEST(every_verdict_has_a_name)
{
	for (int v = DNS_ANSWER_ACCEPTED; v <= DNS_ANSWER_WRONG_QUESTION; v++)
		CHECK(
		    strcmp(dns_answer_verdict_name((enum dns_answer_verdict)v),
			   "unknown") != 0);
}

int
main(void)
{
	RUN(the_true_answer_is_accepted);
	RUN(another_server_is_refused);
	RUN(another_port_is_refused);
	RUN(another_id_is_refused);
	RUN(our_own_query_sent_back_is_refused);
	RUN(another_question_is_refused);
	RUN(an_answer_cut_short_is_refused);
	RUN(a_query_shorter_than_a_header_matches_nothing);
	RUN(every_verdict_has_a_name);
	HARNESS_EXIT();
}
