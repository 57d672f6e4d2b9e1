/*
 * A WebRTC media leg: one libnice agent (full ICE, one component because
 * rtcp-mux is required), DTLS-SRTP over the selected pair, and a plain
 * RTP interface to the rest of mediad.  Runs on the GLib main context the
 * owner gives; every callback comes from that context.
 */
#ifndef KB_ICE_H
#define KB_ICE_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "media.h"

#define ICE_MAXSERVERS		4
#define ICE_MAXLOCALADDRS	4
#define ICE_USERLEN		128
#define ICE_PASSLEN		128

enum ice_server_kind {
	ICE_SERVER_STUN = 0,
	ICE_SERVER_TURN_UDP,
	ICE_SERVER_TURN_TCP,
	ICE_SERVER_TURN_TLS	/* TURN over TLS (our tunnel), usually 443 */
};

/* A STUN or TURN server, already resolved (mediad does no DNS). */
struct ice_server {
	uint8_t			 kind;		/* enum ice_server_kind */
	struct sockaddr_storage	 addr;		/* port set */
	char			 host[256];	/* name, for TLS; may be empty */
	char			 user[ICE_USERLEN];
	char			 pass[ICE_PASSLEN];	/* never logged */
};

struct fd_watcher;

struct ice_config {
	GMainContext		*ctx;
	const struct fd_watcher	*fdw;	/* NULL: every packet via libnice */
	int			 dtls_retire;	/* free TLS state once keyed and
						   the peer's SRTP arrives */
	int			 offerer;	/* controlling, setup:actpass */
	int			 relay_only;	/* advertise relay candidates only */
	int			 no_steer;	/* read the pair's socket with a
						   peek, never a steered socket */
	uint16_t		 port_min;	/* 0, 0: any port */
	uint16_t		 port_max;
	unsigned int		 nlocal;	/* 0: every interface */
	struct sockaddr_storage	 local[ICE_MAXLOCALADDRS];
	unsigned int		 nservers;
	struct ice_server	 servers[ICE_MAXSERVERS];
};

enum ice_event {
	ICE_EV_GATHERED = 0,	/* local description is complete */
	ICE_EV_CONNECTED,	/* ICE has a working pair; DTLS starts */
	ICE_EV_READY,		/* DTLS done, SRTP keyed: media may flow */
	ICE_EV_FAILED,		/* ICE or DTLS failed; free the leg */
	ICE_EV_CLOSED		/* the peer closed DTLS */
};

struct ice_leg;

/*
 * rtp/rtcp get decrypted packets in a buffer shared by all legs, valid
 * only during the call (writable, so a relay can rewrite in place).
 * Callbacks must not free the leg; schedule that on the loop instead.
 */
struct ice_callbacks {
	void	(*event)(struct ice_leg *, enum ice_event, void *);
	void	(*rtp)(struct ice_leg *, uint8_t *, size_t, void *);
	void	(*rtcp)(struct ice_leg *, uint8_t *, size_t, void *);
	void	*arg;
};

struct ice_leg_stats {
	uint64_t	 rtp_in, rtp_out;
	uint64_t	 rtcp_in, rtcp_out;
	uint64_t	 bytes_in, bytes_out;	/* plain RTP/RTCP bytes */
	uint64_t	 auth_fail;		/* SRTP/SRTCP authentication */
	uint64_t	 replayed;
	uint64_t	 dropped;		/* malformed, unknown or early */
	uint64_t	 last_in_us;		/* monotonic time of the last
						   authenticated packet, 0: none */
};

/* ice.c */
struct ice_leg	*ice_leg_new(const struct ice_config *,
		    const struct ice_callbacks *);
int		 ice_leg_gather(struct ice_leg *);
int		 ice_leg_local_desc(struct ice_leg *, struct media_webrtc_desc *);
int		 ice_leg_set_remote(struct ice_leg *,
		    const struct media_webrtc_desc *);
int		 ice_leg_restart(struct ice_leg *);
int		 ice_leg_update_remote(struct ice_leg *,
		    const struct media_webrtc_desc *, int);
int		 ice_leg_send_rtp(struct ice_leg *, const uint8_t *, size_t);
int		 ice_leg_send_rtcp(struct ice_leg *, const uint8_t *, size_t);
int		 ice_leg_ready(const struct ice_leg *);
const struct ice_leg_stats *ice_leg_stats(const struct ice_leg *);
int		 ice_leg_selected(struct ice_leg *, struct ice_cand *,
		    struct ice_cand *);
const char	*ice_leg_ice_state(const struct ice_leg *);
const char	*ice_leg_dtls_state(const struct ice_leg *);
const char	*ice_event_name(enum ice_event);
void		 ice_leg_free(struct ice_leg *);

#endif /* KB_ICE_H */
