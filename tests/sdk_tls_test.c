/*
 * What sealnet/tls.h's functions return in the cases a test can provoke
 * without the stack, and that their header documents each code for them.
 * The test process is an application compartment; a child plays NetAPI,
 * TCPIP and TLS: NetAPI refuses the first connect, TLS refuses creates
 * with each TLS code in turn, then makes sessions, answers a receive with
 * more than was asked, and dies during the next.
 */
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sealnet/sealnet.h>

#include "harness.h"
#include "sdk_harness.h"

SEALNET_COMPARTMENT("sdk_tls_test");
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_socket_delegate);
SEALNET_IMPORT(network_socket_close);
SEALNET_IMPORT(tls_connection_create);
SEALNET_IMPORT(tls_connection_send);
SEALNET_IMPORT(tls_connection_receive);
SEALNET_IMPORT(tls_connection_close);
SEALNET_CONNECTION_CAPABILITY(web, SEALNET_TCP, "www.test", 443);
SEALNET_BIND_CAPABILITY(server, 443, 4, 0);

#define CHECK_CODE(function, call, expected)                                   \
	do {                                                                   \
		CHECK_EQ_INT((call), (expected));                              \
		CHECK(documented("tls.h", #function, (expected)));             \
	} while (0)

enum { NETAPI, TCPIP, TLS };
static struct fake_peer peers[] = {[NETAPI] = {.name = "NetAPI"},
				   [TCPIP] = {.name = "TCPIP"},
				   [TLS] = {.name = "TLS"}};
static pid_t stack = -1;
static _Alignas(8) uint8_t out[4096];

/* ---- the stack, in a child process ---- */

static void
socket_created(struct fake_peer *p, const sn_message_ref *m, uint64_t tag)
{
	sn_builder b;
	uint32_t msg = fake_reply_begin(&b, out, sizeof(out));
	uint32_t body = sn_socket_created_start(&b);
	sn_handle h = {1, 1, tag};

	sn_socket_created_add_socket(&b, body, &h);
	fake_reply_send(p, &b, msg, m, 0, SN_BODY_SOCKET_CREATED, body);
}

/* Each TLS code in turn, then sessions. */
static void
answer_create(struct fake_peer *p, const sn_message_ref *m)
{
	static int refused;
	static uint64_t made;
	sn_builder b;
	uint32_t msg = fake_reply_begin(&b, out, sizeof(out));

	if (refused < SEALNET_TLS_ERROR_FIRST - SEALNET_TLS_ERROR_LAST + 1) {
		fake_reply_send(p, &b, msg, m,
				SEALNET_TLS_ERROR_FIRST - refused++, 0, 0);
		return;
	}
	uint32_t body = sn_tls_created_start(&b);
	sn_handle h = {0, 1, 70 + made++};
	sn_tls_created_add_session(&b, body, &h);
	sn_tls_created_add_version(&b, body, 0x0304);
	sn_tls_created_add_alpn(&b, body, "http/1.1", 8);
	fake_reply_send(p, &b, msg, m, 0, SN_BODY_TLS_CREATED, body);
}

/* One byte more than was asked for; then TLS dies with the call in
 * flight, as the supervisor would mark it. */
static void
answer_receive(struct fake_peer *p, const sn_message_ref *m)
{
	static const uint8_t data[64];
	static int asked;
	uint32_t max =
	    sn_tls_receive_max_bytes(sn_message_body_as_tls_receive(*m));
	sn_builder b;
	uint32_t msg = fake_reply_begin(&b, out, sizeof(out));
	uint32_t body = sn_received_start(&b);

	if (asked++ > 0) {
		sn_channel_mark_dead(&p->fds);
		_exit(0);
	}
	sn_received_add_data(&b, body, data,
			     max + 1 < sizeof(data) ? max + 1 : sizeof(data));
	fake_reply_send(p, &b, msg, m, 0, SN_BODY_RECEIVED, body);
}

static void
answer(struct fake_peer *p, const sn_message_ref *m)
{
	static int connects;
	sn_builder b;
	uint32_t msg = fake_reply_begin(&b, out, sizeof(out));

	switch (sn_message_export(*m)) {
	case SN_EXPORT_NETWORK_SOCKET_CONNECT_TCP:
		if (connects++ == 0)
			fake_reply_send(p, &b, msg, m, -ECONNREFUSED, 0, 0);
		else
			socket_created(p, m, 100 + (uint64_t)connects);
		break;
	case SN_EXPORT_NETWORK_SOCKET_DELEGATE:
		socket_created(p, m, 200);
		break;
	case SN_EXPORT_NETWORK_SOCKET_CLOSE:
		fake_reply_send(p, &b, msg, m, 0, SN_BODY_EMPTY,
				sn_empty_start(&b));
		break;
	case SN_EXPORT_TLS_CONNECTION_CREATE:
		answer_create(p, m);
		break;
	case SN_EXPORT_TLS_CONNECTION_RECEIVE:
		answer_receive(p, m);
		break;
	default:
		break;
	}
}

/* ---- the tests ---- */

static sealnet_tls_session a, b;

TEST(nothing_works_before_the_start)
{
	CHECK_CODE(
	    tls_connection_create,
	    tls_connection_create(SEALNET_SECOND, SEALNET_CAPABILITY(web), &a),
	    -ESRCH);
}

TEST(it_starts_as_the_image_says)
{
	CHECK(fake_supervisor_boot("sdk_tls_test", peers, 3) >= 0);
	fflush(stdout);
	stack = fork();
	CHECK(stack >= 0);
	if (stack == 0)
		fake_peers_serve(peers, 3, answer);
	CHECK_EQ_INT(sealnet_start(), 0);
}

TEST(malformed_arguments_are_refused_before_a_call)
{
	CHECK_CODE(tls_connection_create,
		   tls_connection_create(SEALNET_SECOND,
					 SEALNET_CAPABILITY(server), &a),
		   -EINVAL);
	CHECK_CODE(tls_connection_create_alpn,
		   tls_connection_create_alpn(SEALNET_SECOND,
					      SEALNET_CAPABILITY(web), "h2,,x",
					      &a, NULL),
		   -EINVAL);
	CHECK_CODE(tls_connection_send,
		   tls_connection_send(SEALNET_SECOND, a, "x", 1, 0x80),
		   -EINVAL);
	CHECK_CODE(tls_connection_info,
		   tls_connection_info(a, &(sealnet_tls_info){0}), -ENOENT);
}

TEST(the_connect_s_errors_and_each_tls_code_reach_the_caller)
{
	CHECK_CODE(
	    tls_connection_create,
	    tls_connection_create(SEALNET_SECOND, SEALNET_CAPABILITY(web), &a),
	    -ECONNREFUSED);
	for (int code = SEALNET_TLS_ERROR_FIRST; code >= SEALNET_TLS_ERROR_LAST;
	     code--)
		CHECK_CODE(tls_connection_create,
			   tls_connection_create(SEALNET_SECOND,
						 SEALNET_CAPABILITY(web), &a),
			   code);
}

TEST(sessions_are_made_and_say_what_was_settled)
{
	sealnet_tls_info info;

	CHECK_EQ_INT(tls_connection_create_alpn(SEALNET_SECOND,
						SEALNET_CAPABILITY(web),
						"h2,http/1.1", &a, &info),
		     0);
	CHECK_EQ_INT(info.version, 0x0304);
	CHECK(strcmp(info.alpn, "http/1.1") == 0);
	CHECK_EQ_INT(
	    tls_connection_create(SEALNET_SECOND, SEALNET_CAPABILITY(web), &b),
	    0);
	CHECK_EQ_INT(tls_connection_info(b, &info), 0);
	CHECK_EQ_INT(info.version, 0x0304);
}

TEST(an_answer_longer_than_asked_is_refused)
{
	char buf[16];

	CHECK_CODE(tls_connection_receive_preallocated,
		   tls_connection_receive_preallocated(SEALNET_SECOND, a, buf,
						       sizeof(buf)),
		   -EPROTO);
}

/* TLS dies during a receive on a: that call, and the first on b, say so;
 * every later call on either says -ENOTCONN without a call. */
TEST(a_tls_death_is_told_once_per_session)
{
	char buf[16];

	CHECK_CODE(tls_connection_receive_preallocated,
		   tls_connection_receive_preallocated(5 * SEALNET_SECOND, a,
						       buf, sizeof(buf)),
		   -ENOTRECOVERABLE);
	CHECK_CODE(tls_connection_send,
		   tls_connection_send(SEALNET_SECOND, a, "x", 1, 0),
		   -ENOTCONN);
	CHECK_CODE(tls_connection_send,
		   tls_connection_send(SEALNET_SECOND, b, "x", 1, 0),
		   -ENOTRECOVERABLE);
	CHECK_CODE(tls_connection_receive_preallocated,
		   tls_connection_receive_preallocated(SEALNET_SECOND, b, buf,
						       sizeof(buf)),
		   -ENOTCONN);
	CHECK_EQ_INT(tls_connection_close(SEALNET_SECOND, a), 0);
	CHECK_EQ_INT(tls_connection_close(SEALNET_SECOND, b), 0);
	CHECK_CODE(tls_connection_info,
		   tls_connection_info(b, &(sealnet_tls_info){0}), -ENOENT);
}

int
main(void)
{
	RUN(nothing_works_before_the_start);
	RUN(it_starts_as_the_image_says);
	if (stack == 0)
		_exit(1);
	RUN(malformed_arguments_are_refused_before_a_call);
	RUN(the_connect_s_errors_and_each_tls_code_reach_the_caller);
	RUN(sessions_are_made_and_say_what_was_settled);
	RUN(an_answer_longer_than_asked_is_refused);
	RUN(a_tls_death_is_told_once_per_session);
	if (stack > 0) {
		kill(stack, SIGKILL);
		waitpid(stack, NULL, 0);
	}
	HARNESS_EXIT();
}
