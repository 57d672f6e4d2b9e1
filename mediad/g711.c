/*
 * G.711 companding from the segment definitions of ITU-T G.711, and a
 * Goertzel filter for tone checks.
 */
#include <math.h>

#include "g711.h"

#define ALAW_XOR	0x55
#define ULAW_BIAS	0x84	/* 132 */
#define ULAW_CLIP	8159	/* in 14-bit units */

/* Position of the highest set bit of v (v > 0), 0-based. */
static int
top_bit(unsigned int v)
{
	int	 n = 0;

	while (v >>= 1)
		n++;
	return (n);
}

uint8_t
g711_alaw_encode(int16_t pcm)
{
	int	 sign, mag, seg;
	uint8_t	 out;

	/* A-law works on 13 bits. */
	mag = pcm >> 3;
	sign = mag >= 0 ? 0x80 : 0;
	if (mag < 0)
		mag = -mag - 1;
	if (mag > 0xfff)
		mag = 0xfff;
	if (mag < 32) {
		out = mag >> 1;
	} else {
		seg = top_bit(mag) - 4;		/* 1..7 */
		out = seg << 4 | ((mag >> seg) & 0x0f);
	}
	return ((out | sign) ^ ALAW_XOR);
}

int16_t
g711_alaw_decode(uint8_t a)
{
	int	 seg, mag;

	a ^= ALAW_XOR;
	seg = (a >> 4) & 0x07;
	mag = (a & 0x0f) << 4 | 0x08;	/* middle of the interval */
	if (seg > 0)
		mag = (mag | 0x100) << (seg - 1);
	return ((int16_t)(a & 0x80 ? mag : -mag));
}

uint8_t
g711_ulaw_encode(int16_t pcm)
{
	int	 mag, seg, mask;

	/* mu-law works on 14 bits. */
	mag = pcm >> 2;
	mask = 0xff;
	if (mag < 0) {
		mag = -mag;
		mask = 0x7f;
	}
	if (mag > ULAW_CLIP)
		mag = ULAW_CLIP;
	mag += ULAW_BIAS >> 2;
	seg = top_bit(mag) - 5;			/* 0..8 */
	if (seg > 7)
		return (0x7f ^ mask);
	return ((uint8_t)((seg << 4 | ((mag >> (seg + 1)) & 0x0f)) ^ mask));
}

int16_t
g711_ulaw_decode(uint8_t u)
{
	int	 seg, mag;

	u = ~u;
	seg = (u >> 4) & 0x07;
	mag = (((u & 0x0f) << 3) + ULAW_BIAS) << seg;
	mag -= ULAW_BIAS;
	return ((int16_t)(u & 0x80 ? -mag : mag));
}

/*
 * n samples of a sine of freq Hz and amplitude amp (0..1 of full scale)
 * at rate Hz, starting at sample index first (so packets join up).
 */
void
tone_fill(int16_t *out, size_t n, double freq, double amp, uint32_t rate,
    uint64_t first)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		out[i] = (int16_t)lrint(32767.0 * amp *
		    sin(2 * M_PI * freq * (double)(first + i) / rate));
}

/*
 * Power of the freq component of the block, normalised so that a full
 * scale sine at exactly that frequency gives about 1.
 */
double
tone_power(const int16_t *x, size_t n, double freq, uint32_t rate)
{
	double	 w, coeff, s0, s1 = 0, s2 = 0, p;
	size_t	 i;

	if (n == 0)
		return (0);
	w = 2 * M_PI * freq / rate;
	coeff = 2 * cos(w);
	for (i = 0; i < n; i++) {
		s0 = x[i] / 32768.0 + coeff * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	p = s1 * s1 + s2 * s2 - coeff * s1 * s2;
	return (p * 4 / ((double)n * n));
}

/* Mean square of the block, full scale sine about 0.5. */
double
tone_energy(const int16_t *x, size_t n)
{
	double	 e = 0;
	size_t	 i;

	for (i = 0; i < n; i++)
		e += (x[i] / 32768.0) * (x[i] / 32768.0);
	return (n > 0 ? e / n : 0);
}
