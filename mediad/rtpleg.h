/*
 * The plain RTP leg toward the PBX: a UDP port pair (or one port with
 * rtcp-mux) from the configured range, on the owner's GLib main context.
 * Packets are accepted only from the PBX's address; with latching on, the
 * leg follows the port the PBX really sends from (symmetric RTP behind
 * NAT), never another host.  With SDES keys from both SDPs the leg
 * speaks SRTP/SRTCP instead: packets are unprotected as they arrive and
 * protected as they leave, so the callbacks and senders see plain RTP.
 */
#ifndef KB_RTPLEG_H
#define KB_RTPLEG_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "media.h"

struct fd_watcher;

struct rtp_leg_config {
	GMainContext		*ctx;
	const struct fd_watcher	*fdw;		/* NULL: GLib sources */
	struct sockaddr_storage	 bind;		/* local address, port ignored */
	uint16_t		 port_min;	/* even RTP ports from this range */
	uint16_t		 port_max;
	int			 rtcp_mux;
	int			 latch;		/* follow the sender's port */
};

struct rtp_leg;

struct rtp_leg_callbacks {
	void	(*rtp)(struct rtp_leg *, uint8_t *, size_t, void *);
	void	(*rtcp)(struct rtp_leg *, uint8_t *, size_t, void *);
	void	*arg;
};

struct rtp_leg_stats {
	uint64_t	 rtp_in, rtp_out, rtcp_in, rtcp_out;
	uint64_t	 bytes_in, bytes_out;
	uint64_t	 foreign;	/* from an address that is not the peer's */
	uint64_t	 dropped;	/* malformed, or nowhere to send */
	uint64_t	 latched;	/* times the peer's port was followed */
	uint64_t	 last_in_us;	/* monotonic time of the last packet */
};

/* rtpleg.c */
struct rtp_leg	*rtp_leg_new(const struct rtp_leg_config *,
		    const struct rtp_leg_callbacks *);
uint16_t	 rtp_leg_port(const struct rtp_leg *);
int		 rtp_leg_set_remote(struct rtp_leg *,
		    const struct media_rtp_desc *);
int		 rtp_leg_set_srtp(struct rtp_leg *, const struct media_crypto *,
		    const struct media_crypto *);
int		 rtp_leg_send_rtp(struct rtp_leg *, const uint8_t *, size_t);
int		 rtp_leg_send_rtcp(struct rtp_leg *, const uint8_t *, size_t);
int		 rtp_leg_peer(const struct rtp_leg *,
		    struct sockaddr_storage *);
const struct rtp_leg_stats *rtp_leg_stats(const struct rtp_leg *);
void		 rtp_leg_free(struct rtp_leg *);

#endif /* KB_RTPLEG_H */
