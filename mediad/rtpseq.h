/*
 * Keeps an outgoing RTP stream continuous while its source changes under
 * it: a new SSRC, a restarted sequence after hold or re-INVITE, a jump in
 * timestamps.  The peer keeps seeing one SSRC whose sequence numbers go up
 * by one and whose timestamps follow the wall clock, so its SRTP replay
 * window and jitter buffer never drop audio.  Rewrites packets in place.
 */
#ifndef KB_RTPSEQ_H
#define KB_RTPSEQ_H

#include <stddef.h>
#include <stdint.h>

struct rtp_seqmap {
	uint32_t	 out_ssrc;
	uint32_t	 clock;		/* Hz, for timestamp gaps */
	int		 started;
	uint32_t	 in_ssrc;
	uint16_t	 in_seq;	/* last input sequence number seen */
	uint16_t	 seq_delta;	/* out = in + delta */
	uint32_t	 ts_delta;
	uint16_t	 out_seq;	/* last sequence number sent */
	uint32_t	 out_ts;
	uint64_t	 out_at;	/* when, us */
	uint64_t	 reanchors;
};

/* rtpseq.c */
void	rtp_seqmap_init(struct rtp_seqmap *, uint32_t, uint32_t, uint16_t,
	    uint32_t);
int	rtp_seqmap_apply(struct rtp_seqmap *, uint8_t *, size_t, uint64_t);
void	rtp_seqmap_drop(struct rtp_seqmap *, const uint8_t *, size_t);

#endif /* KB_RTPSEQ_H */
