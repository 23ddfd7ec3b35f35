/*
 * The image parser on arbitrary bytes.  Whatever it accepts is printed
 * back, which reads every field, and must parse again to the same image.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct image first, second;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], *text = NULL;
	size_t len = 0;
	FILE *out;

	if (image_parse(&first, (const char *)data, size, err, sizeof(err)) < 0)
		return 0;
	out = open_memstream(&text, &len);
	if (out == NULL || image_write(&first, out, false) < 0)
		abort();
	fclose(out);
	if (image_parse(&second, text, len, err, sizeof(err)) < 0 ||
	    memcmp(&first, &second, sizeof(first)) != 0)
		abort();
	free(text);
	return 0;
}
