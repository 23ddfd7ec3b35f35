/*
 * lwIP's platform in the TCPIP compartment: its clock, its random numbers
 * and its initial sequence numbers (RFC 6528), kept apart from the
 * compartment as lwIP's own ports keep sys_arch.c.
 */
#include "sys_arch.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "clock.h"
#include "log.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "sealnet_lwip_hooks.h"

/* HMAC-SHA256 keyed once at start: fetching the algorithm and setting
 * the key for every connection (EVP_Q_mac) took 5-17 us of each
 * connect here, against under 1 us for a context that keeps its key. */
static EVP_MAC_CTX *isn_mac;

/* While lwIP takes in a SYN the Firewall rebuilt from a SYN cookie: the
 * initial sequence number that SYN's connection must have. */
static struct {
	bool set;
	struct tcpseg syn;
	uint32_t isn;
} cookie_isn;

static void end_time_wait_of_cookie_connection(void);

u32_t
sys_now(void)
{
	return (u32_t)(sn_now_ns() / SN_MS);
}

uint32_t
sealnet_lwip_rand(void)
{
	uint32_t r;

	/* Ports and DHCP transaction ids an attacker could guess are not
	 * worth carrying on with. */
	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		abort();
	return r;
}

void
sealnet_isn_expect_cookie(const struct tcpseg *syn, uint32_t isn)
{
	cookie_isn.syn = *syn;
	cookie_isn.isn = isn;
	cookie_isn.set = true;
	end_time_wait_of_cookie_connection();
}

void
sealnet_isn_forget_cookie(void)
{
	cookie_isn.set = false;
}

static bool
addr_is(const ip_addr_t *a, const uint8_t *bytes, bool ipv6)
{
	if (ipv6)
		return IP_IS_V6(a) && memcmp(ip_2_ip6(a)->addr, bytes, 16) == 0;
	return IP_IS_V4(a) && memcmp(&ip_2_ip4(a)->addr, bytes, 4) == 0;
}

/* The connection the cookie's SYN opens, and no other. */
static bool
is_cookie_connection(const ip_addr_t *local_ip, u16_t local_port,
		     const ip_addr_t *remote_ip, u16_t remote_port)
{
	const struct tcpseg *syn = &cookie_isn.syn;

	return cookie_isn.set && local_port == syn->dst_port &&
	       remote_port == syn->src_port &&
	       addr_is(local_ip, syn->dst_ip, syn->ipv6) &&
	       addr_is(remote_ip, syn->src_ip, syn->ipv6);
}

/*
 * lwIP closed first, so it keeps the connection's last incarnation in
 * TIME_WAIT for two minutes; the client, which did not, may use its port
 * again at once.  lwIP answers a SYN for a connection in TIME_WAIT from
 * the old one, with an ACK of old numbers, and never opens the new one:
 * the client, sure of the handshake the cookie made, waits for ever, and
 * the Firewall's rule for it, which no pcb of lwIP's holds, stays.  The
 * cookie proves the client began a new connection, and its sequence
 * numbers and ours are new and keyed, so the old one's segments cannot
 * be taken for it: the old incarnation is ended, as RFC 1122 (4.2.2.13)
 * lets a SYN end TIME_WAIT.  Reads lwIP's private list of TIME_WAIT
 * pcbs, as firewall_holes.c reads its list of active ones.
 */
static void
end_time_wait_of_cookie_connection(void)
{
	struct tcp_pcb *p = tcp_tw_pcbs;

	while (p != NULL) {
		if (!is_cookie_connection(&p->local_ip, p->local_port,
					  &p->remote_ip, p->remote_port)) {
			p = p->next;
			continue;
		}
		/* Freed at once, with no reset, as TIME_WAIT pcbs are; the
		 * list changed, so it is walked again. */
		tcp_abort(p);
		p = tcp_tw_pcbs;
	}
}

u32_t
sealnet_tcp_isn(const ip_addr_t *local_ip, u16_t local_port,
		const ip_addr_t *remote_ip, u16_t remote_port)
{
	uint8_t in[2 * sizeof(ip_addr_t) + 2 * sizeof(u16_t)];
	uint8_t out[EVP_MAX_MD_SIZE];
	size_t outlen = 0;
	uint32_t f;

	/* The client has acknowledged the cookie already. */
	if (is_cookie_connection(local_ip, local_port, remote_ip,
				 remote_port)) {
		cookie_isn.set = false;
		return cookie_isn.isn;
	}
	memcpy(in, local_ip, sizeof(*local_ip));
	memcpy(in + sizeof(*local_ip), &local_port, sizeof(local_port));
	memcpy(in + sizeof(*local_ip) + sizeof(local_port), remote_ip,
	       sizeof(*remote_ip));
	memcpy(in + 2 * sizeof(*local_ip) + sizeof(local_port), &remote_port,
	       sizeof(remote_port));
	/* Without the keyed hash, sequence numbers would be guessable: a
	 * failure here is not something to carry on through. */
	/* A NULL key: the one set in sealnet_isn_init, kept. */
	if (isn_mac == NULL || !EVP_MAC_init(isn_mac, NULL, 0, NULL) ||
	    !EVP_MAC_update(isn_mac, in, sizeof(in)) ||
	    !EVP_MAC_final(isn_mac, out, &outlen, sizeof(out)) ||
	    outlen < sizeof(f)) {
		sn_log("cannot compute an initial sequence number; stopping");
		abort();
	}
	memcpy(&f, out, sizeof(f));
	/* RFC 6528: a 4 us clock plus the keyed hash. */
	return (u32_t)(sn_now_ns() / 4000u) + f;
}

int
sealnet_isn_init(void)
{
	uint8_t key[32];
	OSSL_PARAM digest[] = {OSSL_PARAM_construct_utf8_string(
				   OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
			       OSSL_PARAM_construct_end()};
	EVP_MAC *hmac = NULL;
	bool keyed;

	/* The compartment has no file system: libcrypto must not look for
	 * its configuration file, and is tried once before anything
	 * depends on it (a failure then aborts). */
	if (getrandom(key, sizeof(key), 0) == sizeof(key) &&
	    OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL))
		hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	/* The context holds a reference of its own. */
	isn_mac = hmac != NULL ? EVP_MAC_CTX_new(hmac) : NULL;
	EVP_MAC_free(hmac);
	keyed =
	    isn_mac != NULL && EVP_MAC_init(isn_mac, key, sizeof(key), digest);
	OPENSSL_cleanse(key, sizeof(key));
	if (!keyed) {
		EVP_MAC_CTX_free(isn_mac);
		isn_mac = NULL;
		return -1;
	}
	(void)sealnet_tcp_isn(IP_ADDR_ANY, 0, IP_ADDR_ANY, 0);
	return 0;
}
