/*
 * Audio helpers for the media endpoint and its test peer.
 */
#include <math.h>
#include <string.h>

#include "g711.h"
#include "simmedia_audio.h"

/* Below this Goertzel power a window holds no tone worth naming. */
#define TONE_FLOOR	1e-4

/* pt 8 is A-law, anything else we accept (0) is mu-law. */
void
audio_decode(int pt, const uint8_t *in, size_t n, int16_t *out)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		out[i] = pt == 8 ? g711_alaw_decode(in[i]) :
		    g711_ulaw_decode(in[i]);
}

void
audio_encode(int pt, const int16_t *in, size_t n, uint8_t *out)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		out[i] = pt == 8 ? g711_alaw_encode(in[i]) :
		    g711_ulaw_encode(in[i]);
}

void
audio_window_add(struct audio_window *w, const int16_t *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		w->s[w->head] = s[i];
		w->head = (w->head + 1) % AUDIO_WINDOW;
		if (w->n < AUDIO_WINDOW)
			w->n++;
	}
}

/* The window oldest first; returns the number of samples. */
size_t
audio_window_copy(const struct audio_window *w, int16_t *out)
{
	size_t	 i, start;

	start = (w->head + AUDIO_WINDOW - w->n) % AUDIO_WINDOW;
	for (i = 0; i < w->n; i++)
		out[i] = w->s[(start + i) % AUDIO_WINDOW];
	return (w->n);
}

/*
 * Scan 200-3600 Hz in 10 Hz steps (the resolution of a 200 ms window),
 * then refine around the best step in 1 Hz steps.
 */
void
audio_tone_detect(const struct audio_window *w, struct audio_tone *t)
{
	int16_t	 x[AUDIO_WINDOW];
	size_t	 n;
	double	 f, p, best = 0, bestf = 0, lo;

	memset(t, 0, sizeof(*t));
	if ((n = audio_window_copy(w, x)) < AUDIO_FRAME)
		return;
	t->energy = tone_energy(x, n);
	for (f = 200; f <= 3600; f += 10)
		if ((p = tone_power(x, n, f, AUDIO_RATE)) > best) {
			best = p;
			bestf = f;
		}
	if (best < TONE_FLOOR)
		return;
	for (lo = bestf - 10, f = lo; f <= bestf + 10; f += 1)
		if ((p = tone_power(x, n, f, AUDIO_RATE)) > best) {
			best = p;
			bestf = f;
		}
	t->hz = bestf;
	t->power = best;
}
