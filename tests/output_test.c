/*
 * What a compartment writes, as the operator sees it: whole lines,
 * printable bytes only, bounded in length and in rate, and every drop
 * counted.
 */
#include <string.h>

#include "harness.h"
#include "output.h"

#define T0 (1000 * SN_SECOND)

static struct output_stream s;
static char lines[8][OUTPUT_LINE_MAX + 1];
static bool cuts[8];
static enum output_stream_kind streams[8];
static unsigned nlines;

static void
collect(void *ctx, enum output_stream_kind which, const char *line, size_t len,
	bool cut)
{
	(void)ctx;
	if (nlines < 8) {
		memcpy(lines[nlines], line, len);
		lines[nlines][len] = 0;
		cuts[nlines] = cut;
		streams[nlines] = which;
	}
	nlines++;
}

static void
fresh(void)
{
	output_init(&s, T0);
	nlines = 0;
	memset(lines, 0, sizeof(lines));
}

static void
feed_to(enum output_stream_kind which, const char *text, uint64_t t)
{
	output_feed(&s, which, (const uint8_t *)text, strlen(text), t, collect,
		    NULL);
}

static void
feed(const char *text, uint64_t t)
{
	feed_to(OUTPUT_STDERR, text, t);
}

TEST(lines_end_at_newlines_and_may_arrive_in_pieces)
{
	fresh();
	feed("first li", T0);
	CHECK_EQ_INT(nlines, 0);
	feed("ne\nsecond\nthi", T0);
	CHECK_EQ_INT(nlines, 2);
	CHECK(strcmp(lines[0], "first line") == 0);
	CHECK(strcmp(lines[1], "second") == 0);
	/* The writer went away mid-line: what it wrote still shows. */
	output_end(&s, OUTPUT_STDERR, collect, NULL);
	CHECK_EQ_INT(nlines, 3);
	CHECK(strcmp(lines[2], "thi") == 0);
}

TEST(only_printable_bytes_pass)
{
	static const char raw[] = "\033]0;owned\007a\rb\tc\0d\xc3\xa9\x7f\n";

	fresh();
	/* An escape sequence that would retitle a terminal, a carriage
	 * return that would hide the start of the line, a tab, a NUL, a
	 * byte above 0x7e and DEL. */
	output_feed(&s, OUTPUT_STDERR, (const uint8_t *)raw, sizeof(raw) - 1,
		    T0, collect, NULL);
	CHECK_EQ_INT(nlines, 1);
	CHECK(strcmp(lines[0], "?]0;owned?a?b c?d???") == 0);
}

TEST(a_long_line_is_cut_and_the_rest_counted)
{
	static char big[3 * OUTPUT_LINE_MAX + 2];
	uint64_t dl, db;

	fresh();
	memset(big, 'x', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	feed(big, T0);
	feed("next\n", T0);
	CHECK_EQ_INT(nlines, 2);
	CHECK_EQ_INT(strlen(lines[0]), OUTPUT_LINE_MAX);
	CHECK(cuts[0]);
	CHECK(strcmp(lines[1], "next") == 0);
	CHECK(!cuts[1]);
	CHECK(output_take_drops(&s, T0, true, &dl, &db));
	CHECK_EQ_INT(dl, 0);
	CHECK_EQ_INT(db, 2 * OUTPUT_LINE_MAX);
}

TEST(a_burst_passes_then_the_rate_holds_and_drops_are_counted)
{
	uint64_t dl, db;

	fresh();
	for (unsigned i = 0; i < OUTPUT_BURST_LINES + 50; i++)
		feed("0123456789\n", T0);
	CHECK_EQ_INT(nlines, OUTPUT_BURST_LINES);
	CHECK(output_take_drops(&s, T0, false, &dl, &db));
	CHECK_EQ_INT(dl, 50);
	CHECK_EQ_INT(db, 50 * 11);
	/* A second later, a second's worth passes again, no more. */
	nlines = 0;
	for (unsigned i = 0; i < 2 * OUTPUT_LINES_PER_SECOND; i++)
		feed("0123456789\n", T0 + SN_SECOND);
	CHECK_EQ_INT(nlines, OUTPUT_LINES_PER_SECOND);
}

TEST(drops_are_reported_at_most_once_a_report_period)
{
	uint64_t dl, db;

	fresh();
	for (unsigned i = 0; i < OUTPUT_BURST_LINES + 1; i++)
		feed("a\n", T0);
	CHECK(output_take_drops(&s, T0, false, &dl, &db));
	CHECK_EQ_INT(dl, 1);
	CHECK(output_report_due_ns(&s) == 0);
	feed("b\n", T0 + 1);
	CHECK(output_report_due_ns(&s) == T0 + OUTPUT_REPORT_NS);
	CHECK(!output_take_drops(&s, T0 + 1, false, &dl, &db));
	CHECK(output_take_drops(&s, T0 + OUTPUT_REPORT_NS, false, &dl, &db));
	CHECK_EQ_INT(dl, 1);
	/* Nothing new, nothing to say. */
	CHECK(
	    !output_take_drops(&s, T0 + 5 * OUTPUT_REPORT_NS, true, &dl, &db));
}

TEST(a_flood_of_256_mib_shows_as_one_burst_and_a_count)
{
	static uint8_t chunk[65536];
	uint64_t dl, db, lines_written;

	fresh();
	/* 64-byte lines, as fast as a pipe takes them: all within 200 ms. */
	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = i % 64 == 63 ? '\n' : 'f';
	for (unsigned i = 0; i < 4096; i++)
		output_feed(&s, OUTPUT_STDOUT, chunk, sizeof(chunk),
			    T0 + i * 50000ull, collect, NULL);
	lines_written = (256ull << 20) / 64;
	CHECK(output_take_drops(&s, T0 + 4096 * 50000ull, true, &dl, &db));
	/* The burst, plus what 205 ms of allowance bought. */
	CHECK(nlines >= OUTPUT_BURST_LINES);
	CHECK(nlines <= OUTPUT_BURST_LINES + 21);
	CHECK_EQ_INT(dl + nlines, lines_written);
	CHECK_EQ_INT(db, dl * 64);
}

TEST(the_two_streams_keep_their_lines_apart_and_their_own_allowances)
{
	uint64_t dl, db;

	fresh();
	feed_to(OUTPUT_STDOUT, "{\"bench\": ", T0);
	feed_to(OUTPUT_STDERR, "a diagnostic\n", T0);
	feed_to(OUTPUT_STDOUT, "1}\n", T0);
	CHECK_EQ_INT(nlines, 2);
	CHECK(strcmp(lines[0], "a diagnostic") == 0);
	CHECK_EQ_INT(streams[0], OUTPUT_STDERR);
	CHECK(strcmp(lines[1], "{\"bench\": 1}") == 0);
	CHECK_EQ_INT(streams[1], OUTPUT_STDOUT);
	/* A flood on stdout spends its own allowance only: a diagnostic on
	 * stderr still shows, and the drops are counted together. */
	for (unsigned i = 0; i < OUTPUT_BURST_LINES + 10; i++)
		feed_to(OUTPUT_STDOUT, "x\n", T0);
	nlines = 0;
	feed_to(OUTPUT_STDERR, "still shown\n", T0);
	CHECK_EQ_INT(nlines, 1);
	CHECK(strcmp(lines[0], "still shown") == 0);
	CHECK(output_take_drops(&s, T0, true, &dl, &db));
	CHECK_EQ_INT(dl, 11);
}

TEST(a_control_message_is_one_line_under_the_same_allowance)
{
	uint64_t dl, db;

	fresh();
	output_message(&s, (const uint8_t *)"one\ntwo", 7, T0, collect, NULL);
	CHECK_EQ_INT(nlines, 1);
	CHECK(strcmp(lines[0], "one?two") == 0);
	CHECK_EQ_INT(streams[0], OUTPUT_STDERR);
	for (unsigned i = 0; i < OUTPUT_BURST_LINES; i++)
		output_message(&s, (const uint8_t *)"m", 1, T0, collect, NULL);
	CHECK_EQ_INT(nlines, OUTPUT_BURST_LINES);
	CHECK(output_take_drops(&s, T0, true, &dl, &db));
	CHECK_EQ_INT(dl, 1);
}

int
main(void)
{
	RUN(lines_end_at_newlines_and_may_arrive_in_pieces);
	RUN(only_printable_bytes_pass);
	RUN(a_long_line_is_cut_and_the_rest_counted);
	RUN(a_burst_passes_then_the_rate_holds_and_drops_are_counted);
	RUN(drops_are_reported_at_most_once_a_report_period);
	RUN(a_flood_of_256_mib_shows_as_one_burst_and_a_count);
	RUN(the_two_streams_keep_their_lines_apart_and_their_own_allowances);
	RUN(a_control_message_is_one_line_under_the_same_allowance);
	HARNESS_EXIT();
}
