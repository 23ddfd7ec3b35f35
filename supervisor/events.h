/*
 * The supervisor's events, for programs: `sealnet run IMAGE --events
 * FILE` writes one JSON object per line, each in one write(), each with
 *
 *	"event":       what happened (see docs/supervisor.md for the list)
 *	"mono_ns":     when, on CLOCK_MONOTONIC
 *	"compartment": whom it concerns, when it concerns one
 *
 * and the fields of that kind of event.  Nothing a compartment sends
 * reaches this file except through fields the supervisor fills itself.
 */
#ifndef SEALNET_EVENTS_H
#define SEALNET_EVENTS_H

#include <jansson.h>
#include <stdint.h>

struct event_log {
	int fd; /* -1: events are not written */
};

/* No file: every write is a no-op. */
void event_log_none(struct event_log *log);

/* Creates or truncates path.  0 or a negative errno. */
int event_log_open(struct event_log *log, const char *path);

/* 0, or a negative errno: a file system that reports write errors only
 * at close (NFS) may have lost events. */
int event_log_close(struct event_log *log);

/*
 * Writes one event.  compartment may be NULL; fields may be NULL, else
 * an object whose members are added to the event: the function takes
 * it.  0 or a negative errno; a failed write loses the event, never
 * blocks the caller longer than the file system does.
 */
int event_log_write(struct event_log *log, const char *event,
		    const char *compartment, uint64_t mono_ns, json_t *fields);

#endif
