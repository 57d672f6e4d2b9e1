/*
 * The pieces put together the way mediad relays a call: a fake PBX on a
 * UDP socket, the PBX leg, a WebRTC leg toward a second WebRTC leg that
 * stands for Kandy and echoes.  Audio must come back to the PBX intact,
 * each direction must look like one continuous stream even when the PBX
 * changes SSRC and restarts its sequence (re-INVITE), and an RFC 4733
 * digit must arrive on the far side exactly once.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dtls.h"
#include "dtmf.h"
#include "ice.h"
#include "log.h"
#include "rtp.h"
#include "rtpleg.h"
#include "rtpseq.h"

static int	 failures;

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
		    __FILE__, __LINE__, #c);				\
		failures++;						\
	}								\
} while (0)

#define NPKT		60
#define SWITCH_AT	30	/* the PBX changes SSRC and sequence here */
#define PT_DTMF		101
#define TO_KANDY_SSRC	0x5eed0001
#define TO_PBX_SSRC	0x5eed0002

struct call {
	struct rtp_leg		*pbx;
	struct ice_leg		*bridge;	/* our WebRTC leg */
	struct ice_leg		*kandy;		/* the far end, echoing */
	struct rtp_seqmap	 to_kandy, to_pbx;
	int			 gathered[2], ready[2], failed;
	/* what the far end saw */
	int			 k_audio;
	uint32_t		 k_ssrc;
	int			 k_seq_breaks;
	uint16_t		 k_last_seq;
	int			 k_digits;
	uint8_t			 k_digit;
	struct dtmf_rx		 k_dtmf;
};

static uint64_t
now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

/* PBX -> bridge: keep the stream continuous, protect, send to Kandy. */
static void
pbx_rtp(struct rtp_leg *l, uint8_t *buf, size_t len, void *arg)
{
	struct call	*c = arg;

	if (rtp_seqmap_apply(&c->to_kandy, buf, len, now_us()) == -1)
		return;
	ice_leg_send_rtp(c->bridge, buf, len);
}

/* Kandy -> bridge -> PBX. */
static void
bridge_rtp(struct ice_leg *l, uint8_t *buf, size_t len, void *arg)
{
	struct call	*c = arg;

	if (rtp_seqmap_apply(&c->to_pbx, buf, len, now_us()) == -1)
		return;
	rtp_leg_send_rtp(c->pbx, buf, len);
}

/* The far end: record what arrives, echo the audio. */
static void
kandy_rtp(struct ice_leg *l, uint8_t *buf, size_t len, void *arg)
{
	struct call	*c = arg;
	struct rtp_hdr	 h;
	struct rtp_dtmf	 ev;

	if (rtp_parse(buf, len, &h) == -1)
		return;
	if (c->k_audio + c->k_digits > 0 &&
	    h.seq != (uint16_t)(c->k_last_seq + 1))
		c->k_seq_breaks++;
	if (c->k_audio == 0)
		c->k_ssrc = h.ssrc;
	else if (h.ssrc != c->k_ssrc)
		c->k_seq_breaks++;
	c->k_last_seq = h.seq;
	if (h.pt == PT_DTMF) {
		if (dtmf_rx_packet(&c->k_dtmf, &h, &ev) == 1) {
			c->k_digits++;
			c->k_digit = ev.event;
		}
		return;
	}
	c->k_audio++;
	ice_leg_send_rtp(l, buf, len);
}

static void
leg_event(struct ice_leg *l, enum ice_event ev, void *arg)
{
	struct call	*c = arg;
	int		 i = l == c->bridge ? 0 : 1;

	if (ev == ICE_EV_GATHERED)
		c->gathered[i] = 1;
	else if (ev == ICE_EV_READY)
		c->ready[i] = 1;
	else if (ev == ICE_EV_FAILED)
		c->failed = 1;
}

static gboolean
expire(gpointer arg)
{
	*(int *)arg = 1;
	return (G_SOURCE_REMOVE);
}

static int
wait_for(GMainContext *ctx, int *a, int *b, unsigned int secs)
{
	GSource	*t;
	int	 expired = 0;

	t = g_timeout_source_new_seconds(secs);
	g_source_set_callback(t, expire, &expired, NULL);
	g_source_attach(t, ctx);
	while (!(*a && *b) && !expired)
		g_main_context_iteration(ctx, TRUE);
	g_source_destroy(t);
	g_source_unref(t);
	return (*a && *b);
}

static void
loopback(struct sockaddr_storage *ss, uint16_t port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin->sin_port = htons(port);
}

static size_t
pbx_packet(uint8_t *buf, uint32_t ssrc, uint16_t seq, uint32_t ts, int i)
{
	struct rtp_hdr	 h;
	size_t		 n, k;

	memset(&h, 0, sizeof(h));
	h.pt = 8;
	h.ssrc = ssrc;
	h.seq = seq;
	h.ts = ts;
	n = rtp_write_header(buf, 64, &h);
	for (k = 0; k < 160; k++)
		buf[n + k] = (uint8_t)(i * 7 + k);
	return (n + 160);
}

int
main(void)
{
	GMainContext		*ctx;
	static struct call	 c;
	struct ice_config	 icfg;
	struct ice_callbacks	 icb;
	struct rtp_leg_config	 rcfg;
	struct rtp_leg_callbacks rcb;
	struct media_webrtc_desc d1, d2;
	struct media_rtp_desc	 pbxdesc;
	struct sockaddr_storage	 ss, to;
	struct rtp_hdr		 h;
	struct dtmf_tx		 tx;
	socklen_t		 len = sizeof(ss);
	uint8_t			 sent[NPKT][256], buf[512];
	size_t			 sentlen[NPKT], n;
	uint16_t		 pbxport, base, last = 0;
	uint32_t		 ssrc;
	ssize_t			 r;
	int			 fd, i, got = 0, intact = 0, marker, breaks = 0;

	log_init(1, getenv("VERBOSE") != NULL, 0);
	if (dtls_init() == -1)
		return (1);
	ctx = g_main_context_new();

	/* The PBX. */
	loopback(&ss, 0);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return (1);
	pbxport = ntohs(((struct sockaddr_in *)&ss)->sin_port);

	/* The PBX leg. */
	memset(&rcfg, 0, sizeof(rcfg));
	rcfg.ctx = ctx;
	loopback(&rcfg.bind, 0);
	base = 40000 + (getpid() % 100) * 100;
	rcfg.port_min = base;
	rcfg.port_max = base + 99;
	rcb.rtp = pbx_rtp;
	rcb.rtcp = NULL;
	rcb.arg = &c;
	CHECK((c.pbx = rtp_leg_new(&rcfg, &rcb)) != NULL);
	memset(&pbxdesc, 0, sizeof(pbxdesc));
	loopback(&pbxdesc.addr, pbxport);
	CHECK(c.pbx != NULL && rtp_leg_set_remote(c.pbx, &pbxdesc) == 0);
	if (c.pbx == NULL)
		return (1);

	rtp_seqmap_init(&c.to_kandy, TO_KANDY_SSRC, 8000, 4242, 777);
	rtp_seqmap_init(&c.to_pbx, TO_PBX_SSRC, 8000, 100, 0);

	/* The WebRTC legs. */
	memset(&icfg, 0, sizeof(icfg));
	icfg.ctx = ctx;
	icfg.nlocal = 1;
	loopback(&icfg.local[0], 0);
	icb.event = leg_event;
	icb.rtcp = NULL;
	icb.arg = &c;
	icfg.offerer = 1;
	icb.rtp = bridge_rtp;
	c.bridge = ice_leg_new(&icfg, &icb);
	icfg.offerer = 0;
	icb.rtp = kandy_rtp;
	c.kandy = ice_leg_new(&icfg, &icb);
	CHECK(c.bridge != NULL && c.kandy != NULL);
	if (c.bridge == NULL || c.kandy == NULL)
		return (1);
	ice_leg_gather(c.bridge);
	ice_leg_gather(c.kandy);
	CHECK(wait_for(ctx, &c.gathered[0], &c.gathered[1], 10));
	CHECK(ice_leg_local_desc(c.bridge, &d1) == 0);
	CHECK(ice_leg_set_remote(c.kandy, &d1) == 0);
	CHECK(ice_leg_local_desc(c.kandy, &d2) == 0);
	CHECK(ice_leg_set_remote(c.bridge, &d2) == 0);
	CHECK(wait_for(ctx, &c.ready[0], &c.ready[1], 20));
	if (failures > 0)
		return (1);

	/* The PBX talks; halfway it re-INVITEs: new SSRC, new sequence. */
	loopback(&to, rtp_leg_port(c.pbx));
	for (i = 0; i < NPKT; i++) {
		if (i < SWITCH_AT)
			n = pbx_packet(sent[i], 0x3cc01, 1000 + i, i * 160, i);
		else
			n = pbx_packet(sent[i], 0x3cc02, 7 + i, 99999 + i * 160,
			    i);
		sentlen[i] = n;
		sendto(fd, sent[i], n, 0, (struct sockaddr *)&to,
		    sizeof(struct sockaddr_in));
		/* Paced a little so nothing is dropped on the way. */
		g_main_context_iteration(ctx, FALSE);
	}
	/* Then a digit, '7', as a 4733 train. */
	CHECK(dtmf_tx_start(&tx, '7', 10, 800, 160) == 0);
	for (i = 0; ; i++) {
		memset(&h, 0, sizeof(h));
		h.pt = PT_DTMF;
		h.ssrc = 0x3cc02;
		h.seq = 7 + NPKT + i;
		h.ts = 99999 + NPKT * 160;	/* where the audio left off */
		n = rtp_write_header(buf, sizeof(buf), &h);
		if (dtmf_tx_next(&tx, buf + n, sizeof(buf) - n, &marker) == 0)
			break;
		if (marker)
			buf[1] |= 0x80;
		sendto(fd, buf, n + RTP_DTMF_LEN, 0, (struct sockaddr *)&to,
		    sizeof(struct sockaddr_in));
		g_main_context_iteration(ctx, FALSE);
	}

	/* Collect the echo at the PBX. */
	{
		GSource	*t;
		int	 expired = 0;

		t = g_timeout_source_new_seconds(10);
		g_source_set_callback(t, expire, &expired, NULL);
		g_source_attach(t, ctx);
		while (got < NPKT && !expired) {
			g_main_context_iteration(ctx, FALSE);
			while ((r = recv(fd, buf, sizeof(buf),
			    MSG_DONTWAIT)) > 0) {
				if (rtp_parse(buf, r, &h) == -1)
					continue;
				if (got > 0 && h.seq != (uint16_t)(last + 1))
					breaks++;
				last = h.seq;
				ssrc = h.ssrc;
				CHECK(ssrc == TO_PBX_SSRC);
				/* Payload identical to what the PBX sent. */
				for (i = 0; i < NPKT; i++)
					if ((size_t)r == sentlen[i] &&
					    memcmp(buf + 12, sent[i] + 12,
					    160) == 0) {
						intact++;
						break;
					}
				got++;
			}
			usleep(1000);
		}
		g_source_destroy(t);
		g_source_unref(t);
	}
	for (i = 0; i < 1000 && c.k_digits == 0; i++) {
		g_main_context_iteration(ctx, FALSE);
		usleep(1000);
	}

	CHECK(got == NPKT && intact == NPKT);
	CHECK(breaks == 0);
	CHECK(c.k_audio == NPKT);
	CHECK(c.k_ssrc == TO_KANDY_SSRC);
	/* Continuous on Kandy's side across the PBX's re-INVITE. */
	CHECK(c.k_seq_breaks == 0);
	CHECK(c.to_kandy.reanchors == 1);
	CHECK(c.k_digits == 1 && c.k_digit == 7);
	CHECK(ice_leg_stats(c.kandy)->auth_fail == 0 &&
	    ice_leg_stats(c.kandy)->replayed == 0);

	ice_leg_free(c.bridge);
	ice_leg_free(c.kandy);
	rtp_leg_free(c.pbx);
	close(fd);
	while (g_main_context_iteration(ctx, FALSE))
		;
	g_main_context_unref(ctx);
	if (failures > 0) {
		fprintf(stderr, "%d failures\n", failures);
		return (1);
	}
	return (0);
}
