/*
 * kandyd: the only process that talks to Kandy.  It owns the SDP text,
 * the JSON and the HTTPS/WSS connections toward Kandy.
 */
#ifndef KANDYD_H
#define KANDYD_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

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

/* json_guard.c */
#define JSON_MAXDEPTH		16

int	 json_guard_depth(const char *, size_t, int);
json_t	*json_guard_load(const char *, size_t, size_t, const char **);

/* jwt.c */
#define JWT_MAXLEN		16384
#define JWT_USERLEN		128

struct jwt_claims {
	char		preferred_username[JWT_USERLEN];	/* "" if absent */
	int64_t		exp;
	int64_t		iat;		/* 0 if absent */
};

ssize_t	 b64url_decode(const char *, size_t, unsigned char *, size_t);
int	 jwt_userid_valid(const char *);
int	 jwt_decode(const char *, struct jwt_claims *, const char **);
int64_t	 jwt_refresh_at(const struct jwt_claims *, int64_t, int64_t);

#endif /* KANDYD_H */
