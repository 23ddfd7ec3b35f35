/*
 * What the SDK's functions return in the cases a test can provoke without
 * the stack, and that each code is one their header documents for them.
 * The test process is an application compartment: it plays its own
 * supervisor, and a child process plays NetAPI and TCPIP with answers
 * chosen to reach each error path.
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sealnet/sealnet.h>

#include "call.h"
#include "harness.h"
#include "sdk_harness.h"

SEALNET_COMPARTMENT("sdk_test");
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_socket_receive);
SEALNET_IMPORT(network_socket_send);
SEALNET_IMPORT(network_socket_send_to);
SEALNET_IMPORT(network_socket_close);
/* Imported, but the boot message joins this compartment to no Runtime. */
SEALNET_IMPORT(runtime_echo);
SEALNET_CONNECTION_CAPABILITY(web, SEALNET_TCP, "www.test", 80);
SEALNET_CONNECTION_CAPABILITY(datagrams, SEALNET_UDP, "www.test", 53);
SEALNET_BIND_CAPABILITY(server, 80, 4, 0);

/* The function's result is expected, and its header documents it. */
#define CHECK_CODE(header, function, call, expected)                           \
	do {                                                                   \
		CHECK_EQ_INT((call), (expected));                              \
		CHECK(documented(header, #function, (expected)));              \
	} while (0)

enum { NETAPI, TCPIP };
static struct fake_peer peers[] = {
    [NETAPI] = {.name = "NetAPI"}, [TCPIP] = {.name = "TCPIP"}};
static int supervisor = -1;
static pid_t stack = -1;
static char log_text[8192];
static const sealnet_socket some_socket = {1, 1, 42};

/* ---- the stack, in a child process ---- */

static _Alignas(8) uint8_t out[4096];

static uint32_t
endpoint(sn_builder *b, const uint8_t *address, uint32_t len)
{
	uint32_t e = sn_endpoint_start(b);

	sn_endpoint_add_family(
	    b, e, len == 16 ? SN_ADDRESS_FAMILY_IPV6 : SN_ADDRESS_FAMILY_IPV4);
	sn_endpoint_add_address(b, e, address, len);
	return e;
}

/* network_host_get: not yet, then two addresses and a DNS server, then
 * an address of five bytes. */
static void
answer_host_get(struct fake_peer *p, const sn_message_ref *m)
{
	static unsigned asked;
	/* A fifth byte, for the malformed answer. */
	static const uint8_t v4[5] = {10, 0, 0, 7}, dns[4] = {10, 0, 0, 1};
	static const uint8_t v6[16] = {0xfd, [15] = 7};
	sn_builder b;
	uint32_t msg = fake_reply_begin(&b, out, sizeof(out));
	uint32_t info = sn_address_info_start(&b);
	bool malformed = ++asked >= 4;

	if (asked == 1) {
		fake_reply_send(p, &b, msg, m, -EAGAIN, 0, 0);
		return;
	}
	uint32_t vec = sn_address_info_start_addresses(&b, info, 2);
	sn_builder_set_table_at(&b, vec, 0,
				endpoint(&b, v4, malformed ? 5 : 4));
	sn_builder_set_table_at(&b, vec, 1, endpoint(&b, v6, 16));
	vec = sn_address_info_start_dns_servers(&b, info, 1);
	sn_builder_set_table_at(&b, vec, 0, endpoint(&b, dns, 4));
	fake_reply_send(p, &b, msg, m, 0, SN_BODY_ADDRESS_INFO, info);
}

/* One byte more than was asked for; to a caller asking for more than 64
 * bytes, how much it asked for (4 bytes, little-endian). */
static void
answer_receive(struct fake_peer *p, const sn_message_ref *m)
{
	uint8_t data[64] = {0};
	uint32_t max = sn_receive_max_bytes(sn_message_body_as_receive(*m));
	sn_builder b;
	uint32_t msg = fake_reply_begin(&b, out, sizeof(out));
	uint32_t body = sn_received_start(&b);

	for (unsigned i = 0; i < 4; i++)
		data[i] = (uint8_t)(max >> (8 * i));
	sn_received_add_data(&b, body, data,
			     max >= sizeof(data)      ? 4
			     : max + 1 < sizeof(data) ? max + 1
						      : sizeof(data));
	fake_reply_send(p, &b, msg, m, 0, SN_BODY_RECEIVED, body);
}

static void
answer(struct fake_peer *p, const sn_message_ref *m)
{
	sn_builder b;
	uint32_t msg = fake_reply_begin(&b, out, sizeof(out));

	switch (sn_message_export(*m)) {
	case SN_EXPORT_NETWORK_HOST_GET:
		answer_host_get(p, m);
		break;
	case SN_EXPORT_NETWORK_SOCKET_CONNECT_TCP:
		fake_reply_send(p, &b, msg, m, -ECONNREFUSED, 0, 0);
		break;
	case SN_EXPORT_NETWORK_SOCKET_RECEIVE:
		answer_receive(p, m);
		break;
	case SN_EXPORT_NETWORK_SOCKET_CLOSE:
		/* TCPIP dies with the call in flight; the supervisor would
		 * mark its channel so. */
		sn_channel_mark_dead(&p->fds);
		_exit(0);
	default: /* a send: never answered */
		break;
	}
}

/* ---- before the start ---- */

TEST(nothing_works_before_the_start)
{
	CHECK_EQ_INT(sealnet_incarnation(), 0);
	CHECK(sealnet_compartment_name() == NULL);
	CHECK_CODE("start.h", sealnet_run, sealnet_run(), -ESRCH);
	CHECK_CODE("start.h", sealnet_wait, sealnet_wait(SEALNET_MS), -ESRCH);
	CHECK_CODE("network.h", network_socket_connect_tcp,
		   network_socket_connect_tcp(SEALNET_SECOND,
					      SEALNET_CAPABILITY(web), NULL),
		   -ESRCH);
	CHECK_CODE("network.h", network_start, network_start(SEALNET_SECOND),
		   -ESRCH);
	CHECK_CODE("runtime_service.h", runtime_null,
		   runtime_null(SEALNET_SECOND), -ESRCH);
	CHECK_CODE("start.h", sealnet_on_compartment_died,
		   sealnet_on_compartment_died(NULL, NULL), -ESRCH);
}

/* Without `sealnet run` there is no control socket: a clear refusal, and
 * no second try.  In a child, since a process starts once. */
TEST(a_start_outside_the_supervisor_is_refused)
{
	int status;
	pid_t child;

	fflush(stdout);
	child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		close(3); /* where `sealnet run` puts the control socket */
		log_capture_begin();
		int rc = sealnet_start();
		log_capture_end(log_text, sizeof(log_text));
		int again = sealnet_start();
		bool ok = rc == -EBADF && again == -EALREADY &&
			  strstr(log_text, "not started by `sealnet run`") &&
			  documented("start.h", "sealnet_start", rc) &&
			  documented("start.h", "sealnet_start", again);
		_exit(ok ? 0 : 1);
	}
	CHECK(waitpid(child, &status, 0) == child);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- started, joined to NetAPI and TCPIP ---- */

TEST(it_starts_as_the_image_says)
{
	supervisor = fake_supervisor_boot("sdk_test", peers, 2);
	CHECK(supervisor >= 0);
	fflush(stdout);
	stack = fork();
	CHECK(stack >= 0);
	if (stack == 0)
		fake_peers_serve(peers, 2, answer);
	CHECK_EQ_INT(sealnet_start(), 0);
	CHECK_EQ_INT(sealnet_incarnation(), 1);
	CHECK(strcmp(sealnet_compartment_name(), "sdk_test") == 0);
	CHECK_CODE("start.h", sealnet_start, sealnet_start(), -EALREADY);
	CHECK_EQ_INT(sealnet_wait(10 * SEALNET_MS), 0);
}

TEST(an_export_not_imported_is_refused_and_logged)
{
	sealnet_socket s;
	int rc;

	log_capture_begin();
	rc = network_socket_listen_tcp(SEALNET_SECOND,
				       SEALNET_CAPABILITY(server), &s);
	log_capture_end(log_text, sizeof(log_text));
	CHECK_CODE("network.h", network_socket_listen_tcp, rc, -EPERM);
	CHECK(strstr(log_text,
		     "declare SEALNET_IMPORT(network_socket_listen_tcp)"));
}

TEST(a_compartment_missing_from_the_image_is_refused_and_logged)
{
	char echo[8];
	ssize_t rc;

	log_capture_begin();
	rc = runtime_echo(SEALNET_SECOND, "ping", 4, echo, sizeof(echo));
	log_capture_end(log_text, sizeof(log_text));
	CHECK_CODE("runtime_service.h", runtime_echo, rc, -EPERM);
	CHECK(strstr(log_text, "joins this compartment to no Runtime"));
}

TEST(malformed_arguments_are_refused_before_a_call)
{
	sealnet_socket s;
	sealnet_address to = {0};
	static char big[SEALNET_DATAGRAM_MAX + 1];

	CHECK_CODE("network.h", network_socket_connect_tcp,
		   network_socket_connect_tcp(SEALNET_SECOND,
					      SEALNET_CAPABILITY(server), &s),
		   -EINVAL);
	CHECK_CODE("network.h", network_socket_connect_tcp,
		   network_socket_connect_tcp(
		       SEALNET_SECOND, SEALNET_CAPABILITY(datagrams), &s),
		   -EINVAL);
	CHECK_CODE("network.h", network_socket_connect_tcp,
		   network_socket_connect_tcp(SEALNET_SECOND,
					      SEALNET_CAPABILITY(web), NULL),
		   -EINVAL);
	CHECK_CODE("network.h", network_socket_send_to,
		   network_socket_send_to(SEALNET_SECOND, some_socket, &to, big,
					  sizeof(big)),
		   -EMSGSIZE);
}

TEST(network_start_waits_for_an_address)
{
	sealnet_host_info info;

	/* The first answer is "not yet": network_start asks again. */
	CHECK_EQ_INT(network_start(5 * SEALNET_SECOND), 0);
	CHECK_EQ_INT(network_host_get(SEALNET_SECOND, &info), 0);
	CHECK_EQ_INT(info.naddresses, 2);
	CHECK(!info.addresses[0].ipv6 && info.addresses[0].address[3] == 7);
	CHECK(info.addresses[1].ipv6 && info.addresses[1].address[0] == 0xfd);
	CHECK_EQ_INT(info.ndns_servers, 1);
	CHECK(info.dns_servers[0].address[0] == 10);
	/* Then NetAPI answers with an address of five bytes. */
	CHECK_CODE("network.h", network_host_get,
		   network_host_get(SEALNET_SECOND, &info), -EPROTO);
}

TEST(the_stack_s_errors_reach_the_caller)
{
	char buf[16];
	sealnet_socket s;
	uint64_t t0;

	CHECK_CODE("network.h", network_socket_connect_tcp,
		   network_socket_connect_tcp(SEALNET_SECOND,
					      SEALNET_CAPABILITY(web), &s),
		   -ECONNREFUSED);
	CHECK_CODE("network.h", network_socket_receive_preallocated,
		   network_socket_receive_preallocated(
		       SEALNET_SECOND, some_socket, buf, sizeof(buf)),
		   -EPROTO);
	t0 = sealnet_now_ns();
	CHECK_CODE("network.h", network_socket_send,
		   network_socket_send(150 * SEALNET_MS, some_socket, "x", 1),
		   -ETIMEDOUT);
	CHECK(sealnet_now_ns() - t0 >= 150 * SEALNET_MS);
	CHECK(sealnet_now_ns() - t0 < 2 * SEALNET_SECOND);
}

/* A stream's receive asks for as much as the caller has room for, up to
 * a whole message's worth less its headers: half of that took twice the
 * calls. */
TEST(a_receive_asks_for_up_to_a_message)
{
	static uint8_t buf[2 * SN_MAX_MESSAGE];
	const size_t sizes[] = {100 * 1024, sizeof(buf)};
	const uint32_t asked[] = {100 * 1024, SN_MAX_MESSAGE - 512};

	for (unsigned i = 0; i < 2; i++) {
		ssize_t n = network_socket_receive_preallocated(
		    SEALNET_SECOND, some_socket, buf, sizes[i]);

		CHECK_EQ_INT(n, 4);
		CHECK_EQ_INT((uint32_t)buf[0] | (uint32_t)buf[1] << 8 |
				 (uint32_t)buf[2] << 16 |
				 (uint32_t)buf[3] << 24,
			     asked[i]);
	}
}

static char died_name[32];
static unsigned died_calls;

static void
compartment_died(void *ctx, const char *compartment)
{
	(void)ctx;
	snprintf(died_name, sizeof(died_name), "%s", compartment);
	died_calls++;
}

static void
ignore_death(void *ctx, const char *compartment)
{
	(void)ctx;
	(void)compartment;
}

TEST(callbacks_fill_a_bounded_table)
{
	static int ctx[SEALNET_MAX_CALLBACKS];

	CHECK_CODE("start.h", sealnet_on_compartment_died,
		   sealnet_on_compartment_died(NULL, NULL), -EINVAL);
	CHECK_EQ_INT(sealnet_on_compartment_died(compartment_died, NULL), 0);
	CHECK_CODE("start.h", sealnet_on_compartment_died,
		   sealnet_on_compartment_died(compartment_died, NULL),
		   -EEXIST);
	for (unsigned i = 1; i < SEALNET_MAX_CALLBACKS; i++)
		CHECK_EQ_INT(sealnet_on_compartment_died(ignore_death, &ctx[i]),
			     0);
	CHECK_CODE("start.h", sealnet_on_compartment_died,
		   sealnet_on_compartment_died(ignore_death, &ctx[0]), -ENOSPC);
	CHECK_EQ_INT(sealnet_on_compartment_restarted(ignore_death, NULL), 0);
}

TEST(a_compartment_that_dies_mid_call)
{
	char buf[16];
	uint64_t t0 = sealnet_now_ns();

	CHECK_CODE("network.h", network_socket_close,
		   network_socket_close(5 * SEALNET_SECOND, some_socket),
		   -ENOTRECOVERABLE);
	CHECK(sealnet_now_ns() - t0 < SEALNET_SECOND);
	CHECK_EQ_INT(died_calls, 1);
	CHECK(strcmp(died_name, "TCPIP") == 0);
	/* And at once for every later call. */
	CHECK_CODE("network.h", network_socket_receive_preallocated,
		   network_socket_receive_preallocated(
		       5 * SEALNET_SECOND, some_socket, buf, sizeof(buf)),
		   -ENOTRECOVERABLE);
	CHECK(sealnet_now_ns() - t0 < SEALNET_SECOND);
}

TEST(the_supervisor_going_away_ends_the_loop)
{
	CHECK(close(supervisor) == 0);
	supervisor = -1;
	CHECK_CODE("start.h", sealnet_wait, sealnet_wait(5 * SEALNET_SECOND),
		   -ECANCELED);
	CHECK_EQ_INT(sealnet_run(), 0);
}

int
main(void)
{
	RUN(nothing_works_before_the_start);
	RUN(a_start_outside_the_supervisor_is_refused);
	RUN(it_starts_as_the_image_says);
	if (stack == 0)
		_exit(1);
	RUN(an_export_not_imported_is_refused_and_logged);
	RUN(a_compartment_missing_from_the_image_is_refused_and_logged);
	RUN(malformed_arguments_are_refused_before_a_call);
	RUN(network_start_waits_for_an_address);
	RUN(the_stack_s_errors_reach_the_caller);
	RUN(a_receive_asks_for_up_to_a_message);
	RUN(callbacks_fill_a_bounded_table);
	RUN(a_compartment_that_dies_mid_call);
	RUN(the_supervisor_going_away_ends_the_loop);
	if (stack > 0) {
		kill(stack, SIGKILL);
		waitpid(stack, NULL, 0);
	}
	HARNESS_EXIT();
}
