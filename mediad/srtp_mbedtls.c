/*
 * libsrtp2's AES counter mode and HMAC-SHA1 done by mbedtls.  libsrtp
 * keeps what it is for (key derivation, replay window, rollover counter,
 * SRTCP); only its two primitives change.  Debian builds libsrtp2 on NSS,
 * which makes and destroys a PKCS #11 context for every packet: under
 * load that was over half of mediad's CPU (docs/media.md).
 *
 * Only the types the bridge's profiles use are replaced: AES-128 counter
 * mode (AES_CM_128_HMAC_SHA1_80 and _32, and the key derivation) and
 * HMAC-SHA1.
 *
 * AES-ICM as SRTP uses it (RFC 3711 4.1.1) is AES-CTR with the counter
 * block (salt XOR IV) counting in its last 16 bits; mbedtls counts the
 * whole block, which is the same for the 2^16 blocks a packet can have.
 * HMAC-SHA1 keeps the hash states after the key's inner and outer pads,
 * so a packet costs no re-keying.  libsrtp runs each type's test vectors
 * (RFC 3711 B.2, RFC 2202) when it is installed; srtp_mbedtls_install()
 * fails if they do not match.
 */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/aes.h>
#include <mbedtls/sha1.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>

#include "srtp_mbedtls.h"

#define ICM_SALT_LEN	14
#define SHA1_LEN	20
#define SHA1_BLOCK	64

struct icm_state {
	mbedtls_aes_context	 aes;
	uint8_t			 offset[16];	/* the salt, then zeros */
	uint8_t			 counter[16];
	uint8_t			 stream[16];
	size_t			 used;		/* of stream; 0: none left */
};

struct hmac_state {
	mbedtls_sha1_context	 inner0, outer0;	/* after the pads */
	mbedtls_sha1_context	 inner;			/* this message */
};

static const srtp_cipher_type_t	icm_128;
static const srtp_auth_type_t	hmac_sha1;

static srtp_err_status_t
icm_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
	srtp_cipher_t		*c;
	struct icm_state	*st;

	if (key_len != SRTP_AES_ICM_128_KEY_LEN_WSALT)
		return (srtp_err_status_bad_param);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (srtp_err_status_alloc_fail);
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		free(c);
		return (srtp_err_status_alloc_fail);
	}
	mbedtls_aes_init(&st->aes);
	c->state = st;
	c->key_len = key_len;
	c->type = &icm_128;
	c->algorithm = SRTP_AES_ICM_128;
	*cp = c;
	return (srtp_err_status_ok);
}

static srtp_err_status_t
icm_dealloc(srtp_cipher_pointer_t c)
{
	struct icm_state	*st = c->state;

	mbedtls_aes_free(&st->aes);
	explicit_bzero(st, sizeof(*st));
	free(st);
	explicit_bzero(c, sizeof(*c));
	free(c);
	return (srtp_err_status_ok);
}

static srtp_err_status_t
icm_init(void *state, const uint8_t *key)
{
	struct icm_state	*st = state;
	int			 keylen = SRTP_AES_ICM_128_KEY_LEN_WSALT -
				    ICM_SALT_LEN;

	if (mbedtls_aes_setkey_enc(&st->aes, key, keylen * 8) != 0)
		return (srtp_err_status_init_fail);
	memset(st->offset, 0, sizeof(st->offset));
	memcpy(st->offset, key + keylen, ICM_SALT_LEN);
	st->used = 0;
	return (srtp_err_status_ok);
}

static srtp_err_status_t
icm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
	struct icm_state	*st = state;
	int			 i;

	for (i = 0; i < 16; i++)
		st->counter[i] = st->offset[i] ^ iv[i];
	st->used = 0;	/* a fresh block at the next byte */
	return (srtp_err_status_ok);
}

/* Encryption and decryption alike: the key stream goes on from the IV. */
static srtp_err_status_t
icm_crypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct icm_state	*st = state;

	if (mbedtls_aes_crypt_ctr(&st->aes, *len, &st->used, st->counter,
	    st->stream, buf, buf) != 0)
		return (srtp_err_status_cipher_fail);
	return (srtp_err_status_ok);
}

static srtp_err_status_t
hmac_alloc(srtp_auth_pointer_t *ap, int key_len, int out_len)
{
	srtp_auth_t		*a;
	struct hmac_state	*st;

	if (key_len < 0 || key_len > SHA1_BLOCK || out_len < 1 ||
	    out_len > SHA1_LEN)
		return (srtp_err_status_bad_param);
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return (srtp_err_status_alloc_fail);
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		free(a);
		return (srtp_err_status_alloc_fail);
	}
	mbedtls_sha1_init(&st->inner0);
	mbedtls_sha1_init(&st->outer0);
	mbedtls_sha1_init(&st->inner);
	a->type = &hmac_sha1;
	a->state = st;
	a->out_len = out_len;
	a->key_len = key_len;
	a->prefix_len = 0;
	*ap = a;
	return (srtp_err_status_ok);
}

static srtp_err_status_t
hmac_dealloc(srtp_auth_pointer_t a)
{
	struct hmac_state	*st = a->state;

	mbedtls_sha1_free(&st->inner0);
	mbedtls_sha1_free(&st->outer0);
	mbedtls_sha1_free(&st->inner);
	explicit_bzero(st, sizeof(*st));
	free(st);
	explicit_bzero(a, sizeof(*a));
	free(a);
	return (srtp_err_status_ok);
}

static srtp_err_status_t
hmac_init(void *state, const uint8_t *key, int key_len)
{
	struct hmac_state	*st = state;
	uint8_t			 ipad[SHA1_BLOCK], opad[SHA1_BLOCK];
	int			 i, rv;

	if (key_len < 0 || key_len > SHA1_BLOCK)
		return (srtp_err_status_bad_param);
	memset(ipad, 0x36, sizeof(ipad));
	memset(opad, 0x5c, sizeof(opad));
	for (i = 0; i < key_len; i++) {
		ipad[i] ^= key[i];
		opad[i] ^= key[i];
	}
	rv = mbedtls_sha1_starts_ret(&st->inner0) != 0 ||
	    mbedtls_sha1_update_ret(&st->inner0, ipad, sizeof(ipad)) != 0 ||
	    mbedtls_sha1_starts_ret(&st->outer0) != 0 ||
	    mbedtls_sha1_update_ret(&st->outer0, opad, sizeof(opad)) != 0;
	explicit_bzero(ipad, sizeof(ipad));
	explicit_bzero(opad, sizeof(opad));
	if (rv)
		return (srtp_err_status_auth_fail);
	mbedtls_sha1_clone(&st->inner, &st->inner0);
	return (srtp_err_status_ok);
}

static srtp_err_status_t
hmac_start(void *state)
{
	struct hmac_state	*st = state;

	mbedtls_sha1_clone(&st->inner, &st->inner0);
	return (srtp_err_status_ok);
}

static srtp_err_status_t
hmac_update(void *state, const uint8_t *buf, int len)
{
	struct hmac_state	*st = state;

	if (len < 0 || mbedtls_sha1_update_ret(&st->inner, buf, len) != 0)
		return (srtp_err_status_auth_fail);
	return (srtp_err_status_ok);
}

static srtp_err_status_t
hmac_compute(void *state, const uint8_t *buf, int len, int tag_len,
    uint8_t *tag)
{
	struct hmac_state	*st = state;
	mbedtls_sha1_context	 outer;
	uint8_t			 h[SHA1_LEN];
	int			 rv;

	if (tag_len < 1 || tag_len > SHA1_LEN || len < 0)
		return (srtp_err_status_bad_param);
	mbedtls_sha1_init(&outer);
	mbedtls_sha1_clone(&outer, &st->outer0);
	rv = mbedtls_sha1_update_ret(&st->inner, buf, len) != 0 ||
	    mbedtls_sha1_finish_ret(&st->inner, h) != 0 ||
	    mbedtls_sha1_update_ret(&outer, h, sizeof(h)) != 0 ||
	    mbedtls_sha1_finish_ret(&outer, h) != 0;
	mbedtls_sha1_free(&outer);
	if (rv == 0)
		memcpy(tag, h, tag_len);
	explicit_bzero(h, sizeof(h));
	return (rv ? srtp_err_status_auth_fail : srtp_err_status_ok);
}

/* RFC 3711 B.2: the key stream of the first two blocks for index 0. */
static const uint8_t icm_key[SRTP_AES_ICM_128_KEY_LEN_WSALT] = {
	0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
	0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c,
	0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,
	0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd
};
static uint8_t icm_iv[16];
static const uint8_t icm_zeros[32];
static const uint8_t icm_stream[32] = {
	0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80,
	0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4,
	0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7,
	0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab
};
static const srtp_cipher_test_case_t icm_128_test = {
	SRTP_AES_ICM_128_KEY_LEN_WSALT, icm_key, icm_iv,
	sizeof(icm_zeros), icm_zeros, sizeof(icm_stream), icm_stream,
	0, NULL, 0, NULL
};

/* RFC 2202 test case 1. */
static const uint8_t hmac_key[20] = {
	0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
	0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b
};
static const uint8_t hmac_data[8] = { 'H', 'i', ' ', 'T', 'h', 'e', 'r', 'e' };
static const uint8_t hmac_tag[20] = {
	0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
	0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00
};
static const srtp_auth_test_case_t hmac_test = {
	sizeof(hmac_key), hmac_key, sizeof(hmac_data), hmac_data,
	sizeof(hmac_tag), hmac_tag, NULL
};

static const srtp_cipher_type_t icm_128 = {
	icm_alloc, icm_dealloc, icm_init, NULL, icm_crypt, icm_crypt,
	icm_set_iv, NULL, "AES-128 counter mode (mbedtls)", &icm_128_test,
	SRTP_AES_ICM_128
};

static const srtp_auth_type_t hmac_sha1 = {
	hmac_alloc, hmac_dealloc, hmac_init, hmac_compute, hmac_update,
	hmac_start, "HMAC-SHA1 (mbedtls)", &hmac_test, SRTP_HMAC_SHA1
};

/*
 * Put our types in place of libsrtp's; after srtp_init(), before any
 * session.  libsrtp self-tests each type as it takes it.
 */
int
srtp_mbedtls_install(void)
{
	if (srtp_replace_cipher_type(&icm_128, SRTP_AES_ICM_128) !=
	    srtp_err_status_ok ||
	    srtp_replace_auth_type(&hmac_sha1, SRTP_HMAC_SHA1) !=
	    srtp_err_status_ok)
		return (-1);
	return (0);
}
