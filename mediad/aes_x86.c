/*
 * AES encryption (FIPS 197) on AES-NI.  See aes_x86.h.
 *
 * AESENC is one full round (ShiftRows, SubBytes, MixColumns, round key),
 * AESENCLAST the last one without MixColumns.  AESKEYGENASSIST gives
 * SubWord of the key's words 1 and 3, and RotWord of those xored with
 * the round constant; the expansion takes the word it needs from that
 * and folds it over the previous round key's four words.
 */
#include <string.h>

#include "aes_x86.h"

#if AES_X86
#include <cpuid.h>
#include <immintrin.h>

#define AES_TARGET	__attribute__((target("aes,sse2")))

/* -1 until asked; then whether the CPU has AES-NI. */
static int	 cpu_has = -1;
static int	 portable_only;

/* CPUID.1: ECX AES-NI (25), EDX SSE2 (26). */
int
aes_x86_use(void)
{
	unsigned int	 a, b, c, d;

	if (cpu_has == -1)
		cpu_has = __get_cpuid(1, &a, &b, &c, &d) != 0 &&
		    (c & (1u << 25)) != 0 && (d & (1u << 26)) != 0;
	return (cpu_has && !portable_only);
}

/* For tests: keys made from now on use mbedtls even on AES-NI CPUs. */
void
aes_x86_force_portable(int on)
{
	portable_only = on;
}

/*
 * The next round key from the previous one, k, and t, the word from
 * AESKEYGENASSIST in all four lanes: word i is t ^ k0 ^ ... ^ ki.
 */
AES_TARGET static __m128i
fold(__m128i k, __m128i t)
{
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	return (_mm_xor_si128(k, t));
}

/* Lane 3: RotWord(SubWord(w3)) ^ rcon; lane 2: SubWord(w3). */
#define ROT_SUB(k, rcon)	\
	_mm_shuffle_epi32(_mm_aeskeygenassist_si128((k), (rcon)), 0xff)
#define SUB(k)			\
	_mm_shuffle_epi32(_mm_aeskeygenassist_si128((k), 0), 0xaa)

AES_TARGET static void
expand128(__m128i *rk)
{
	rk[1] = fold(rk[0], ROT_SUB(rk[0], 0x01));
	rk[2] = fold(rk[1], ROT_SUB(rk[1], 0x02));
	rk[3] = fold(rk[2], ROT_SUB(rk[2], 0x04));
	rk[4] = fold(rk[3], ROT_SUB(rk[3], 0x08));
	rk[5] = fold(rk[4], ROT_SUB(rk[4], 0x10));
	rk[6] = fold(rk[5], ROT_SUB(rk[5], 0x20));
	rk[7] = fold(rk[6], ROT_SUB(rk[6], 0x40));
	rk[8] = fold(rk[7], ROT_SUB(rk[7], 0x80));
	rk[9] = fold(rk[8], ROT_SUB(rk[8], 0x1b));
	rk[10] = fold(rk[9], ROT_SUB(rk[9], 0x36));
}

/* Eight words per step: the second four take SubWord without RotWord. */
AES_TARGET static void
expand256(__m128i *rk)
{
	rk[2] = fold(rk[0], ROT_SUB(rk[1], 0x01));
	rk[3] = fold(rk[1], SUB(rk[2]));
	rk[4] = fold(rk[2], ROT_SUB(rk[3], 0x02));
	rk[5] = fold(rk[3], SUB(rk[4]));
	rk[6] = fold(rk[4], ROT_SUB(rk[5], 0x04));
	rk[7] = fold(rk[5], SUB(rk[6]));
	rk[8] = fold(rk[6], ROT_SUB(rk[7], 0x08));
	rk[9] = fold(rk[7], SUB(rk[8]));
	rk[10] = fold(rk[8], ROT_SUB(rk[9], 0x10));
	rk[11] = fold(rk[9], SUB(rk[10]));
	rk[12] = fold(rk[10], ROT_SUB(rk[11], 0x20));
	rk[13] = fold(rk[11], SUB(rk[12]));
	rk[14] = fold(rk[12], ROT_SUB(rk[13], 0x40));
}

/* bits is 128 or 256. */
AES_TARGET int
aes_x86_expand(struct aes_x86_key *k, const uint8_t *key, int bits)
{
	__m128i	*rk = (__m128i *)k->rk;

	memset(k, 0, sizeof(*k));
	rk[0] = _mm_loadu_si128((const __m128i *)key);
	if (bits == 128) {
		expand128(rk);
		k->rounds = 10;
	} else if (bits == 256) {
		rk[1] = _mm_loadu_si128((const __m128i *)(key + 16));
		expand256(rk);
		k->rounds = 14;
	} else
		return (-1);
	return (0);
}

AES_TARGET static __m128i
encrypt1(const struct aes_x86_key *k, __m128i x)
{
	const __m128i	*rk = (const __m128i *)k->rk;
	int		 r;

	x = _mm_xor_si128(x, rk[0]);
	for (r = 1; r < k->rounds; r++)
		x = _mm_aesenc_si128(x, rk[r]);
	return (_mm_aesenclast_si128(x, rk[k->rounds]));
}

AES_TARGET void
aes_x86_block(const struct aes_x86_key *k, const uint8_t in[16],
    uint8_t out[16])
{
	_mm_storeu_si128((__m128i *)out,
	    encrypt1(k, _mm_loadu_si128((const __m128i *)in)));
}

/* The counter block with n as its last two bytes, big-endian. */
AES_TARGET static __m128i
ctr_block(__m128i base, unsigned int n)
{
	return (_mm_insert_epi16(base, (int)((n >> 8 & 0xff) | (n & 0xff) << 8),
	    7));
}

/*
 * XOR nblocks blocks of keystream into buf, for counter blocks ctr,
 * ctr + 1, ... where only the last 16 bits count (no carry into the
 * rest); ctr is left at the next unused one.  Four blocks go through the
 * rounds together, which keeps the AES unit busy.
 */
AES_TARGET void
aes_x86_ctr16(const struct aes_x86_key *k, uint8_t ctr[16], uint8_t *buf,
    size_t nblocks)
{
	const __m128i	*rk = (const __m128i *)k->rk;
	__m128i		 base, x0, x1, x2, x3, key;
	unsigned int	 n;
	int		 r;

	base = _mm_loadu_si128((const __m128i *)ctr);
	n = (unsigned int)ctr[14] << 8 | ctr[15];
	for (; nblocks >= 4; nblocks -= 4, n += 4, buf += 64) {
		key = rk[0];
		x0 = _mm_xor_si128(ctr_block(base, n), key);
		x1 = _mm_xor_si128(ctr_block(base, n + 1), key);
		x2 = _mm_xor_si128(ctr_block(base, n + 2), key);
		x3 = _mm_xor_si128(ctr_block(base, n + 3), key);
		for (r = 1; r < k->rounds; r++) {
			key = rk[r];
			x0 = _mm_aesenc_si128(x0, key);
			x1 = _mm_aesenc_si128(x1, key);
			x2 = _mm_aesenc_si128(x2, key);
			x3 = _mm_aesenc_si128(x3, key);
		}
		key = rk[k->rounds];
		x0 = _mm_aesenclast_si128(x0, key);
		x1 = _mm_aesenclast_si128(x1, key);
		x2 = _mm_aesenclast_si128(x2, key);
		x3 = _mm_aesenclast_si128(x3, key);
		_mm_storeu_si128((__m128i *)buf, _mm_xor_si128(x0,
		    _mm_loadu_si128((const __m128i *)buf)));
		_mm_storeu_si128((__m128i *)(buf + 16), _mm_xor_si128(x1,
		    _mm_loadu_si128((const __m128i *)(buf + 16))));
		_mm_storeu_si128((__m128i *)(buf + 32), _mm_xor_si128(x2,
		    _mm_loadu_si128((const __m128i *)(buf + 32))));
		_mm_storeu_si128((__m128i *)(buf + 48), _mm_xor_si128(x3,
		    _mm_loadu_si128((const __m128i *)(buf + 48))));
	}
	for (; nblocks > 0; nblocks--, n++, buf += 16) {
		x0 = encrypt1(k, ctr_block(base, n));
		_mm_storeu_si128((__m128i *)buf, _mm_xor_si128(x0,
		    _mm_loadu_si128((const __m128i *)buf)));
	}
	ctr[14] = (uint8_t)(n >> 8);
	ctr[15] = (uint8_t)n;
}
#endif /* AES_X86 */
