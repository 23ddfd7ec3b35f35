/*
 * A session's pump (pump.h) in a world that plays its shell: each action
 * is performed on a model of the engine and of TCPIP, and every promise
 * pump.h makes is checked as it happens.  The unit test drives it
 * through each path; the fuzz target with arbitrary events.
 */
#ifndef SEALNET_TLS_PUMP_WORLD_H
#define SEALNET_TLS_PUMP_WORLD_H

#include <stdbool.h>

#include "pump.h"

struct pump_world {
	struct pump pump;
	struct pump_engine engine;
	/* What the shell did. */
	unsigned sends_in_flight, receives_in_flight;
	unsigned socket_closes, create_answers, close_answers;
	unsigned receive_answers, room_answers, close_notifies;
	bool created; /* the create was answered with a session */
	/* What a PUMP_READ finds: plaintext (or the end), or nothing. */
	bool plaintext_ready;
	/* The first promise broken, or NULL. */
	const char *broken;
};

/* A session whose create waits; the engine has a ClientHello to send. */
void world_start(struct pump_world *w);

/* Asks the pump and performs its actions until it says PUMP_NOTHING.
 * Returns how many it performed, or -1 if it did not stop within
 * TLS_PUMP_STEPS_MAX (also recorded in w->broken). */
int world_run(struct pump_world *w);

/* TCPIP's answers.  sent: took everything (or failed); received: some
 * ciphertext (the engine takes it all), or the end of the stream. */
void world_sent(struct pump_world *w, bool failed);
void world_received(struct pump_world *w, bool ended);

/* The application's calls, as the shell lets them through. */
void world_wait_receive(struct pump_world *w);
void world_wait_send(struct pump_world *w);
void world_wait_close(struct pump_world *w);

#endif
