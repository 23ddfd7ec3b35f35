/*
 * Image-derived text as a terminal may show it, and files that are what
 * they claim: an image names paths and strings a hostile binary chose.
 */
#include "image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The length of the UTF-8 sequence at s if it is valid and no control
 * character, else 0.  Overlong forms, surrogates and C1 controls
 * (U+0080-U+009F, which some terminals obey as escapes) are not. */
static size_t
printable_utf8(const unsigned char *s)
{
	uint32_t cp;
	size_t n;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07u;
	else
		return 0;
	/* A continuation byte is never 0, so this stops at the end. */
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || cp <= 0x9f)
		return 0;
	return n;
}

char *
image_escape(char *dst, size_t cap, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t out = 0;

	if (cap == 0)
		return dst;
	while (*s) {
		char piece[5];
		size_t n = 1;
		const void *from = s;

		if (*s >= 0x80)
			n = printable_utf8(s);
		if (n == 0 || *s < 0x20 || *s == 0x7f) {
			snprintf(piece, sizeof(piece), "\\x%02x", *s);
			from = piece;
			n = 4;
		}
		if (n >= cap - out)
			break;
		memcpy(dst + out, from, n);
		out += n;
		/* An escaped byte stands for one input byte. */
		s += from == (const void *)piece ? 1 : n;
	}
	dst[out] = 0;
	return dst;
}

bool
image_needs_escape(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = *p >= 0x80 ? printable_utf8(p) : 1;

		if (n == 0 || *p < 0x20 || *p == 0x7f)
			return true;
		p += n;
	}
	return false;
}

int
image_open_regular(const char *path, char *err, size_t errlen)
{
	char shown[256];
	struct stat st;
	int fd, flags;

	/* O_NONBLOCK: opening a FIFO with no writer would wait forever. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s",
			 image_escape(shown, sizeof(shown), path),
			 strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (flags = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		snprintf(err, errlen, "%s: not a regular file",
			 image_escape(shown, sizeof(shown), path));
		close(fd);
		return -1;
	}
	return fd;
}
