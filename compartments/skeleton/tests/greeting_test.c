/* The skeleton's pure core: what it answers and what it refuses. */
#include <errno.h>
#include <string.h>

#include "greeting.h"
#include "harness.h"

static char out[GREETING_MAX];

TEST(a_name_is_greeted)
{
	ssize_t n =
	    greeting_compose((const uint8_t *)"Ada", 3, out, sizeof(out));

	CHECK_EQ_INT(n, 10);
	CHECK(memcmp(out, "hello, Ada", 10) == 0);
}

TEST(the_longest_name_fits_the_largest_greeting)
{
	uint8_t name[GREETING_NAME_MAX];

	memset(name, 'x', sizeof(name));
	CHECK_EQ_INT(greeting_compose(name, sizeof(name), out, sizeof(out)),
		     GREETING_MAX);
}

TEST(empty_long_or_unprintable_names_are_refused)
{
	uint8_t name[GREETING_NAME_MAX + 1];

	memset(name, 'x', sizeof(name));
	CHECK_EQ_INT(greeting_compose(name, 0, out, sizeof(out)), -EINVAL);
	CHECK_EQ_INT(greeting_compose(name, sizeof(name), out, sizeof(out)),
		     -EINVAL);
	CHECK_EQ_INT(
	    greeting_compose((const uint8_t *)"a\033[2J", 5, out, sizeof(out)),
	    -EINVAL);
	CHECK_EQ_INT(greeting_compose((const uint8_t *)"caf\xc3\xa9", 5, out,
				      sizeof(out)),
		     -EINVAL);
}

TEST(a_small_buffer_is_refused_not_overrun)
{
	char small[8] = "untouch";

	CHECK_EQ_INT(
	    greeting_compose((const uint8_t *)"Ada", 3, small, sizeof(small)),
	    -ENOBUFS);
	CHECK(memcmp(small, "untouch", 8) == 0);
}

int
main(void)
{
	RUN(a_name_is_greeted);
	RUN(the_longest_name_fits_the_largest_greeting);
	RUN(empty_long_or_unprintable_names_are_refused);
	RUN(a_small_buffer_is_refused_not_overrun);
	HARNESS_EXIT();
}
