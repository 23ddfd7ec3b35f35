/* Test vectors written as hex, with spaces allowed between groups. */
#ifndef SEALNET_SNTP_TESTS_HEX_H
#define SEALNET_SNTP_TESTS_HEX_H

#include <stddef.h>
#include <stdint.h>

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Bytes written, or 0 if the text is not whole bytes of hex or does not
 * fit: every vector in the tests is non-empty, so 0 is never right. */
static size_t
hex_decode(const char *text, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int high = -1;

	for (; *text != '\0'; text++) {
		int d;

		if (*text == ' ' || *text == '\n')
			continue;
		d = hex_digit(*text);
		if (d < 0)
			return 0;
		if (high < 0) {
			high = d;
			continue;
		}
		if (n == cap)
			return 0;
		out[n++] = (uint8_t)(high << 4 | d);
		high = -1;
	}
	return high < 0 ? n : 0;
}

#endif
