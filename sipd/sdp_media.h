/*
 * SDP toward the PBX: its offers and answers become a media_rtp_desc (read
 * with sofia-sip's SDP parser); ours are written from one.
 */
#ifndef SIPD_SDP_MEDIA_H
#define SIPD_SDP_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include "media.h"

#define SDP_MAXMLINES	8
#define SDP_MAXBODY	2048	/* our SDP always fits */

#define SDP_OK		0
#define SDP_EPARSE	(-1)	/* malformed: 400 */
#define SDP_ENOAUDIO	(-2)	/* no usable audio stream: 488 */
#define SDP_ENOCODEC	(-3)	/* audio, but no common codec: 488 */
#define SDP_ENOCRYPTO	(-4)	/* SRTP without a key we can use: 488 */

/* sip { srtp ... }: what we offer the PBX, and what we insist on. */
#define SDP_SRTP_NO	 0	/* offer plain RTP/AVP */
#define SDP_SRTP_OFFER	 1	/* RTP/AVP with a=crypto: SRTP if taken */
#define SDP_SRTP_REQUIRE 2	/* RTP/SAVP; plain RTP refused both ways */

/* One m-line of the remote SDP; an answer repeats each one. */
struct sdp_mline {
	char		type[16];	/* "audio", "video", ... */
	char		proto[32];	/* "RTP/AVP", "UDP/TLS/RTP/SAVPF", ... */
	char		fmt[32];	/* first format, for rejected lines */
};

/* What the remote SDP said, reduced to what the bridge uses. */
struct sdp_remote {
	struct media_rtp_desc	rtp;	/* the chosen audio stream */
	int			chosen;	/* its m-line index */
	int			nmlines;
	struct sdp_mline	mlines[SDP_MAXMLINES];
	uint64_t		sess_id;	/* the o= line */
	uint64_t		sess_version;
	int			hold;	/* c=0.0.0.0 or a non-sending mode */
};

/* Our side of one SIP dialog's SDP: o= identity and version. */
struct sdp_local {
	uint64_t	sess_id;
	uint64_t	version;
	uint32_t	last_hash;	/* of the last body, sans o= */
	int		sent;
	int		bump;	/* next body gets a new version anyway */
};

int	 sdp_parse_remote(const char *, size_t, struct sdp_remote *);
void	 sdp_set_srtp(int);
const char *sdp_strerror(int);
void	 sdp_local_init(struct sdp_local *);
/*
 * Our answer to the remote offer: codecs in the offer's order that we
 * accept (by codec, with the offer's payload types), other m-lines
 * rejected.  public_addr, when set, replaces the address in local.
 */
int	 sdp_write_answer(struct sdp_local *, const struct media_rtp_desc *,
	    const struct sdp_remote *, const char *, char *, size_t);
/* Our offer: local's codecs in local's order. */
int	 sdp_write_offer(struct sdp_local *, const struct media_rtp_desc *,
	    const char *, char *, size_t);

/* sdp_crypto.c: RFC 4568 a=crypto values */
int	 sdp_crypto_parse(const char *, struct media_crypto *);
int	 sdp_crypto_write(const struct media_crypto *, char *, size_t);

#endif /* SIPD_SDP_MEDIA_H */
