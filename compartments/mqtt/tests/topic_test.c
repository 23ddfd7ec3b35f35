/*
 * Topic names and filters: the specifications' examples (section 4.7 of
 * both), tables of what is valid and what lies within what, and an
 * exhaustive check of mqtt_topic_within against mqtt_topic_match over
 * every filter and topic name built from a few levels.
 */
#include <string.h>

#include "harness.h"
#include "topic.h"

#define S(s) (const uint8_t *)(s), strlen(s)

static bool
name_ok(const char *s)
{
	return mqtt_topic_name_check(S(s)) == MQTT_FAULT_NONE;
}

static bool
filter_ok(const char *s, bool shared)
{
	return mqtt_topic_filter_check(S(s), shared) == MQTT_FAULT_NONE;
}

static bool
match(const char *filter, const char *name)
{
	return mqtt_topic_match(S(filter), S(name));
}

static bool
within(const char *inner, const char *outer)
{
	return mqtt_topic_within(S(inner), S(outer));
}

TEST(topic_names)
{
	CHECK(name_ok("sport/tennis/player1"));
	CHECK(name_ok("/"));
	CHECK(name_ok("a//b"));
	CHECK(name_ok("$SYS/broker/uptime"));
	CHECK(name_ok(" "));
	CHECK(name_ok("\xc3\xa9t\xc3\xa9"));
	CHECK(!name_ok(""));
	CHECK(!name_ok("sport/+"));
	CHECK(!name_ok("sport/#"));
	CHECK(!name_ok("a+b"));
	CHECK_EQ_INT(mqtt_topic_name_check(S("a#")), MQTT_FAULT_TOPIC_WILDCARD);
	CHECK_EQ_INT(mqtt_topic_name_check((const uint8_t *)"a\0b", 3),
		     MQTT_FAULT_UTF8_NUL);
	CHECK_EQ_INT(mqtt_topic_name_check(S("\xed\xa0\x80")),
		     MQTT_FAULT_UTF8_SURROGATE);
	static uint8_t big[65536];
	memset(big, 'a', sizeof(big));
	CHECK_EQ_INT(mqtt_topic_name_check(big, sizeof(big)),
		     MQTT_FAULT_TOO_LARGE);
	CHECK_EQ_INT(mqtt_topic_name_check(big, sizeof(big) - 1),
		     MQTT_FAULT_NONE);
}

TEST(topic_filters)
{
	/* Section 4.7.1's examples, valid and not. */
	static const char *const valid[] = {
	    "sport/tennis/player1/#",
	    "sport/#",
	    "#",
	    "sport/tennis/#",
	    "+",
	    "+/tennis/#",
	    "sport/+/player1",
	    "/+",
	    "+/+",
	    "a//b",
	    "/",
	    "+/",
	    "$SYS/#",
	    "$share",
	};
	static const char *const invalid[] = {
	    "sport/tennis#",
	    "sport/tennis/#/ranking",
	    "sport+",
	    "a/#/b",
	    "##",
	    "+a",
	    "a/b+",
	    "#/",
	    "",
	    "a/++",
	};

	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		CHECK(filter_ok(valid[i], false));
		CHECK(filter_ok(valid[i], true));
	}
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		CHECK(!filter_ok(invalid[i], false));
		CHECK(!filter_ok(invalid[i], true));
	}
}

TEST(shared_subscriptions)
{
	struct mqtt_bytes share, inner;

	CHECK(filter_ok("$share/group/sport/#", true));
	CHECK(filter_ok("$share/g/+", true));
	/* A share name is one level without wildcards, and a filter must
	 * follow it. */
	CHECK(!filter_ok("$share/g", true));
	CHECK(!filter_ok("$share/g/", true));
	CHECK(!filter_ok("$share//a", true));
	CHECK(!filter_ok("$share/g+/a", true));
	CHECK(!filter_ok("$share/#/a", true));
	CHECK(!filter_ok("$share/g/a#", true));
	/* Without shared subscriptions (3.1.1) it is an ordinary topic. */
	CHECK(filter_ok("$share/g", false));
	CHECK(mqtt_topic_share_split(S("$share/group/a/+"), &share, &inner));
	CHECK(share.len == 5 && memcmp(share.data, "group", 5) == 0);
	CHECK(inner.len == 3 && memcmp(inner.data, "a/+", 3) == 0);
	CHECK(!mqtt_topic_share_split(S("$shared/g/a"), &share, &inner));
	CHECK(!mqtt_topic_share_split(S("a/$share/g"), &share, &inner));
}

TEST(matching_spec_examples)
{
	/* 4.7.1.2: the multi-level wildcard, parent level included. */
	CHECK(match("sport/tennis/player1/#", "sport/tennis/player1"));
	CHECK(match("sport/tennis/player1/#", "sport/tennis/player1/ranking"));
	CHECK(match("sport/tennis/player1/#",
		    "sport/tennis/player1/score/wimbledon"));
	CHECK(match("sport/#", "sport"));
	CHECK(match("#", "sport/tennis"));
	CHECK(!match("sport/tennis/player1/#", "sport/tennis/player2"));
	/* 4.7.1.3: one level, an empty one too. */
	CHECK(match("sport/tennis/+", "sport/tennis/player1"));
	CHECK(match("sport/tennis/+", "sport/tennis/player2"));
	CHECK(!match("sport/tennis/+", "sport/tennis/player1/ranking"));
	CHECK(!match("sport/+", "sport"));
	CHECK(match("sport/+", "sport/"));
	CHECK(match("+/+", "/finance"));
	CHECK(match("/+", "/finance"));
	CHECK(!match("+", "/finance"));
	/* 4.7.2: '$' topics escape leading wildcards only. */
	CHECK(!match("#", "$SYS/monitor/Clients"));
	CHECK(!match("+/monitor/Clients", "$SYS/monitor/Clients"));
	CHECK(match("$SYS/#", "$SYS/monitor/Clients"));
	CHECK(match("$SYS/monitor/+", "$SYS/monitor/Clients"));
	CHECK(match("a/#", "a/$b"));
	CHECK(match("a/+", "a/$b"));
	/* Literal levels are compared whole, case and all. */
	CHECK(match("a/b", "a/b"));
	CHECK(!match("a/b", "a/bc"));
	CHECK(!match("a/bc", "a/b"));
	CHECK(!match("A/b", "a/b"));
	CHECK(!match("a/b", "a/b/"));
	CHECK(match("a//b", "a//b"));
	CHECK(match("a/+/b", "a//b"));
}

TEST(within_table)
{
	static const struct {
		const char *inner, *outer;
		bool within;
	} rows[] = {
	    {"a/b", "a/b", true},
	    {"a/b", "a/+", true},
	    {"a/b", "a/#", true},
	    {"a/b", "#", true},
	    {"a", "a/#", true}, /* '#' takes its parent level */
	    {"a/#", "a/#", true},
	    {"a/+/c", "a/#", true},
	    {"a/+", "a/+", true},
	    {"a/+", "+/+", true},
	    {"+/+", "#", true},
	    {"#", "#", true},
	    {"#", "+/#", true}, /* no topic name has zero levels */
	    {"$SYS/x", "$SYS/#", true},
	    {"$SYS/#", "$SYS/#", true},
	    {"a/$b", "a/+", true},
	    {"a/b", "a/c", false},
	    {"a/+", "a/b", false},
	    {"a/#", "a/+", false},
	    {"a/#", "a/+/#", false}, /* "a" itself */
	    {"a", "a/+", false},
	    {"a/b/c", "a/+", false},
	    {"+", "a", false},
	    {"#", "a/#", false},
	    {"#", "+", false},
	    {"+/#", "+", false},
	    {"$SYS/x", "#", false},
	    {"$SYS/x", "+/x", false},
	    {"$SYS/#", "#", false},
	    {"+/x", "$SYS/x", false},
	    {"a/b/#", "a/b", false},
	    {"a/b", "a/b/#/c", false}, /* an invalid outer holds nothing */
	    {"a+", "#", false},	       /* nor is an invalid inner within */
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (within(rows[i].inner, rows[i].outer) != rows[i].within) {
			printf("# %s within %s should be %d\n", rows[i].inner,
			       rows[i].outer, rows[i].within);
			CHECK(within(rows[i].inner, rows[i].outer) ==
			      rows[i].within);
		}
	}
}

/*
 * Every filter of up to MAX_LEVELS levels over a small alphabet, against
 * every topic name of up to MAX_LEVELS + 2 levels over that alphabet plus
 * a level no filter names: A is within B exactly when no name in that
 * universe is matched by A and not by B.  The extra depth lets a '#' in A
 * reach below anything B names literally.
 */
#define MAX_LEVELS	3
#define NAME_LEVELS	(MAX_LEVELS + 2)
#define MAX_TOPICS	4096
#define MAX_TOPIC_CHARS 24

static const char *const filter_levels[] = {"a", "", "$s", "+", "#"};
static const char *const name_levels[] = {"a", "", "$s", "z"};

static char filters[MAX_TOPICS][MAX_TOPIC_CHARS];
static size_t filter_count;
static char names[MAX_TOPICS][MAX_TOPIC_CHARS];
static size_t name_count;
static bool matches[MAX_TOPICS][MAX_TOPICS]; /* [filter][name] */

/* Every string of 1..depth levels over the alphabet, valid or not. */
static void
build(char (*out)[MAX_TOPIC_CHARS], size_t *count, const char *const *alphabet,
      size_t letters, size_t depth)
{
	size_t total = 1;

	for (size_t levels = 1; levels <= depth; levels++) {
		total *= letters;
		for (size_t code = 0; code < total && *count < MAX_TOPICS;
		     code++) {
			char *t = out[(*count)++];
			size_t c = code, used = 0;

			t[0] = '\0';
			for (size_t l = 0; l < levels; l++, c /= letters)
				used += (size_t)snprintf(
				    t + used, MAX_TOPIC_CHARS - used, "%s%s",
				    l ? "/" : "", alphabet[c % letters]);
		}
	}
}

TEST(within_agrees_with_match)
{
	size_t checked = 0, inside = 0;

	filter_count = name_count = 0;
	build(filters, &filter_count, filter_levels, 5, MAX_LEVELS);
	build(names, &name_count, name_levels, 4, NAME_LEVELS);
	CHECK_EQ_INT(filter_count, 5 + 25 + 125);
	CHECK_EQ_INT(name_count, 4 + 16 + 64 + 256 + 1024);
	for (size_t i = 0; i < filter_count; i++)
		for (size_t k = 0; k < name_count; k++)
			matches[i][k] = filter_ok(filters[i], false) &&
					name_ok(names[k]) &&
					match(filters[i], names[k]);
	for (size_t i = 0; i < filter_count; i++) {
		for (size_t j = 0; j < filter_count; j++) {
			bool expect = filter_ok(filters[i], false) &&
				      filter_ok(filters[j], false);

			for (size_t k = 0; expect && k < name_count; k++)
				if (matches[i][k] && !matches[j][k])
					expect = false;
			if (within(filters[i], filters[j]) != expect) {
				printf("# \"%s\" within \"%s\": expected %d\n",
				       filters[i], filters[j], expect);
				CHECK(within(filters[i], filters[j]) == expect);
			}
			checked++;
			inside += expect;
		}
	}
	printf("# within: %zu pairs of %zu filters, %zu within\n", checked,
	       filter_count, inside);
	/* More than each valid filter within itself. */
	CHECK(inside > filter_count);
}

int
main(void)
{
	RUN(topic_names);
	RUN(topic_filters);
	RUN(shared_subscriptions);
	RUN(matching_spec_examples);
	RUN(within_table);
	RUN(within_agrees_with_match);
	HARNESS_EXIT();
}
