/*
 * AEAD_AES_SIV_CMAC_256 (RFC 5297, the AEAD NTS negotiates as id 15)
 * through OpenSSL's libcrypto.  No state: the caller holds the 32-byte
 * key.  The associated data is a list of parts, each a separate S2V
 * input; NTS passes two, the packet so far and then the nonce, since RFC
 * 5297 section 3 makes the nonce the last associated-data part.
 *
 * Output is the synthetic IV (16 bytes) followed by the ciphertext, as
 * RFC 5297 writes it and NTS carries it.
 *
 * OpenSSL 3.0's AES-SIV cannot take an empty plaintext (EncryptFinal
 * fails; openssl/openssl#17268), yet every NTS request authenticates
 * an empty one.  For that case only, the tag is S2V computed here over
 * OpenSSL's AES-CMAC; with no plaintext there is nothing to encrypt, so
 * the tag is the whole output.  siv_s2v is exposed so that the tests
 * compare it with OpenSSL's own tags.
 *
 * Results: the output or plaintext length, or
 *   -EINVAL        more than SIV_MAX_AD_PARTS parts
 *   -ENOBUFS       the output buffer is too small
 *   -EMSGSIZE      a length beyond what OpenSSL takes (INT_MAX)
 *   -EBADMSG       a ciphertext shorter than the tag
 *   -EKEYREJECTED  the tag does not match: not authentic
 *   -EIO           libcrypto failed (no AES-128-SIV, no memory)
 */
#ifndef SEALNET_SNTP_SIV_H
#define SEALNET_SNTP_SIV_H

#include <stddef.h>
#include <stdint.h>

#include "sntp_const.h"

struct siv_part {
	const uint8_t *data;
	size_t len;
};

int siv_encrypt(const uint8_t key[NTS_KEY_LEN], const struct siv_part *ad,
		size_t ad_parts, const uint8_t *plaintext, size_t plaintext_len,
		uint8_t *out, size_t cap);

int siv_decrypt(const uint8_t key[NTS_KEY_LEN], const struct siv_part *ad,
		size_t ad_parts, const uint8_t *in, size_t in_len,
		uint8_t *plaintext, size_t cap);

/* S2V (RFC 5297 section 2.4) with the key's first half over the parts
 * and then last: the synthetic IV. */
int siv_s2v(const uint8_t key[NTS_KEY_LEN], const struct siv_part *ad,
	    size_t ad_parts, const uint8_t *last, size_t last_len,
	    uint8_t v[SIV_TAG_LEN]);

#endif
