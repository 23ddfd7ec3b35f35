#include "greeting.h"

#include <errno.h>
#include <string.h>

static const char prefix[] = "hello, ";

ssize_t
greeting_compose(const uint8_t *name, size_t len, char *out, size_t cap)
{
	size_t need = sizeof(prefix) - 1 + len;

	if (len == 0 || len > GREETING_NAME_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (name[i] < 0x20 || name[i] > 0x7e)
			return -EINVAL;
	if (need > cap)
		return -ENOBUFS;
	memcpy(out, prefix, sizeof(prefix) - 1);
	memcpy(out + sizeof(prefix) - 1, name, len);
	return (ssize_t)need;
}
