/*
 * libFuzzer target: remote SDP parsing.  Whatever parses must also pass
 * the IPC validity check, and build back into SDP that parses to the
 * same description.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kandyd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char		 buf[SDP_MAXLEN];
	struct media_webrtc_desc d, r;
	struct sdp_local	 l;
	const char		*err;
	unsigned int		 i, j;
	int			 n;

	if (sdp_webrtc_parse((const char *)data, size, &d, &err) == -1)
		return (0);
	if (media_webrtc_valid(&d, &err) == -1)
		abort();

	memset(&l, 0, sizeof(l));
	strlcpy(l.cname, "c", sizeof(l.cname));
	strlcpy(l.stream_id, "s", sizeof(l.stream_id));
	strlcpy(l.track_id, "t", sizeof(l.track_id));
	if ((n = sdp_webrtc_build(&d, &l, buf, sizeof(buf), &err)) == -1)
		return (0);	/* e.g. Opus only: nothing to offer */
	if (sdp_webrtc_parse(buf, n, &r, &err) == -1)
		abort();
	if (strcmp(d.ufrag, r.ufrag) != 0 || strcmp(d.pwd, r.pwd) != 0 ||
	    strcmp(d.fingerprint, r.fingerprint) != 0 ||
	    d.setup != r.setup || d.dir != r.dir ||
	    d.rtcp_mux != r.rtcp_mux || d.ice_lite != r.ice_lite ||
	    d.ssrc != r.ssrc || d.ncands != r.ncands)
		abort();
	for (i = 0; i < d.ncands; i++)
		if (memcmp(&d.cands[i], &r.cands[i], sizeof(r.cands[i])) != 0)
			abort();
	for (i = j = 0; i < d.ncodecs; i++) {
		if (d.codecs[i].codec == CODEC_OPUS)
			continue;
		if (j >= r.ncodecs || memcmp(&d.codecs[i], &r.codecs[j++],
		    sizeof(r.codecs[0])) != 0)
			abort();
	}
	if (j != r.ncodecs)
		abort();
	return (0);
}
