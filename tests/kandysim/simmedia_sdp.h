/*
 * kandyd's WebRTC SDP code (kandyd/sdp_webrtc.c) behind names that do not
 * clash with kandysim's: kandysim.h and kandyd.h cannot share a file.
 */
#ifndef SIMMEDIA_SDP_H
#define SIMMEDIA_SDP_H

#include <stdint.h>

#include "media.h"

char	*simsdp_build(const struct media_webrtc_desc *, uint64_t, uint64_t,
	    const char *, const char **);
int	 simsdp_parse(const char *, struct media_webrtc_desc *,
	    const char **);

#endif /* SIMMEDIA_SDP_H */
