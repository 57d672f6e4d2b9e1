/*
 * libFuzzer target for the WAV parser behind -S sample directories.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "kandysim.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	int16_t	*pcm;
	size_t	 n;
	char	 err[128];

	if (wav_parse(data, len, &pcm, &n, err, sizeof(err)) == 0)
		free(pcm);
	return (0);
}
