/*
 * G.711 against reference values (the classic Sun/CCITT conversions, as
 * Python's audioop implements them), round trips, and the tone checks.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "g711.h"

static int	 failures;

static const int16_t	 pcm[] = { 0, 1, -1, 7, 8, -8, 100, -100, 1000,
	-1000, 4000, -4000, 12345, -12345, 32767, -32768, 30000, -30000 };
static const uint8_t	 alaw[] = { 0xd5, 0xd5, 0x55, 0xd5, 0xd5, 0x55,
	0xd3, 0x53, 0xfa, 0x7a, 0x9a, 0x1a, 0xbd, 0x3d, 0xaa, 0x2a, 0xa8,
	0x28 };
static const uint8_t	 ulaw[] = { 0xff, 0xff, 0x7e, 0xfe, 0xfe, 0x7e,
	0xf2, 0x72, 0xce, 0x4e, 0xaf, 0x2f, 0x97, 0x17, 0x80, 0x00, 0x82,
	0x02 };
static const uint8_t	 codes[] = { 0x00, 0x0f, 0x55, 0x80, 0xd5, 0xff,
	0x2a, 0xaa, 0x7f, 0x13 };
static const int16_t	 alaw_lin[] = { -5504, -6784, -8, 5504, 8, 848,
	-32256, 32256, -848, -2880 };
static const int16_t	 ulaw_lin[] = { -32124, -16764, -716, 32124, 716, 0,
	-5372, 5372, 0, -14460 };

int
main(void)
{
	int16_t		 x[800], y[800];
	unsigned int	 i;
	int		 v, err;

	for (i = 0; i < sizeof(pcm) / sizeof(pcm[0]); i++) {
		CHECK(g711_alaw_encode(pcm[i]) == alaw[i]);
		CHECK(g711_ulaw_encode(pcm[i]) == ulaw[i]);
	}
	for (i = 0; i < sizeof(codes); i++) {
		CHECK(g711_alaw_decode(codes[i]) == alaw_lin[i]);
		CHECK(g711_ulaw_decode(codes[i]) == ulaw_lin[i]);
	}
	/* Every code survives decode then encode (mu-law's -0 aside). */
	for (i = 0; i < 256; i++) {
		CHECK(g711_alaw_encode(g711_alaw_decode(i)) == i);
		if (i != 0x7f)
			CHECK(g711_ulaw_encode(g711_ulaw_decode(i)) == i);
	}
	/* Error within about half a step of the segment (relative 1/32). */
	for (v = -32768; v <= 32767; v += 7) {
		err = abs(g711_alaw_decode(g711_alaw_encode(v)) - v);
		CHECK(err <= 16 || err * 32 <= abs(v) + 32);
		err = abs(g711_ulaw_decode(g711_ulaw_encode(v)) - v);
		CHECK(abs(v) > 32000 || err * 32 <= abs(v) + 132 + 128);
	}

	/* A 1 kHz tone through A-law is still a 1 kHz tone. */
	tone_fill(x, 800, 1000, 0.5, 8000, 0);
	for (i = 0; i < 800; i++)
		y[i] = g711_alaw_decode(g711_alaw_encode(x[i]));
	CHECK(tone_power(y, 800, 1000, 8000) > 0.2);
	CHECK(tone_power(y, 800, 1500, 8000) < 0.001);
	CHECK(tone_power(y, 800, 697, 8000) < 0.001);
	CHECK(fabs(tone_energy(y, 800) - 0.125) < 0.01);
	/* Joined blocks are one continuous tone. */
	tone_fill(y, 400, 1000, 0.5, 8000, 400);
	for (i = 0; i < 400; i++)
		CHECK(y[i] == x[400 + i]);
	/* Silence is silence. */
	for (i = 0; i < 800; i++)
		y[i] = g711_ulaw_decode(0xff);
	CHECK(tone_energy(y, 800) == 0 && tone_power(y, 800, 1000, 8000) == 0);

	if (failures > 0) {
		fprintf(stderr, "%d failures\n", failures);
		return (1);
	}
	return (0);
}
