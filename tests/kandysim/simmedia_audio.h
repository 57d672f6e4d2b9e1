/*
 * Audio helpers shared by kandysim's media endpoint and the test peer:
 * G.711 by payload type, the strongest tone in a window of samples, and a
 * bounded window of the most recent samples.
 */
#ifndef SIMMEDIA_AUDIO_H
#define SIMMEDIA_AUDIO_H

#include <stddef.h>
#include <stdint.h>

#define AUDIO_RATE	8000
#define AUDIO_FRAME	160		/* 20 ms */
#define AUDIO_WINDOW	1600		/* 200 ms analysed for the tone */

struct audio_window {
	int16_t		 s[AUDIO_WINDOW];
	size_t		 n;		/* samples held, up to AUDIO_WINDOW */
	size_t		 head;		/* next write */
};

struct audio_tone {
	double		 hz;		/* 0: nothing above the floor */
	double		 power;		/* Goertzel power at hz, 0..~0.25 */
	double		 energy;	/* mean square of the window */
};

void	audio_decode(int, const uint8_t *, size_t, int16_t *);
void	audio_encode(int, const int16_t *, size_t, uint8_t *);
void	audio_window_add(struct audio_window *, const int16_t *, size_t);
size_t	audio_window_copy(const struct audio_window *, int16_t *);
void	audio_tone_detect(const struct audio_window *, struct audio_tone *);

#endif /* SIMMEDIA_AUDIO_H */
