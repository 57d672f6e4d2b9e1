/*
 * Output stream continuity for relayed RTP.  See rtpseq.h.
 */
#include <string.h>

#include "rtp.h"
#include "rtpseq.h"

#define JUMP_SEQ	3000		/* larger moves start a new anchor */
#define JUMP_TS_SECS	10		/* so do timestamp leaps this long */

/*
 * out_ssrc: the SSRC the peer sees for the whole call.  first_seq and
 * first_ts: where the output starts (random, RFC 3550 5.1).
 */
void
rtp_seqmap_init(struct rtp_seqmap *m, uint32_t out_ssrc, uint32_t clock,
    uint16_t first_seq, uint32_t first_ts)
{
	memset(m, 0, sizeof(*m));
	m->out_ssrc = out_ssrc;
	m->clock = clock;
	m->out_seq = first_seq - 1;
	m->out_ts = first_ts;
}

static void
anchor(struct rtp_seqmap *m, const struct rtp_hdr *h, uint64_t now_us)
{
	uint64_t	 gap = 0;

	/* The timestamp advances by the real time since the last packet. */
	if (m->started && now_us > m->out_at && m->clock != 0)
		gap = (now_us - m->out_at) * m->clock / 1000000;
	if (m->started && gap == 0)
		gap = 1;
	m->seq_delta = (uint16_t)(m->out_seq + 1 - h->seq);
	m->ts_delta = (uint32_t)(m->out_ts + gap - h->ts);
	m->in_ssrc = h->ssrc;
	if (m->started)
		m->reanchors++;
	m->started = 1;
}

/*
 * Rewrite one RTP packet (SSRC, sequence number, timestamp, and the
 * marker bit on a new anchor).  Returns 1 if the stream was re-anchored,
 * 0 if not, -1 if the packet is not RTP (left untouched).
 */
int
rtp_seqmap_apply(struct rtp_seqmap *m, uint8_t *pkt, size_t len,
    uint64_t now_us)
{
	struct rtp_hdr	 h;
	uint16_t	 sdelta, out_seq;
	uint32_t	 tdelta, out_ts;
	int		 reanchor = 0;

	if (rtp_parse(pkt, len, &h) == -1)
		return (-1);
	if (!m->started || h.ssrc != m->in_ssrc) {
		reanchor = 1;
	} else {
		sdelta = h.seq - m->in_seq;
		tdelta = h.ts + m->ts_delta - m->out_ts;
		/* Far forward or backward in sequence, or in time. */
		if ((sdelta > JUMP_SEQ && sdelta < 65536 - 100) ||
		    (m->clock != 0 && tdelta > (uint32_t)JUMP_TS_SECS *
		    m->clock && -tdelta > (uint32_t)JUMP_TS_SECS * m->clock))
			reanchor = 1;
	}
	if (reanchor)
		anchor(m, &h, now_us);
	out_seq = h.seq + m->seq_delta;
	out_ts = h.ts + m->ts_delta;
	/* Only the newest packet moves the output position on. */
	if (reanchor || (uint16_t)(out_seq - m->out_seq) < 0x8000) {
		m->out_seq = out_seq;
		m->out_ts = out_ts;
		m->out_at = now_us;
		m->in_seq = h.seq;
	}
	put16(pkt + 2, out_seq);
	put32(pkt + 4, out_ts);
	put32(pkt + 8, m->out_ssrc);
	if (reanchor)
		pkt[1] |= 0x80;
	return (reanchor);
}

/*
 * The caller drops this packet instead of sending it (a payload type the
 * peer does not take, a held direction).  If it is the next one of the
 * current input, the output closes up over it, so the peer sees no gap
 * to count as loss.
 */
void
rtp_seqmap_drop(struct rtp_seqmap *m, const uint8_t *pkt, size_t len)
{
	struct rtp_hdr	 h;
	uint16_t	 ahead;

	if (!m->started || rtp_parse(pkt, len, &h) == -1 ||
	    h.ssrc != m->in_ssrc)
		return;
	ahead = h.seq - m->in_seq;
	if (ahead == 0 || ahead > JUMP_SEQ)
		return;
	/*
	 * Later packets map one lower: the dropped one takes no number,
	 * while gaps before it (real loss upstream) stay gaps.
	 */
	m->seq_delta--;
	m->in_seq = h.seq;
	m->out_seq = h.seq + m->seq_delta;
}
