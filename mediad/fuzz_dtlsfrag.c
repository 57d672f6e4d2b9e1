/*
 * libFuzzer target: ClientHello reassembly sees raw datagrams before any
 * DTLS check.  The input is a run of datagrams, each prefixed by a
 * two-byte length, fed to one reassembly state.
 */
#include <stddef.h>
#include <stdint.h>

#include "dtlsfrag.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dtls_chello	 c = { 0 };
	const uint8_t		*out;
	size_t			 off = 0, len, outlen;
	volatile uint8_t	 sink = 0;

	while (size - off >= 2) {
		len = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (len > size - off)
			len = size - off;
		if (dtls_chello_feed(&c, data + off, len, &out, &outlen) ==
		    DTLS_CHELLO_DONE && outlen > 0)
			sink ^= out[outlen - 1];
		off += len;
	}
	dtls_chello_clear(&c);
	(void)sink;
	return (0);
}
