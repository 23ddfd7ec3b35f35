/*
 * MQTT's data representations (MQTT 5.0 section 1.5, the same in 3.1.1)
 * that need more than a byte order: UTF-8 strings and Variable Byte
 * Integers.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "packet.h"

/* ---- UTF-8 (RFC 3629, with MQTT's exclusion of U+0000) ---- */

static bool
continuation(uint8_t b)
{
	return (b & 0xc0) == 0x80;
}

enum mqtt_fault
mqtt_utf8_check(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t b = s[i];
		size_t n;
		uint8_t lo = 0x80, hi = 0xbf; /* the second byte's range */

		if (b == 0)
			return MQTT_FAULT_UTF8_NUL;
		if (b < 0x80) {
			i++;
			continue;
		}
		if (b < 0xc2) /* a stray continuation, or an overlong pair */
			return MQTT_FAULT_UTF8;
		if (b < 0xe0) {
			n = 1;
		} else if (b < 0xf0) {
			n = 2;
			if (b == 0xe0)
				lo = 0xa0; /* overlong */
		} else if (b < 0xf5) {
			n = 3;
			if (b == 0xf0)
				lo = 0x90; /* overlong */
			else if (b == 0xf4)
				hi = 0x8f; /* above U+10FFFF */
		} else {
			return MQTT_FAULT_UTF8;
		}
		if (n > len - i - 1)
			return MQTT_FAULT_UTF8;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return MQTT_FAULT_UTF8;
		/* ED A0..BF encodes U+D800..U+DFFF. */
		if (b == 0xed && s[i + 1] >= 0xa0)
			return MQTT_FAULT_UTF8_SURROGATE;
		for (size_t k = 2; k <= n; k++)
			if (!continuation(s[i + k]))
				return MQTT_FAULT_UTF8;
		i += n + 1;
	}
	return MQTT_FAULT_NONE;
}

/* ---- Variable Byte Integers ---- */

int
mqtt_vbi_encode(uint32_t value, uint8_t out[4])
{
	int n = 0;

	if (value > MQTT_MAX_REMAINING_LENGTH)
		return -EINVAL;
	do {
		uint8_t b = value & 0x7f;

		value >>= 7;
		out[n++] = (uint8_t)(value ? b | 0x80 : b);
	} while (value);
	return n;
}

int
mqtt_vbi_decode(const uint8_t *buf, size_t len, uint32_t *value,
		enum mqtt_fault *fault)
{
	uint32_t v = 0;
	enum mqtt_fault f = MQTT_FAULT_LENGTH_TOO_LONG;

	for (size_t i = 0; i < 4; i++) {
		if (i >= len)
			return -EAGAIN;
		v |= (uint32_t)(buf[i] & 0x7f) << (7 * i);
		if (!(buf[i] & 0x80)) {
			/* A last byte of 0 after others means fewer bytes
			 * would have held the value. */
			if (i == 0 || buf[i] != 0) {
				*value = v;
				return (int)i + 1;
			}
			f = MQTT_FAULT_LENGTH_NOT_MINIMAL;
			break;
		}
	}
	if (fault != NULL)
		*fault = f;
	return -EBADMSG;
}
