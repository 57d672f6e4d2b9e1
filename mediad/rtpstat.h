/*
 * Receiver statistics for one RTP source (RFC 3550 appendix A.1, A.3,
 * A.8): extended highest sequence number, loss, interarrival jitter and
 * the LSR/DLSR pair, enough to fill an RTCP report block and the call
 * record.  Arrival times are microseconds on any monotonic clock.
 */
#ifndef KB_RTPSTAT_H
#define KB_RTPSTAT_H

#include <stddef.h>
#include <stdint.h>

#include "rtp.h"

struct rtp_recv_stats {
	uint32_t	 ssrc;
	uint32_t	 clock;		/* RTP clock rate, Hz */
	int		 started;
	uint16_t	 max_seq;
	uint32_t	 cycles;	/* sequence wraps, times 65536 */
	uint32_t	 base_seq;
	uint32_t	 bad_seq;	/* a jump we wait to see confirmed */
	uint64_t	 received;	/* packets, duplicates included */
	uint64_t	 bytes;		/* payload bytes */
	uint32_t	 expected_prior;
	uint64_t	 received_prior;
	int		 have_transit;
	int64_t		 transit;	/* in RTP clock units */
	uint32_t	 jitter_q4;	/* jitter estimate, times 16 */
	uint32_t	 lsr;		/* middle 32 bits of the last SR's NTP */
	uint64_t	 lsr_at;	/* when that SR arrived, us */
	uint64_t	 restarts;	/* accepted sequence discontinuities */
};

/* rtpstat.c */
void	 rtp_stats_init(struct rtp_recv_stats *, uint32_t, uint32_t);
int	 rtp_stats_update(struct rtp_recv_stats *, const struct rtp_hdr *,
	    uint64_t);
void	 rtp_stats_sr(struct rtp_recv_stats *, uint64_t, uint64_t);
uint32_t rtp_stats_ext_max(const struct rtp_recv_stats *);
int64_t	 rtp_stats_lost(const struct rtp_recv_stats *);
uint32_t rtp_stats_jitter(const struct rtp_recv_stats *);
void	 rtp_stats_report(struct rtp_recv_stats *, uint64_t,
	    struct rtcp_report *);

#endif /* KB_RTPSTAT_H */
