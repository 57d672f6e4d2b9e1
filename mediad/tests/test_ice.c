/*
 * Two WebRTC legs in one process over loopback host candidates: they must
 * connect ICE, finish DTLS, and carry RTP and RTCP both ways intact.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtls.h"
#include "ice.h"
#include "log.h"
#include "rtp.h"

static int	 failures;

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
		    __FILE__, __LINE__, #c);				\
		failures++;						\
	}								\
} while (0)

#define NPKT	50
#define SAMPLES	160

struct side {
	const char	*name;
	struct ice_leg	*leg;
	int		 gathered, connected, ready, failed;
	int		 nrtp, nrtcp, bad;
	uint32_t	 want_ssrc;
	uint8_t		 want_payload[NPKT][SAMPLES];
	int		 seen[NPKT];
	char		 cname[32];
};

static void
on_event(struct ice_leg *leg, enum ice_event ev, void *arg)
{
	struct side	*s = arg;

	switch (ev) {
	case ICE_EV_GATHERED:
		s->gathered = 1;
		break;
	case ICE_EV_CONNECTED:
		s->connected = 1;
		break;
	case ICE_EV_READY:
		s->ready = 1;
		break;
	case ICE_EV_FAILED:
	case ICE_EV_CLOSED:
		s->failed = 1;
		break;
	}
}

static void
on_rtp(struct ice_leg *leg, uint8_t *buf, size_t len, void *arg)
{
	struct side	*s = arg;
	struct rtp_hdr	 h;
	unsigned int	 i;

	if (rtp_parse(buf, len, &h) == -1 || h.ssrc != s->want_ssrc ||
	    h.pt != 8 || h.paylen != SAMPLES) {
		s->bad++;
		return;
	}
	i = h.seq - 1000;
	if (i >= NPKT || h.ts != i * SAMPLES ||
	    memcmp(h.payload, s->want_payload[i], SAMPLES) != 0) {
		s->bad++;
		return;
	}
	s->seen[i]++;
	s->nrtp++;
}

static void
sdes_item(uint32_t ssrc, uint8_t type, const uint8_t *t, size_t len,
    void *arg)
{
	struct side	*s = arg;

	if (type == RTCP_SDES_CNAME && len < sizeof(s->cname)) {
		memcpy(s->cname, t, len);
		s->cname[len] = '\0';
	}
}

static int
rtcp_one(const struct rtcp_pkt *p, void *arg)
{
	if (p->pt == RTCP_SDES)
		rtcp_sdes_walk(p, sdes_item, arg);
	return (0);
}

static void
on_rtcp(struct ice_leg *leg, uint8_t *buf, size_t len, void *arg)
{
	struct side	*s = arg;

	if (rtcp_walk(buf, len, rtcp_one, s) != 0) {
		s->bad++;
		return;
	}
	s->nrtcp++;
}

static gboolean
deadline_cb(gpointer arg)
{
	*(int *)arg = 1;
	return (G_SOURCE_REMOVE);
}

/* Iterate ctx until *a and *b are set, or the deadline passes. */
static int
wait_both(GMainContext *ctx, int *a, int *b, unsigned int secs)
{
	GSource	*t;
	int	 expired = 0;

	t = g_timeout_source_new_seconds(secs);
	g_source_set_callback(t, deadline_cb, &expired, NULL);
	g_source_attach(t, ctx);
	while (!(*a && *b) && !expired)
		g_main_context_iteration(ctx, TRUE);
	g_source_destroy(t);
	g_source_unref(t);
	return (*a && *b);
}

/* A-law-ish bytes of a tone, different per side and packet. */
static void
fill_payload(uint8_t *p, int side, int pkt)
{
	int	 i;
	double	 f = side ? 697.0 : 1209.0;

	for (i = 0; i < SAMPLES; i++)
		p[i] = (uint8_t)(128 + 100 *
		    sin(2 * M_PI * f * (pkt * SAMPLES + i) / 8000.0)) ^ 0x55;
}

static void
send_stream(struct side *from, struct side *to, uint32_t ssrc, int idx)
{
	struct rtp_hdr	 h;
	uint8_t		 buf[256];
	size_t		 n;
	int		 i;

	to->want_ssrc = ssrc;
	for (i = 0; i < NPKT; i++) {
		memset(&h, 0, sizeof(h));
		h.pt = 8;
		h.seq = 1000 + i;
		h.ts = i * SAMPLES;
		h.ssrc = ssrc;
		h.marker = i == 0;
		n = rtp_write_header(buf, sizeof(buf), &h);
		fill_payload(buf + n, idx, i);
		memcpy(to->want_payload[i], buf + n, SAMPLES);
		CHECK(ice_leg_send_rtp(from->leg, buf, n + SAMPLES) == 0);
	}
	n = rtcp_write_rr(buf, sizeof(buf), ssrc, NULL, 0);
	n += rtcp_write_sdes_cname(buf + n, sizeof(buf) - n, ssrc, from->name);
	CHECK(ice_leg_send_rtcp(from->leg, buf, n) == 0);
}

static void
check_desc(const struct media_webrtc_desc *d, enum dtls_setup setup)
{
	struct sockaddr_in	*sin;
	unsigned int		 i;

	CHECK(d->ufrag[0] != '\0' && d->pwd[0] != '\0');
	CHECK(strlen(d->pwd) >= 22);	/* RFC 8839: 128 bits at least */
	CHECK(strcmp(d->fingerprint, dtls_local_fingerprint()) == 0);
	CHECK(d->setup == setup);
	CHECK(d->rtcp_mux == 1);
	CHECK(d->ncands >= 1);
	for (i = 0; i < d->ncands; i++) {
		sin = (struct sockaddr_in *)&d->cands[i].addr;
		CHECK(d->cands[i].component == 1);
		CHECK(d->cands[i].type == CAND_HOST);
		CHECK(sin->sin_family == AF_INET &&
		    sin->sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
		    sin->sin_port != 0);
		CHECK(d->cands[i].priority > 0);
		CHECK(d->cands[i].foundation[0] != '\0');
	}
}

int
main(int argc, char *argv[])
{
	GMainContext		*ctx;
	struct ice_config	 cfg;
	struct ice_callbacks	 cb;
	struct media_webrtc_desc da, db;
	struct sockaddr_in	*sin;
	static struct side	 a, b;
	uint8_t			 early[172];
	int			 i;

	log_init(1, argc > 1, 0);
	if (dtls_init() == -1)
		return (1);
	ctx = g_main_context_new();

	memset(&cfg, 0, sizeof(cfg));
	cfg.ctx = ctx;
	cfg.nlocal = 1;
	sin = (struct sockaddr_in *)&cfg.local[0];
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cb.event = on_event;
	cb.rtp = on_rtp;
	cb.rtcp = on_rtcp;

	a.name = "offerer";
	cfg.offerer = 1;
	cb.arg = &a;
	a.leg = ice_leg_new(&cfg, &cb);
	b.name = "answerer";
	cfg.offerer = 0;
	cb.arg = &b;
	b.leg = ice_leg_new(&cfg, &cb);
	if (a.leg == NULL || b.leg == NULL)
		return (1);

	/* No description before gathering, and no media before DTLS. */
	CHECK(ice_leg_local_desc(a.leg, &da) == -1);
	memset(early, 0, sizeof(early));
	early[0] = 0x80;
	CHECK(ice_leg_send_rtp(a.leg, early, sizeof(early)) == -1);

	CHECK(ice_leg_gather(a.leg) == 0 && ice_leg_gather(b.leg) == 0);
	CHECK(wait_both(ctx, &a.gathered, &b.gathered, 10));

	/* Offer/answer through the structured descriptions. */
	CHECK(ice_leg_local_desc(a.leg, &da) == 0);
	check_desc(&da, SETUP_ACTPASS);
	CHECK(ice_leg_set_remote(b.leg, &da) == 0);
	CHECK(ice_leg_local_desc(b.leg, &db) == 0);
	check_desc(&db, SETUP_ACTIVE);
	CHECK(strcmp(da.ufrag, db.ufrag) != 0);
	CHECK(ice_leg_set_remote(a.leg, &db) == 0);
	CHECK(ice_leg_set_remote(a.leg, &db) == -1);

	CHECK(wait_both(ctx, &a.connected, &b.connected, 20));
	CHECK(wait_both(ctx, &a.ready, &b.ready, 20));
	CHECK(ice_leg_ready(a.leg) && ice_leg_ready(b.leg));
	CHECK(!a.failed && !b.failed);
	if (failures > 0)
		goto out;

	send_stream(&a, &b, 0x0a0a0a0a, 0);
	send_stream(&b, &a, 0x0b0b0b0b, 1);
	{
		int	 adone = 0, bdone = 0;
		GSource	*t;
		int	 expired = 0;

		t = g_timeout_source_new_seconds(10);
		g_source_set_callback(t, deadline_cb, &expired, NULL);
		g_source_attach(t, ctx);
		while (!(adone && bdone) && !expired) {
			g_main_context_iteration(ctx, TRUE);
			adone = a.nrtp == NPKT && a.nrtcp == 1;
			bdone = b.nrtp == NPKT && b.nrtcp == 1;
		}
		g_source_destroy(t);
		g_source_unref(t);
	}
	CHECK(a.nrtp == NPKT && b.nrtp == NPKT);
	CHECK(a.bad == 0 && b.bad == 0);
	for (i = 0; i < NPKT; i++)
		CHECK(a.seen[i] == 1 && b.seen[i] == 1);
	CHECK(a.nrtcp == 1 && strcmp(a.cname, "answerer") == 0);
	CHECK(b.nrtcp == 1 && strcmp(b.cname, "offerer") == 0);
	CHECK(ice_leg_stats(a.leg)->rtp_out == NPKT &&
	    ice_leg_stats(a.leg)->rtp_in == NPKT);
	CHECK(ice_leg_stats(b.leg)->auth_fail == 0);
 out:
	ice_leg_free(a.leg);
	ice_leg_free(b.leg);
	while (g_main_context_iteration(ctx, FALSE))
		;
	g_main_context_unref(ctx);
	if (failures > 0) {
		fprintf(stderr, "%d failures\n", failures);
		return (1);
	}
	return (0);
}
