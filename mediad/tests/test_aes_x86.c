/*
 * AES on AES-NI (aes_x86.c): FIPS 197 appendix C, then random keys and
 * blocks against mbedtls, and the 16-bit counter mode against mbedtls's
 * counter mode and, across the 16-bit wrap, against blocks made by hand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/aes.h>

#include "aes_x86.h"
#include "check.h"

static int	 failures;

#if AES_X86
static void
fill(uint8_t *p, size_t n)
{
	while (n-- > 0)
		*p++ = (uint8_t)random();
}

static void
test_fips197(void)
{
	static const uint8_t	 want128[16] = {
		0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30,
		0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5, 0x5a
	};
	static const uint8_t	 want256[16] = {
		0x8e, 0xa2, 0xb7, 0xca, 0x51, 0x67, 0x45, 0xbf,
		0xea, 0xfc, 0x49, 0x90, 0x4b, 0x49, 0x60, 0x89
	};
	struct aes_x86_key	 k;
	uint8_t			 key[32], in[16], out[16];
	int			 i;

	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	for (i = 0; i < 16; i++)
		in[i] = (uint8_t)(i * 0x11);
	CHECK(aes_x86_expand(&k, key, 128) == 0);
	aes_x86_block(&k, in, out);
	CHECK(memcmp(out, want128, 16) == 0);
	CHECK(aes_x86_expand(&k, key, 256) == 0);
	aes_x86_block(&k, in, out);
	CHECK(memcmp(out, want256, 16) == 0);
	CHECK(aes_x86_expand(&k, key, 192) == -1);
}

static void
test_against_mbedtls(void)
{
	static const int	 bits[] = { 128, 256 };
	struct aes_x86_key	 k;
	mbedtls_aes_context	 m;
	uint8_t			 key[32], in[16], a[16], b[16];
	uint8_t			 ctr[16], mctr[16], stream[16];
	uint8_t			 buf[40 * 16], mbuf[40 * 16];
	size_t			 off, nb;
	int			 i, j, bad = 0;

	mbedtls_aes_init(&m);
	for (i = 0; i < 2; i++) {
		for (j = 0; j < 50; j++) {
			fill(key, sizeof(key));
			fill(in, sizeof(in));
			CHECK(aes_x86_expand(&k, key, bits[i]) == 0);
			CHECK(mbedtls_aes_setkey_enc(&m, key, bits[i]) == 0);
			aes_x86_block(&k, in, a);
			CHECK(mbedtls_aes_crypt_ecb(&m, MBEDTLS_AES_ENCRYPT,
			    in, b) == 0);
			bad += memcmp(a, b, 16) != 0;
		}
		/* Counter mode, 0 to 40 blocks, clear of the 16-bit wrap. */
		for (nb = 0; nb <= 40; nb++) {
			fill(ctr, sizeof(ctr));
			ctr[14] &= 0x7f;
			memcpy(mctr, ctr, sizeof(ctr));
			fill(buf, sizeof(buf));
			memcpy(mbuf, buf, sizeof(buf));
			aes_x86_ctr16(&k, ctr, buf, nb);
			off = 0;
			CHECK(mbedtls_aes_crypt_ctr(&m, nb * 16, &off, mctr,
			    stream, mbuf, mbuf) == 0);
			bad += memcmp(buf, mbuf, sizeof(buf)) != 0;
			bad += memcmp(ctr, mctr, sizeof(ctr)) != 0;
		}
	}
	CHECK(bad == 0);
	mbedtls_aes_free(&m);
}

/* Only the last 16 bits count: ...ff ff is followed by ...00 00. */
static void
test_wrap(void)
{
	struct aes_x86_key	 k;
	uint8_t			 key[16], ctr[16], blk[16], want[16];
	uint8_t			 buf[48];
	int			 i;

	fill(key, sizeof(key));
	fill(ctr, sizeof(ctr));
	ctr[14] = 0xff;
	ctr[15] = 0xfe;
	CHECK(aes_x86_expand(&k, key, 128) == 0);
	memset(buf, 0, sizeof(buf));
	memcpy(blk, ctr, sizeof(blk));
	aes_x86_ctr16(&k, ctr, buf, 3);
	for (i = 0; i < 3; i++) {
		blk[14] = i < 2 ? 0xff : 0x00;
		blk[15] = i == 0 ? 0xfe : i == 1 ? 0xff : 0x00;
		aes_x86_block(&k, blk, want);
		CHECK(memcmp(buf + 16 * i, want, 16) == 0);
	}
	CHECK(ctr[13] == blk[13] && ctr[14] == 0 && ctr[15] == 1);
}
#endif

int
main(void)
{
#if AES_X86
	srandom(1127);
	if (!aes_x86_use()) {
		fprintf(stderr, "no AES-NI on this CPU: nothing to test\n");
		return (77);
	}
	test_fips197();
	test_against_mbedtls();
	test_wrap();
#else
	fprintf(stderr, "not x86: nothing to test\n");
	return (77);
#endif
	if (failures > 0) {
		fprintf(stderr, "%d failures\n", failures);
		return (1);
	}
	return (0);
}
