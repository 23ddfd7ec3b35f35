/*
 * What the TLS engine refuses from its caller: bad arguments, bad PEM, and
 * an error code without its own name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <sealnet/tls.h>

#include "engine.h"
#include "fixtures.h"
#include "harness.h"
#include "peer.h"

/* ---- arguments ---- */

TEST(bad_arguments)
{
	struct tls_session_config c = config();
	struct tls_session s;
	char long_host[TLS_HOST_MAX + 2];

	memset(long_host, 'a', sizeof(long_host) - 1);
	long_host[sizeof(long_host) - 1] = '\0';
	const char *hosts[] = {"", "exa mple.com", "example.com/", long_host,
			       "ex\xc3\xa4mple.com"};
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		c.host = hosts[i];
		CHECK_EQ_INT(tls_session_init(&engine, &s, &c), -EINVAL);
	}
	c = config();
	c.host = NULL;
	CHECK_EQ_INT(tls_session_init(&engine, &s, &c), -EINVAL);
	c = config();
	c.alpn = (const uint8_t *)"\x00";
	c.alpn_len = 1;
	CHECK_EQ_INT(tls_session_init(&engine, &s, &c), -EINVAL);
	c.alpn = (const uint8_t *)"\x05h2";
	c.alpn_len = 3;
	CHECK_EQ_INT(tls_session_init(&engine, &s, &c), -EINVAL);
	c = config();
	c.identity = "nobody";
	CHECK_EQ_INT(tls_session_init(&engine, &s, &c), -EINVAL);
	c = config();
	c.verify_time = -1;
	CHECK_EQ_INT(tls_session_init(&engine, &s, &c), -EINVAL);
}

TEST(bad_pem_refused)
{
	static const char junk[] = "-----BEGIN CERTIFICATE-----\nAAAA\n"
				   "-----END CERTIFICATE-----\n";
	struct tls_engine e;
	char *other_key;
	size_t other_key_len;

	CHECK_EQ_INT(tls_engine_init(&e, (const uint8_t *)"", 0), -EINVAL);
	CHECK_EQ_INT(
	    tls_engine_init(&e, (const uint8_t *)junk, sizeof(junk) - 1),
	    -EINVAL);
	CHECK_EQ_INT(tls_engine_init(&e, (const uint8_t *)ca_pem, ca_pem_len),
		     0);
	/* A key that is not the certificate's. */
	other_key = peer_key_pem(good.key, &other_key_len);
	CHECK(other_key != NULL);
	CHECK_EQ_INT(tls_engine_add_identity(
			 &e, "x", (const uint8_t *)client_pem, client_pem_len,
			 (const uint8_t *)other_key, other_key_len),
		     -EINVAL);
	free(other_key);
	CHECK_EQ_INT(tls_engine_add_identity(
			 &e, "x", (const uint8_t *)client_pem, client_pem_len,
			 (const uint8_t *)client_key_pem, client_key_pem_len),
		     0);
	CHECK_EQ_INT(tls_engine_add_identity(
			 &e, "x", (const uint8_t *)client_pem, client_pem_len,
			 (const uint8_t *)client_key_pem, client_key_pem_len),
		     -EINVAL);
	tls_engine_free(&e);
}

TEST(every_error_has_its_own_name)
{
	for (int a = SEALNET_TLS_ERROR_LAST; a <= SEALNET_TLS_ERROR_FIRST;
	     a++) {
		CHECK(SEALNET_TLS_IS_ERROR(a));
		CHECK(sealnet_tls_error_name(a) != NULL);
		CHECK(-a > 2000);
		for (int b = a + 1; b <= SEALNET_TLS_ERROR_FIRST; b++)
			CHECK(strcmp(sealnet_tls_error_name(a),
				     sealnet_tls_error_name(b)) != 0);
	}
	CHECK(sealnet_tls_error_name(-EINVAL) == NULL);
	CHECK(!SEALNET_TLS_IS_ERROR(-EINVAL));
	CHECK(sealnet_tls_error_name(SEALNET_TLS_ERROR_LAST - 1) == NULL);
}

int
main(void)
{
	if (fixtures_make("tls_engine_arguments_test") < 0 ||
	    fixtures_start_engine("tls_engine_arguments_test") < 0)
		return EXIT_FAILURE;
	RUN(bad_arguments);
	RUN(bad_pem_refused);
	RUN(every_error_has_its_own_name);
	fixtures_free();
	HARNESS_EXIT();
}
