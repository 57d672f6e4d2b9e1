/*
 * SHA-1 (FIPS 180-4) on a bare five-word state.  See sha1_state.h.
 */
#include <endian.h>
#include <string.h>

#include <mbedtls/platform_util.h>
#include <mbedtls/sha1.h>

#include "sha1_state.h"
#include "sha1_x86.h"

/* -1 until the first block; then whether the SHA extensions are used. */
static int	 use_x86 = -1;
static int	 portable_only;

static const uint32_t sha1_h0[5] = {
	0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0
};

static void
choose(void)
{
	use_x86 = 0;
#if SHA1_X86
	if (!portable_only)
		use_x86 = sha1_x86_usable();
#endif
}

/* mbedtls's block function, on a context that only lends its state. */
static void
compress_mbedtls(uint32_t h[5], const uint8_t *p, size_t n)
{
	mbedtls_sha1_context	 c;

	memcpy(c.state, h, sizeof(c.state));
	for (; n > 0; n--, p += SHA1_BLOCK_LEN)
		(void)mbedtls_internal_sha1_process(&c, p);
	memcpy(h, c.state, sizeof(c.state));
	mbedtls_platform_zeroize(&c, sizeof(c));
}

/* n whole 64-byte blocks at p into h. */
void
sha1_compress(uint32_t h[5], const uint8_t *p, size_t n)
{
	if (use_x86 == -1)
		choose();
#if SHA1_X86
	if (use_x86) {
		sha1_x86_compress(h, p, n);
		return;
	}
#endif
	compress_mbedtls(h, p, n);
}

/*
 * One of HMAC's keyed states (RFC 2104): SHA-1's five words after the
 * one block key ^ pad, the key already padded with zeros to a block.
 */
void
sha1_hmac_state(const uint8_t key[SHA1_BLOCK_LEN], uint8_t pad,
    uint32_t h[5])
{
	struct sha1_state	 st;
	uint8_t			 b[SHA1_BLOCK_LEN];
	size_t			 i;

	for (i = 0; i < sizeof(b); i++)
		b[i] = key[i] ^ pad;
	sha1_state_init(&st);
	sha1_compress(st.h, b, 1);
	memcpy(h, st.h, sizeof(st.h));
	mbedtls_platform_zeroize(&st, sizeof(st));
	mbedtls_platform_zeroize(b, sizeof(b));
}

void
sha1_state_init(struct sha1_state *s)
{
	sha1_state_resume(s, sha1_h0, 0);
}

/* Carry on from h, the state after len bytes, len a multiple of 64. */
void
sha1_state_resume(struct sha1_state *s, const uint32_t h[5], uint64_t len)
{
	memcpy(s->h, h, sizeof(s->h));
	s->len = len;
}

void
sha1_state_update(struct sha1_state *s, const uint8_t *p, size_t n)
{
	size_t	 have = s->len % SHA1_BLOCK_LEN, take;

	s->len += n;
	if (have > 0) {
		take = SHA1_BLOCK_LEN - have;
		if (n < take) {
			memcpy(s->buf + have, p, n);
			return;
		}
		memcpy(s->buf + have, p, take);
		sha1_compress(s->h, s->buf, 1);
		p += take;
		n -= take;
	}
	if (n >= SHA1_BLOCK_LEN)
		sha1_compress(s->h, p, n / SHA1_BLOCK_LEN);
	p += n / SHA1_BLOCK_LEN * SHA1_BLOCK_LEN;
	memcpy(s->buf, p, n % SHA1_BLOCK_LEN);
}

/*
 * Padding (FIPS 180-4 5.1.1): 0x80, zeros, the length in bits as 64
 * bits big-endian, in one block or, past 55 bytes, two.
 */
void
sha1_state_finish(struct sha1_state *s, uint8_t out[SHA1_DIGEST_LEN])
{
	uint8_t		 pad[2 * SHA1_BLOCK_LEN];
	uint64_t	 bits = htobe64(s->len * 8);
	uint32_t	 w;
	size_t		 have = s->len % SHA1_BLOCK_LEN, total, i;

	total = have < SHA1_BLOCK_LEN - 8 ? SHA1_BLOCK_LEN :
	    2 * SHA1_BLOCK_LEN;
	memcpy(pad, s->buf, have);
	pad[have] = 0x80;
	memset(pad + have + 1, 0, total - have - 1 - 8);
	memcpy(pad + total - 8, &bits, 8);
	sha1_compress(s->h, pad, total / SHA1_BLOCK_LEN);
	/* The message's last bytes: an HMAC key's, when one is hashed. */
	mbedtls_platform_zeroize(pad, have);
	for (i = 0; i < 5; i++) {
		w = htobe32(s->h[i]);
		memcpy(out + 4 * i, &w, 4);
	}
}

/* Whether blocks go to the SHA extensions. */
int
sha1_accelerated(void)
{
	if (use_x86 == -1)
		choose();
	return (use_x86);
}

/* For tests: mbedtls's blocks even where the CPU has SHA-NI, or not. */
void
sha1_force_portable(int on)
{
	portable_only = on;
	choose();
}
