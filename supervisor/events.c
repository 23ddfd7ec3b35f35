/* The event file: JSON lines, one write() each. */
#include "events.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
event_log_none(struct event_log *log)
{
	log->fd = -1;
}

int
event_log_open(struct event_log *log, const char *path)
{
	log->fd = open(
	    path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	return log->fd < 0 ? -errno : 0;
}

int
event_log_close(struct event_log *log)
{
	int rc = 0;

	if (log->fd >= 0 && close(log->fd) < 0)
		rc = -errno;
	log->fd = -1;
	return rc;
}

int
event_log_write(struct event_log *log, const char *event,
		const char *compartment, uint64_t mono_ns, json_t *fields)
{
	json_t *o;
	char *text;
	size_t len;
	ssize_t n;
	int rc = 0;

	if (log->fd < 0) {
		json_decref(fields);
		return 0;
	}
	o = json_object();
	if (o == NULL ||
	    json_object_set_new(o, "event", json_string(event)) < 0 ||
	    json_object_set_new(o, "mono_ns",
				json_integer((json_int_t)mono_ns)) < 0 ||
	    (compartment != NULL &&
	     json_object_set_new(o, "compartment", json_string(compartment)) <
		 0) ||
	    (fields != NULL && json_object_update(o, fields) < 0)) {
		json_decref(o);
		json_decref(fields);
		return -ENOMEM;
	}
	json_decref(fields);
	text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	if (text == NULL)
		return -ENOMEM;
	/* The line and its newline in one write, so a reader never sees
	 * half an event. */
	len = strlen(text);
	char *line = realloc(text, len + 2);
	if (line == NULL) {
		free(text);
		return -ENOMEM;
	}
	line[len] = '\n';
	line[len + 1] = 0;
	n = write(log->fd, line, len + 1);
	if (n < 0)
		rc = -errno;
	else if ((size_t)n != len + 1)
		rc = -EIO;
	free(line);
	return rc;
}
