/*
 * The TLS engine in a sandbox: once tls_engine_init has run, a child that
 * may not open any file still completes every kind of handshake.  The
 * engine is started in the child alone.
 */
#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sealnet/tls.h>

#include "engine.h"
#include "fixtures.h"
#include "harness.h"

/* ---- the sandbox: nothing opens a file after tls_engine_init ---- */

static int
deny_file_opens(void)
{
	static const int calls[] = {SCMP_SYS(open), SCMP_SYS(openat),
				    SCMP_SYS(openat2), SCMP_SYS(creat),
				    SCMP_SYS(open_by_handle_at)};
	scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);
	int rc = filter != NULL ? 0 : -ENOMEM;

	for (size_t i = 0; rc == 0 && i < sizeof(calls) / sizeof(calls[0]); i++)
		rc = seccomp_rule_add(filter, SCMP_ACT_KILL_PROCESS, calls[i],
				      0);
	if (rc == 0)
		rc = seccomp_load(filter);
	seccomp_release(filter);
	return rc;
}

/* Exit codes name the step that went wrong. */
static int
sandboxed_child(void)
{
	struct tls_engine e;
	struct tls_session_config c = config();
	struct conn *conn;
	int step = 10;

	if (tls_engine_init(&e, (const uint8_t *)ca_pem, ca_pem_len) < 0 ||
	    tls_engine_add_identity(
		&e, IDENTITY, (const uint8_t *)client_pem, client_pem_len,
		(const uint8_t *)client_key_pem, client_key_pem_len) < 0)
		return step;
	if (deny_file_opens() < 0)
		return step + 1;
	/* A full handshake with each version, data both ways, client
	 * certificates, each failure with its code, and resumption. */
	SSL_CTX *ok[] = {srv_tls13, srv_tls12, srv_mtls13, srv_mtls12};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		step += 2;
		c.identity = i >= 2 ? IDENTITY : NULL;
		conn = conn_open_with(&e, ok[i], &c);
		if (conn == NULL ||
		    tls_session_state(&conn->session) !=
			TLS_SESSION_ESTABLISHED ||
		    !round_trip(conn, "hello from the sandbox"))
			return step;
		conn_free(conn);
	}
	c.identity = NULL;
	struct {
		SSL_CTX *server;
		int code;
	} bad[] = {
	    {srv_unknown_issuer, SEALNET_TLS_EUNKNOWN_ISSUER},
	    {srv_self_signed, SEALNET_TLS_ESELF_SIGNED},
	    {srv_wrong_host, SEALNET_TLS_EHOST_MISMATCH},
	    {srv_expired, SEALNET_TLS_EEXPIRED},
	    {srv_not_yet_valid, SEALNET_TLS_ENOT_YET_VALID},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		step += 2;
		conn = conn_open_with(&e, bad[i].server, &c);
		if (conn == NULL ||
		    tls_session_error(&conn->session) != bad[i].code)
			return step;
		conn_free(conn);
	}
	conn = conn_open_with(&e, srv_tls13, &c);
	if (conn == NULL || tls_session_resumed(&conn->session))
		return 40;
	conn_free(conn);
	conn = conn_open_with(&e, srv_tls13, &c);
	if (conn == NULL || !tls_session_resumed(&conn->session))
		return 41;
	conn_free(conn);
	tls_engine_free(&e);
	return CHILD_SANDBOX_OK;
}

static int
run_in_child(int (*body)(void))
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(body());
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

TEST(nothing_opens_a_file_after_init)
{
	int status = run_in_child(sandboxed_child);

	if (WIFSIGNALED(status))
		printf("# the child died of signal %d\n", WTERMSIG(status));
	CHECK(WIFEXITED(status));
	CHECK_EQ_INT(WEXITSTATUS(status), CHILD_SANDBOX_OK);
}

static int
open_after_filter(void)
{
	FILE *f;

	if (deny_file_opens() < 0)
		return 1;
	f = fopen("/etc/hostname", "r");
	if (f != NULL)
		fclose(f);
	return 2;
}

/* The filter the test above relies on really kills an opener. */
TEST(the_sandbox_filter_kills_an_open)
{
	int status = run_in_child(open_after_filter);

	CHECK(WIFSIGNALED(status));
	CHECK_EQ_INT(WTERMSIG(status), SIGSYS);
}

int
main(void)
{
	if (fixtures_make("tls_engine_sandbox_test") < 0)
		return EXIT_FAILURE;
	RUN(nothing_opens_a_file_after_init);
	RUN(the_sandbox_filter_kills_an_open);
	fixtures_free();
	HARNESS_EXIT();
}
