/*
 * AES-SIV through the wrapper: RFC 5297's two test vectors both ways,
 * tampering with each input, and the empty-plaintext path (computed
 * here, since OpenSSL 3.0 refuses it) against OpenSSL's own tags.
 */
#include <errno.h>
#include <string.h>

#include <openssl/rand.h>

#include "../../../tests/harness.h"
#include "hex.h"
#include "siv.h"

/* RFC 5297 appendix A.1: deterministic, one associated-data part. */
static const char a1_key[] = "fffefdfc fbfaf9f8 f7f6f5f4 f3f2f1f0"
			     "f0f1f2f3 f4f5f6f7 f8f9fafb fcfdfeff";
static const char a1_ad[] = "10111213 14151617 18191a1b 1c1d1e1f"
			    "20212223 24252627";
static const char a1_plaintext[] = "11223344 55667788 99aabbcc ddee";
static const char a1_output[] = "85632d07 c6e8f37f 950acd32 0a2ecc93"
				"40c02b96 90c4dc04 daef7f6a fe5c";

/* RFC 5297 appendix A.2: two associated-data parts and a nonce. */
static const char a2_key[] = "7f7e7d7c 7b7a7978 77767574 73727170"
			     "40414243 44454647 48494a4b 4c4d4e4f";
static const char a2_ad1[] = "00112233 44556677 8899aabb ccddeeff"
			     "deaddada deaddada ffeeddcc bbaa9988"
			     "77665544 33221100";
static const char a2_ad2[] = "10203040 50607080 90a0";
static const char a2_nonce[] = "09f91102 9d74e35b d84156c5 635688c0";
static const char a2_plaintext[] = "74686973 20697320 736f6d65 20706c61"
				   "696e7465 78742074 6f20656e 63727970"
				   "74207573 696e6720 5349562d 414553";
static const char a2_output[] = "7bdb6e3b 432667eb 06f4d14b ff2fbd0f"
				"cb900f2f ddbe4043 26601965 c889bf17"
				"dba77ceb 094fa663 b7a3f748 ba8af829"
				"ea64ad54 4a272e9c 485b62a3 fd5c0d";

struct vector {
	uint8_t key[NTS_KEY_LEN];
	uint8_t ad[3][64];
	struct siv_part parts[3];
	size_t n_parts;
	uint8_t plaintext[64];
	size_t plaintext_len;
	uint8_t output[80];
	size_t output_len;
};

static int
load_a1(struct vector *v)
{
	size_t len;

	memset(v, 0, sizeof(*v));
	if (hex_decode(a1_key, v->key, sizeof(v->key)) != NTS_KEY_LEN)
		return -1;
	len = hex_decode(a1_ad, v->ad[0], sizeof(v->ad[0]));
	v->parts[0] = (struct siv_part){v->ad[0], len};
	v->n_parts = 1;
	v->plaintext_len =
	    hex_decode(a1_plaintext, v->plaintext, sizeof(v->plaintext));
	v->output_len = hex_decode(a1_output, v->output, sizeof(v->output));
	return len && v->plaintext_len && v->output_len ? 0 : -1;
}

static int
load_a2(struct vector *v)
{
	const char *ad[3] = {a2_ad1, a2_ad2, a2_nonce};

	memset(v, 0, sizeof(*v));
	if (hex_decode(a2_key, v->key, sizeof(v->key)) != NTS_KEY_LEN)
		return -1;
	for (int i = 0; i < 3; i++) {
		size_t len = hex_decode(ad[i], v->ad[i], sizeof(v->ad[i]));

		if (len == 0)
			return -1;
		v->parts[i] = (struct siv_part){v->ad[i], len};
	}
	v->n_parts = 3;
	v->plaintext_len =
	    hex_decode(a2_plaintext, v->plaintext, sizeof(v->plaintext));
	v->output_len = hex_decode(a2_output, v->output, sizeof(v->output));
	return v->plaintext_len && v->output_len ? 0 : -1;
}

static void
check_vector(struct vector *v)
{
	uint8_t out[96], back[96];
	int n;

	CHECK_EQ_INT(v->output_len, v->plaintext_len + SIV_TAG_LEN);
	n = siv_encrypt(v->key, v->parts, v->n_parts, v->plaintext,
			v->plaintext_len, out, sizeof(out));
	CHECK_EQ_INT(n, v->output_len);
	CHECK(memcmp(out, v->output, v->output_len) == 0);
	n = siv_decrypt(v->key, v->parts, v->n_parts, v->output, v->output_len,
			back, sizeof(back));
	CHECK_EQ_INT(n, v->plaintext_len);
	CHECK(memcmp(back, v->plaintext, v->plaintext_len) == 0);
	/* S2V alone gives the synthetic IV. */
	CHECK_EQ_INT(siv_s2v(v->key, v->parts, v->n_parts, v->plaintext,
			     v->plaintext_len, out),
		     0);
	CHECK(memcmp(out, v->output, SIV_TAG_LEN) == 0);
}

TEST(rfc5297_a1_deterministic)
{
	struct vector v;

	CHECK(load_a1(&v) == 0);
	check_vector(&v);
}

TEST(rfc5297_a2_nonce_based)
{
	struct vector v;

	CHECK(load_a2(&v) == 0);
	check_vector(&v);
}

/* Any changed bit, in the tag, the ciphertext or any associated-data
 * part, or a changed key, and decryption refuses and leaves nothing. */
TEST(tampering_is_refused)
{
	struct vector v;
	uint8_t back[96];

	CHECK(load_a2(&v) == 0);
	for (size_t i = 0; i < v.output_len; i++) {
		v.output[i] ^= 0x01;
		memset(back, 0xaa, sizeof(back));
		CHECK_EQ_INT(siv_decrypt(v.key, v.parts, v.n_parts, v.output,
					 v.output_len, back, sizeof(back)),
			     -EKEYREJECTED);
		/* The unauthenticated plaintext was wiped. */
		for (size_t j = 0; j < v.plaintext_len; j++)
			CHECK(back[j] == 0);
		v.output[i] ^= 0x01;
	}
	for (size_t p = 0; p < v.n_parts; p++) {
		v.ad[p][0] ^= 0x80;
		CHECK_EQ_INT(siv_decrypt(v.key, v.parts, v.n_parts, v.output,
					 v.output_len, back, sizeof(back)),
			     -EKEYREJECTED);
		v.ad[p][0] ^= 0x80;
	}
	/* Dropping the last part (the nonce) is a different input. */
	CHECK_EQ_INT(siv_decrypt(v.key, v.parts, v.n_parts - 1, v.output,
				 v.output_len, back, sizeof(back)),
		     -EKEYREJECTED);
	v.key[31] ^= 1;
	CHECK_EQ_INT(siv_decrypt(v.key, v.parts, v.n_parts, v.output,
				 v.output_len, back, sizeof(back)),
		     -EKEYREJECTED);
}

TEST(lengths_are_checked)
{
	struct vector v;
	uint8_t out[96];

	CHECK(load_a2(&v) == 0);
	CHECK_EQ_INT(siv_encrypt(v.key, v.parts, v.n_parts, v.plaintext,
				 v.plaintext_len, out,
				 v.plaintext_len + SIV_TAG_LEN - 1),
		     -ENOBUFS);
	CHECK_EQ_INT(siv_decrypt(v.key, v.parts, v.n_parts, v.output,
				 SIV_TAG_LEN - 1, out, sizeof(out)),
		     -EBADMSG);
	CHECK_EQ_INT(siv_decrypt(v.key, v.parts, v.n_parts, v.output,
				 v.output_len, out, v.plaintext_len - 1),
		     -ENOBUFS);
	CHECK_EQ_INT(siv_encrypt(v.key, v.parts, SIV_MAX_AD_PARTS + 1,
				 v.plaintext, v.plaintext_len, out,
				 sizeof(out)),
		     -EINVAL);
}

/*
 * The S2V computed here must equal OpenSSL's tag wherever OpenSSL can
 * compute one: random keys, parts of every length around the 16-byte
 * block (where S2V switches between padding and xorend), including
 * empty parts.
 */
TEST(s2v_matches_openssl)
{
	uint8_t key[NTS_KEY_LEN], a[40], b[40], plaintext[40];
	uint8_t out[64], v[SIV_TAG_LEN];

	for (int round = 0; round < 400; round++) {
		size_t a_len = (size_t)round % 37, b_len = (size_t)round % 19,
		       p_len = 1 + (size_t)round % 35;
		struct siv_part parts[2] = {{a, a_len}, {b, b_len}};
		size_t n_parts = (size_t)round % 3;

		CHECK(RAND_bytes(key, sizeof(key)) == 1);
		CHECK(RAND_bytes(a, sizeof(a)) == 1);
		CHECK(RAND_bytes(b, sizeof(b)) == 1);
		CHECK(RAND_bytes(plaintext, sizeof(plaintext)) == 1);
		CHECK_EQ_INT(siv_encrypt(key, parts, n_parts, plaintext, p_len,
					 out, sizeof(out)),
			     p_len + SIV_TAG_LEN);
		CHECK_EQ_INT(siv_s2v(key, parts, n_parts, plaintext, p_len, v),
			     0);
		CHECK(memcmp(v, out, SIV_TAG_LEN) == 0);
	}
}

/*
 * An empty plaintext, as every NTS request has: the output is the tag
 * alone.  The published vector for no associated data and no plaintext
 * (from the miscreant project's AES-SIV vectors) checks the padding of
 * an empty final part; the round trip checks both directions agree.
 */
TEST(empty_plaintext)
{
	uint8_t key[NTS_KEY_LEN], expected[SIV_TAG_LEN], out[SIV_TAG_LEN];
	uint8_t nonce[NTS_NONCE_LEN] = {1, 2, 3};
	uint8_t packet[48] = {0x23};
	struct siv_part parts[2] = {{packet, sizeof(packet)},
				    {nonce, sizeof(nonce)}};

	CHECK(hex_decode(a1_key, key, sizeof(key)) == NTS_KEY_LEN);
	CHECK(hex_decode("f2007a5beb2b8900c588a7adf599f172", expected,
			 sizeof(expected)) == SIV_TAG_LEN);
	CHECK_EQ_INT(siv_encrypt(key, NULL, 0, NULL, 0, out, sizeof(out)),
		     SIV_TAG_LEN);
	CHECK(memcmp(out, expected, SIV_TAG_LEN) == 0);

	CHECK_EQ_INT(siv_encrypt(key, parts, 2, NULL, 0, out, sizeof(out)),
		     SIV_TAG_LEN);
	CHECK_EQ_INT(siv_decrypt(key, parts, 2, out, sizeof(out), NULL, 0), 0);
	packet[47] ^= 1;
	CHECK_EQ_INT(siv_decrypt(key, parts, 2, out, sizeof(out), NULL, 0),
		     -EKEYREJECTED);
}

int
main(void)
{
	RUN(rfc5297_a1_deterministic);
	RUN(rfc5297_a2_nonce_based);
	RUN(tampering_is_refused);
	RUN(lengths_are_checked);
	RUN(s2v_matches_openssl);
	RUN(empty_plaintext);
	HARNESS_EXIT();
}
