/*
 * One call's media relay between the PBX leg and the WebRTC leg: payload
 * types mapped codec by codec between the two descriptions (a DTMF
 * payload type is whatever each side said), directions obeyed, each
 * outgoing stream kept continuous (one SSRC, sequence and timestamps that
 * never jump back), and RTCP terminated on each side: the relay reports
 * what it receives and keeps what the peers report of it.  The owner
 * routes its legs' callbacks to the media_relay_*_rtp/rtcp functions.
 */
#ifndef KB_RELAY_H
#define KB_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "ice.h"
#include "media.h"
#include "rtpleg.h"

struct media_relay;

struct relay_side_stats {
	uint64_t	 received;	/* RTP packets from this side */
	int64_t		 lost;		/* of its current source, as we see it */
	uint32_t	 jitter_us;	/* of its current source */
	uint64_t	 forwarded;	/* RTP packets sent to this side */
	uint64_t	 dropped;	/* unknown payload type, direction, bad */
	int		 have_view;	/* this side's report of our stream: */
	int32_t		 view_lost;
	uint32_t	 view_jitter_us;
	uint8_t		 view_fraction;
	int		 have_rtt;	/* round trip from its reports */
	uint32_t	 rtt_us;
};

struct media_relay_stats {
	struct relay_side_stats	 pbx;
	struct relay_side_stats	 web;
};

/* relay.c */
struct media_relay *media_relay_new(GMainContext *, struct rtp_leg *,
		    struct ice_leg *, unsigned int);
int		 media_relay_update(struct media_relay *,
		    const struct media_rtp_desc *,
		    const struct media_webrtc_desc *,
		    const struct media_webrtc_desc *);
void		 media_relay_pbx_rtp(struct media_relay *, uint8_t *, size_t);
void		 media_relay_pbx_rtcp(struct media_relay *, uint8_t *, size_t);
void		 media_relay_web_rtp(struct media_relay *, uint8_t *, size_t);
void		 media_relay_web_rtcp(struct media_relay *, uint8_t *, size_t);
void		 media_relay_answered(struct media_relay *);
void		 media_relay_web_ready(struct media_relay *);
void		 media_relay_stats(const struct media_relay *,
		    struct media_relay_stats *);
uint32_t	 media_relay_ssrc_to_web(const struct media_relay *);
uint32_t	 media_relay_ssrc_to_pbx(const struct media_relay *);
void		 media_relay_free(struct media_relay *);

#endif /* KB_RELAY_H */
