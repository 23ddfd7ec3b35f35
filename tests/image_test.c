/*
 * The image's helpers for what reaches a terminal and what is opened:
 * escaping leaves text alone and turns every byte a terminal would obey
 * into \xNN; only regular files are opened, and nothing else blocks.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "image.h"

static char out[256];

static const char *
esc(const char *s)
{
	return image_escape(out, sizeof(out), s);
}

TEST(text_is_left_alone)
{
	CHECK(strcmp(esc("/usr/lib/sealnet/app"), "/usr/lib/sealnet/app") == 0);
	/* é, ✓ and an emoji: valid UTF-8 of two, three and four bytes. */
	CHECK(strcmp(esc("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80"),
		     "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80") == 0);
	CHECK(!image_needs_escape("caf\xc3\xa9 \\x1b"));
}

TEST(controls_are_escaped)
{
	CHECK(strcmp(esc("a\x1b[2Jb"), "a\\x1b[2Jb") == 0);
	CHECK(strcmp(esc("line\nnext\r\t\x7f"),
		     "line\\x0anext\\x0d\\x09\\x7f") == 0);
	/* U+009B, a CSI some terminals obey, UTF-8 encoded and raw. */
	CHECK(strcmp(esc("a\xc2\x9b"
			 "b"),
		     "a\\xc2\\x9bb") == 0);
	CHECK(strcmp(esc("a\x9b"
			 "b"),
		     "a\\x9bb") == 0);
	CHECK(image_needs_escape("a\x1b"));
	CHECK(image_needs_escape("a\xc2\x85"));
}

TEST(what_is_not_utf8_is_escaped)
{
	/* An overlong '/', a surrogate, past U+10FFFF, a sequence cut at
	 * the end, and a lone continuation byte. */
	CHECK(strcmp(esc("\xc0\xaf"), "\\xc0\\xaf") == 0);
	CHECK(strcmp(esc("\xed\xa0\x80"), "\\xed\\xa0\\x80") == 0);
	CHECK(strcmp(esc("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80") == 0);
	CHECK(strcmp(esc("ok\xe2\x9c"), "ok\\xe2\\x9c") == 0);
	CHECK(strcmp(esc("\xa9"), "\\xa9") == 0);
}

TEST(escaping_twice_changes_nothing)
{
	char twice[256];

	esc("x\x1b]0;title\x07y\xc2\x9b");
	image_escape(twice, sizeof(twice), out);
	CHECK(strcmp(twice, out) == 0);
}

TEST(a_short_buffer_cuts_whole_escapes)
{
	char small[6];

	/* "ab" fits, "\x1b" would need 4 more bytes and a terminator. */
	image_escape(small, sizeof(small), "ab\x1b");
	CHECK(strcmp(small, "ab") == 0);
	image_escape(small, sizeof(small), "abcdefgh");
	CHECK(strcmp(small, "abcde") == 0);
	/* A UTF-8 sequence is never cut in half either. */
	image_escape(small, sizeof(small), "abcd\xc3\xa9");
	CHECK(strcmp(small, "abcd") == 0);
}

TEST(only_regular_files_open)
{
	char dir[] = "/tmp/sealnet-image-test-XXXXXX", path[64], err[256];
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	CHECK(mkfifo(path, 0600) == 0);
	/* No writer: a blocking open would never return. */
	CHECK_EQ_INT(image_open_regular(path, err, sizeof(err)), -1);
	CHECK(strstr(err, "not a regular file") != NULL);
	CHECK(unlink(path) == 0);
	CHECK_EQ_INT(image_open_regular("/dev/zero", err, sizeof(err)), -1);
	CHECK(strstr(err, "not a regular file") != NULL);
	CHECK_EQ_INT(image_open_regular(dir, err, sizeof(err)), -1);
	snprintf(path, sizeof(path), "%s/file", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0 && write(fd, "x", 1) == 1 && close(fd) == 0);
	fd = image_open_regular(path, err, sizeof(err));
	CHECK(fd >= 0);
	/* Blocking again, and closed on exec. */
	CHECK_EQ_INT(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	CHECK_EQ_INT(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	CHECK(close(fd) == 0);
	CHECK(unlink(path) == 0 && rmdir(dir) == 0);
}

int
main(void)
{
	RUN(text_is_left_alone);
	RUN(controls_are_escaped);
	RUN(what_is_not_utf8_is_escaped);
	RUN(escaping_twice_changes_nothing);
	RUN(a_short_buffer_cuts_whole_escapes);
	RUN(only_regular_files_open);
	HARNESS_EXIT();
}
