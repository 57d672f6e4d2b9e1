/*
 * kandysim's WebRTC media endpoint: one libmedia ICE leg per call (full
 * ICE, DTLS-SRTP, rtcp-mux), G.711 audio and RFC 4733 digits.  Modes:
 * echo (what arrives goes back), tone (a sine, 1000 Hz unless the mode
 * says "tone:<hz>"), silence, record (silence out, received audio kept),
 * play:<name> (a sample, looped, on our 20 ms clock).
 * Any mode may add ",expect=<hz>": the tone the far side is known to send,
 * reported as matched or not.
 *
 * libmedia runs on a private GLib main context; a kandysim timer on the
 * libwebsockets loop drains it every few milliseconds (see README.md).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libwebsockets.h>
#include <mbedtls/md.h>

#include "kandysim.h"
#include "log.h"
#include "dtls.h"
#include "dtmf.h"
#include "g711.h"
#include "ice.h"
#include "rtp.h"
#include "rtpstat.h"
#include "srtp.h"
#include "simmedia.h"
#include "simmedia_audio.h"
#include "simmedia_sdp.h"

#define PUMP_MS		5		/* GLib context drained this often */
#define GATHER_WAIT_MS	5000		/* longest wait for our candidates */
#define REC_MAX		(AUDIO_RATE * 60)	/* one minute of recording */
#define DIGITS_MAX	64
#define DTMF_MS		100		/* digit length */
#define DTMF_GAP_FRAMES	3		/* 60 ms between digits */
#define TONE_AMP	0.3
#define MATCH_HZ	20		/* detected within this of expected */
#define MATCH_POWER	0.001
#define SETUP_LIMIT_US	(30 * 1000000ULL)	/* ICE + DTLS, or give up */
#define RTCP_FIRST	50		/* first sender report after 1 s, */
#define RTCP_FRAMES	250		/* then every 5 s */
#define NTP_OFFSET	2208988800ULL	/* 1900 to 1970, seconds */

enum sim_mode { MODE_ECHO, MODE_TONE, MODE_SILENCE, MODE_RECORD,
	MODE_PLAY };

struct simmedia_call {
	u_int			 callid;
	char			 mode_text[SIM_MEDIA_MAX];
	enum sim_mode		 mode;
	double			 tone_hz;
	char			 sample_name[SAMPLE_NAME_MAX + 1];
	struct sample		*sample;	/* play: held reference */
	uint64_t		 played;	/* samples of it sent */
	double			 expect_hz;	/* 0: nothing expected */

	struct ice_leg		*leg;
	struct simmedia_call	*stub;		/* answers unusable offers */
	struct ice_leg_stats	 last;		/* counters of a freed leg */
	struct ice_cand		 sel_local, sel_remote;
	int			 have_sel;
	guint			 release;	/* idle source that frees it */
	char			 sdp_error[64];
	int			 gathered, ready, failed, closed;
	int			 have_remote;
	uint64_t		 remote_us;	/* when the remote side was set */
	uint64_t		 sess_id, sess_version;
	char			 mid[32];
	int			 bundle;

	int			 audio_pt;	/* 0 PCMU, 8 PCMA */
	int			 te_pt;		/* 0: none negotiated */
	uint32_t		 ssrc;
	uint16_t		 seq;
	uint64_t		 t0_us;		/* READY time: our clock */
	uint64_t		 frames;	/* 20 ms frames of our clock */
	GSource			*clock;

	char			 dtmf_queue[DIGITS_MAX + 1];
	struct dtmf_tx		 dtx;
	uint32_t		 dtx_ts;
	int			 dtx_gap;
	char			 digits_sent[DIGITS_MAX + 1];

	int			 rs_started;
	struct rtp_recv_stats	 rs;
	uint64_t		 audio_in, audio_out, dtmf_in, dtmf_out;
	uint64_t		 octets_out;	/* RTP payload bytes, for SRs */
	uint64_t		 rtcp_sent;
	int			 have_far;	/* the far side's report on us */
	struct rtcp_report	 far;
	uint64_t		 foreign_pt;
	struct dtmf_rx		 drx;
	char			 digits_rx[DIGITS_MAX + 1];
	struct audio_window	 win;
	int16_t			*rec;
	size_t			 nrec;
};

static void	leg_release_arm(struct simmedia_call *);

static GMainContext		*mctx;
static struct sockaddr_storage	 turn_addr;	/* TURN/UDP, or unset */
static struct simtimer		*pump;
static struct sockaddr_storage	 local_addr;
static int			 have_local;

/* Set before the first call: the address our candidates use. */
void
simmedia_webrtc_local(const char *addr)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&local_addr;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&local_addr;

	memset(&local_addr, 0, sizeof(local_addr));
	have_local = 1;
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1)
		sin6->sin6_family = AF_INET6;
	else
		have_local = 0;
	/* A wildcard listen address: let libnice use every interface. */
	if ((sin->sin_family == AF_INET &&
	    sin->sin_addr.s_addr == htonl(INADDR_ANY)) ||
	    (sin6->sin6_family == AF_INET6 &&
	    IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr)))
		have_local = 0;
}

/* A TURN server (UDP) for our candidates: "addr:port", "[v6]:port". */
int
simmedia_webrtc_turn(const char *spec)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&turn_addr;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&turn_addr;
	char			 host[128], *colon;
	const char		*errstr;
	int			 port;

	memset(&turn_addr, 0, sizeof(turn_addr));
	if (strlcpy(host, spec, sizeof(host)) >= sizeof(host) ||
	    (colon = strrchr(host, ':')) == NULL)
		return (-1);
	*colon = '\0';
	port = strtonum(colon + 1, 1, 65535, &errstr);
	if (errstr != NULL)
		return (-1);
	if (host[0] == '[' && colon[-1] == ']') {
		colon[-1] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
	} else
		return (-1);
	return (0);
}

/*
 * TURN REST credentials from kandysim's own secret, as /turn hands out:
 * username "<expiry>:kandysim", password base64(HMAC-SHA1(secret, user)).
 */
static void
turn_config(struct ice_config *cfg)
{
	struct ice_server	*sv;
	const mbedtls_md_info_t	*md;
	unsigned char		 mac[20];

	if (turn_addr.ss_family == 0)
		return;
	/* Told a TURN server, media goes through it: relay candidates only. */
	cfg->relay_only = 1;
	sv = &cfg->servers[cfg->nservers++];
	sv->kind = ICE_SERVER_TURN_UDP;
	sv->addr = turn_addr;
	snprintf(sv->user, sizeof(sv->user), "%lld:kandysim",
	    (long long)(now_ms() / 1000 + 86400));
	md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA1);
	if (md == NULL || mbedtls_md_hmac(md,
	    (const unsigned char *)simconf.turn_secret,
	    strlen(simconf.turn_secret), (const unsigned char *)sv->user,
	    strlen(sv->user), mac) != 0 ||
	    lws_b64_encode_string((const char *)mac, sizeof(mac), sv->pass,
	    sizeof(sv->pass)) < 0) {
		log_warnx("TURN credentials");
		cfg->nservers--;
		cfg->relay_only = 0;
	}
}

static void
pump_fire(void *arg)
{
	int	 i;

	for (i = 0; i < 256 && g_main_context_iteration(mctx, FALSE); i++)
		;
	timer_add(pump, PUMP_MS);
}

static void
media_init(void)
{
	if (mctx != NULL)
		return;
	dtls_init();
	srtp_pair_global_init();
	mctx = g_main_context_new();
	pump = timer_new(pump_fire, NULL);
	timer_add(pump, PUMP_MS);
}

static uint64_t
mono_us(void)
{
	return ((uint64_t)g_get_monotonic_time());
}

/* "tone:440,expect=1000", "play:hello" */
static int
parse_mode(struct simmedia_call *mc, const char *text)
{
	char	 buf[SIM_MEDIA_MAX], *p, *opt;
	double	 hz;

	snprintf(mc->mode_text, sizeof(mc->mode_text), "%s",
	    text ? text : "echo");
	strlcpy(buf, mc->mode_text, sizeof(buf));
	mc->tone_hz = 1000;
	if ((opt = strchr(buf, ',')) != NULL)
		*opt++ = '\0';
	if ((p = strchr(buf, ':')) != NULL)
		*p++ = '\0';
	if (strcmp(buf, "play") == 0) {
		if (p == NULL || strlcpy(mc->sample_name, p,
		    sizeof(mc->sample_name)) >= sizeof(mc->sample_name))
			return (-1);
		mc->mode = MODE_PLAY;
	} else if (p != NULL) {
		hz = strtod(p, NULL);
		if (hz < 50 || hz > 3900)
			return (-1);
		mc->tone_hz = hz;
	}
	if (mc->mode == MODE_PLAY)
		;
	else if (strcmp(buf, "echo") == 0)
		mc->mode = MODE_ECHO;
	else if (strcmp(buf, "tone") == 0)
		mc->mode = MODE_TONE;
	else if (strcmp(buf, "silence") == 0 || strcmp(buf, "none") == 0)
		mc->mode = MODE_SILENCE;
	else if (strcmp(buf, "record") == 0)
		mc->mode = MODE_RECORD;
	else
		return (-1);
	if (opt != NULL) {
		if (strncmp(opt, "expect=", 7) != 0)
			return (-1);
		mc->expect_hz = strtod(opt + 7, NULL);
	}
	return (0);
}

static void
send_packet(struct simmedia_call *mc, int pt, int marker, uint32_t ts,
    const uint8_t *payload, size_t len)
{
	struct rtp_hdr	 h;
	uint8_t		 pkt[RTP_HDRLEN + 512];
	size_t		 off;

	if (len > sizeof(pkt) - RTP_HDRLEN)
		return;
	memset(&h, 0, sizeof(h));
	h.pt = pt;
	h.marker = marker;
	h.seq = mc->seq++;
	h.ts = ts;
	h.ssrc = mc->ssrc;
	if ((off = rtp_write_header(pkt, sizeof(pkt), &h)) == 0)
		return;
	memcpy(pkt + off, payload, len);
	if (ice_leg_send_rtp(mc->leg, pkt, off + len) == 0) {
		mc->octets_out += len;
		if (mc->te_pt != 0 && pt == mc->te_pt)
			mc->dtmf_out++;
		else
			mc->audio_out++;
	}
}

/* A digit train, if one is under way or due; 1 if a packet went. */
static int
send_dtmf(struct simmedia_call *mc, uint32_t ts)
{
	uint8_t	 pl[RTP_DTMF_LEN];
	size_t	 n;
	int	 marker;
	char	 c[2] = "";

	if (mc->te_pt == 0)
		return (0);
	if (!mc->dtx.active) {
		if (mc->dtx_gap > 0) {
			mc->dtx_gap--;
			return (0);
		}
		if (mc->dtmf_queue[0] == '\0')
			return (0);
		c[0] = mc->dtmf_queue[0];
		memmove(mc->dtmf_queue, mc->dtmf_queue + 1,
		    strlen(mc->dtmf_queue));
		if (dtmf_tx_start(&mc->dtx, c[0], 10,
		    DTMF_MS * AUDIO_RATE / 1000, AUDIO_FRAME) == -1)
			return (0);
		mc->dtx_ts = ts;
		strlcat(mc->digits_sent, c, sizeof(mc->digits_sent));
	}
	if ((n = dtmf_tx_next(&mc->dtx, pl, sizeof(pl), &marker)) == 0)
		return (0);
	send_packet(mc, mc->te_pt, marker, mc->dtx_ts, pl, n);
	if (!mc->dtx.active)
		mc->dtx_gap = DTMF_GAP_FRAMES;
	return (1);
}

/* SR (with a report block once we hear a source) and SDES CNAME. */
static void
send_rtcp(struct simmedia_call *mc)
{
	struct rtcp_report	 rep;
	uint8_t			 buf[256];
	uint64_t		 ntp, now;
	size_t			 n, m;
	gint64			 wall = g_get_real_time();

	memset(&rep, 0, sizeof(rep));
	now = mono_us();
	ntp = ((uint64_t)(wall / 1000000) + NTP_OFFSET) << 32 |
	    (uint64_t)((wall % 1000000) * 4294967296.0 / 1000000);
	if (mc->rs_started)
		rtp_stats_report(&mc->rs, now, &rep);
	n = rtcp_write_sr(buf, sizeof(buf), mc->ssrc, ntp,
	    (uint32_t)(mc->frames * AUDIO_FRAME),
	    (uint32_t)(mc->audio_out + mc->dtmf_out),
	    (uint32_t)mc->octets_out, &rep, mc->rs_started ? 1 : 0);
	if (n == 0 || (m = rtcp_write_sdes_cname(buf + n, sizeof(buf) - n,
	    mc->ssrc, "kandysim")) == 0)
		return;
	if (ice_leg_send_rtcp(mc->leg, buf, n + m) == 0)
		mc->rtcp_sent++;
}

/*
 * The sample, looped, at stream position pos (in samples since our clock
 * started): the audio keeps time with the RTP timestamps, digits and
 * frames skipped under load included.
 */
static void
play_fill(struct simmedia_call *mc, int16_t *s, uint64_t pos)
{
	size_t	 i;

	for (i = 0; i < AUDIO_FRAME; i++)
		s[i] = mc->sample->pcm[(pos + i) % mc->sample->n];
	mc->played = pos + AUDIO_FRAME;
}

static void
send_frame(struct simmedia_call *mc)
{
	int16_t		 s[AUDIO_FRAME];
	uint8_t		 pl[AUDIO_FRAME];
	uint32_t	 ts = (uint32_t)(mc->frames * AUDIO_FRAME);

	mc->frames++;
	if (mc->frames == RTCP_FIRST || mc->frames % RTCP_FRAMES == 0)
		send_rtcp(mc);
	if (send_dtmf(mc, ts) || mc->dtx_gap > 0 || mc->mode == MODE_ECHO)
		return;
	if (mc->mode == MODE_TONE)
		tone_fill(s, AUDIO_FRAME, mc->tone_hz, TONE_AMP, AUDIO_RATE,
		    ts);
	else if (mc->mode == MODE_PLAY && mc->sample != NULL)
		play_fill(mc, s, (uint64_t)(mc->frames - 1) * AUDIO_FRAME);
	else
		memset(s, 0, sizeof(s));
	audio_encode(mc->audio_pt, s, AUDIO_FRAME, pl);
	send_packet(mc, mc->audio_pt, mc->frames == 1, ts, pl, sizeof(pl));
}

/* Our 20 ms clock: catch up on frames due, at most a few at once. */
static gboolean
clock_fire(gpointer arg)
{
	struct simmedia_call	*mc = arg;
	uint64_t		 due;
	int			 burst = 0;

	if (mc->leg != NULL && mc->have_remote && !mc->ready &&
	    !mc->failed && mono_us() - mc->remote_us > SETUP_LIMIT_US) {
		/* A DTLS server that never hears a ClientHello waits forever. */
		log_warnx("call %u: media not up after %llu s, giving up",
		    mc->callid, SETUP_LIMIT_US / 1000000);
		mc->failed = mc->closed = 1;
		leg_release_arm(mc);
	}
	if (!mc->ready || mc->failed || mc->leg == NULL)
		return (G_SOURCE_CONTINUE);
	due = (mono_us() - mc->t0_us) / 20000 + 1;
	while (mc->frames < due && burst++ < 5)
		send_frame(mc);
	if (mc->frames < due)
		mc->frames = due;
	return (G_SOURCE_CONTINUE);
}

static gboolean
leg_release(gpointer arg)
{
	struct simmedia_call	*mc = arg;

	mc->release = 0;
	if (mc->leg == NULL)
		return (G_SOURCE_REMOVE);
	mc->last = *ice_leg_stats(mc->leg);
	mc->have_sel = ice_leg_selected(mc->leg, &mc->sel_local,
	    &mc->sel_remote) == 0;
	ice_leg_free(mc->leg);
	mc->leg = NULL;
	mc->have_remote = 0;	/* a later offer starts a new leg */
	return (G_SOURCE_REMOVE);
}

static void
leg_release_arm(struct simmedia_call *mc)
{
	GSource	*src;

	if (mc->release != 0)
		return;
	src = g_idle_source_new();
	g_source_set_callback(src, leg_release, mc, NULL);
	mc->release = g_source_attach(src, mctx);
	g_source_unref(src);
}

static void
on_event(struct ice_leg *leg, enum ice_event ev, void *arg)
{
	struct simmedia_call	*mc = arg;

	log_debug("call %u: media %s", mc->callid, ice_event_name(ev));
	switch (ev) {
	case ICE_EV_GATHERED:
		mc->gathered = 1;
		break;
	case ICE_EV_READY:
		if (!mc->ready) {
			mc->ready = 1;
			mc->t0_us = mono_us();
		}
		break;
	case ICE_EV_FAILED:
	case ICE_EV_CLOSED:
		/* Media is over: free the leg (not from here), keep stats. */
		mc->failed = ev == ICE_EV_FAILED;
		mc->closed = 1;
		leg_release_arm(mc);
		break;
	default:
		break;
	}
}

static void
record(struct simmedia_call *mc, const int16_t *s, size_t n)
{
	if (mc->mode != MODE_RECORD)
		return;
	if (mc->rec == NULL)
		mc->rec = xcalloc(REC_MAX, sizeof(int16_t));
	if (n > REC_MAX - mc->nrec)
		n = REC_MAX - mc->nrec;
	memcpy(mc->rec + mc->nrec, s, n * sizeof(int16_t));
	mc->nrec += n;
}

/* Echo: the same payload back under our SSRC, sequence and clock. */
static void
echo(struct simmedia_call *mc, uint8_t *pkt, size_t len)
{
	uint32_t	 ts;

	if (mc->dtx.active || mc->dtx_gap > 0)
		return;
	ts = (uint32_t)((mono_us() - mc->t0_us) * AUDIO_RATE / 1000000);
	put16(pkt + 2, mc->seq++);
	put32(pkt + 4, ts);
	put32(pkt + 8, mc->ssrc);
	if (ice_leg_send_rtp(mc->leg, pkt, len) == 0) {
		mc->audio_out++;
		mc->octets_out += len > RTP_HDRLEN ? len - RTP_HDRLEN : 0;
	}
}

static void
on_rtp(struct ice_leg *leg, uint8_t *pkt, size_t len, void *arg)
{
	struct simmedia_call	*mc = arg;
	struct rtp_hdr		 h;
	struct rtp_dtmf		 ev;
	int16_t			 s[512];
	char			 c[2] = "";
	int			 ch;

	if (rtp_parse(pkt, len, &h) == -1)
		return;
	/* Loss over the whole stream: digits share the sequence space. */
	if (!mc->rs_started || h.ssrc != mc->rs.ssrc) {
		rtp_stats_init(&mc->rs, h.ssrc, AUDIO_RATE);
		mc->rs_started = 1;
	}
	rtp_stats_update(&mc->rs, &h, mono_us());
	if (mc->te_pt != 0 && h.pt == mc->te_pt) {
		mc->dtmf_in++;
		/* 1: a new event (2 would be the end of one seen already). */
		if (dtmf_rx_packet(&mc->drx, &h, &ev) == 1 &&
		    (ch = rtp_dtmf_char(ev.event)) != -1) {
			c[0] = ch;
			strlcat(mc->digits_rx, c, sizeof(mc->digits_rx));
		}
		return;
	}
	if (h.pt != 0 && h.pt != 8) {
		mc->foreign_pt++;
		return;
	}
	mc->audio_in++;
	if (h.paylen <= sizeof(s) / sizeof(s[0])) {
		audio_decode(h.pt, h.payload, h.paylen, s);
		audio_window_add(&mc->win, s, h.paylen);
		record(mc, s, h.paylen);
	}
	if (mc->mode == MODE_ECHO)
		echo(mc, pkt, len);
}

/* The peer's SR feeds our LSR/DLSR; its report block on us is kept. */
static int
rtcp_one(const struct rtcp_pkt *p, void *arg)
{
	struct simmedia_call	*mc = arg;
	struct rtcp_report	 r;
	unsigned int		 i;

	if (p->pt == RTCP_SR && mc->rs_started && p->ssrc == mc->rs.ssrc)
		rtp_stats_sr(&mc->rs, p->ntp, mono_us());
	for (i = 0; rtcp_report_get(p, i, &r) == 0; i++)
		if (r.ssrc == mc->ssrc) {
			mc->far = r;
			mc->have_far = 1;
		}
	return (0);
}

static void
on_rtcp(struct ice_leg *leg, uint8_t *pkt, size_t len, void *arg)
{
	rtcp_walk(pkt, len, rtcp_one, arg);
}

static struct simmedia_call *
webrtc_start(u_int callid, const char *mode)
{
	struct simmedia_call	*mc;

	media_init();
	mc = xcalloc(1, sizeof(*mc));
	mc->callid = callid;
	if (parse_mode(mc, mode) == -1) {
		log_warnx("call %u: unknown media mode \"%s\", using echo",
		    callid, mode);
		mc->mode = MODE_ECHO;
	}
	if (mc->mode == MODE_PLAY &&
	    (mc->sample = sample_get(mc->sample_name)) == NULL)
		log_warnx("call %u: no sample \"%s\", sending silence",
		    callid, mc->sample_name);
	mc->audio_pt = 0;
	mc->te_pt = 101;
	mc->ssrc = arc4random() | 1;
	mc->seq = arc4random();
	mc->sess_id = arc4random();
	strlcpy(mc->mid, "0", sizeof(mc->mid));
	mc->bundle = 1;
	return (mc);
}

static int
leg_create(struct simmedia_call *mc, int offerer)
{
	struct ice_config	 cfg;
	struct ice_callbacks	 cb = { on_event, on_rtp, on_rtcp, mc };
	uint64_t		 deadline;

	mc->gathered = mc->ready = mc->failed = mc->closed = 0;
	mc->frames = 0;
	memset(&cfg, 0, sizeof(cfg));
	cfg.ctx = mctx;
	cfg.offerer = offerer;
	if (have_local) {
		cfg.nlocal = 1;
		cfg.local[0] = local_addr;
	}
	turn_config(&cfg);
	if ((mc->leg = ice_leg_new(&cfg, &cb)) == NULL ||
	    ice_leg_gather(mc->leg) == -1) {
		log_warnx("call %u: cannot start the media leg", mc->callid);
		return (-1);
	}
	/* The hooks answer at once: wait here for our candidates. */
	deadline = mono_us() + GATHER_WAIT_MS * 1000ULL;
	while (!mc->gathered && !mc->failed && mono_us() < deadline)
		if (!g_main_context_iteration(mctx, FALSE))
			g_usleep(1000);
	if (!mc->gathered) {
		log_warnx("call %u: candidates not gathered", mc->callid);
		return (-1);
	}
	if (mc->clock == NULL) {
		mc->clock = g_timeout_source_new(10);
		g_source_set_callback(mc->clock, clock_fire, mc, NULL);
		g_source_attach(mc->clock, mctx);
	}
	return (0);
}

/* What an answer mirrors from the offer: BUNDLE, mid, DTMF type. */
static void
offer_facts(struct simmedia_call *mc, const char *sdp)
{
	const char	*p;

	mc->bundle = strstr(sdp, "a=group:BUNDLE") != NULL;
	if ((p = strstr(sdp, "\na=mid:")) != NULL)
		snprintf(mc->mid, sizeof(mc->mid), "%.*s",
		    (int)strcspn(p + 7, "\r\n "), p + 7);
}

/* Codecs from a remote description: the first G.711 and its DTMF. */
static int
pick_codecs(struct simmedia_call *mc, const struct media_webrtc_desc *d)
{
	int	 i, audio = -1, te = 0;

	for (i = 0; i < d->ncodecs; i++) {
		if (audio == -1 && (d->codecs[i].codec == CODEC_PCMU ||
		    d->codecs[i].codec == CODEC_PCMA))
			audio = d->codecs[i].pt;
		if (te == 0 && d->codecs[i].codec == CODEC_TELEPHONE_EVENT &&
		    d->codecs[i].clock == AUDIO_RATE)
			te = d->codecs[i].pt;
	}
	if (audio == -1)
		return (-1);
	mc->audio_pt = audio;
	mc->te_pt = te;
	return (0);
}

/* Rewrite the builder's fixed mid/BUNDLE lines to mirror the offer. */
static char *
fix_mid(struct simmedia_call *mc, const char *in)
{
	char		*out, *o;
	const char	*p, *e;
	size_t		 n;

	out = o = xcalloc(1, strlen(in) + 2 * sizeof(mc->mid) + 64);
	for (p = in; *p != '\0'; p = e) {
		e = strchr(p, '\n');
		e = e ? e + 1 : p + strlen(p);
		n = e - p;
		if (strncmp(p, "a=group:BUNDLE", 14) == 0) {
			if (mc->bundle)
				o += sprintf(o, "a=group:BUNDLE %s\r\n",
				    mc->mid);
		} else if (strncmp(p, "a=mid:", 6) == 0)
			o += sprintf(o, "a=mid:%s\r\n", mc->mid);
		else {
			memcpy(o, p, n);
			o += n;
		}
	}
	*o = '\0';
	return (out);
}

static char *
local_sdp(struct simmedia_call *mc, int dir, int actpass)
{
	struct media_webrtc_desc	 d;
	const char			*errstr = NULL;
	char				*buf, *s;
	int				 n = 0;

	if (ice_leg_local_desc(mc->leg, &d) == -1)
		return (NULL);
	d.dir = dir;
	if (actpass)
		d.setup = SETUP_ACTPASS;
	d.rtcp_mux = 1;
	d.ssrc = mc->ssrc;
	if (!mc->have_remote) {
		/* Our offer: both laws and digits. */
		d.codecs[n++] = (struct media_codec_desc){ CODEC_PCMU, 0, 1,
		    AUDIO_RATE };
		d.codecs[n++] = (struct media_codec_desc){ CODEC_PCMA, 8, 1,
		    AUDIO_RATE };
		d.codecs[n++] = (struct media_codec_desc){
		    CODEC_TELEPHONE_EVENT, 101, 1, AUDIO_RATE };
	} else {
		d.codecs[n++] = (struct media_codec_desc){
		    mc->audio_pt == 8 ? CODEC_PCMA : CODEC_PCMU, mc->audio_pt,
		    1, AUDIO_RATE };
		if (mc->te_pt != 0)
			d.codecs[n++] = (struct media_codec_desc){
			    CODEC_TELEPHONE_EVENT, mc->te_pt, 1, AUDIO_RATE };
	}
	d.ncodecs = n;
	if ((buf = simsdp_build(&d, mc->sess_id, ++mc->sess_version,
	    "kandysim", &errstr)) == NULL) {
		log_warnx("call %u: building SDP: %s", mc->callid,
		    errstr ? errstr : "?");
		return (NULL);
	}
	s = fix_mid(mc, buf);
	free(buf);
	return (s);
}

static char *
webrtc_offer(struct simmedia_call *mc)
{
	if (mc->leg == NULL && leg_create(mc, 1) == -1)
		return (NULL);
	return (local_sdp(mc, MEDIA_SENDRECV, 0));
}

/*
 * A re-offer on a running call (hold, resume): the same ICE credentials,
 * fingerprint and codecs, setup:actpass as every offer, the direction
 * asked for.
 */
static char *
webrtc_reoffer(struct simmedia_call *mc, int dir)
{
	if (mc->leg == NULL || !mc->have_remote)
		return (NULL);
	return (local_sdp(mc, dir, 1));
}

static int
parse_remote(struct simmedia_call *mc, const char *sdp,
    struct media_webrtc_desc *d)
{
	const char	*errstr = NULL;

	if (simsdp_parse(sdp, d, &errstr) == -1) {
		log_warnx("call %u: remote SDP: %s", mc->callid,
		    errstr ? errstr : "?");
		snprintf(mc->sdp_error, sizeof(mc->sdp_error), "%s",
		    errstr ? errstr : "unusable SDP");
		return (-1);
	}
	if (pick_codecs(mc, d) == -1) {
		log_warnx("call %u: remote SDP has no G.711", mc->callid);
		strlcpy(mc->sdp_error, "no G.711", sizeof(mc->sdp_error));
		return (-1);
	}
	return (0);
}

static char *
webrtc_answer(struct simmedia_call *mc, const char *offer)
{
	struct media_webrtc_desc	 d;
	int				 rv;

	if (offer == NULL)
		return (NULL);
	if (parse_remote(mc, offer, &d) == -1) {
		/*
		 * Signalling tests send SDP without ICE or DTLS: answer them
		 * from the template, with no media, rather than fail the call.
		 */
		if (mc->leg != NULL)
			return (NULL);
		if (mc->stub == NULL)
			mc->stub = simmedia_stub.start(mc->callid,
			    mc->mode_text);
		return (simmedia_stub.answer(mc->stub, offer));
	}
	offer_facts(mc, offer);
	if (mc->leg == NULL && leg_create(mc, 0) == -1)
		return (NULL);
	if (!mc->have_remote)
		rv = ice_leg_set_remote(mc->leg, &d);
	else
		rv = ice_leg_update_remote(mc->leg, &d, 1);
	if (rv == 0 && !mc->have_remote)
		mc->remote_us = mono_us();
	if (rv == -1) {
		log_warnx("call %u: remote offer refused by the leg",
		    mc->callid);
		return (NULL);
	}
	mc->have_remote = 1;
	return (local_sdp(mc, MEDIA_SENDRECV, 0));
}

static int
webrtc_remote_answer(struct simmedia_call *mc, const char *answer)
{
	struct media_webrtc_desc	 d;
	int				 rv;

	if (mc->leg == NULL || answer == NULL ||
	    parse_remote(mc, answer, &d) == -1)
		return (-1);
	if (!mc->have_remote)
		rv = ice_leg_set_remote(mc->leg, &d);
	else
		rv = ice_leg_update_remote(mc->leg, &d, 0);
	if (rv == 0 && !mc->have_remote)
		mc->remote_us = mono_us();
	if (rv == -1) {
		log_warnx("call %u: remote answer refused by the leg",
		    mc->callid);
		return (-1);
	}
	mc->have_remote = 1;
	return (0);
}

static const char *
cand_type(uint8_t t)
{
	static const char *names[] = { "host", "srflx", "prflx", "relay" };

	return (t < 4 ? names[t] : "?");
}

static json_t *
webrtc_stats(struct simmedia_call *mc)
{
	const struct ice_leg_stats	*st;
	struct audio_tone		 t;
	struct ice_cand			 lc, rc;
	json_t				*o, *tone;
	int				 matched;

	o = json_pack("{s:s, s:s, s:b, s:s, s:b, s:b}",
	    "endpoint", "webrtc", "mode", mc->mode_text, "real_media", 1,
	    "state", mc->failed ? "failed" : mc->closed ? "closed" :
	    mc->ready ? "ready" :
	    mc->have_remote ? "connecting" : "new",
	    "ready", mc->ready, "failed", mc->failed);
	if (o == NULL)
		return (NULL);
	if (mc->sdp_error[0] != '\0')
		json_object_set_new(o, "sdp_error",
		    json_string(mc->sdp_error));
	if (mc->stub != NULL)
		json_object_set_new(o, "template_answer", json_true());
	json_object_set_new(o, "codec", json_string(mc->audio_pt == 8 ?
	    "PCMA" : "PCMU"));
	json_object_set_new(o, "telephone_event_pt", json_integer(mc->te_pt));
	if (mc->mode == MODE_TONE)
		json_object_set_new(o, "tone_hz", json_real(mc->tone_hz));
	if (mc->mode == MODE_PLAY) {
		json_object_set_new(o, "sample", json_string(mc->sample_name));
		json_object_set_new(o, "sample_found",
		    json_boolean(mc->sample != NULL));
		json_object_set_new(o, "sample_samples", json_integer(
		    mc->sample != NULL ? (json_int_t)mc->sample->n : 0));
		json_object_set_new(o, "loops", json_integer(
		    mc->sample != NULL ? (json_int_t)(mc->played /
		    mc->sample->n) : 0));
	}
	if (mc->leg != NULL || mc->closed) {
		st = mc->leg != NULL ? ice_leg_stats(mc->leg) : &mc->last;
		json_object_set_new(o, "packets_in", json_integer(st->rtp_in));
		json_object_set_new(o, "packets_out",
		    json_integer(st->rtp_out));
		json_object_set_new(o, "bytes_in", json_integer(st->bytes_in));
		json_object_set_new(o, "bytes_out",
		    json_integer(st->bytes_out));
		json_object_set_new(o, "rtcp_in", json_integer(st->rtcp_in));
		json_object_set_new(o, "auth_fail",
		    json_integer(st->auth_fail));
		json_object_set_new(o, "dropped", json_integer(st->dropped));
		if (mc->leg == NULL) {
			lc = mc->sel_local;
			rc = mc->sel_remote;
		}
		if ((mc->leg == NULL && mc->have_sel) || (mc->leg != NULL &&
		    ice_leg_selected(mc->leg, &lc, &rc) == 0)) {
			json_object_set_new(o, "local_candidate",
			    json_string(cand_type(lc.type)));
			json_object_set_new(o, "remote_candidate",
			    json_string(cand_type(rc.type)));
		}
	}
	json_object_set_new(o, "rtcp_sent", json_integer(mc->rtcp_sent));
	if (mc->have_far)
		json_object_set_new(o, "far_report", json_pack(
		    "{s:i, s:I, s:I}", "fraction_lost", mc->far.fraction,
		    "lost", (json_int_t)mc->far.lost,
		    "jitter", (json_int_t)mc->far.jitter));
	json_object_set_new(o, "audio_in", json_integer(mc->audio_in));
	json_object_set_new(o, "audio_out", json_integer(mc->audio_out));
	json_object_set_new(o, "dtmf_in", json_integer(mc->dtmf_in));
	json_object_set_new(o, "dtmf_out", json_integer(mc->dtmf_out));
	json_object_set_new(o, "other_pt_in", json_integer(mc->foreign_pt));
	json_object_set_new(o, "lost", json_integer(mc->rs_started ?
	    rtp_stats_lost(&mc->rs) : 0));
	json_object_set_new(o, "jitter", json_integer(mc->rs_started ?
	    rtp_stats_jitter(&mc->rs) : 0));
	json_object_set_new(o, "digits_received",
	    json_string(mc->digits_rx));
	json_object_set_new(o, "digits_sent", json_string(mc->digits_sent));
	json_object_set_new(o, "digits_pending",
	    json_string(mc->dtmf_queue));
	audio_tone_detect(&mc->win, &t);
	tone = json_pack("{s:f, s:f, s:f}", "hz", t.hz, "power", t.power,
	    "energy", t.energy);
	json_object_set_new(o, "rx_tone", tone);
	if (mc->expect_hz > 0) {
		matched = t.hz > 0 && fabs(t.hz - mc->expect_hz) <= MATCH_HZ &&
		    t.power >= MATCH_POWER;
		json_object_set_new(o, "expect_hz",
		    json_real(mc->expect_hz));
		json_object_set_new(o, "matched", json_boolean(matched));
	}
	json_object_set_new(o, "recorded_samples", json_integer(mc->nrec));
	return (o);
}

static int
webrtc_dtmf(struct simmedia_call *mc, const char *digits)
{
	const char	*p;

	for (p = digits; *p != '\0'; p++)
		if (rtp_dtmf_event(*p) == -1)
			return (-1);
	if (mc->te_pt == 0 ||
	    strlen(mc->dtmf_queue) + strlen(digits) > DIGITS_MAX)
		return (-1);
	strlcat(mc->dtmf_queue, digits, sizeof(mc->dtmf_queue));
	return (0);
}

/* 8 kHz 16-bit little-endian PCM, base64. */
static json_t *
webrtc_recording(struct simmedia_call *mc)
{
	uint8_t		*pcm;
	char		*b64;
	size_t		 i, b64len;
	json_t		*o;

	pcm = xcalloc(mc->nrec + 1, 2);
	for (i = 0; i < mc->nrec; i++) {
		pcm[2 * i] = (uint16_t)mc->rec[i] & 0xff;
		pcm[2 * i + 1] = (uint16_t)mc->rec[i] >> 8;
	}
	b64len = (mc->nrec * 2 + 2) / 3 * 4 + 4;
	b64 = xcalloc(1, b64len);
	if (lws_b64_encode_string((const char *)pcm, mc->nrec * 2, b64,
	    b64len) < 0)
		b64[0] = '\0';
	o = json_pack("{s:s, s:i, s:i, s:s}", "format", "s16le",
	    "rate", AUDIO_RATE, "samples", (json_int_t)mc->nrec,
	    "pcm_base64", b64);
	free(b64);
	free(pcm);
	return (o);
}

static void
webrtc_stop(struct simmedia_call *mc)
{
	GSource	*src;

	if (mc->release != 0 &&
	    (src = g_main_context_find_source_by_id(mctx, mc->release)) != NULL)
		g_source_destroy(src);
	if (mc->clock != NULL) {
		g_source_destroy(mc->clock);
		g_source_unref(mc->clock);
	}
	if (mc->leg != NULL)
		ice_leg_free(mc->leg);
	if (mc->stub != NULL)
		simmedia_stub.stop(mc->stub);
	sample_put(mc->sample);
	free(mc->rec);
	free(mc);
}

const struct simmedia_ops simmedia_webrtc = {
	"webrtc",
	webrtc_start,
	webrtc_offer,
	webrtc_answer,
	webrtc_remote_answer,
	webrtc_stats,
	webrtc_stop,
	webrtc_dtmf,
	webrtc_recording,
	webrtc_reoffer
};
