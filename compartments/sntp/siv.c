/* AES-SIV through libcrypto.  OpenSSL does the cipher and the MAC; this
 * file checks lengths and handles the one input OpenSSL 3.0 refuses. */
#include "siv.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#define BLOCK 16

/* RFC 5297 section 2.3: doubling in GF(2^128). */
static void
dbl(uint8_t b[BLOCK])
{
	uint8_t carry = b[0] >> 7;

	for (int i = 0; i < BLOCK - 1; i++)
		b[i] = (uint8_t)(b[i] << 1 | b[i + 1] >> 7);
	b[BLOCK - 1] = (uint8_t)(b[BLOCK - 1] << 1 ^ (carry ? 0x87 : 0));
}

static void
xor_into(uint8_t *dst, const uint8_t *src, size_t len)
{
	for (size_t i = 0; i < len; i++)
		dst[i] ^= src[i];
}

/* AES-CMAC of a || b under the key's first half. */
static int
cmac(EVP_MAC_CTX *ctx, const uint8_t *key, const uint8_t *a, size_t a_len,
     const uint8_t *b, size_t b_len, uint8_t out[BLOCK])
{
	char cipher_name[] = "AES-128-CBC";
	OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(
				   OSSL_MAC_PARAM_CIPHER, cipher_name, 0),
			       OSSL_PARAM_construct_end()};
	size_t len = 0;

	if (EVP_MAC_init(ctx, key, NTS_KEY_LEN / 2, params) != 1)
		return -EIO;
	if (a_len > 0 && EVP_MAC_update(ctx, a, a_len) != 1)
		return -EIO;
	if (b_len > 0 && EVP_MAC_update(ctx, b, b_len) != 1)
		return -EIO;
	if (EVP_MAC_final(ctx, out, &len, BLOCK) != 1 || len != BLOCK)
		return -EIO;
	return 0;
}

static int
s2v(EVP_MAC_CTX *ctx, const uint8_t *key, const struct siv_part *ad,
    size_t ad_parts, const uint8_t *last, size_t last_len, uint8_t v[BLOCK])
{
	static const uint8_t zero[BLOCK];
	uint8_t d[BLOCK], mac[BLOCK], t[BLOCK];
	int rc = cmac(ctx, key, zero, BLOCK, NULL, 0, d);

	for (size_t i = 0; rc == 0 && i < ad_parts; i++) {
		rc = cmac(ctx, key, ad[i].data, ad[i].len, NULL, 0, mac);
		dbl(d);
		xor_into(d, mac, BLOCK);
	}
	if (rc < 0)
		return rc;
	if (last_len >= BLOCK) {
		/* "xorend": D into the last 16 bytes of the final part. */
		memcpy(t, last + last_len - BLOCK, BLOCK);
		xor_into(t, d, BLOCK);
		return cmac(ctx, key, last, last_len - BLOCK, t, BLOCK, v);
	}
	dbl(d);
	memset(t, 0, BLOCK);
	if (last_len > 0)
		memcpy(t, last, last_len);
	t[last_len] = 0x80;
	xor_into(t, d, BLOCK);
	return cmac(ctx, key, t, BLOCK, NULL, 0, v);
}

int
siv_s2v(const uint8_t key[NTS_KEY_LEN], const struct siv_part *ad,
	size_t ad_parts, const uint8_t *last, size_t last_len,
	uint8_t v[SIV_TAG_LEN])
{
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
	int rc;

	if (ad_parts > SIV_MAX_AD_PARTS)
		return -EINVAL;
	mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	if (mac == NULL)
		return -EIO;
	ctx = EVP_MAC_CTX_new(mac);
	rc =
	    ctx == NULL ? -EIO : s2v(ctx, key, ad, ad_parts, last, last_len, v);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

static int
check_parts(const struct siv_part *ad, size_t ad_parts)
{
	if (ad_parts > SIV_MAX_AD_PARTS)
		return -EINVAL;
	for (size_t i = 0; i < ad_parts; i++)
		if (ad[i].len > INT_MAX)
			return -EMSGSIZE;
	return 0;
}

/* The AES-SIV context with key and associated data in place. */
static EVP_CIPHER_CTX *
start(int encrypt, const uint8_t *key, const struct siv_part *ad,
      size_t ad_parts, const uint8_t *tag)
{
	EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, "AES-128-SIV", NULL);
	EVP_CIPHER_CTX *ctx = cipher ? EVP_CIPHER_CTX_new() : NULL;
	bool ok = ctx != NULL && EVP_CipherInit_ex2(ctx, cipher, key, NULL,
						    encrypt, NULL) == 1;
	int len;

	/* The tag goes in before the data it authenticates. */
	if (ok && tag != NULL)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG,
					 SIV_TAG_LEN, (void *)tag) == 1;
	for (size_t i = 0; ok && i < ad_parts; i++)
		ok = EVP_CipherUpdate(ctx, NULL, &len, ad[i].data,
				      (int)ad[i].len) == 1;
	EVP_CIPHER_free(cipher);
	if (!ok) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int
siv_encrypt(const uint8_t key[NTS_KEY_LEN], const struct siv_part *ad,
	    size_t ad_parts, const uint8_t *plaintext, size_t plaintext_len,
	    uint8_t *out, size_t cap)
{
	EVP_CIPHER_CTX *ctx;
	int rc = check_parts(ad, ad_parts), len = 0, final_len = 0;

	if (rc < 0)
		return rc;
	if (plaintext_len > INT_MAX - SIV_TAG_LEN)
		return -EMSGSIZE;
	if (cap < SIV_TAG_LEN + plaintext_len)
		return -ENOBUFS;
	if (plaintext_len == 0) {
		rc = siv_s2v(key, ad, ad_parts, NULL, 0, out);
		return rc < 0 ? rc : SIV_TAG_LEN;
	}
	ctx = start(1, key, ad, ad_parts, NULL);
	if (ctx == NULL)
		return -EIO;
	if (EVP_EncryptUpdate(ctx, out + SIV_TAG_LEN, &len, plaintext,
			      (int)plaintext_len) != 1 ||
	    (size_t)len != plaintext_len ||
	    EVP_EncryptFinal_ex(ctx, out + SIV_TAG_LEN + len, &final_len) !=
		1 ||
	    final_len != 0 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, SIV_TAG_LEN, out) !=
		1)
		rc = -EIO;
	EVP_CIPHER_CTX_free(ctx);
	if (rc < 0) {
		OPENSSL_cleanse(out, SIV_TAG_LEN + plaintext_len);
		return rc;
	}
	return (int)(SIV_TAG_LEN + plaintext_len);
}

int
siv_decrypt(const uint8_t key[NTS_KEY_LEN], const struct siv_part *ad,
	    size_t ad_parts, const uint8_t *in, size_t in_len,
	    uint8_t *plaintext, size_t cap)
{
	uint8_t v[SIV_TAG_LEN];
	EVP_CIPHER_CTX *ctx;
	size_t plaintext_len;
	int rc = check_parts(ad, ad_parts), len = 0, final_len = 0;

	if (rc < 0)
		return rc;
	if (in_len < SIV_TAG_LEN)
		return -EBADMSG;
	if (in_len > INT_MAX)
		return -EMSGSIZE;
	plaintext_len = in_len - SIV_TAG_LEN;
	if (cap < plaintext_len)
		return -ENOBUFS;
	if (plaintext_len == 0) {
		rc = siv_s2v(key, ad, ad_parts, NULL, 0, v);
		if (rc < 0)
			return rc;
		return CRYPTO_memcmp(v, in, SIV_TAG_LEN) == 0 ? 0
							      : -EKEYREJECTED;
	}
	ctx = start(0, key, ad, ad_parts, in);
	if (ctx == NULL)
		return -EIO;
	/* OpenSSL checks the tag as it decrypts; a mismatch fails here. */
	if (EVP_DecryptUpdate(ctx, plaintext, &len, in + SIV_TAG_LEN,
			      (int)plaintext_len) != 1 ||
	    (size_t)len != plaintext_len ||
	    EVP_DecryptFinal_ex(ctx, plaintext + len, &final_len) != 1 ||
	    final_len != 0)
		rc = -EKEYREJECTED;
	EVP_CIPHER_CTX_free(ctx);
	if (rc < 0) {
		/* Never leave unauthenticated plaintext behind. */
		OPENSSL_cleanse(plaintext, plaintext_len);
		return rc;
	}
	return (int)plaintext_len;
}
