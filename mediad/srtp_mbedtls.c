/*
 * AES-ICM and HMAC-SHA1 for libsrtp2.  See srtp_mbedtls.h.
 *
 * What the stock NSS types spend per packet is mostly setup: a new PKCS#11
 * context for every IV and every HMAC.  Here the AES key schedule is made
 * once per session key, and the HMAC's inner and outer SHA-1 states after
 * the padded key block are kept as five words each, so a packet costs its
 * counter-mode blocks plus its own SHA-1 blocks and one outer block,
 * nothing else.  AES runs on AES-NI when the CPU has it (aes_x86.c), on
 * mbedtls otherwise; SHA-1 is ours (sha1_state.c), its blocks on the SHA
 * extensions when the CPU has them, on mbedtls's block function otherwise.
 */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/aes.h>
#include <mbedtls/platform_util.h>

#include <srtp2/srtp.h>

#include "aes_x86.h"
#include "sha1_state.h"
#include "srtp_mbedtls.h"

#define ICM_SALT_LEN	14
#define ICM_128_KEY_LEN	(16 + ICM_SALT_LEN)
#define ICM_256_KEY_LEN	(32 + ICM_SALT_LEN)

/* libsrtp's own types, exported by every build of the library. */
extern const srtp_cipher_type_t			 srtp_aes_icm_128;
extern const srtp_cipher_type_t			 srtp_aes_icm_256;
extern const srtp_cipher_test_case_t		 srtp_aes_icm_256_test_case_0;
extern const srtp_auth_type_t			 srtp_hmac;

struct icm {
	union {
		mbedtls_aes_context	 mb;
#if AES_X86
		struct aes_x86_key	 x86;
#endif
	}			 aes;
	int			 x86;		/* aes is AES-NI's */
	uint8_t			 salt[16];	/* low 16 bits zero */
	uint8_t			 ctr[16];
	uint8_t			 block[16];	/* keystream of ctr - 1 */
	size_t			 off;		/* used bytes of block */
	size_t			 left;		/* until the counter wraps */
	int			 keybits;
};

/* Five-word SHA-1 states after the padded key block (RFC 2104). */
struct hmac {
	uint32_t		 inner0[5];	/* after key ^ ipad */
	uint32_t		 outer0[5];	/* after key ^ opad */
	struct sha1_state	 run;		/* the message so far */
};

static size_t	 live;

static srtp_err_status_t
icm_alloc(srtp_cipher_t **cp, int key_len, int tag_len)
{
	srtp_cipher_t	*c;
	struct icm	*s;

	(void)tag_len;
	if (key_len != ICM_128_KEY_LEN && key_len != ICM_256_KEY_LEN)
		return (srtp_err_status_bad_param);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (srtp_err_status_alloc_fail);
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		free(c);
		return (srtp_err_status_alloc_fail);
	}
#if AES_X86
	s->x86 = aes_x86_use();
#endif
	if (!s->x86)
		mbedtls_aes_init(&s->aes.mb);
	s->keybits = (key_len - ICM_SALT_LEN) * 8;
	c->state = s;
	c->key_len = key_len;
	if (key_len == ICM_128_KEY_LEN) {
		c->type = &srtp_mbedtls_aes_icm_128;
		c->algorithm = SRTP_AES_ICM_128;
	} else {
		c->type = &srtp_mbedtls_aes_icm_256;
		c->algorithm = SRTP_AES_ICM_256;
	}
	*cp = c;
	live++;
	return (srtp_err_status_ok);
}

static srtp_err_status_t
icm_dealloc(srtp_cipher_t *c)
{
	struct icm	*s = c->state;

	if (s != NULL) {
		if (!s->x86)
			mbedtls_aes_free(&s->aes.mb);
		mbedtls_platform_zeroize(s, sizeof(*s));
		free(s);
		live--;
	}
	free(c);
	return (srtp_err_status_ok);
}

/* key is the AES key followed by the 14-byte salt. */
static srtp_err_status_t
icm_init(void *state, const uint8_t *key)
{
	struct icm	*s = state;

#if AES_X86
	if (s->x86) {
		if (aes_x86_expand(&s->aes.x86, key, s->keybits) != 0)
			return (srtp_err_status_cipher_fail);
	} else
#endif
	if (mbedtls_aes_setkey_enc(&s->aes.mb, key, s->keybits) != 0)
		return (srtp_err_status_cipher_fail);
	memset(s->salt, 0, sizeof(s->salt));
	memcpy(s->salt, key + s->keybits / 8, ICM_SALT_LEN);
	s->left = 0;
	return (srtp_err_status_ok);
}

/*
 * The counter block is salt XOR iv; libsrtp puts SSRC and packet index
 * (or the KDF label) in iv.  Counting stops where its low 16 bits would
 * wrap (RFC 3711 4.1.1: at most 2^16 blocks per packet); Debian's stock
 * NSS types carry on past that.
 */
static srtp_err_status_t
icm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
	struct icm	*s = state;
	int		 i;

	(void)dir;
	for (i = 0; i < 16; i++)
		s->ctr[i] = s->salt[i] ^ iv[i];
	s->off = 0;
	s->left = (size_t)(0x10000 - (s->ctr[14] << 8 | s->ctr[15])) * 16;
	return (srtp_err_status_ok);
}

#if AES_X86
/*
 * As mbedtls_aes_crypt_ctr() does it: first the rest of the keystream
 * block an earlier call began, then whole blocks, then the start of one
 * more, kept for the next call.
 */
static void
icm_xor_x86(struct icm *s, uint8_t *buf, size_t len)
{
	size_t	 n, i;

	for (; s->off != 0 && len > 0; len--) {
		*buf++ ^= s->block[s->off];
		s->off = (s->off + 1) % 16;
	}
	n = len / 16;
	aes_x86_ctr16(&s->aes.x86, s->ctr, buf, n);
	buf += n * 16;
	len -= n * 16;
	if (len > 0) {
		memset(s->block, 0, sizeof(s->block));
		aes_x86_ctr16(&s->aes.x86, s->ctr, s->block, 1);
		for (i = 0; i < len; i++)
			buf[i] ^= s->block[i];
		s->off = len;
	}
}
#endif

static srtp_err_status_t
icm_encrypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct icm	*s = state;

	if (*len > s->left)
		return (srtp_err_status_terminus);
	s->left -= *len;
#if AES_X86
	if (s->x86) {
		icm_xor_x86(s, buf, *len);
		return (srtp_err_status_ok);
	}
#endif
	if (mbedtls_aes_crypt_ctr(&s->aes.mb, *len, &s->off, s->ctr, s->block,
	    buf, buf) != 0)
		return (srtp_err_status_cipher_fail);
	return (srtp_err_status_ok);
}

/* RFC 3711 B.2, which libsrtp runs when the type is installed. */
static const uint8_t b2_key[ICM_128_KEY_LEN] = {
	0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
	0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c,
	0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,
	0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd
};
static uint8_t b2_iv[16];
static const uint8_t b2_zero[32];
static const uint8_t b2_stream[32] = {
	0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80,
	0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4,
	0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7,
	0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab
};
static const srtp_cipher_test_case_t icm_b2 = {
	ICM_128_KEY_LEN, b2_key, b2_iv, sizeof(b2_zero), b2_zero,
	sizeof(b2_stream), b2_stream, 0, NULL, 0, NULL
};

const srtp_cipher_type_t srtp_mbedtls_aes_icm_128 = {
	icm_alloc, icm_dealloc, icm_init, NULL, icm_encrypt, icm_encrypt,
	icm_set_iv, NULL, "AES-128 counter mode on AES-NI or mbedtls", &icm_b2,
	SRTP_AES_ICM_128
};

const srtp_cipher_type_t srtp_mbedtls_aes_icm_256 = {
	icm_alloc, icm_dealloc, icm_init, NULL, icm_encrypt, icm_encrypt,
	icm_set_iv, NULL, "AES-256 counter mode on AES-NI or mbedtls",
	&srtp_aes_icm_256_test_case_0, SRTP_AES_ICM_256
};

static srtp_err_status_t
hmac_alloc(srtp_auth_t **ap, int key_len, int out_len)
{
	srtp_auth_t	*a;
	struct hmac	*s;

	if (key_len < 0 || out_len < 0 || out_len > SHA1_DIGEST_LEN)
		return (srtp_err_status_bad_param);
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return (srtp_err_status_alloc_fail);
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		free(a);
		return (srtp_err_status_alloc_fail);
	}
	a->type = &srtp_mbedtls_hmac_sha1;
	a->state = s;
	a->out_len = out_len;
	a->key_len = key_len;
	a->prefix_len = 0;
	*ap = a;
	live++;
	return (srtp_err_status_ok);
}

static srtp_err_status_t
hmac_dealloc(srtp_auth_t *a)
{
	struct hmac	*s = a->state;

	if (s != NULL) {
		mbedtls_platform_zeroize(s, sizeof(*s));
		free(s);
		live--;
	}
	free(a);
	return (srtp_err_status_ok);
}

/* RFC 2104: hash the padded key into the two starting states once. */
static srtp_err_status_t
hmac_init(void *state, const uint8_t *key, int key_len)
{
	struct hmac		*s = state;
	struct sha1_state	 kh;
	uint8_t			 k[SHA1_BLOCK_LEN];

	if (key_len < 0)
		return (srtp_err_status_bad_param);
	memset(k, 0, sizeof(k));
	if (key_len > SHA1_BLOCK_LEN) {
		sha1_state_init(&kh);
		sha1_state_update(&kh, key, key_len);
		sha1_state_finish(&kh, k);
		mbedtls_platform_zeroize(&kh, sizeof(kh));
	} else
		memcpy(k, key, key_len);
	sha1_hmac_state(k, 0x36, s->inner0);
	sha1_hmac_state(k, 0x5c, s->outer0);
	mbedtls_platform_zeroize(k, sizeof(k));
	sha1_state_resume(&s->run, s->inner0, SHA1_BLOCK_LEN);
	return (srtp_err_status_ok);
}

static srtp_err_status_t
hmac_start(void *state)
{
	struct hmac	*s = state;

	sha1_state_resume(&s->run, s->inner0, SHA1_BLOCK_LEN);
	return (srtp_err_status_ok);
}

static srtp_err_status_t
hmac_update(void *state, const uint8_t *buf, int len)
{
	struct hmac	*s = state;

	if (len < 0)
		return (srtp_err_status_auth_fail);
	sha1_state_update(&s->run, buf, len);
	return (srtp_err_status_ok);
}

/* The outer hash is one block: the inner digest, padded. */
static srtp_err_status_t
hmac_compute(void *state, const uint8_t *buf, int len, int tag_len,
    uint8_t *tag)
{
	struct hmac		*s = state;
	struct sha1_state	 outer;
	uint8_t			 h[SHA1_DIGEST_LEN];

	if (len < 0 || tag_len < 0 || tag_len > SHA1_DIGEST_LEN)
		return (srtp_err_status_bad_param);
	sha1_state_update(&s->run, buf, len);
	sha1_state_finish(&s->run, h);
	sha1_state_resume(&outer, s->outer0, SHA1_BLOCK_LEN);
	sha1_state_update(&outer, h, sizeof(h));
	sha1_state_finish(&outer, h);
	memcpy(tag, h, tag_len);
	return (srtp_err_status_ok);
}

/* RFC 2202 test case 2, which libsrtp runs when the type is installed. */
static const uint8_t rfc2202_key[] = "Jefe";
static const uint8_t rfc2202_data[] = "what do ya want for nothing?";
static const uint8_t rfc2202_tag[SHA1_DIGEST_LEN] = {
	0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74,
	0x16, 0xd5, 0xf1, 0x84, 0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79
};
static const srtp_auth_test_case_t hmac_rfc2202 = {
	4, rfc2202_key, 28, rfc2202_data, SHA1_DIGEST_LEN, rfc2202_tag, NULL
};

const srtp_auth_type_t srtp_mbedtls_hmac_sha1 = {
	hmac_alloc, hmac_dealloc, hmac_init, hmac_compute, hmac_update,
	hmac_start, "HMAC-SHA1 on SHA-NI or mbedtls", &hmac_rfc2202,
	SRTP_HMAC_SHA1
};

static int
put_types(const srtp_cipher_type_t *icm128, const srtp_cipher_type_t *icm256,
    const srtp_auth_type_t *sha1)
{
	if (srtp_replace_cipher_type(icm128, SRTP_AES_ICM_128) !=
	    srtp_err_status_ok ||
	    srtp_replace_cipher_type(icm256, SRTP_AES_ICM_256) !=
	    srtp_err_status_ok ||
	    srtp_replace_auth_type(sha1, SRTP_HMAC_SHA1) != srtp_err_status_ok)
		return (-1);
	return (0);
}

/*
 * Needs srtp_init() first.  libsrtp checks each type against its own
 * known answers and the replaced type's before taking it.  Sessions made
 * earlier keep the types they were made with.
 */
int
srtp_mbedtls_install(void)
{
	return (put_types(&srtp_mbedtls_aes_icm_128, &srtp_mbedtls_aes_icm_256,
	    &srtp_mbedtls_hmac_sha1));
}

/* Put libsrtp's own types back, to compare against them. */
int
srtp_mbedtls_uninstall(void)
{
	return (put_types(&srtp_aes_icm_128, &srtp_aes_icm_256, &srtp_hmac));
}

/* Cipher and auth states alloced and not yet freed, for leak checks. */
size_t
srtp_mbedtls_live(void)
{
	return (live);
}
