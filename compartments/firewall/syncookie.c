/* SYN cookies with OpenSSL's SipHash-2-4.  The layout is in syncookie.h. */
#include "syncookie.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define LOW_MASK     0x1fu
#define PARITY_BIT   0x10u
#define WSCALE_MASK  0x0cu
#define WSCALE_SHIFT 2
#define MSS_MASK     0x03u

static const uint16_t mss_classes[] = SYNCOOKIE_MSS_CLASSES;
static const uint8_t wscale_classes[] = SYNCOOKIE_WSCALE_CLASSES;

_Static_assert(sizeof(mss_classes) / sizeof(mss_classes[0]) == MSS_MASK + 1,
	       "one MSS class for each value of its bits");
_Static_assert(sizeof(wscale_classes) == WSCALE_MASK >> WSCALE_SHIFT,
	       "a window scale class for each value of its bits but none");

int
syncookie_key_init(struct syncookie_key *k,
		   const uint8_t key[SYNCOOKIE_KEY_BYTES])
{
	EVP_MAC *mac;

	memset(k, 0, sizeof(*k));
	/* No configuration file: a compartment has no file system, and the
	 * defaults are what is wanted. */
	if (!OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL))
		return -ENOSYS;
	mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	if (mac == NULL)
		return -ENOSYS;
	k->mac = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	if (k->mac == NULL)
		return -ENOMEM;
	memcpy(k->key, key, SYNCOOKIE_KEY_BYTES);
	return 0;
}

void
syncookie_key_free(struct syncookie_key *k)
{
	EVP_MAC_CTX_free(k->mac);
	OPENSSL_cleanse(k->key, sizeof(k->key));
	k->mac = NULL;
}

uint64_t
syncookie_counter(uint64_t now_ns)
{
	return now_ns / SYNCOOKIE_PERIOD_NS;
}

/* The top 27 bits of the MAC over the client's connection (source to
 * destination), its initial sequence number, the counter and the low bits
 * of the cookie. */
static int
cookie_mac(const struct syncookie_key *k, const struct tcpseg *s,
	   uint32_t client_isn, uint64_t counter, uint32_t low, uint32_t *out)
{
	uint8_t msg[1 + 16 + 16 + 2 + 2 + 4 + 8 + 1], tag[8];
	size_t tag_len = 0, size = sizeof(tag);
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
	    OSSL_PARAM_construct_end()};
	uint8_t *p = msg;

	if (k->mac == NULL)
		return -ENOSYS;
	*p++ = s->ipv6 ? 6 : 4;
	memcpy(p, s->src_ip, 16);
	p += 16;
	memcpy(p, s->dst_ip, 16);
	p += 16;
	memcpy(p, &s->src_port, 2);
	p += 2;
	memcpy(p, &s->dst_port, 2);
	p += 2;
	memcpy(p, &client_isn, 4);
	p += 4;
	memcpy(p, &counter, 8);
	p += 8;
	*p = (uint8_t)low;
	/* Keyed again for each cookie: SipHash's set-up is four words. */
	if (!EVP_MAC_init(k->mac, k->key, sizeof(k->key), params) ||
	    !EVP_MAC_update(k->mac, msg, sizeof(msg)) ||
	    !EVP_MAC_final(k->mac, tag, &tag_len, sizeof(tag)) ||
	    tag_len != sizeof(tag))
		return -ENOSYS;
	*out = ((uint32_t)tag[0] << 24 | (uint32_t)tag[1] << 16 |
		(uint32_t)tag[2] << 8 | tag[3]) &
	       ~LOW_MASK;
	return 0;
}

int
syncookie_make(const struct syncookie_key *k, const struct tcpseg *s,
	       uint64_t counter, uint32_t *cookie)
{
	uint32_t mss_class = 0, wscale = 0, low, mac;
	int rc;

	for (uint32_t i = 1; i < sizeof(mss_classes) / sizeof(mss_classes[0]);
	     i++)
		if (s->has_mss && s->mss >= mss_classes[i])
			mss_class = i;
	/* 0 for none, else one more than the largest class not above it. */
	if (s->has_wscale)
		for (uint32_t i = 0; i < sizeof(wscale_classes); i++)
			if (s->wscale >= wscale_classes[i])
				wscale = i + 1;
	low = ((uint32_t)(counter & 1) ? PARITY_BIT : 0) |
	      wscale << WSCALE_SHIFT | mss_class;
	rc = cookie_mac(k, s, s->seq, counter, low, &mac);
	if (rc < 0)
		return rc;
	*cookie = mac | low;
	return 0;
}

int
syncookie_check(const struct syncookie_key *k, const struct tcpseg *s,
		uint64_t counter, struct syncookie_syn *syn)
{
	uint32_t cookie = s->ack - 1, low = cookie & LOW_MASK, mac, wscale;
	bool odd = (low & PARITY_BIT) != 0;

	/* The parity names the counter: one MAC per ACK, flood or not. */
	if (odd != (bool)(counter & 1)) {
		if (counter == 0)
			return -EACCES;
		counter--;
	}
	/* The handshake's ACK, or the first data if that ACK was lost,
	 * comes right after the SYN's number. */
	if (cookie_mac(k, s, s->seq - 1, counter, low, &mac) < 0 ||
	    mac != (cookie & ~LOW_MASK))
		return -EACCES;
	syn->mss = mss_classes[low & MSS_MASK];
	wscale = (low & WSCALE_MASK) >> WSCALE_SHIFT;
	syn->wscale = wscale > 0 ? wscale_classes[wscale - 1] : -1;
	return 0;
}
