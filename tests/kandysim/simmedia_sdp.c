/*
 * SDP text <-> struct media_webrtc_desc for the media endpoint and its
 * test peer, through kandyd's builder and parser.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kandyd.h"
#include "simmedia_sdp.h"

/* A malloc'd SDP for a description; name gives cname and msid. */
char *
simsdp_build(const struct media_webrtc_desc *d, uint64_t id, uint64_t ver,
    const char *name, const char **errstr)
{
	struct sdp_local	 l;
	char			*buf;

	memset(&l, 0, sizeof(l));
	l.sess_id = id;
	l.sess_version = ver;
	snprintf(l.cname, sizeof(l.cname), "%s", name);
	snprintf(l.stream_id, sizeof(l.stream_id), "%s", name);
	snprintf(l.track_id, sizeof(l.track_id), "%s-audio", name);
	if ((buf = calloc(1, SDP_MAXLEN)) == NULL) {
		*errstr = "out of memory";
		return (NULL);
	}
	if (sdp_webrtc_build(d, &l, buf, SDP_MAXLEN, errstr) <= 0) {
		free(buf);
		return (NULL);
	}
	return (buf);
}

int
simsdp_parse(const char *sdp, struct media_webrtc_desc *d,
    const char **errstr)
{
	return (sdp_webrtc_parse(sdp, strlen(sdp), d, errstr));
}
