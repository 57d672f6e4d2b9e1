/*
 * SHA-1 compression (FIPS 180-4 6.1.2) on the x86 SHA extensions.  See
 * sha1_x86.h.
 *
 * SHA1RNDS4 runs four rounds on A:B:C:D held in one register, A in the
 * top lane, with the round function and constant of its immediate
 * (0: Ch, K0; 1: Parity, K1; 2: Maj, K2; 3: Parity, K3).  Its second
 * operand is four message words, first word in the top lane, with E
 * already added to that word.  SHA1NEXTE gives that E for the next four
 * rounds: A of four rounds back, rotated left by 30, added to the top
 * lane of the next message words.  SHA1MSG1 and SHA1MSG2 make the next
 * four schedule words W[t] = ROTL1(W[t-3] ^ W[t-8] ^ W[t-14] ^ W[t-16])
 * from the four groups of four before them: MSG1 xors W[t-16] and
 * W[t-14], a plain xor adds W[t-8], MSG2 adds W[t-3] and rotates (it
 * handles W[t+3] needing the W[t] it makes).
 */
#include "sha1_x86.h"

#if SHA1_X86
#include <cpuid.h>
#include <immintrin.h>

/* CPUID.1:ECX SSSE3 (9), SSE4.1 (19); CPUID.(7,0):EBX SHA (29). */
int
sha1_x86_usable(void)
{
	unsigned int	 a, b, c, d;

	if (__get_cpuid(1, &a, &b, &c, &d) == 0 ||
	    (c & (1u << 9)) == 0 || (c & (1u << 19)) == 0)
		return (0);
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d) == 0)
		return (0);
	return ((b & (1u << 29)) != 0);
}

/*
 * Message group g (words 4g..4g+3) lives in m[g % 4].  From g = 4 on it
 * is made from the four groups before it, which the same four registers
 * still hold, the oldest in the slot it replaces.
 */
#define SCHEDULE(g) do {						\
	m[(g) % 4] = _mm_sha1msg2_epu32(_mm_xor_si128(			\
	    _mm_sha1msg1_epu32(m[(g) % 4], m[((g) + 1) % 4]),		\
	    m[((g) + 2) % 4]), m[((g) + 3) % 4]);			\
} while (0)

/* Rounds 4g..4g+3; prev is A:B:C:D four rounds back. */
#define ROUNDS(g) do {							\
	if ((g) >= 4)							\
		SCHEDULE(g);						\
	we = _mm_sha1nexte_epu32(prev, m[(g) % 4]);			\
	prev = abcd;							\
	abcd = _mm_sha1rnds4_epu32(abcd, we, (g) / 5);			\
} while (0)

__attribute__((target("sha,sse4.1")))
void
sha1_x86_compress(uint32_t h[5], const uint8_t *p, size_t n)
{
	/* Reverses the 16 bytes: big-endian words, the first one on top. */
	const __m128i	 bswap = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
			    10, 11, 12, 13, 14, 15);
	__m128i		 abcd, abcd0, e0, prev, we, m[4];
	int		 i;

	/* h[0] (A) to the top lane, E alone in the top lane of its own. */
	abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)h), 0x1b);
	e0 = _mm_set_epi32((int)h[4], 0, 0, 0);
	for (; n > 0; n--, p += 64) {
		abcd0 = abcd;
		for (i = 0; i < 4; i++)
			m[i] = _mm_shuffle_epi8(_mm_loadu_si128(
			    (const __m128i *)(p + 16 * i)), bswap);
		/* The first four rounds take E as it came in. */
		prev = abcd;
		abcd = _mm_sha1rnds4_epu32(abcd, _mm_add_epi32(e0, m[0]), 0);
		ROUNDS(1);  ROUNDS(2);  ROUNDS(3);  ROUNDS(4);
		ROUNDS(5);  ROUNDS(6);  ROUNDS(7);  ROUNDS(8);
		ROUNDS(9);  ROUNDS(10); ROUNDS(11); ROUNDS(12);
		ROUNDS(13); ROUNDS(14); ROUNDS(15); ROUNDS(16);
		ROUNDS(17); ROUNDS(18); ROUNDS(19);
		/* E after round 79 is A after 75, rotated: add it to E in. */
		e0 = _mm_sha1nexte_epu32(prev, e0);
		abcd = _mm_add_epi32(abcd, abcd0);
	}
	_mm_storeu_si128((__m128i *)h, _mm_shuffle_epi32(abcd, 0x1b));
	h[4] = (uint32_t)_mm_extract_epi32(e0, 3);
}
#endif /* SHA1_X86 */
