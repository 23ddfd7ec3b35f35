/* Any bytes as a name: a greeting is made only of a valid name, and it
 * never runs past its buffer. */
#include <stdlib.h>
#include <string.h>

#include "greeting.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[GREETING_MAX];
	ssize_t n = greeting_compose(data, size, out, sizeof(out));

	if (n >= 0 && ((size_t)n != 7 + size ||
		       memcmp(out + 7, data, size) != 0 || size == 0))
		abort();
	return 0;
}
