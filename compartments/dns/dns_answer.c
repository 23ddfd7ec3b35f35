/* Which datagrams are answers to our DNS queries: see dns_answer.h. */
#include "dns_answer.h"

#include <string.h>

/* Header offsets, RFC 1035 4.1.1. */
#define DNS_ID	    0
#define DNS_FLAGS   2
#define DNS_FLAG_QR 0x80 /* in the first flags byte */
#define DNS_QDCOUNT 4

enum dns_answer_verdict
dns_answer_source(const struct dns_server *server, const uint8_t *from,
		  size_t from_len, uint16_t from_port)
{
	if (from == NULL)
		return DNS_ANSWER_NO_SOURCE;
	if (from_len != server->address_len ||
	    memcmp(from, server->address, from_len) != 0)
		return DNS_ANSWER_WRONG_SERVER;
	if (from_port != server->port)
		return DNS_ANSWER_WRONG_PORT;
	return DNS_ANSWER_ACCEPTED;
}

enum dns_answer_verdict
dns_answer_matches(const uint8_t *query, size_t query_len,
		   const uint8_t *answer, size_t answer_len)
{
	if (query_len < DNS_HEADER_BYTES)
		return DNS_ANSWER_BAD_QUERY;
	/* Every comparison below reads at most query_len bytes of each. */
	if (answer_len < query_len)
		return DNS_ANSWER_TOO_SHORT;
	if (!(answer[DNS_FLAGS] & DNS_FLAG_QR))
		return DNS_ANSWER_NOT_A_RESPONSE;
	if (memcmp(answer + DNS_ID, query + DNS_ID, 2) != 0)
		return DNS_ANSWER_WRONG_ID;
	if (memcmp(answer + DNS_QDCOUNT, query + DNS_QDCOUNT, 2) != 0 ||
	    memcmp(answer + DNS_HEADER_BYTES, query + DNS_HEADER_BYTES,
		   query_len - DNS_HEADER_BYTES) != 0)
		return DNS_ANSWER_WRONG_QUESTION;
	return DNS_ANSWER_ACCEPTED;
}

const char *
dns_answer_verdict_name(enum dns_answer_verdict v)
{
	switch (v) {
	case DNS_ANSWER_ACCEPTED:
		return "accepted";
	case DNS_ANSWER_NO_SOURCE:
		return "no source address";
	case DNS_ANSWER_WRONG_SERVER:
		return "not from the server asked";
	case DNS_ANSWER_WRONG_PORT:
		return "not from the port asked";
	case DNS_ANSWER_BAD_QUERY:
		return "the query is shorter than a header";
	case DNS_ANSWER_TOO_SHORT:
		return "shorter than the question";
	case DNS_ANSWER_NOT_A_RESPONSE:
		return "not a response";
	case DNS_ANSWER_WRONG_ID:
		return "another query id";
	case DNS_ANSWER_WRONG_QUESTION:
		return "another question";
	}
	return "unknown";
}
