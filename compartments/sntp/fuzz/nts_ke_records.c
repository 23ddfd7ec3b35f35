/*
 * The NTS-KE response parser on arbitrary streams.  The input is parsed
 * twice: whole, and cut into reads whose sizes come from the input's
 * first byte; both must reach the same result and keep the same
 * cookies, or the parser depends on how TCP happened to split the
 * stream.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nts_ke.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct nts_ke_response whole, pieces;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t step, pos = 0;
	int a, b = 0;

	if (size < 1)
		return 0;
	step = (size_t)(data[0] % 17) + 1;
	data++;
	size--;
	nts_ke_response_init(&whole);
	a = nts_ke_response_feed(&whole, data, size);
	nts_ke_response_init(&pieces);
	while (pos < size) {
		size_t n = size - pos < step ? size - pos : step;

		b = nts_ke_response_feed(&pieces, data + pos, n);
		pos += n;
	}
	if (size == 0)
		b = nts_ke_response_feed(&pieces, data, 0);
	if (a != b ||
	    nts_ke_response_end(&whole) != nts_ke_response_end(&pieces))
		abort();
	if (whole.cookie_count > NTS_MAX_COOKIES ||
	    whole.cookie_count != pieces.cookie_count)
		abort();
	for (unsigned i = 0; i < whole.cookie_count; i++)
		if (whole.cookies[i].len != pieces.cookies[i].len ||
		    memcmp(whole.cookies[i].bytes, pieces.cookies[i].bytes,
			   whole.cookies[i].len) != 0)
			abort();
	if (a == 1 && (!whole.have_next_protocol || !whole.have_aead ||
		       whole.cookie_count == 0))
		abort();
	return 0;
}
