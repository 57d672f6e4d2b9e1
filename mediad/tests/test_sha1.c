/*
 * SHA-1 on bare states (sha1_state.c), on the SHA extensions where the
 * CPU has them and on mbedtls's block function: FIPS 180 vectors, then
 * every length 0..600 of random data against mbedtls's SHA-1, whole and
 * fed in two pieces.  Each check runs on both paths.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha1.h>

#include "sha1_state.h"

#define MAXLEN	600

static int	 failures;

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: check failed (%s): %s\n",	\
		    __FILE__, __LINE__, path, #c);			\
		failures++;						\
	}								\
} while (0)

static const char	*path;
static uint8_t		 data[MAXLEN];

static void
hexstr(const uint8_t *b, size_t n, char *out)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static int
digest_is(const uint8_t *p, size_t n, size_t reps, const char *want)
{
	struct sha1_state	 s;
	uint8_t			 d[SHA1_DIGEST_LEN];
	char			 hex[2 * SHA1_DIGEST_LEN + 1];
	size_t			 i;

	sha1_state_init(&s);
	for (i = 0; i < reps; i++)
		sha1_state_update(&s, p, n);
	sha1_state_finish(&s, d);
	hexstr(d, sizeof(d), hex);
	return (strcmp(hex, want) == 0);
}

/* FIPS 180-2 appendix A (and the 896-bit message of the later examples). */
static void
test_fips(void)
{
	static const char	*m448 =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	static const char	*m896 =
	    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	    "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	uint8_t			 a[1000];

	CHECK(digest_is((const uint8_t *)"abc", 3, 1,
	    "a9993e364706816aba3e25717850c26c9cd0d89d"));
	CHECK(digest_is((const uint8_t *)m448, strlen(m448), 1,
	    "84983e441c3bd26ebaae4aa1f95129e5e54670f1"));
	CHECK(digest_is((const uint8_t *)m896, strlen(m896), 1,
	    "a49b2446a02c645bf419f995b67091253a04a259"));
	CHECK(digest_is((const uint8_t *)"", 0, 1,
	    "da39a3ee5e6b4b0d3255bfef95601890afd80709"));
	/* One million 'a', in 1000-byte pieces. */
	memset(a, 'a', sizeof(a));
	CHECK(digest_is(a, sizeof(a), 1000,
	    "34aa973cd4c4daa4f61eeb2bdbad27316534016f"));
	/* The check can fail. */
	CHECK(!digest_is((const uint8_t *)"abd", 3, 1,
	    "a9993e364706816aba3e25717850c26c9cd0d89d"));
}

/* Every length, whole and split at a few points, against mbedtls. */
static void
test_against_mbedtls(void)
{
	static const size_t	 cut[] = { 0, 1, 19, 55, 63, 64, 65, 127, 200 };
	struct sha1_state	 s;
	uint8_t			 want[SHA1_DIGEST_LEN], got[SHA1_DIGEST_LEN];
	size_t			 n, i;

	for (n = 0; n <= MAXLEN; n++) {
		CHECK(mbedtls_sha1_ret(data, n, want) == 0);
		sha1_state_init(&s);
		sha1_state_update(&s, data, n);
		sha1_state_finish(&s, got);
		CHECK(memcmp(got, want, sizeof(want)) == 0);
		for (i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
			if (cut[i] > n)
				break;
			sha1_state_init(&s);
			sha1_state_update(&s, data, cut[i]);
			sha1_state_update(&s, data + cut[i], n - cut[i]);
			sha1_state_finish(&s, got);
			CHECK(memcmp(got, want, sizeof(want)) == 0);
		}
	}
}

int
main(void)
{
	size_t	 i;

	srandom(1127);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)random();

	if (sha1_accelerated()) {
		path = "SHA-NI";
		test_fips();
		test_against_mbedtls();
		printf("SHA-NI path checked\n");
	} else
		fprintf(stderr, "no SHA extensions: portable path only\n");
	sha1_force_portable(1);
	path = "mbedtls blocks";
	CHECK(!sha1_accelerated());
	test_fips();
	test_against_mbedtls();
	sha1_force_portable(0);

	if (failures > 0) {
		fprintf(stderr, "%d failures\n", failures);
		return (1);
	}
	return (0);
}
