/*
 * Whether a datagram is the answer to a DNS query the resolver sent.
 * Pure: no I/O, nothing kept, so each rule can be tested and fuzzed alone.
 *
 * A datagram is taken as the answer to a query only when all of these
 * hold; anything else is dropped:
 *   - it comes from the server the query was sent to: same address
 *     family, same address (dns_answer_source);
 *   - from the port the query was sent to, 53;
 *   - it is at least as long as the query's header and question;
 *   - it is a response (QR set), not a query sent back at us;
 *   - it carries the query's 16-bit id;
 *   - it asks the query's question: the same question count and the same
 *     name, type and class, byte for byte (dns_answer_matches).
 * The Firewall already drops what does not come from the server's port
 * 53; these checks hold whatever the Firewall lets through.
 */
#ifndef SEALNET_DNS_ANSWER_H
#define SEALNET_DNS_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER_BYTES 12
#define DNS_SERVER_PORT	 53

/* Where the queries went. */
struct dns_server {
	uint8_t address[16];
	size_t address_len; /* 4 for IPv4, 16 for IPv6 */
	uint16_t port;
};

enum dns_answer_verdict {
	DNS_ANSWER_ACCEPTED = 0,
	DNS_ANSWER_NO_SOURCE, /* the datagram does not say where it came from */
	DNS_ANSWER_WRONG_SERVER, /* from another address, or another family */
	DNS_ANSWER_WRONG_PORT,	 /* from another port of the server */
	DNS_ANSWER_BAD_QUERY,	 /* the query is shorter than a DNS header */
	DNS_ANSWER_TOO_SHORT, /* shorter than the query's header and question */
	DNS_ANSWER_NOT_A_RESPONSE, /* QR clear */
	DNS_ANSWER_WRONG_ID,
	DNS_ANSWER_WRONG_QUESTION,
};

/* Whether a datagram from (from, from_len, from_port) may be an answer to
 * a query sent to server.  from may be NULL when the sender is unknown. */
enum dns_answer_verdict dns_answer_source(const struct dns_server *server,
					  const uint8_t *from, size_t from_len,
					  uint16_t from_port);

/* Whether answer answers query (as sent: header, then one question). */
enum dns_answer_verdict dns_answer_matches(const uint8_t *query,
					   size_t query_len,
					   const uint8_t *answer,
					   size_t answer_len);

const char *dns_answer_verdict_name(enum dns_answer_verdict v);

#endif
