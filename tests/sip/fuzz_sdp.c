/*
 * libFuzzer target for the PBX-side SDP parser.  Whatever parses must
 * also make an answer that parses back to the same codecs, and to the
 * offer's SRTP suite and tag with our key.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sdp_media.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct media_rtp_desc	 l;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&l.addr;
	struct sdp_remote	 r, back;
	struct sdp_local	 st;
	char			 buf[SDP_MAXBODY];
	int			 n;

	if (sdp_parse_remote((const char *)data, size, &r) != SDP_OK)
		return (0);
	memset(&l, 0, sizeof(l));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(10000);
	sin->sin_addr.s_addr = htonl(0x7f000001);
	l.ncodecs = 3;
	l.codecs[0] = (struct media_codec_desc){ CODEC_PCMU, 0, 1, 8000 };
	l.codecs[1] = (struct media_codec_desc){ CODEC_PCMA, 8, 1, 8000 };
	l.codecs[2] = (struct media_codec_desc){ CODEC_TELEPHONE_EVENT,
	    101, 1, 8000 };
	memset(l.crypto.key, 0xa5, sizeof(l.crypto.key));
	sdp_local_init(&st);
	if ((n = sdp_write_answer(&st, &l, &r, NULL, buf, sizeof(buf))) < 0)
		return (0);
	if (sdp_parse_remote(buf, n, &back) != SDP_OK ||
	    back.nmlines != r.nmlines || back.chosen != r.chosen ||
	    back.rtp.codecs[0].codec != r.rtp.codecs[0].codec)
		abort();
	if (back.rtp.crypto.suite != r.rtp.crypto.suite ||
	    back.rtp.crypto.tag != r.rtp.crypto.tag ||
	    (r.rtp.crypto.suite != CRYPTO_NONE && memcmp(back.rtp.crypto.key, l.crypto.key, MEDIA_SRTP_KEYLEN) != 0))
		abort();
	return (0);
}
