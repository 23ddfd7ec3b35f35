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

err_t
tcp_close(struct tcp_pcb *p)
{
	return ERR_OK;
}

void
tcp_abort(struct tcp_pcb *p)
{
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
	HARNESS_EXIT();
}
