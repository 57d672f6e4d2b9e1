/*
 * RFC 4733 telephone-event streams: the packet train that sends one
 * digit (start with marker, updates, three end packets, one timestamp
 * for the whole event), and the receiving side that reports each digit
 * once however many packets carry it.
 */
#ifndef KB_DTMF_H
#define KB_DTMF_H

#include <stddef.h>
#include <stdint.h>

#include "rtp.h"

#define DTMF_END_REPEAT	3	/* RFC 4733 2.5.1.4 */

struct dtmf_tx {
	struct rtp_dtmf	 ev;		/* ev.duration grows as we go */
	uint16_t	 total;		/* duration wanted, clock units */
	uint16_t	 step;		/* per packet, clock units */
	int		 sent;		/* packets so far */
	int		 ends;		/* end packets still to send */
	int		 active;
};

struct dtmf_rx {
	int		 have;
	uint32_t	 ts;		/* timestamp of the current event */
	uint8_t		 event;
	int		 ended;
};

/* dtmf.c */
int	dtmf_tx_start(struct dtmf_tx *, int, uint8_t, uint16_t, uint16_t);
size_t	dtmf_tx_next(struct dtmf_tx *, uint8_t *, size_t, int *);
int	dtmf_rx_packet(struct dtmf_rx *, const struct rtp_hdr *,
	    struct rtp_dtmf *);

#endif /* KB_DTMF_H */
