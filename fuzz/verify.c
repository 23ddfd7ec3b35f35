/*
 * The C verifier on arbitrary bytes: as a whole message, and as each body
 * table on its own.  Whatever it accepts is then read completely (printed
 * as JSON), so a read the verifier failed to guard is an ASan report.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sealnet_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *sink;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sn_verify_error err;
	sn_message_ref m;
	uint8_t *copy;

	if (sink == NULL)
		sink = fopen("/dev/null", "w");
	/* An exact-size private copy, as a receiver makes. */
	copy = aligned_alloc(8, (size + 7) & ~(size_t)7);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	if (sn_message_verify(copy, size, &m, &err) == 0)
		sn_message_print_json(m, sink);
	/* Every body table as a root: the last byte picks which. */
	if (size > 0)
		sn_body_verify_as_root(data[size - 1], copy, size, sink, &err);
	free(copy);
	return 0;
}
