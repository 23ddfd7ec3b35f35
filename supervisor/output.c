/* A compartment's output, cut into lines, made printable and rate-limited. */
#include "output.h"

#include <string.h>

#define LINE_COST_NS	(SN_SECOND / OUTPUT_LINES_PER_SECOND)
#define CREDIT_LIMIT_NS (LINE_COST_NS * OUTPUT_BURST_LINES)

void
output_init(struct output_stream *s, uint64_t now_ns)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < OUTPUT_STREAMS; i++) {
		s->line[i].credit_ns = CREDIT_LIMIT_NS;
		s->line[i].credited_ns = now_ns;
	}
}

/* Takes the stream's allowance for one line if there is one. */
static bool
take_line_credit(struct output_line *l, uint64_t now_ns)
{
	if (now_ns > l->credited_ns) {
		uint64_t gained = now_ns - l->credited_ns;

		l->credit_ns = gained >= CREDIT_LIMIT_NS - l->credit_ns
				   ? CREDIT_LIMIT_NS
				   : l->credit_ns + gained;
		l->credited_ns = now_ns;
	}
	if (l->credit_ns < LINE_COST_NS)
		return false;
	l->credit_ns -= LINE_COST_NS;
	return true;
}

static void
make_printable(char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '\t')
			text[i] = ' ';
		else if (c < 0x20 || c >= 0x7f)
			text[i] = '?';
	}
}

static void
begin_line(struct output_line *l, uint64_t now_ns)
{
	l->in_line = true;
	l->dropping = !take_line_credit(l, now_ns);
	l->cut = false;
	l->len = 0;
	l->line_bytes = 0;
}

static void
finish_line(struct output_stream *s, enum output_stream_kind which,
	    output_emit_fn emit, void *ctx)
{
	struct output_line *l = &s->line[which];

	l->in_line = false;
	if (l->dropping) {
		s->dropped_lines++;
		s->dropped_bytes += l->line_bytes;
		return;
	}
	make_printable(l->text, l->len);
	emit(ctx, which, l->text, l->len, l->cut);
}

void
output_feed(struct output_stream *s, enum output_stream_kind which,
	    const uint8_t *data, size_t n, uint64_t now_ns, output_emit_fn emit,
	    void *ctx)
{
	struct output_line *l = &s->line[which];
	size_t i = 0;

	while (i < n) {
		const uint8_t *newline;
		size_t chunk;

		if (!l->in_line)
			begin_line(l, now_ns);
		newline = memchr(data + i, '\n', n - i);
		chunk = newline ? (size_t)(newline - (data + i)) : n - i;
		l->line_bytes += chunk + (newline != NULL);
		if (!l->dropping) {
			size_t room = sizeof(l->text) - l->len;
			size_t take = chunk < room ? chunk : room;

			memcpy(l->text + l->len, data + i, take);
			l->len += take;
			if (take < chunk) {
				l->cut = true;
				s->dropped_bytes += chunk - take;
			}
		}
		i += chunk;
		if (newline != NULL) {
			i++;
			finish_line(s, which, emit, ctx);
		}
	}
}

void
output_message(struct output_stream *s, const uint8_t *data, size_t n,
	       uint64_t now_ns, output_emit_fn emit, void *ctx)
{
	char line[OUTPUT_LINE_MAX];
	size_t len = n < sizeof(line) ? n : sizeof(line);

	/* The message has its own line: one in progress on a pipe is left
	 * as it is. */
	if (!take_line_credit(&s->line[OUTPUT_STDERR], now_ns)) {
		s->dropped_lines++;
		s->dropped_bytes += n;
		return;
	}
	if (len < n)
		s->dropped_bytes += n - len;
	memcpy(line, data, len);
	make_printable(line, len);
	emit(ctx, OUTPUT_STDERR, line, len, len < n);
}

void
output_end(struct output_stream *s, enum output_stream_kind which,
	   output_emit_fn emit, void *ctx)
{
	if (s->line[which].in_line)
		finish_line(s, which, emit, ctx);
}

bool
output_take_drops(struct output_stream *s, uint64_t now_ns, bool now,
		  uint64_t *lines, uint64_t *bytes)
{
	if (s->dropped_lines == 0 && s->dropped_bytes == 0)
		return false;
	if (!now && now_ns - s->reported_ns < OUTPUT_REPORT_NS)
		return false;
	*lines = s->dropped_lines;
	*bytes = s->dropped_bytes;
	s->dropped_lines = s->dropped_bytes = 0;
	s->reported_ns = now_ns;
	return true;
}

uint64_t
output_report_due_ns(const struct output_stream *s)
{
	if (s->dropped_lines == 0 && s->dropped_bytes == 0)
		return 0;
	return s->reported_ns + OUTPUT_REPORT_NS;
}
