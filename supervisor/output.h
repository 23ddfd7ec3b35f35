/*
 * What a compartment writes to its standard output and error, made safe
 * to show: the supervisor reads the bytes from two pipes and feeds them
 * here, and gets back whole lines that are fit for the operator's
 * terminal or log, each for the stream it came from.  A pure core: no
 * I/O, caller-owned state, the time passed in.
 *
 * What passes:
 *  - lines, cut at '\n'; a line longer than OUTPUT_LINE_MAX keeps its
 *    first OUTPUT_LINE_MAX bytes and is marked cut, the rest is dropped;
 *  - only printable ASCII (0x20 to 0x7e): a tab becomes a space, every
 *    other byte (escape sequences, carriage returns, NUL, bytes >= 0x7f)
 *    becomes '?';
 *  - at most OUTPUT_LINES_PER_SECOND lines a second on average, with
 *    bursts of OUTPUT_BURST_LINES, on each stream (a flood on one does
 *    not silence the other): a line that starts when its stream's
 *    allowance is spent is dropped whole and counted, lines and bytes.
 * The counts of dropped lines and bytes are handed out for reporting at
 * most once per OUTPUT_REPORT_NS.
 */
#ifndef SEALNET_OUTPUT_H
#define SEALNET_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bounds.h"

/* Standard output and standard error. */
enum output_stream_kind { OUTPUT_STDOUT, OUTPUT_STDERR, OUTPUT_STREAMS };

/* One stream: the line being assembled and the stream's allowance. */
struct output_line {
	char text[OUTPUT_LINE_MAX];
	size_t len;	     /* bytes kept */
	bool in_line;	     /* a line has begun and not yet ended */
	bool dropping;	     /* it is over the rate */
	bool cut;	     /* it was longer than kept */
	uint64_t line_bytes; /* every byte of it, for counts */
	uint64_t credit_ns;  /* the allowance, as time: a line costs 1/rate */
	uint64_t credited_ns;
};

struct output_stream {
	struct output_line line[OUTPUT_STREAMS];
	uint64_t dropped_lines, dropped_bytes; /* not yet reported */
	uint64_t reported_ns;
};

/* One line that passed, from stream `which`: len printable bytes, no
 * newline, not NUL-terminated.  cut says the compartment wrote more. */
typedef void (*output_emit_fn)(void *ctx, enum output_stream_kind which,
			       const char *line, size_t len, bool cut);

void output_init(struct output_stream *s, uint64_t now_ns);

/* Takes bytes as the compartment wrote them to stream `which`. */
void output_feed(struct output_stream *s, enum output_stream_kind which,
		 const uint8_t *data, size_t n, uint64_t now_ns,
		 output_emit_fn emit, void *ctx);

/* Takes one message as one line of standard error, under its allowance
 * (a newline inside it is not printable and becomes '?'); a line in
 * progress on a stream is left as it is. */
void output_message(struct output_stream *s, const uint8_t *data, size_t n,
		    uint64_t now_ns, output_emit_fn emit, void *ctx);

/* The writer of stream `which` is gone: a line in progress is emitted as
 * it is. */
void output_end(struct output_stream *s, enum output_stream_kind which,
		output_emit_fn emit, void *ctx);

/*
 * If lines or bytes were dropped and no report was made in the last
 * OUTPUT_REPORT_NS (or `now` is true), returns true with the counts since
 * the last report and starts counting afresh.
 */
bool output_take_drops(struct output_stream *s, uint64_t now_ns, bool now,
		       uint64_t *lines, uint64_t *bytes);

/* When the counts of drops may next be taken: 0 if nothing was dropped. */
uint64_t output_report_due_ns(const struct output_stream *s);

#endif
