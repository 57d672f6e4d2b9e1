/*
 * RFC 4733 event trains.  See dtmf.h.
 */
#include <string.h>

#include "dtmf.h"

/*
 * Prepare to send event (a DTMF character, see rtp_dtmf_event()) lasting
 * total clock units, one packet every step units.  Returns -1 if the
 * character or the durations make no sense.
 */
int
dtmf_tx_start(struct dtmf_tx *tx, int c, uint8_t volume, uint16_t total,
    uint16_t step)
{
	int	 ev;

	if ((ev = rtp_dtmf_event(c)) == -1 || volume > 63 || step == 0 ||
	    total == 0)
		return (-1);
	memset(tx, 0, sizeof(*tx));
	tx->ev.event = ev;
	tx->ev.volume = volume;
	tx->total = total;
	tx->step = step;
	tx->ends = DTMF_END_REPEAT;
	tx->active = 1;
	return (0);
}

/*
 * Write the next payload of the train into buf.  *marker is set for the
 * first packet.  Every packet of the event carries the same RTP timestamp
 * (the caller's, taken when the event began).  Returns the payload length,
 * 0 when the train is over.
 */
size_t
dtmf_tx_next(struct dtmf_tx *tx, uint8_t *buf, size_t size, int *marker)
{
	uint32_t	 d;

	if (!tx->active)
		return (0);
	*marker = tx->sent == 0;
	if (!tx->ev.end) {
		d = (uint32_t)tx->ev.duration + tx->step;
		if (tx->sent == 0)
			d = tx->step;
		if (d >= tx->total) {
			d = tx->total;
			tx->ev.end = 1;
		}
		tx->ev.duration = d;
	}
	if (tx->ev.end && --tx->ends == 0)
		tx->active = 0;
	tx->sent++;
	return (rtp_dtmf_write(buf, size, &tx->ev));
}

/*
 * Feed one received telephone-event packet.  Returns 1 the first time an
 * event is seen (ev filled: the digit starts; if ev.end is set it has
 * ended too), 2 when it ends (ev has the final duration), 0 for repeats
 * and updates, -1 if the payload is bad.
 * Events are told apart by their RTP timestamp, so a lost first packet
 * or lost end packets do not lose or double the digit.
 */
int
dtmf_rx_packet(struct dtmf_rx *rx, const struct rtp_hdr *h,
    struct rtp_dtmf *ev)
{
	struct rtp_dtmf	 e;
	int		 rv = 0;

	if (rtp_dtmf_parse(h->payload, h->paylen, &e) == -1)
		return (-1);
	if (!rx->have || h->ts != rx->ts || e.event != rx->event) {
		rx->have = 1;
		rx->ts = h->ts;
		rx->event = e.event;
		rx->ended = 0;
		rv = 1;
	}
	if (e.end && !rx->ended) {
		rx->ended = 1;
		/* A lone end packet is both the start and the end. */
		if (rv == 0)
			rv = 2;
	}
	*ev = e;
	return (rv);
}
