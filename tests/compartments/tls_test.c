/*
 * The application compartment of tests/tls-test.sh.  It talks TLS to the
 * test's openssl s_server instances through the TLS compartment and
 * reports what it sees as RESULT lines: versions, a request carrying a
 * secret, resumption, ALPN, every refusal with its code, a client
 * certificate, its quota, and a transfer that the TLS compartment's
 * death interrupts.  Each host name below is a server of the test's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <sealnet/sealnet.h>

#include "waiting.h"

SEALNET_COMPARTMENT("tls_test");
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_socket_delegate);
SEALNET_IMPORT(network_socket_send);
SEALNET_IMPORT(network_socket_close);
SEALNET_IMPORT(tls_connection_create);
SEALNET_IMPORT(tls_connection_send);
SEALNET_IMPORT(tls_connection_receive);
SEALNET_IMPORT(tls_connection_close);
SEALNET_CONNECTION_CAPABILITY(v13, SEALNET_TCP, "v13.test", 4431);
SEALNET_CONNECTION_CAPABILITY(v12, SEALNET_TCP, "v12.test", 4432);
SEALNET_CONNECTION_CAPABILITY(www, SEALNET_TCP, "www.test", 4433);
SEALNET_CONNECTION_CAPABILITY(wrong, SEALNET_TCP, "wrong.test", 4434);
SEALNET_CONNECTION_CAPABILITY(expired, SEALNET_TCP, "expired.test", 4435);
SEALNET_CONNECTION_CAPABILITY(unknown, SEALNET_TCP, "unknown.test", 4436);
SEALNET_CONNECTION_CAPABILITY(selfsigned, SEALNET_TCP, "selfsigned.test", 4437);
SEALNET_CONNECTION_CAPABILITY(notyet, SEALNET_TCP, "notyet.test", 4438);
SEALNET_CONNECTION_CAPABILITY(mtls, SEALNET_TCP, "mtls.test", 4439);
SEALNET_CONNECTION_IDENTITY(mtls, "device");
SEALNET_CONNECTION_CAPABILITY(sink, SEALNET_TCP, "sink.test", 4440);
/* Plain TCP, for the marker that shows what TCPIP's memory holds. */
SEALNET_CONNECTION_CAPABILITY(echo, SEALNET_TCP, "echo.test", 7007);
/* The test opens these ports when the next step may begin. */
SEALNET_CONNECTION_CAPABILITY(go, SEALNET_TCP, "go.test", 7008);
SEALNET_CONNECTION_CAPABILITY(go_again, SEALNET_TCP, "go.test", 7011);
SEALNET_CONNECTION_CAPABILITY(go_end, SEALNET_TCP, "go.test", 7014);
SEALNET_QUOTA(tls_sessions, 3);
SEALNET_QUOTA(sockets, 6);
SEALNET_RESTART(never, 0);

#define T (5 * SEALNET_SECOND)

static uint8_t chunk[60 * 1024];
static char page[16384];
static volatile bool tls_restarted;

static const char *
reason(int code)
{
	const char *tls = sealnet_tls_error_name(code);

	return tls != NULL ? tls : strerror(-code);
}

/* 16 random bytes as hex: a secret nobody else can have made up. */
static void
random_hex(char out[33])
{
	uint8_t r[16];

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		memset(r, 0x5a, sizeof(r));
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

/* A request, then the response until the server ends it; its length. */
static ssize_t
fetch(sealnet_tls_session s, const char *request)
{
	size_t have = 0;
	ssize_t n = tls_connection_send(T, s, request, strlen(request), 0);

	while (n >= 0 && have < sizeof(page) - 1) {
		n = tls_connection_receive_preallocated(
		    T, s, page + have, sizeof(page) - 1 - have);
		if (n > 0)
			have += (size_t)n;
	}
	page[have] = 0;
	return have > 0 ? (ssize_t)have : n;
}

/* TLS 1.3 and 1.2 only servers; to the first, a request with a secret
 * that must be nowhere on the wire nor in TCPIP, and a plain marker that
 * is, to show the test can see it. */
static void
versions_and_secret(void)
{
	static const char *const names[] = {"v13", "v12"};
	const struct sealnet_declaration *caps[] = {SEALNET_CAPABILITY(v13),
						    SEALNET_CAPABILITY(v12)};
	char secret[33], marker[33], line[128];

	random_hex(secret);
	random_hex(marker);
	for (int i = 0; i < 2; i++) {
		sealnet_tls_session s;
		sealnet_tls_info info;
		int rc =
		    tls_connection_create_alpn(T, caps[i], NULL, &s, &info);

		if (rc < 0) {
			sealnet_log("RESULT %s: %s", names[i], reason(rc));
			continue;
		}
		snprintf(line, sizeof(line), "secret %s\n", secret);
		ssize_t n = tls_connection_send(T, s, line, strlen(line), 0);
		sealnet_log("RESULT %s: version %04x, request %s", names[i],
			    info.version,
			    n == (ssize_t)strlen(line) ? "sent" : "not sent");
		tls_connection_close(T, s);
	}
	sealnet_socket plain;
	if (network_socket_connect_tcp(T, SEALNET_CAPABILITY(echo), &plain) ==
	    0) {
		network_socket_send(T, plain, marker, 32);
		network_socket_close(T, plain);
	}
	sealnet_log("RESULT secret %s marker %s", secret, marker);
	if (waiting_for_go(SEALNET_CAPABILITY(go)) < 0)
		sealnet_log("RESULT no go for the second part");
}

/* Four sessions to one server: the first full, the others resumed and
 * quicker (the handshake's time in TLS, the connect before it apart). */
static void
resumption_and_alpn(void)
{
	uint32_t took[4] = {0};
	bool resumed[4] = {false}, reused[4] = {false};
	char alpn[SEALNET_TLS_ALPN_MAX + 1] = "";

	for (int i = 0; i < 4; i++) {
		sealnet_tls_session s;
		sealnet_tls_info info;
		int rc = tls_connection_create_alpn(T, SEALNET_CAPABILITY(www),
						    "h2,http/1.1", &s, &info);

		if (rc < 0) {
			sealnet_log("RESULT resumption: %s", reason(rc));
			return;
		}
		took[i] = info.handshake_us;
		resumed[i] = info.resumed;
		if (i == 0)
			memcpy(alpn, info.alpn, sizeof(alpn));
		if (fetch(s, "GET / HTTP/1.0\r\n\r\n") > 0)
			reused[i] = strstr(page, "Reused, TLSv1.3") != NULL;
		tls_connection_close(T, s);
	}
	/* The median of the three resumed. */
	uint32_t a = took[1], b = took[2], c = took[3];
	uint32_t median = a > b ? (b > c ? b : (a > c ? c : a))
				: (a > c ? a : (b > c ? c : b));
	sealnet_log("RESULT alpn: %s", alpn[0] ? alpn : "none");
	sealnet_log(
	    "RESULT resumption: resumed %d%d%d%d, the server says "
	    "reused %d%d%d%d; full handshake %u us, resumed (median) %u "
	    "us",
	    resumed[0], resumed[1], resumed[2], resumed[3], reused[0],
	    reused[1], reused[2], reused[3], took[0], median);
}

/* Each certificate the client must refuse, with its own code. */
static void
refusals(void)
{
	static const char *const names[] = {"wrong", "expired", "unknown",
					    "selfsigned", "notyet"};
	const struct sealnet_declaration *caps[] = {
	    SEALNET_CAPABILITY(wrong), SEALNET_CAPABILITY(expired),
	    SEALNET_CAPABILITY(unknown), SEALNET_CAPABILITY(selfsigned),
	    SEALNET_CAPABILITY(notyet)};

	for (int i = 0; i < 5; i++) {
		sealnet_tls_session s;
		int rc = tls_connection_create(T, caps[i], &s);

		if (rc == 0) {
			tls_connection_close(T, s);
			sealnet_log("RESULT refused %s: accepted", names[i]);
			continue;
		}
		sealnet_log("RESULT refused %s: %s (%d)", names[i], reason(rc),
			    rc);
	}
}

static void
client_certificate(void)
{
	sealnet_tls_session s;
	int rc = tls_connection_create(T, SEALNET_CAPABILITY(mtls), &s);

	if (rc < 0) {
		sealnet_log("RESULT mtls with identity: %s", reason(rc));
		return;
	}
	fetch(s, "GET / HTTP/1.0\r\n\r\n");
	sealnet_log("RESULT mtls with identity: accepted, %s",
		    strstr(page, "CN=tls_test device") ? "the server saw it"
						       : "no certificate");
	tls_connection_close(T, s);
}

/* The tls_sessions quota, 3: a fourth is refused, and a made-up handle
 * or a closed one is not this compartment's. */
static void
quota_and_handles(void)
{
	const struct sealnet_declaration *caps[] = {SEALNET_CAPABILITY(v13),
						    SEALNET_CAPABILITY(v12),
						    SEALNET_CAPABILITY(sink)};
	sealnet_tls_session s[3], made_up = {1, 1, 42};
	int opened = 0, rc;

	for (int i = 0; i < 3; i++)
		if (tls_connection_create(T, caps[i], &s[i]) == 0)
			opened++;
	rc = tls_connection_create(T, SEALNET_CAPABILITY(www), &s[0]);
	sealnet_log("RESULT quota: %d sessions, then %s", opened, reason(rc));
	for (int i = 0; i < opened; i++)
		tls_connection_close(T, s[i]);
	ssize_t a = tls_connection_send(T, made_up, "x", 1, 0);
	ssize_t b = tls_connection_send(T, s[0], "x", 1, 0);
	sealnet_log("RESULT handles: made up %s, closed %s", reason((int)a),
		    reason((int)b));
}

static void
on_restarted(void *ctx, const char *compartment)
{
	if (strcmp(compartment, "TLS") == 0)
		tls_restarted = true;
}

/* Sends to the sink until the TLS compartment's death stops it; then a
 * new session as soon as it is back. */
static void
transfer_across_a_restart(void)
{
	sealnet_tls_session s;
	uint64_t sent = 0;
	ssize_t n;
	int rc = tls_connection_create(T, SEALNET_CAPABILITY(sink), &s);

	if (rc < 0) {
		sealnet_log("RESULT transfer: %s", reason(rc));
		return;
	}
	do {
		n = tls_connection_send(T, s, chunk, sizeof(chunk), 0);
		if (n > 0 && (sent += (uint64_t)n) >= (1u << 20) &&
		    sent - (uint64_t)n < (1u << 20))
			sealnet_log("RESULT transfer: running");
	} while (n > 0);
	int second = (int)tls_connection_send(T, s, chunk, 16, 0);
	int third = tls_connection_receive_preallocated(T, s, page, 16);
	sealnet_log("RESULT transfer interrupted after %llu bytes: %s, then "
		    "%s, then %s",
		    (unsigned long long)sent, reason((int)n), reason(second),
		    reason(third));
	tls_connection_close(T, s);
	while (!tls_restarted)
		sealnet_wait(SEALNET_MS);
	rc = tls_connection_create(T, SEALNET_CAPABILITY(sink), &s);
	uint64_t at = sealnet_now_ns();
	if (rc == 0)
		rc = (int)tls_connection_send(T, s, "after\n", 6, 0);
	sealnet_log("RESULT after restart: %s at mono_ns %llu",
		    rc >= 0 ? "new session" : reason(rc),
		    (unsigned long long)at);
	/* Open until the test has counted the sink's connections. */
	if (waiting_for_go(SEALNET_CAPABILITY(go_end)) < 0)
		sealnet_log("RESULT no go for the end");
	if (rc >= 0)
		tls_connection_close(T, s);
}

int
main(void)
{
	if (sealnet_start() < 0)
		return 1;
	if (sealnet_on_compartment_restarted(on_restarted, NULL) < 0 ||
	    network_start(30 * SEALNET_SECOND) < 0) {
		sealnet_log("RESULT start: no address");
		return 1;
	}
	versions_and_secret();
	resumption_and_alpn();
	refusals();
	client_certificate();
	quota_and_handles();
	sealnet_log("RESULT first part done");
	if (waiting_for_go(SEALNET_CAPABILITY(go_again)) < 0) {
		sealnet_log("RESULT no go for the transfer");
		return 1;
	}
	transfer_across_a_restart();
	sealnet_log("RESULT done");
	return 0;
}
