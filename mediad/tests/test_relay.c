/*
 * A call's media as mediad relays it: a fake PBX on a UDP socket, the PBX
 * leg, a media_relay, our WebRTC leg, and a second WebRTC leg standing for
 * Kandy that echoes audio.  Checked: audio comes back to the PBX intact;
 * each direction is one continuous stream with the relay's SSRC although
 * the PBX changes SSRC and sequence halfway (re-INVITE); DTMF payload
 * types are translated (PBX 101, Kandy 126) and a digit arrives once each
 * way; holding stops media and resuming keeps the stream continuous; RTCP
 * reports reach both sides, and a PBX report answering ours gives the
 * round trip with its hold time (DLSR) taken off.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "dtls.h"
#include "dtmf.h"
#include "g711.h"
#include "ice.h"
#include "log.h"
#include "relay.h"
#include "rtp.h"
#include "rtpleg.h"

static int	 failures;

#define NPKT		60
#define SWITCH_AT	30	/* the PBX changes SSRC and sequence here */
#define PT_DTMF_PBX	101
#define PT_DTMF_KANDY	126

struct call {
	struct rtp_leg		*pbx;
	struct ice_leg		*bridge;	/* our WebRTC leg */
	struct ice_leg		*kandy;		/* the far end, echoing */
	struct media_relay	*relay;
	int			 gathered[2], ready[2], failed;
	/* what the far end saw */
	int			 k_audio, k_other_pt;
	uint8_t			 k_payload[160];	/* the last audio's */
	uint32_t		 k_ssrc;
	int			 k_seq_breaks;
	uint16_t		 k_last_seq;
	int			 k_digits;
	uint8_t			 k_digit;
	struct dtmf_rx		 k_dtmf;
	int			 k_sr;
	uint32_t		 k_sr_ssrc, k_sr_pkts;
	int			 echo;
};

static void
pbx_rtp(struct rtp_leg *l, uint8_t *buf, size_t len, void *arg)
{
	media_relay_pbx_rtp(((struct call *)arg)->relay, buf, len);
}

static void
pbx_rtcp(struct rtp_leg *l, uint8_t *buf, size_t len, void *arg)
{
	media_relay_pbx_rtcp(((struct call *)arg)->relay, buf, len);
}

static void
bridge_rtp(struct ice_leg *l, uint8_t *buf, size_t len, void *arg)
{
	media_relay_web_rtp(((struct call *)arg)->relay, buf, len);
}

static void
bridge_rtcp(struct ice_leg *l, uint8_t *buf, size_t len, void *arg)
{
	media_relay_web_rtcp(((struct call *)arg)->relay, buf, len);
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
	if (c->k_audio + c->k_digits + c->k_other_pt > 0 &&
	    h.seq != (uint16_t)(c->k_last_seq + 1))
		c->k_seq_breaks++;
	if (c->k_audio == 0)
		c->k_ssrc = h.ssrc;
	else if (h.ssrc != c->k_ssrc)
		c->k_seq_breaks++;
	c->k_last_seq = h.seq;
	if (h.pt == PT_DTMF_KANDY) {
		if (dtmf_rx_packet(&c->k_dtmf, &h, &ev) == 1) {
			c->k_digits++;
			c->k_digit = ev.event;
		}
		return;
	}
	if (h.pt != 8) {
		c->k_other_pt++;
		return;
	}
	c->k_audio++;
	if (h.paylen == sizeof(c->k_payload))
		memcpy(c->k_payload, h.payload, h.paylen);
	if (c->echo)
		ice_leg_send_rtp(l, buf, len);
}

static int
kandy_sr(const struct rtcp_pkt *p, void *arg)
{
	struct call	*c = arg;

	if (p->pt == RTCP_SR) {
		c->k_sr++;
		c->k_sr_ssrc = p->ssrc;
		c->k_sr_pkts = p->pkts;
	}
	return (0);
}

static void
kandy_rtcp(struct ice_leg *l, uint8_t *buf, size_t len, void *arg)
{
	rtcp_walk(buf, len, kandy_sr, arg);
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
spin(GMainContext *ctx, unsigned int ms)
{
	int	 one = 1, expired = 0;
	GSource	*t;

	(void)one;
	t = g_timeout_source_new(ms);
	g_source_set_callback(t, expire, &expired, NULL);
	g_source_attach(t, ctx);
	while (!expired)
		g_main_context_iteration(ctx, TRUE);
	g_source_unref(t);
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

static void
codecs(struct media_codec_desc *c, uint8_t *n, uint8_t dtmf_pt)
{
	memset(c, 0, sizeof(*c) * MEDIA_MAXCODECS);
	c[0].codec = CODEC_PCMA;
	c[0].pt = 8;
	c[0].clock = 8000;
	c[0].channels = 1;
	c[1].codec = CODEC_TELEPHONE_EVENT;
	c[1].pt = dtmf_pt;
	c[1].clock = 8000;
	c[2].codec = CODEC_OPUS;	/* listed, never relayed */
	c[2].pt = 111;
	c[2].clock = 48000;
	*n = 3;
}

/* Send a DTMF train with payload type pt through send(), one per loop turn. */
static int
send_digit(GMainContext *ctx, int c, uint8_t pt, uint32_t ssrc,
    uint16_t seq, uint32_t ts, int (*send)(void *, uint8_t *, size_t),
    void *arg)
{
	struct dtmf_tx	 tx;
	struct rtp_hdr	 h;
	uint8_t		 buf[64];
	size_t		 n;
	int		 marker, i;

	if (dtmf_tx_start(&tx, c, 10, 800, 160) == -1)
		return (0);
	for (i = 0; ; i++) {
		memset(&h, 0, sizeof(h));
		h.pt = pt;
		h.ssrc = ssrc;
		h.seq = seq + i;
		h.ts = ts;
		n = rtp_write_header(buf, sizeof(buf), &h);
		if (dtmf_tx_next(&tx, buf + n, sizeof(buf) - n, &marker) == 0)
			break;
		if (marker)
			buf[1] |= 0x80;
		send(arg, buf, n + RTP_DTMF_LEN);
		g_main_context_iteration(ctx, FALSE);
	}
	return (i);
}

static int	 pbx_fd;
static struct sockaddr_storage pbx_to;

static int
pbx_send(void *arg, uint8_t *buf, size_t len)
{
	return (sendto(pbx_fd, buf, len, 0, (struct sockaddr *)&pbx_to,
	    sizeof(struct sockaddr_in)) == -1 ? -1 : 0);
}

static int
kandy_send(void *arg, uint8_t *buf, size_t len)
{
	return (ice_leg_send_rtp(((struct call *)arg)->kandy, buf, len));
}

/*
 * The PBX answers the relay's next sender report 150 ms after it came,
 * saying so in DLSR: the round trip the relay works out must be the
 * path's (loopback: a few ms), not the time the PBX held the report.
 */
static void
rtt_check(GMainContext *ctx, struct call *c)
{
	struct media_relay_stats st;
	struct rtcp_report	 rb;
	uint8_t			 buf[1500];
	gint64			 end, got = 0;
	ssize_t			 r;
	size_t			 n;

	memset(&rb, 0, sizeof(rb));
	while (recv(pbx_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
	while (got == 0 && g_get_monotonic_time() < end) {
		g_main_context_iteration(ctx, FALSE);
		while ((r = recv(pbx_fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			if (r >= 28 && buf[1] == RTCP_SR && get32(buf + 4) ==
			    media_relay_ssrc_to_pbx(c->relay)) {
				got = g_get_monotonic_time();
				rb.lsr = (get32(buf + 8) << 16) |
				    (get32(buf + 12) >> 16);
			}
		usleep(1000);
	}
	CHECK(got != 0);
	spin(ctx, 150);
	rb.ssrc = media_relay_ssrc_to_pbx(c->relay);
	rb.dlsr = (uint32_t)((g_get_monotonic_time() - got) * 65536 /
	    G_USEC_PER_SEC);
	n = rtcp_write_rr(buf, sizeof(buf), 0x3cc01, &rb, 1);
	CHECK(n > 0 && pbx_send(NULL, buf, n) == 0);
	spin(ctx, 100);
	media_relay_stats(c->relay, &st);
	fprintf(stderr, "round trip to the PBX: %s %u us\n",
	    st.pbx.have_rtt ? "known" : "unknown", st.pbx.rtt_us);
	CHECK(st.pbx.have_rtt && st.pbx.rtt_us < 50000);
	CHECK(!st.web.have_rtt || st.web.rtt_us < 50000);
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
	struct media_relay_stats st;
	struct sockaddr_storage	 ss;
	struct rtp_hdr		 h;
	socklen_t		 len = sizeof(ss);
	uint8_t			 sent[NPKT][256], buf[512];
	size_t			 sentlen[NPKT], n;
	uint16_t		 pbxport, base, last = 0;
	ssize_t			 r;
	int			 i, got = 0, intact = 0, breaks = 0;
	int			 pbx_dtmf = 0, pbx_rtcp_seen = 0, ntrain, before, j;

	log_init(1, getenv("VERBOSE") != NULL, 0);
	if (dtls_init() == -1)
		return (1);
	ctx = g_main_context_new();

	/* The PBX. */
	loopback(&ss, 0);
	if ((pbx_fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(pbx_fd, (struct sockaddr *)&ss,
	    sizeof(struct sockaddr_in)) == -1 ||
	    getsockname(pbx_fd, (struct sockaddr *)&ss, &len) == -1)
		return (1);
	pbxport = ntohs(((struct sockaddr_in *)&ss)->sin_port);

	/* The PBX leg, rtcp-mux so the PBX socket sees RTCP too. */
	memset(&rcfg, 0, sizeof(rcfg));
	rcfg.ctx = ctx;
	loopback(&rcfg.bind, 0);
	base = 40000 + (getpid() % 100) * 100;
	rcfg.port_min = base;
	rcfg.port_max = base + 99;
	rcfg.rtcp_mux = 1;
	rcb.rtp = pbx_rtp;
	rcb.rtcp = pbx_rtcp;
	rcb.arg = &c;
	CHECK((c.pbx = rtp_leg_new(&rcfg, &rcb)) != NULL);
	if (c.pbx == NULL)
		return (1);
	memset(&pbxdesc, 0, sizeof(pbxdesc));
	loopback(&pbxdesc.addr, pbxport);
	pbxdesc.rtcp_mux = 1;
	pbxdesc.dir = MEDIA_SENDRECV;
	codecs(pbxdesc.codecs, &pbxdesc.ncodecs, PT_DTMF_PBX);
	CHECK(rtp_leg_set_remote(c.pbx, &pbxdesc) == 0);
	loopback(&pbx_to, rtp_leg_port(c.pbx));

	/* The WebRTC legs. */
	memset(&icfg, 0, sizeof(icfg));
	icfg.ctx = ctx;
	icfg.nlocal = 1;
	loopback(&icfg.local[0], 0);
	icb.event = leg_event;
	icb.arg = &c;
	icfg.offerer = 1;
	icb.rtp = bridge_rtp;
	icb.rtcp = bridge_rtcp;
	c.bridge = ice_leg_new(&icfg, &icb);
	icfg.offerer = 0;
	icb.rtp = kandy_rtp;
	icb.rtcp = kandy_rtcp;
	c.kandy = ice_leg_new(&icfg, &icb);
	CHECK(c.bridge != NULL && c.kandy != NULL);
	if (c.bridge == NULL || c.kandy == NULL)
		return (1);
	ice_leg_gather(c.bridge);
	ice_leg_gather(c.kandy);
	CHECK(wait_for(ctx, &c.gathered[0], &c.gathered[1], 10));
	CHECK(ice_leg_local_desc(c.bridge, &d1) == 0);
	codecs(d1.codecs, &d1.ncodecs, PT_DTMF_KANDY);
	CHECK(ice_leg_set_remote(c.kandy, &d1) == 0);
	CHECK(ice_leg_local_desc(c.kandy, &d2) == 0);
	codecs(d2.codecs, &d2.ncodecs, PT_DTMF_KANDY);
	CHECK(ice_leg_set_remote(c.bridge, &d2) == 0);
	CHECK(wait_for(ctx, &c.ready[0], &c.ready[1], 20));
	if (failures > 0)
		return (1);

	c.relay = media_relay_new(ctx, c.pbx, c.bridge, 200);
	CHECK(c.relay != NULL);
	CHECK(media_relay_update(c.relay, &pbxdesc, &d1, &d2) == 0);
	c.echo = 1;

	/* The PBX talks; halfway it re-INVITEs: new SSRC, new sequence. */
	for (i = 0; i < NPKT; i++) {
		if (i < SWITCH_AT)
			n = pbx_packet(sent[i], 0x3cc01, 1000 + i, i * 160, i);
		else
			n = pbx_packet(sent[i], 0x3cc02, 7 + i, 99999 + i * 160,
			    i);
		sentlen[i] = n;
		pbx_send(NULL, sent[i], n);
		g_main_context_iteration(ctx, FALSE);
	}
	/* A digit from the PBX with its own DTMF payload type. */
	ntrain = send_digit(ctx, '7', PT_DTMF_PBX, 0x3cc02, 7 + NPKT,
	    99999 + NPKT * 160, pbx_send, NULL);
	spin(ctx, 300);
	/* A digit from Kandy with its own payload type. */
	send_digit(ctx, '#', PT_DTMF_KANDY, 0x77, 1, 0, kandy_send, &c);
	spin(ctx, 500);

	/* What reached the PBX. */
	while ((r = recv(pbx_fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		if (pkt_classify(buf, r) == PKT_RTCP) {
			if (get32(buf + 4) == media_relay_ssrc_to_pbx(c.relay))
				pbx_rtcp_seen++;
			continue;
		}
		if (rtp_parse(buf, r, &h) == -1)
			continue;
		CHECK(h.ssrc == media_relay_ssrc_to_pbx(c.relay));
		if (got > 0 && h.seq != (uint16_t)(last + 1))
			breaks++;
		last = h.seq;
		got++;
		if (h.pt == PT_DTMF_PBX) {
			pbx_dtmf++;
			continue;
		}
		CHECK(h.pt == 8);
		for (i = 0; i < NPKT; i++)
			if ((size_t)r == sentlen[i] &&
			    memcmp(buf + 12, sent[i] + 12, 160) == 0) {
				intact++;
				break;
			}
	}
	CHECK(intact == NPKT);
	CHECK(pbx_dtmf == ntrain);
	CHECK(got == NPKT + ntrain);
	CHECK(breaks == 0);
	CHECK(c.k_audio == NPKT);
	CHECK(c.k_ssrc == media_relay_ssrc_to_web(c.relay));
	CHECK(c.k_seq_breaks == 0);
	CHECK(c.k_other_pt == 0);
	CHECK(c.k_digits == 1 && c.k_digit == 7);
	/* RTCP: Kandy got sender reports counting what it was sent. */
	CHECK(c.k_sr > 0 && c.k_sr_ssrc == media_relay_ssrc_to_web(c.relay));
	CHECK(c.k_sr_pkts >= NPKT);
	CHECK(pbx_rtcp_seen > 0);

	media_relay_stats(c.relay, &st);
	CHECK(st.pbx.received == (uint64_t)(NPKT + ntrain));
	CHECK(st.web.forwarded == (uint64_t)(NPKT + ntrain));
	CHECK(st.pbx.forwarded == (uint64_t)(NPKT + ntrain));
	rtt_check(ctx, &c);

	/* Hold: the PBX goes inactive; nothing flows either way. */
	pbxdesc.dir = MEDIA_INACTIVE;
	CHECK(media_relay_update(c.relay, &pbxdesc, &d1, &d2) == 0);
	before = c.k_audio;
	for (i = 0; i < 5; i++) {
		n = pbx_packet(buf, 0x3cc02, 7 + NPKT + ntrain + i, 0, i);
		pbx_send(NULL, buf, n);
	}
	spin(ctx, 200);
	CHECK(c.k_audio == before);
	media_relay_stats(c.relay, &st);
	CHECK(st.pbx.dropped >= 5);
	/* Resume: the stream toward Kandy carries on without a break. */
	pbxdesc.dir = MEDIA_SENDRECV;
	CHECK(media_relay_update(c.relay, &pbxdesc, &d1, &d2) == 0);
	c.echo = 0;
	for (i = 0; i < 5; i++) {
		n = pbx_packet(buf, 0x3cc02, 7 + NPKT + ntrain + 5 + i,
		    99999 + (NPKT + 10 + i) * 160, i);
		pbx_send(NULL, buf, n);
		g_main_context_iteration(ctx, FALSE);
	}
	spin(ctx, 200);
	CHECK(c.k_audio == before + 5);
	CHECK(c.k_seq_breaks == 0);

	/*
	 * The PBX re-offers PCMU alone; Kandy keeps PCMA: each side gets the
	 * law it takes, byte for byte through linear.
	 */
	{
		struct media_rtp_desc	 pcmu = pbxdesc;
		int			 ok_web = 0, ok_pbx = 0;

		pcmu.codecs[0].codec = CODEC_PCMU;
		pcmu.codecs[0].pt = 0;
		CHECK(media_relay_update(c.relay, &pcmu, &d1, &d2) == 0);
		c.echo = 1;
		while (recv(pbx_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
		before = c.k_audio;
		for (i = 0; i < 5; i++) {
			n = pbx_packet(buf, 0x3cc02, 7 + NPKT + ntrain + 10 + i,
			    99999 + (NPKT + 20 + i) * 160, i);
			buf[1] = (buf[1] & 0x80) | 0;
			memcpy(sent[i], buf, n);
			pbx_send(NULL, buf, n);
			g_main_context_iteration(ctx, FALSE);
			spin(ctx, 30);
			for (j = 0; j < 160; j++)
				if (c.k_payload[j] != g711_alaw_encode(
				    g711_ulaw_decode(sent[i][12 + j])))
					break;
			ok_web += c.k_audio == before + i + 1 && j == 160;
		}
		spin(ctx, 200);
		while ((r = recv(pbx_fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
			if (pkt_classify(buf, r) != PKT_RTP ||
			    rtp_parse(buf, r, &h) == -1 || h.paylen != 160)
				continue;
			CHECK(h.pt == 0);
			for (i = 0; i < 5; i++) {
				for (j = 0; j < 160; j++)
					if (h.payload[j] != g711_ulaw_encode(
					    g711_alaw_decode(g711_alaw_encode(
					    g711_ulaw_decode(sent[i][12 + j])))))
						break;
				if (j == 160) {
					ok_pbx++;
					break;
				}
			}
		}
		CHECK(ok_web == 5);
		CHECK(ok_pbx == 5);
		CHECK(c.k_other_pt == 0);
		c.echo = 0;
	}

	/* Nothing to relay between disjoint codec lists. */
	{
		struct media_rtp_desc	 opus = pbxdesc;

		opus.ncodecs = 1;
		opus.codecs[0] = pbxdesc.codecs[2];
		CHECK(media_relay_update(c.relay, &opus, &d1, &d2) == -1);
	}

	media_relay_free(c.relay);
	ice_leg_free(c.bridge);
	ice_leg_free(c.kandy);
	rtp_leg_free(c.pbx);
	close(pbx_fd);
	while (g_main_context_iteration(ctx, FALSE))
		;
	g_main_context_unref(ctx);
	if (failures > 0) {
		fprintf(stderr, "%d failures\n", failures);
		return (1);
	}
	return (0);
}
