/*
 * The DNS compartment's answer check on arbitrary datagrams and queries.
 * Beyond not crashing, whatever it accepts must really be an answer to the
 * query: checked here by the definition, not by the code under test.
 *
 * Input: one byte splitting the rest into a query and an answer, one byte
 * choosing the source family, then the source address and port.
 */
#include <stdlib.h>
#include <string.h>

#include "dns_answer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct dns_server server = {{10, 0, 0, 3}, 4, DNS_SERVER_PORT};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t from_len, split;
	uint16_t port;

	if (size < 2)
		return 0;
	from_len = data[1] & 1 ? 16 : 4;
	if (size < 2 + from_len + 2)
		return 0;
	port = (uint16_t)(data[2 + from_len] << 8 | data[3 + from_len]);
	if (dns_answer_source(&server, data + 2, from_len, port) ==
		DNS_ANSWER_ACCEPTED &&
	    (from_len != 4 || memcmp(data + 2, server.address, 4) != 0 ||
	     port != DNS_SERVER_PORT))
		abort();
	data += 4 + from_len;
	size -= 4 + from_len;
	split = size ? data[0] % size : 0;
	if (size == 0)
		return 0;
	/* Exact-size copies, so a read past either end is an ASan error. */
	uint8_t *query = malloc(split ? split : 1);
	uint8_t *answer = malloc(size - 1 - split ? size - 1 - split : 1);
	size_t qlen = split, alen = size - 1 - split;

	if (query == NULL || answer == NULL)
		abort();
	memcpy(query, data + 1, qlen);
	memcpy(answer, data + 1 + qlen, alen);
	if (dns_answer_matches(query, qlen, answer, alen) ==
		DNS_ANSWER_ACCEPTED &&
	    (qlen < 12 || alen < qlen || !(answer[2] & 0x80) ||
	     memcmp(answer, query, 2) != 0 ||
	     memcmp(answer + 4, query + 4, 2) != 0 ||
	     memcmp(answer + 12, query + 12, qlen - 12) != 0))
		abort();
	free(query);
	free(answer);
	return 0;
}
