/*
 * libFuzzer target for SIP INFO DTMF bodies.  The first byte picks the
 * content type; whatever parses must be an RFC 4733 event and a sane
 * duration.
 */
#include <stdint.h>
#include <stdlib.h>

#include "dtmf_info.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int	 ms;
	int		 ev;

	if (size < 1)
		return (0);
	if (dtmf_info_parse(data[0] & 1 ? "application/dtmf" :
	    "application/dtmf-relay", (const char *)data + 1, size - 1, &ev,
	    &ms) != DTMF_OK)
		return (0);
	if (ev < 0 || ev > 16 || ms == 0 || ms > 10000)
		abort();
	return (0);
}
