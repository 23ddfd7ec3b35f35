/* A compartment's output, cut into lines, made printable and rate-limited. */
#include "output.h"

#include <string.h>

#define LINE_COST_NS	(S_NS / OUTPUT_LINES_PER_SECOND)
#define CREDIT_LIMIT_NS (LINE_COST_NS * OUTPUT_BURST_LINES)

void
output_init(struct output_stream *s, uint64_t now_ns)
{
	memset(s, 0, sizeof(*s));
	s->credit_ns = CREDIT_LIMIT_NS;
	s->credited_ns = now_ns;
}

/* Takes the allowance for one line if there is one. */
static bool
take_line_credit(struct output_stream *s, uint64_t now_ns)
{
	if (now_ns > s->credited_ns) {
		uint64_t gained = now_ns - s->credited_ns;

		s->credit_ns = gained >= CREDIT_LIMIT_NS - s->credit_ns
				   ? CREDIT_LIMIT_NS
				   : s->credit_ns + gained;
		s->credited_ns = now_ns;
	}
	if (s->credit_ns < LINE_COST_NS)
		return false;
	s->credit_ns -= LINE_COST_NS;
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
begin_line(struct output_stream *s, uint64_t now_ns)
{
	s->in_line = true;
	s->dropping = !take_line_credit(s, now_ns);
	s->cut = false;
	s->len = 0;
	s->line_bytes = 0;
}

static void
finish_line(struct output_stream *s, output_emit_fn emit, void *ctx)
{
	s->in_line = false;
	if (s->dropping) {
		s->dropped_lines++;
		s->dropped_bytes += s->line_bytes;
		return;
	}
	make_printable(s->line, s->len);
	emit(ctx, s->line, s->len, s->cut);
}

void
output_feed(struct output_stream *s, const uint8_t *data, size_t n,
	    uint64_t now_ns, output_emit_fn emit, void *ctx)
{
	size_t i = 0;

	while (i < n) {
		const uint8_t *newline;
		size_t chunk;

		if (!s->in_line)
			begin_line(s, now_ns);
		newline = memchr(data + i, '\n', n - i);
		chunk = newline ? (size_t)(newline - (data + i)) : n - i;
		s->line_bytes += chunk + (newline != NULL);
		if (!s->dropping) {
			size_t room = sizeof(s->line) - s->len;
			size_t take = chunk < room ? chunk : room;

			memcpy(s->line + s->len, data + i, take);
			s->len += take;
			if (take < chunk) {
				s->cut = true;
				s->dropped_bytes += chunk - take;
			}
		}
		i += chunk;
		if (newline != NULL) {
			i++;
			finish_line(s, emit, ctx);
		}
	}
}

void
output_message(struct output_stream *s, const uint8_t *data, size_t n,
	       uint64_t now_ns, output_emit_fn emit, void *ctx)
{
	char line[OUTPUT_LINE_MAX];
	size_t len = n < sizeof(line) ? n : sizeof(line);

	/* The message has its own line: one in progress on the pipe is
	 * left as it is. */
	if (!take_line_credit(s, now_ns)) {
		s->dropped_lines++;
		s->dropped_bytes += n;
		return;
	}
	if (len < n)
		s->dropped_bytes += n - len;
	memcpy(line, data, len);
	make_printable(line, len);
	emit(ctx, line, len, len < n);
}

void
output_end(struct output_stream *s, output_emit_fn emit, void *ctx)
{
	if (s->in_line)
		finish_line(s, emit, ctx);
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
