/*
 * TCPIP's socket table (sockets.c) on its own: lwIP, the other modules
 * and the answers to calls are stand-ins that record what they were
 * asked, and lwIP's queue lengths are set by the test.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "harness.h"
#include "listeners.h"
#include "netif.h"
#include "segments.h"
#include "sockets.h"
#include "tcp.h"
#include "tcpip.h"
#include "udp.h"
#include "window.h"

struct sn_compartment compartment;
static struct sn_peer app, helper;
static struct tcp_pcb pcb;

/* ---- stand-ins ---- */

static int refused;   /* the error the request was answered with */
static int timed_out; /* waiting calls answered -ETIMEDOUT */
static int handed;    /* sockets handed to the target */
static bool random_fails;

int
answer_ok(struct sn_incoming *in, uint8_t body_type, uint32_t body)
{
	in->answered = true;
	return 0;
}

int
answer_error(struct sn_incoming *in, int negative_errno)
{
	in->answered = true;
	refused = negative_errno;
	return 0;
}

int
answer_later_ok(struct sn_deferred *d, uint8_t body_type, uint32_t body)
{
	if (body_type == SN_BODY_SOCKET_CREATED)
		handed++;
	return 0;
}

int
answer_later_error(struct sn_deferred *d, int negative_errno)
{
	if (negative_errno == -ETIMEDOUT)
		timed_out++;
	return 0;
}

int
answer_empty(struct sn_incoming *in)
{
	return answer_ok(in, SN_BODY_EMPTY, 0);
}

void
listener_closed(const struct sock *s)
{
}

void
window_close(struct sock *s)
{
}

bool
tcp_count_what_is_left(const struct sock *s)
{
	return true;
}

void
udp_socket_close(struct sock *s)
{
}

int
tcpip_ip_from_endpoint(sn_endpoint_ref ep, ip_addr_t *out)
{
	return -EINVAL;
}

void
tcp_arg(struct tcp_pcb *p, void *arg)
{
}

void
tcp_recv(struct tcp_pcb *p, tcp_recv_fn recv)
{
}

void
tcp_sent(struct tcp_pcb *p, tcp_sent_fn sent)
{
}

void
tcp_poll(struct tcp_pcb *p, tcp_poll_fn poll, u8_t interval)
{
}

void
tcp_err(struct tcp_pcb *p, tcp_err_fn err)
{
}

void
tcp_accept(struct tcp_pcb *p, tcp_accept_fn accept)
{
}

u8_t
tcp_ext_arg_alloc_id(void)
{
	static u8_t next;

	return next++;
}

void
tcp_ext_arg_set_callbacks(struct tcp_pcb *p, uint8_t id,
			  const struct tcp_ext_arg_callbacks *const callbacks)
{
	p->ext_args[id].callbacks = callbacks;
}

void
tcp_ext_arg_set(struct tcp_pcb *p, uint8_t id, void *arg)
{
	p->ext_args[id].data = arg;
}

/* lwIP freeing p, as at the end of TIME_WAIT or on a reset: each
 * destroy callback runs, as tcp_free runs them. */
static void
pcb_freed(struct tcp_pcb *p)
{
	for (u8_t i = 0; i < LWIP_TCP_PCB_NUM_EXT_ARGS; i++)
		if (p->ext_args[i].callbacks != NULL &&
		    p->ext_args[i].callbacks->destroy != NULL)
			p->ext_args[i].callbacks->destroy(i,
							  p->ext_args[i].data);
	memset(p, 0, sizeof(*p));
}

/* lwIP frees a pcb closed before it connected at once; a connected one
 * goes on to FIN_WAIT_1 and stays until its peer answers. */
err_t
tcp_close(struct tcp_pcb *p)
{
	if (p->state == CLOSED)
		pcb_freed(p);
	else
		p->state = FIN_WAIT_1;
	return ERR_OK;
}

void
tcp_abort(struct tcp_pcb *p)
{
	pcb_freed(p);
}

u8_t
pbuf_free(struct pbuf *p)
{
	return 0;
}

/* The runtime's handle tags come from here: a delegation's new handle
 * fails while random_fails is set. */
ssize_t
getrandom(void *buf, size_t len, unsigned int flags)
{
	static uint8_t next = 1;

	if (random_fails) {
		errno = EIO;
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = next++;
	return (ssize_t)len;
}

/* ---- the table ---- */

static void
add_peer(struct sn_peer *p, const char *name)
{
	p->owner = &compartment;
	strcpy(p->name, name);
	p->quota[SN_QUOTA_SOCKETS] = 4;
	p->quota[SN_QUOTA_BUFFERED_BYTES] = 1 << 20;
	compartment.peers[compartment.npeers++] = p;
}

/* An open connection of app's, with nothing waiting and nothing queued. */
static struct sock *
open_socket(void)
{
	struct sock *s = sock_alloc();

	if (s == NULL || sock_own(s, &app) < 0)
		return NULL;
	s->state = SOCK_OPEN;
	memset(&pcb, 0, sizeof(pcb));
	s->pcb = &pcb;
	refused = timed_out = handed = 0;
	return s;
}

/* app asks for s to be handed to helper. */
static int
delegate(struct sock *s)
{
	static _Alignas(8) uint8_t buf[512];
	sn_handle h = {s->id.slot, s->id.generation, s->id.tag};
	struct sn_incoming in = {.peer = &app};
	sn_verify_error err;
	sn_builder b;
	uint32_t m, body;
	size_t len;

	sn_builder_init(&b, buf, sizeof(buf));
	m = sn_message_start(&b);
	sn_message_add_call_type(&b, m, SN_CALL_TYPE_REQUEST);
	sn_message_add_export(&b, m, SN_EXPORT_NETWORK_SOCKET_DELEGATE);
	body = sn_socket_delegate_start(&b);
	sn_socket_delegate_add_socket(&b, body, &h);
	sn_socket_delegate_add_to(&b, body, "helper", strlen("helper"));
	sn_message_add_body(&b, m, SN_BODY_SOCKET_DELEGATE, body);
	if (sn_builder_finish(&b, m, &len) < 0 ||
	    sn_message_verify(buf, len, &in.request, &err) < 0)
		return -EPROTO;
	serve_socket_delegate(NULL, &in);
	return in.answered ? 0 : -EPROTO;
}

/* A call parked on s whose caller's deadline has passed. */
static void
wait_given_up(struct sn_deferred *d, bool *waiting)
{
	*d = (struct sn_deferred){.peer = &app, .deadline_ns = 1};
	*waiting = true;
}

TEST(a_wait_whose_caller_gave_up_does_not_keep_the_socket)
{
	struct sock *s = open_socket();

	CHECK(s != NULL);
	wait_given_up(&s->recv_wait, &s->recv_waiting);
	wait_given_up(&s->send_wait, &s->send_waiting);
	CHECK_EQ_INT(delegate(s), 0);
	CHECK_EQ_INT(refused, 0);
	CHECK_EQ_INT(timed_out, 2);
	CHECK_EQ_INT(handed, 1);
	CHECK(!s->recv_waiting && !s->send_waiting);
	sock_free(s);
}

TEST(a_wait_whose_caller_still_waits_keeps_the_socket)
{
	struct sock *s = open_socket();

	CHECK(s != NULL);
	/* No deadline: the caller waits as long as it takes. */
	s->recv_wait = (struct sn_deferred){.peer = &app};
	s->recv_waiting = true;
	CHECK_EQ_INT(delegate(s), 0);
	CHECK_EQ_INT(refused, -EBUSY);
	CHECK_EQ_INT(handed, 0);
	CHECK(s->recv_waiting);
	s->recv_waiting = false;
	sock_free(s);
}

/* The socket goes when its new handle cannot be made; its segments
 * must leave its owner's count with it. */
TEST(a_socket_whose_delegation_fails_leaves_its_owners_count)
{
	struct sock *s = open_socket();
	struct sock probe = {.owner_peer = &app};
	uint64_t sockets_used = app.quota_used[SN_QUOTA_SOCKETS];

	CHECK(s != NULL);
	pcb.snd_queuelen = 5;
	CHECK_EQ_INT(segments_recount(s), 5);
	random_fails = true;
	CHECK_EQ_INT(delegate(s), 0);
	random_fails = false;
	CHECK_EQ_INT(refused, -EIO);
	CHECK_EQ_INT(handed, 0);
	CHECK_EQ_INT(app.quota_used[SN_QUOTA_SOCKETS], sockets_used - 1);
	CHECK_EQ_INT(segments_owner_room(&probe), OWNER_SEGMENTS_MAX);
}

/* ---- closed connections lwIP still works on ---- */

#define LINGERING 32
static struct tcp_pcb lingering[LINGERING];

/* A connection of owner's, in ESTABLISHED on lingering[i]: 0, or why
 * its socket was refused. */
static int
connect_on(struct sn_peer *owner, unsigned i, struct sock **out)
{
	struct sock *s = sock_alloc();
	int rc;

	if (s == NULL)
		return -ENOMEM;
	rc = sock_own(s, owner);
	if (rc < 0)
		return rc;
	s->state = SOCK_OPEN;
	memset(&lingering[i], 0, sizeof(lingering[i]));
	lingering[i].state = ESTABLISHED;
	s->pcb = &lingering[i];
	*out = s;
	return 0;
}

/* Connects and closes on the lingering pcbs from `first`, until refused
 * or out of pcbs: how many connects were taken, *refused why the next
 * was not. */
static unsigned
churn(struct sn_peer *owner, unsigned first, int *refused_with)
{
	unsigned n = 0;
	struct sock *s;

	*refused_with = 0;
	for (unsigned i = first; i < LINGERING; i++, n++) {
		*refused_with = connect_on(owner, i, &s);
		if (*refused_with < 0)
			break;
		sock_free(s);
	}
	return n;
}

/* Every lingering pcb lwIP gives up, as if each peer finally answered
 * or orphans.c gave up on it. */
static void
lwip_done_with_all(void)
{
	for (unsigned i = 0; i < LINGERING; i++)
		if (lingering[i].state != CLOSED)
			pcb_freed(&lingering[i]);
}

/* app's quota is 4: with its closed connections still in FIN_WAIT_1, it
 * has 4 open and 4 closed at most, however fast it churns. */
TEST(closed_connections_count_until_lwip_is_done)
{
	uint64_t used = app.quota_used[SN_QUOTA_SOCKETS];
	struct sock *s;
	int rc;

	CHECK_EQ_INT(churn(&app, 0, &rc), 8);
	CHECK_EQ_INT(rc, -EDQUOT);
	CHECK_EQ_INT(app.quota_used[SN_QUOTA_SOCKETS], used);
	/* Another owner is not held back by app's. */
	CHECK_EQ_INT(connect_on(&helper, 20, &s), 0);
	sock_free(s);
	/* TIME_WAIT: lwIP no longer works on it, and it no longer counts. */
	lingering[3].state = TIME_WAIT;
	CHECK_EQ_INT(connect_on(&app, 9, &s), 0);
	sock_free(s);
	CHECK_EQ_INT(connect_on(&app, 10, &s), -EDQUOT);
	/* A pcb lwIP frees (a reset, the orphans' limit) no longer counts
	 * either. */
	pcb_freed(&lingering[5]);
	CHECK_EQ_INT(connect_on(&app, 10, &s), 0);
	sock_free(s);
	lwip_done_with_all();
	CHECK_EQ_INT(churn(&app, 0, &rc), 8);
	lwip_done_with_all();
}

/* The closed connections of a dead owner count for its successor, which
 * has the same peer: else each restart would bring a fresh allowance. */
TEST(a_dead_owners_closed_connections_count_for_its_successor)
{
	struct sock *s[4];
	int rc;

	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ_INT(connect_on(&app, i, &s[i]), 0);
	app.dead = true;
	sockets_owner_died(&app);
	app.dead = false;
	CHECK_EQ_INT(churn(&app, 4, &rc), 4);
	CHECK_EQ_INT(rc, -EDQUOT);
	lwip_done_with_all();
	CHECK_EQ_INT(churn(&app, 0, &rc), 8);
	lwip_done_with_all();
}

/* A delegated socket stays on its owner's quota when the compartment it
 * went to closes it. */
TEST(a_delegated_connection_counts_for_its_owner_once_closed)
{
	struct sock *s[4];
	int rc;

	for (unsigned i = 0; i < 4; i++) {
		CHECK_EQ_INT(connect_on(&app, i, &s[i]), 0);
		CHECK_EQ_INT(delegate(s[i]), 0);
		CHECK_EQ_INT(handed, 1);
		handed = 0;
	}
	for (unsigned i = 0; i < 4; i++)
		sock_free(s[i]);
	CHECK_EQ_INT(churn(&helper, 4, &rc), 8);
	CHECK_EQ_INT(churn(&app, 12, &rc), 4);
	CHECK_EQ_INT(rc, -EDQUOT);
	lwip_done_with_all();
}

int
main(void)
{
	add_peer(&app, "app");
	add_peer(&helper, "helper");
	if (sn_peer_allow_delegation(&app, "helper") < 0)
		return EXIT_FAILURE;
	sockets_init();
	RUN(a_wait_whose_caller_gave_up_does_not_keep_the_socket);
	RUN(a_wait_whose_caller_still_waits_keeps_the_socket);
	RUN(a_socket_whose_delegation_fails_leaves_its_owners_count);
	RUN(closed_connections_count_until_lwip_is_done);
	RUN(a_dead_owners_closed_connections_count_for_its_successor);
	RUN(a_delegated_connection_counts_for_its_owner_once_closed);
	HARNESS_EXIT();
}
