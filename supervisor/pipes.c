/* A compartment's output pipes, read without blocking and filtered. */
#include "pipes.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "report.h"

/* A line that passed the output filter, under the compartment's name,
 * on our stream of the same kind.  The runtime names itself at the start
 * of its lines; one name is enough. */
static void
emit_output(void *ctx, enum output_stream_kind which, const char *text,
	    size_t len, bool cut)
{
	const struct child *ch = ctx;
	size_t name_len = strlen(ch->ic->name);
	char line[IMAGE_NAME_MAX + OUTPUT_LINE_MAX + 16];
	size_t n = 0;

	if (len > name_len + 1 && memcmp(text, ch->ic->name, name_len) == 0 &&
	    text[name_len] == ':' && text[name_len + 1] == ' ') {
		text += name_len + 2;
		len -= name_len + 2;
	}
	memcpy(line, ch->ic->name, name_len);
	n += name_len;
	memcpy(line + n, ": ", 2);
	n += 2;
	memcpy(line + n, text, len);
	n += len;
	if (cut) {
		memcpy(line + n, " [cut]", 6);
		n += 6;
	}
	write_line(which == OUTPUT_STDOUT ? STDOUT_FILENO : STDERR_FILENO, line,
		   n);
}

void
pipes_attach(struct child *ch, int stdout_fd, int stderr_fd)
{
	ch->output_fd[OUTPUT_STDOUT] = stdout_fd;
	ch->output_fd[OUTPUT_STDERR] = stderr_fd;
}

void
pipes_read(struct child *ch, enum output_stream_kind which, size_t budget)
{
	static uint8_t buf[65536];
	size_t taken = 0;
	int *fd = &ch->output_fd[which];

	while (*fd >= 0 && taken < budget) {
		ssize_t n = read(*fd, buf, sizeof(buf));

		if (n > 0) {
			output_feed(&ch->output, which, buf, (size_t)n,
				    sn_now_ns(), emit_output, ch);
			taken += (size_t)n;
		} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
			output_end(&ch->output, which, emit_output, ch);
			close_descriptor(*fd);
			*fd = -1;
		} else if (errno == EAGAIN) {
			break;
		}
	}
}

void
pipes_log_message(struct child *ch, const uint8_t *text, size_t len)
{
	output_message(&ch->output, text, len, sn_now_ns(), emit_output, ch);
}

void
pipes_report_drops(struct supervisor *sv, struct child *ch, bool now)
{
	uint64_t lines, bytes;

	if (!output_take_drops(&ch->output, sn_now_ns(), now, &lines, &bytes))
		return;
	say("%s: output over %u lines a second or %u bytes a line: dropped "
	    "%llu lines, %llu bytes",
	    ch->ic->name, OUTPUT_LINES_PER_SECOND, OUTPUT_LINE_MAX,
	    (unsigned long long)lines, (unsigned long long)bytes);
	report_event(sv, "output_dropped", ch,
		     json_pack("{s:I, s:I}", "lines", (json_int_t)lines,
			       "bytes", (json_int_t)bytes));
}

void
pipes_close(struct child *ch)
{
	for (unsigned k = 0; k < OUTPUT_STREAMS; k++) {
		if (ch->output_fd[k] >= 0)
			close_descriptor(ch->output_fd[k]);
		ch->output_fd[k] = -1;
	}
}
