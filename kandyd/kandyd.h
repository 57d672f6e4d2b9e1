/*
 * kandyd: the only process that talks to Kandy.  It owns the SDP text,
 * the JSON and the HTTPS/WSS connections toward Kandy.
 */
#ifndef KANDYD_H
#define KANDYD_H

#include <stddef.h>
#include <stdint.h>

#include "media.h"

/* sdp_webrtc.c */
#define SDP_MAXLEN		65536	/* larger remote SDP is refused */
#define SDP_IDLEN		64

/* What our side of an SDP needs beyond the media description. */
struct sdp_local {
	uint64_t	sess_id;		/* o= session id */
	uint64_t	sess_version;		/* o= version, bumped per re-offer */
	char		cname[SDP_IDLEN];	/* RTCP CNAME */
	char		stream_id[SDP_IDLEN];	/* msid stream */
	char		track_id[SDP_IDLEN];	/* msid track */
	int		rtcp_rsize;		/* advertise a=rtcp-rsize */
};

int	 sdp_webrtc_build(const struct media_webrtc_desc *,
	    const struct sdp_local *, char *, size_t, const char **);
int	 sdp_webrtc_parse(const char *, size_t, struct media_webrtc_desc *,
	    const char **);

#endif /* KANDYD_H */
