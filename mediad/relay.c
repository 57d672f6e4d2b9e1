/*
 * Per-call media relay.  See relay.h.
 */
#include <stdlib.h>
#include <string.h>

#include "g711.h"
#include "log.h"
#include "relay.h"
#include "rtp.h"
#include "rtpseq.h"
#include "rtpstat.h"

#define RELAY_CLOCK		8000	/* G.711 and telephone-event */
#define EARLY_MAX		25	/* held for Kandy before SRTP: 0.5 s */
#define EARLY_LEN		256	/* an RTP header and 30 ms of G.711 */
#define PT_NONE			0xff
#define NTP_UNIX_OFFSET		2208988800ULL

/* One direction: what comes from one side and goes to the other. */
struct relay_dir {
	struct rtp_seqmap	 map;
	uint8_t			 pt[128];	/* in -> out, or PT_NONE */
	uint8_t			 law[128];	/* in -> enum law_change */
	int			 allowed;
	uint64_t		 forwarded;
	uint64_t		 dropped;
	uint32_t		 octets;	/* payload bytes sent, for SR */
	uint32_t		 last_ts;	/* RTP time of the last send */
	uint64_t		 last_us;
};

/* What we know of the stream one side sends us, and of its view of ours. */
struct relay_src {
	struct rtp_recv_stats	 stats;		/* current source */
	uint64_t		 received;	/* all sources, whole call */
	int			 have_view;
	struct rtcp_report	 view;
	uint32_t		 rtt_us;	/* from its last report of us */
	int			 have_rtt;
};

/*
 * The PBX's first packets after the answer, while the Kandy leg's DTLS
 * is not done (3CX's user speaks at once, some round trips before SRTP
 * is keyed): the last EARLY_MAX go out together when it is.  Allocated
 * on first use, freed when sent.
 */
struct early {
	unsigned int		 head, n;
	uint16_t		 len[EARLY_MAX];
	uint16_t		 paylen[EARLY_MAX];
	uint8_t			 pkt[EARLY_MAX][EARLY_LEN];
};

struct media_relay {
	struct rtp_leg		*pbx;
	struct ice_leg		*web;
	struct early		*early;
	int			 answered;	/* both sides: hold, not drop */
	int			 web_keyed;	/* SRTP toward Kandy, once */
	struct relay_dir	 to_web, to_pbx;
	struct relay_src	 from_pbx, from_web;
	GSource			*timer;
	char			 cname[32];
};

static uint64_t
now_us(void)
{
	return ((uint64_t)g_get_monotonic_time());
}

static uint64_t
ntp_now(void)
{
	uint64_t	 us = (uint64_t)g_get_real_time();
	uint64_t	 sec = us / 1000000 + NTP_UNIX_OFFSET;

	return (sec << 32 | ((us % 1000000) << 32) / 1000000);
}

static int
sends(uint8_t dir)
{
	return (dir == MEDIA_SENDRECV || dir == MEDIA_SENDONLY);
}

static int
receives(uint8_t dir)
{
	return (dir == MEDIA_SENDRECV || dir == MEDIA_RECVONLY);
}

/* G.711's laws one to the other, through linear (ITU-T G.711 section 3). */
enum law_change { LAW_KEEP, LAW_U_TO_A, LAW_A_TO_U };
static uint8_t	law_table[3][256];

static void
law_tables(void)
{
	static int	 ready;
	unsigned int	 i;

	if (ready)
		return;
	for (i = 0; i < 256; i++) {
		law_table[LAW_U_TO_A][i] = g711_alaw_encode(g711_ulaw_decode(i));
		law_table[LAW_A_TO_U][i] = g711_ulaw_encode(g711_alaw_decode(i));
	}
	ready = 1;
}

static const struct media_codec_desc *
find_codec(const struct media_codec_desc *c, unsigned int n, uint8_t codec,
    uint32_t clock)
{
	unsigned int	 i;

	for (i = 0; i < n && i < MEDIA_MAXCODECS; i++)
		if (c[i].codec == codec && c[i].clock == clock)
			return (&c[i]);
	return (NULL);
}

/*
 * in: the payload types the sender uses; out: those the receiver wants.
 * A G.711 law the receiver does not take goes out in the other one, which
 * it does: a PBX that re-offers PCMA alone on a call Kandy takes in PCMU
 * (another phone, 3CX no longer in the media path) keeps its audio.
 */
static unsigned int
map_codecs(struct relay_dir *d, const struct media_codec_desc *in,
    unsigned int nin, const struct media_codec_desc *out, unsigned int nout)
{
	const struct media_codec_desc	*o;
	unsigned int			 i, n = 0;
	int				 u;
	enum law_change			 law;

	memset(d->pt, PT_NONE, sizeof(d->pt));
	memset(d->law, LAW_KEEP, sizeof(d->law));
	for (i = 0; i < nin && i < MEDIA_MAXCODECS; i++) {
		/* Opus (or anything else) is not relayed. */
		if (in[i].pt > 127 || (in[i].codec != CODEC_PCMU &&
		    in[i].codec != CODEC_PCMA &&
		    in[i].codec != CODEC_TELEPHONE_EVENT))
			continue;
		o = find_codec(out, nout, in[i].codec, in[i].clock);
		law = LAW_KEEP;
		if (o == NULL && in[i].codec != CODEC_TELEPHONE_EVENT) {
			u = in[i].codec == CODEC_PCMU;
			o = find_codec(out, nout, u ? CODEC_PCMA : CODEC_PCMU,
			    in[i].clock);
			law = u ? LAW_U_TO_A : LAW_A_TO_U;
		}
		if (o == NULL || o->pt > 127)
			continue;
		if (law != LAW_KEEP)
			law_tables();
		d->pt[in[i].pt] = o->pt;
		d->law[in[i].pt] = law;
		n++;
	}
	return (n);
}

/*
 * Apply (or re-apply, on re-INVITE or re-offer) the negotiated
 * descriptions: the PBX's, and our and Kandy's WebRTC ones.  Returns -1
 * if no codec can be relayed in either direction.
 */
int
media_relay_update(struct media_relay *r, const struct media_rtp_desc *pbx,
    const struct media_webrtc_desc *web_local,
    const struct media_webrtc_desc *web_remote)
{
	unsigned int	 a, b;

	/* The PBX sends what it listed; Kandy wants what it listed. */
	a = map_codecs(&r->to_web, pbx->codecs, pbx->ncodecs,
	    web_remote->codecs, web_remote->ncodecs);
	/* Kandy sends what we listed for it; the PBX wants its own list. */
	b = map_codecs(&r->to_pbx, web_local->ncodecs > 0 ?
	    web_local->codecs : web_remote->codecs, web_local->ncodecs > 0 ?
	    web_local->ncodecs : web_remote->ncodecs, pbx->codecs,
	    pbx->ncodecs);
	r->to_web.allowed = sends(pbx->dir) && receives(web_remote->dir);
	r->to_pbx.allowed = sends(web_remote->dir) && receives(pbx->dir);
	if (web_local->ssrc != 0)
		r->to_web.map.out_ssrc = web_local->ssrc;
	log_debug("relay: %u codecs toward Kandy (%s), %u toward the PBX (%s)",
	    a, r->to_web.allowed ? "flowing" : "held", b,
	    r->to_pbx.allowed ? "flowing" : "held");
	return (a == 0 && b == 0 ? -1 : 0);
}

static void
transcode(const uint8_t *law, uint8_t *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		p[i] = law[p[i]];
}

/* One packet, its payload type already the receiver's, out. */
static void
emit(struct relay_dir *d, uint8_t *buf, size_t len, size_t paylen,
    int to_web, struct media_relay *r, uint64_t now)
{
	int	 rv;

	if (rtp_seqmap_apply(&d->map, buf, len, now) == -1) {
		d->dropped++;
		return;
	}
	rv = to_web ? ice_leg_send_rtp(r->web, buf, len) :
	    rtp_leg_send_rtp(r->pbx, buf, len);
	if (rv == -1) {
		d->dropped++;
		return;
	}
	d->forwarded++;
	d->octets += paylen;
	d->last_ts = get32(buf + 4);
	d->last_us = now;
}

/* Keep a packet for Kandy until SRTP is keyed; the oldest goes first. */
static void
early_hold(struct media_relay *r, const uint8_t *buf, size_t len,
    size_t paylen)
{
	struct early	*e = r->early;
	unsigned int	 i;

	if (len > EARLY_LEN || (e == NULL &&
	    (e = r->early = calloc(1, sizeof(*e))) == NULL)) {
		r->to_web.dropped++;
		return;
	}
	if (e->n == EARLY_MAX) {
		e->head = (e->head + 1) % EARLY_MAX;
		e->n--;
		r->to_web.dropped++;
	}
	i = (e->head + e->n) % EARLY_MAX;
	memcpy(e->pkt[i], buf, len);
	e->len[i] = (uint16_t)len;
	e->paylen[i] = (uint16_t)paylen;
	e->n++;
}

/* Both sides have answered: what the PBX sends now is kept for Kandy. */
void
media_relay_answered(struct media_relay *r)
{
	r->answered = 1;
}

/*
 * The Kandy leg's SRTP is keyed: what the PBX said meanwhile goes out
 * now, in order, its sequence numbers and timestamps continuous.
 */
void
media_relay_web_ready(struct media_relay *r)
{
	struct early	*e = r->early;
	uint64_t	 now = now_us();
	unsigned int	 i, k;

	if (r->web_keyed || !ice_leg_ready(r->web))
		return;
	r->web_keyed = 1;
	if (e == NULL)
		return;
	for (k = 0; k < e->n; k++) {
		i = (e->head + k) % EARLY_MAX;
		emit(&r->to_web, e->pkt[i], e->len[i], e->paylen[i], 1, r,
		    now);
	}
	free(e);
	r->early = NULL;
}

static void
forward(struct relay_dir *d, struct relay_src *from, uint8_t *buf,
    size_t len, int to_web, struct media_relay *r)
{
	struct rtp_hdr	 h;
	uint64_t	 now = now_us();
	uint8_t		 pt;

	if (rtp_parse(buf, len, &h) == -1) {
		d->dropped++;
		return;
	}
	if (!from->stats.started || h.ssrc != from->stats.ssrc)
		rtp_stats_init(&from->stats, h.ssrc, RELAY_CLOCK);
	rtp_stats_update(&from->stats, &h, now);
	from->received++;
	if (!d->allowed || (pt = d->pt[h.pt]) == PT_NONE) {
		/* No hole in the output for what we hold back. */
		rtp_seqmap_drop(&d->map, buf, len);
		d->dropped++;
		return;
	}
	buf[1] = (buf[1] & 0x80) | pt;
	if (d->law[h.pt] != LAW_KEEP)
		transcode(law_table[d->law[h.pt]], buf + (h.payload - buf),
		    h.paylen);
	if (to_web && !r->web_keyed) {
		media_relay_web_ready(r);
		if (!r->web_keyed) {
			/* Before the answer (early media) nothing is kept. */
			if (r->answered)
				early_hold(r, buf, len, h.paylen);
			else
				d->dropped++;
			return;
		}
	}
	emit(d, buf, len, h.paylen, to_web, r, now);
}

void
media_relay_pbx_rtp(struct media_relay *r, uint8_t *buf, size_t len)
{
	forward(&r->to_web, &r->from_pbx, buf, len, 1, r);
}

void
media_relay_web_rtp(struct media_relay *r, uint8_t *buf, size_t len)
{
	forward(&r->to_pbx, &r->from_web, buf, len, 0, r);
}

struct rtcp_ctx {
	struct relay_src	*src;
	uint32_t		 our_ssrc;
	uint32_t		 arrival;	/* middle 32 bits of NTP */
};

/*
 * Round trip from a report block about our stream (RFC 3550 6.4.1): its
 * arrival, less the LSR it echoes, less the delay it says it held it.
 */
static void
take_rtt(struct relay_src *src, const struct rtcp_report *rb,
    uint32_t arrival)
{
	uint32_t	 rtt;

	if (rb->lsr == 0)
		return;
	rtt = arrival - rb->lsr - rb->dlsr;
	/* A clock step or a bogus echo: more than a minute is not a path. */
	if (rtt > 60U << 16)
		return;
	src->rtt_us = (uint32_t)(((uint64_t)rtt * 1000000) >> 16);
	src->have_rtt = 1;
}

static int
rtcp_seen(const struct rtcp_pkt *p, void *arg)
{
	struct rtcp_ctx		*c = arg;
	struct rtcp_report	 rb;
	unsigned int		 i;

	if (p->pt == RTCP_SR && c->src->stats.started &&
	    p->ssrc == c->src->stats.ssrc)
		rtp_stats_sr(&c->src->stats, p->ntp, now_us());
	for (i = 0; rtcp_report_get(p, i, &rb) == 0; i++)
		if (rb.ssrc == c->our_ssrc) {
			c->src->view = rb;
			c->src->have_view = 1;
			take_rtt(c->src, &rb, c->arrival);
		}
	return (0);
}

/* RTCP stops here: it describes streams the other side never sees. */
void
media_relay_pbx_rtcp(struct media_relay *r, uint8_t *buf, size_t len)
{
	struct rtcp_ctx	 c = { &r->from_pbx, r->to_pbx.map.out_ssrc,
			    (uint32_t)(ntp_now() >> 16) };

	if (rtcp_walk(buf, len, rtcp_seen, &c) != 0)
		r->to_web.dropped++;
}

void
media_relay_web_rtcp(struct media_relay *r, uint8_t *buf, size_t len)
{
	struct rtcp_ctx	 c = { &r->from_web, r->to_web.map.out_ssrc,
			    (uint32_t)(ntp_now() >> 16) };

	if (rtcp_walk(buf, len, rtcp_seen, &c) != 0)
		r->to_pbx.dropped++;
}

/* Our report toward one side: SR if we send to it, RR otherwise. */
static size_t
build_report(struct media_relay *r, struct relay_dir *d,
    struct relay_src *from, uint8_t *buf, size_t size)
{
	struct rtcp_report	 rb;
	uint64_t		 now = now_us();
	uint32_t		 ts;
	unsigned int		 nb = 0;
	size_t			 n;

	if (from->stats.started) {
		rtp_stats_report(&from->stats, now, &rb);
		nb = 1;
	}
	if (d->forwarded > 0) {
		/* The RTP clock advances with real time since the last send. */
		ts = d->last_ts + (uint32_t)((now - d->last_us) *
		    RELAY_CLOCK / 1000000);
		n = rtcp_write_sr(buf, size, d->map.out_ssrc,
		    ntp_now(), ts, (uint32_t)d->forwarded, d->octets, &rb, nb);
	} else
		n = rtcp_write_rr(buf, size, d->map.out_ssrc, &rb, nb);
	if (n == 0)
		return (0);
	return (n + rtcp_write_sdes_cname(buf + n, size - n, d->map.out_ssrc,
	    r->cname));
}

static gboolean
rtcp_tick(gpointer arg)
{
	struct media_relay	*r = arg;
	uint8_t			 buf[512];	/* on the stack: not per call */
	size_t			 n;

	if (ice_leg_ready(r->web) && (n = build_report(r, &r->to_web,
	    &r->from_web, buf, sizeof(buf))) > 0)
		ice_leg_send_rtcp(r->web, buf, n);
	if ((n = build_report(r, &r->to_pbx, &r->from_pbx, buf,
	    sizeof(buf))) > 0)
		rtp_leg_send_rtcp(r->pbx, buf, n);
	return (G_SOURCE_CONTINUE);
}

/*
 * A relay between two legs the caller owns, reporting by RTCP every
 * rtcp_ms (0: 5 s).  Nothing flows until media_relay_update().
 */
struct media_relay *
media_relay_new(GMainContext *ctx, struct rtp_leg *pbx, struct ice_leg *web,
    unsigned int rtcp_ms)
{
	struct media_relay	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		log_warn("relay: calloc");
		return (NULL);
	}
	r->pbx = pbx;
	r->web = web;
	memset(r->to_web.pt, PT_NONE, sizeof(r->to_web.pt));
	memset(r->to_pbx.pt, PT_NONE, sizeof(r->to_pbx.pt));
	/* Random SSRCs and starting points (RFC 3550 5.1, 8). */
	rtp_seqmap_init(&r->to_web.map, arc4random(), RELAY_CLOCK,
	    (uint16_t)arc4random(), arc4random());
	rtp_seqmap_init(&r->to_pbx.map, arc4random(), RELAY_CLOCK,
	    (uint16_t)arc4random(), arc4random());
	snprintf(r->cname, sizeof(r->cname), "kb-%08x", arc4random());
	r->timer = g_timeout_source_new(rtcp_ms != 0 ? rtcp_ms : 5000);
	g_source_set_callback(r->timer, rtcp_tick, r, NULL);
	g_source_attach(r->timer, ctx);
	return (r);
}

static void
side_stats(struct relay_side_stats *s, const struct relay_src *from,
    const struct relay_dir *to, const struct relay_dir *fromdir)
{
	memset(s, 0, sizeof(*s));
	s->received = from->received;
	s->lost = rtp_stats_lost(&from->stats);
	s->jitter_us = (uint32_t)((uint64_t)rtp_stats_jitter(&from->stats) *
	    1000000 / RELAY_CLOCK);
	s->forwarded = to->forwarded;
	s->dropped = fromdir->dropped;
	if ((s->have_view = from->have_view)) {
		s->view_lost = from->view.lost;
		s->view_jitter_us = (uint32_t)((uint64_t)from->view.jitter *
		    1000000 / RELAY_CLOCK);
		s->view_fraction = from->view.fraction;
	}
	if ((s->have_rtt = from->have_rtt))
		s->rtt_us = from->rtt_us;
}

void
media_relay_stats(const struct media_relay *r, struct media_relay_stats *st)
{
	side_stats(&st->pbx, &r->from_pbx, &r->to_pbx, &r->to_web);
	side_stats(&st->web, &r->from_web, &r->to_web, &r->to_pbx);
}

uint32_t
media_relay_ssrc_to_web(const struct media_relay *r)
{
	return (r->to_web.map.out_ssrc);
}

uint32_t
media_relay_ssrc_to_pbx(const struct media_relay *r)
{
	return (r->to_pbx.map.out_ssrc);
}

void
media_relay_free(struct media_relay *r)
{
	if (r == NULL)
		return;
	g_source_destroy(r->timer);
	g_source_unref(r->timer);
	free(r->early);
	free(r);
}
