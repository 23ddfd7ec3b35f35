/*
 * A socket's waiting receive (receive.c), TCP's or UDP's: at most one
 * per socket, parked until data comes, the socket fails or closes, or
 * its caller gives up.  What counts as data, and how it is answered, is
 * tcp.c's and udp.c's.
 */
#ifndef SEALNET_TCPIP_RECEIVE_H
#define SEALNET_TCPIP_RECEIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "call.h"
#include "sockets.h"

/*
 * Parks `in`, a receive request, on the socket it names, keeping the
 * most it asks for in recv_max: the socket, or NULL once `in` has been
 * answered: -EPERM if the caller does not hold the socket,
 * wrong_state_error if it is not in `state`, -EBUSY if another receive
 * already waits on it.
 */
struct sock *receive_park(struct sn_incoming *in, enum sock_state state,
			  int wrong_state_error);
/* Whether a receive waits on s; one whose caller has given up, or will
 * within margin_ns, is answered -ETIMEDOUT and no longer waits. */
bool receive_waiting(struct sock *s, uint64_t margin_ns);
/* Answers s's waiting receive with a Received body built in the reply
 * builder, or with an error; it waits no longer either way. */
void receive_answer(struct sock *s, uint32_t body);
void receive_fail(struct sock *s, int negative_errno);

/*
 * Data for s's waiting receive, answered later: once every frame of the
 * batch in hand is in, segments that came together (a broker's
 * acknowledgement and the message after it) go up in one answer, and
 * wake the caller once.  false if s cannot wait (the list is full):
 * answer it now.
 */
#define RECEIVE_DUE_MAX 64
bool receive_due(struct sock *s);
/* The next socket whose answer is due, no longer due; NULL at the end. */
struct sock *receive_next_due(void);

#endif
