/*
 * call_test's callee and caller (call_peers.c).
 */
#ifndef SEALNET_TESTS_CALL_PEERS_H
#define SEALNET_TESTS_CALL_PEERS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "call.h"

extern struct sn_compartment caller;
extern struct sn_peer callee;
extern struct sn_channel_fds fds;
extern pid_t callee_pid;
extern _Alignas(8) uint8_t reply_buf[SN_MAX_MESSAGE];

/* Forks the callee and connects to it: 0, or -1. */
int start_callee(void);
void stop_callee(void);
/* What the callee counted for its caller, as it last published it. */
struct sn_peer_stats callee_stats(void);

/* The callee publishes its counters after each turn of its loop, which may
 * end just after our reply arrived: wait a little for them. */
#define CALLEE_STAT(field, expected)                                           \
	({                                                                     \
		uint64_t end_ = sn_now_ns() + 2000 * SN_MS, v_;                \
		while ((v_ = callee_stats().field) != (expected) &&            \
		       sn_now_ns() < end_)                                     \
			usleep(1000);                                          \
		v_;                                                            \
	})

/* runtime_echo of data: 0 and the bytes echoed, or the call's error. */
int echo(const void *data, size_t len, const uint8_t **out, uint32_t *outlen,
	 uint64_t timeout_ns);
/* A call of export_id with an Empty body. */
int call_empty(uint16_t export_id, uint64_t timeout_ns);

#endif
