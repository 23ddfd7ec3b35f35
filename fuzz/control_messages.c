/*
 * Everything a compartment can send the supervisor, and everything the
 * supervisor can send a compartment, on arbitrary bytes.  The first byte
 * picks the direction.  Messages arrive without descriptors here, so a
 * boot or restart message that names peers must be refused, not trusted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "supervisor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sn_compartment compartment;
static int initialised;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	if (size < 1)
		return 0;
	if (!initialised) {
		sn_compartment_init(&compartment, "fuzz", NULL, 0, NULL);
		initialised = 1;
	}
	/* An exact-size private copy, as a receiver makes. */
	copy = aligned_alloc(8, (size + 7) & ~(size_t)7);
	if (copy == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	if (data[0] & 1) {
		struct control_message cm;

		supervisor_control_message("app", copy, size - 1, &cm);
		/* A log's text must lie inside the message. */
		if (cm.kind == CONTROL_LOG && cm.len > 0 &&
		    (cm.text < copy || cm.text + cm.len > copy + size - 1))
			abort();
	} else
		sn_control_message(&compartment, copy, size - 1, NULL, 0);
	free(copy);
	return 0;
}
