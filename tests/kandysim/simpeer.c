/*
 * simpeer: a WebRTC audio peer for kandysim's media tests, on libmedia.
 * It prints its offer as one JSON line {"sdp":…}, reads the answer the
 * same way from stdin (with -a: reads an offer, prints its answer), then for the given time sends a tone (or silence)
 * every 20 ms and the given digits, optionally throws junk datagrams at
 * the far side's candidates, and prints what it heard as one JSON line.
 *
 * usage: simpeer [-Aaj] [-d digits] [-f tone-hz] [-r file] [-s seconds]
 * (-A: offer A-law first; -r: write the audio heard to file, s16le 8 kHz,
 * each packet at its RTP timestamp from the first one, gaps left silent)
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <jansson.h>

#include "dtls.h"
#include "dtmf.h"
#include "g711.h"
#include "ice.h"
#include "rtp.h"
#include "srtp.h"
#include "simmedia_audio.h"
#include "simmedia_sdp.h"

#define SENT_KEEP	64	/* sent frames remembered for the echo check */

struct peer {
	struct ice_leg		*leg;
	int			 gathered, ready, failed;
	int			 audio_pt, te_pt;
	uint32_t		 ssrc;
	uint16_t		 seq;
	uint64_t		 frames;
	double			 tone_hz;
	char			 digits[64];
	struct dtmf_tx		 dtx;
	uint32_t		 dtx_ts;
	int			 dtx_gap;
	uint8_t			 sent[SENT_KEEP][AUDIO_FRAME];
	uint64_t		 tx_audio, tx_dtmf;
	uint64_t		 rx_audio, rx_dtmf, echo_exact;
	struct dtmf_rx		 drx;
	char			 digits_rx[64];
	struct audio_window	 win;
	FILE			*rec;
	int			 rec_started;
	uint32_t		 rec_ts0;
};

#define REC_LIMIT	(AUDIO_RATE * 120)	/* samples, -r */

static void
on_event(struct ice_leg *leg, enum ice_event ev, void *arg)
{
	struct peer	*p = arg;

	if (ev == ICE_EV_GATHERED)
		p->gathered = 1;
	else if (ev == ICE_EV_READY)
		p->ready = 1;
	else if (ev == ICE_EV_FAILED || ev == ICE_EV_CLOSED)
		p->failed = 1;
}

static void
on_rtp(struct ice_leg *leg, uint8_t *pkt, size_t len, void *arg)
{
	struct peer	*p = arg;
	struct rtp_hdr	 h;
	struct rtp_dtmf	 ev;
	int16_t		 s[AUDIO_FRAME];
	uint32_t	 pos;
	int		 i, c;

	if (rtp_parse(pkt, len, &h) == -1)
		return;
	if (p->te_pt != 0 && h.pt == p->te_pt) {
		p->rx_dtmf++;
		if (dtmf_rx_packet(&p->drx, &h, &ev) == 1 &&
		    (c = rtp_dtmf_char(ev.event)) != -1 &&
		    strlen(p->digits_rx) < sizeof(p->digits_rx) - 1)
			p->digits_rx[strlen(p->digits_rx)] = c;
		return;
	}
	if ((h.pt != 0 && h.pt != 8) || h.paylen != AUDIO_FRAME)
		return;
	p->rx_audio++;
	audio_decode(h.pt, h.payload, h.paylen, s);
	audio_window_add(&p->win, s, h.paylen);
	if (p->rec != NULL) {
		if (!p->rec_started) {
			p->rec_started = 1;
			p->rec_ts0 = h.ts;
		}
		pos = h.ts - p->rec_ts0;
		if (pos < REC_LIMIT &&
		    fseek(p->rec, (long)pos * sizeof(s[0]), SEEK_SET) == 0)
			fwrite(s, sizeof(s[0]), h.paylen, p->rec);
	}
	for (i = 0; i < SENT_KEEP; i++)
		if (memcmp(p->sent[i], h.payload, AUDIO_FRAME) == 0) {
			p->echo_exact++;
			break;
		}
}

static void
on_rtcp(struct ice_leg *leg, uint8_t *pkt, size_t len, void *arg)
{
}

static void
send_pkt(struct peer *p, int pt, int marker, uint32_t ts, const uint8_t *pl,
    size_t len)
{
	struct rtp_hdr	 h;
	uint8_t		 pkt[RTP_HDRLEN + AUDIO_FRAME];
	size_t		 off;

	memset(&h, 0, sizeof(h));
	h.pt = pt;
	h.marker = marker;
	h.seq = p->seq++;
	h.ts = ts;
	h.ssrc = p->ssrc;
	off = rtp_write_header(pkt, sizeof(pkt), &h);
	memcpy(pkt + off, pl, len);
	if (ice_leg_send_rtp(p->leg, pkt, off + len) == 0) {
		if (p->te_pt != 0 && pt == p->te_pt)
			p->tx_dtmf++;
		else
			p->tx_audio++;
	}
}

static gboolean
frame(gpointer arg)
{
	struct peer	*p = arg;
	int16_t		 s[AUDIO_FRAME];
	uint8_t		 pl[AUDIO_FRAME];
	uint32_t	 ts = p->frames * AUDIO_FRAME;
	size_t		 n;
	int		 marker;

	p->frames++;
	/* Digits start half a second in. */
	if (p->frames > 25 && (p->dtx.active || (p->digits[0] != '\0' &&
	    p->dtx_gap == 0)) && p->te_pt != 0) {
		if (!p->dtx.active) {
			dtmf_tx_start(&p->dtx, p->digits[0], 10, 800,
			    AUDIO_FRAME);
			memmove(p->digits, p->digits + 1, strlen(p->digits));
			p->dtx_ts = ts;
		}
		n = dtmf_tx_next(&p->dtx, pl, sizeof(pl), &marker);
		send_pkt(p, p->te_pt, marker, p->dtx_ts, pl, n);
		if (!p->dtx.active)
			p->dtx_gap = 3;
		return (G_SOURCE_CONTINUE);
	}
	if (p->dtx_gap > 0)
		p->dtx_gap--;
	if (p->tone_hz > 0)
		tone_fill(s, AUDIO_FRAME, p->tone_hz, 0.3, AUDIO_RATE, ts);
	else
		memset(s, 0, sizeof(s));
	audio_encode(p->audio_pt, s, AUDIO_FRAME, pl);
	memcpy(p->sent[p->frames % SENT_KEEP], pl, AUDIO_FRAME);
	send_pkt(p, p->audio_pt, p->frames == 1, ts, pl, sizeof(pl));
	return (G_SOURCE_CONTINUE);
}

/* Junk at every candidate of the far side: random, RTP-, DTLS-, STUN-like. */
static int
junk(const struct media_webrtc_desc *d)
{
	static const uint8_t	 firsts[] = { 0x80, 0x90, 0x17, 0x16, 0x00,
				    0x01, 0x40, 0xff };
	uint8_t			 buf[200];
	unsigned int		 i, k;
	int			 s, sent = 0;
	socklen_t		 sl;

	for (i = 0; i < d->ncands; i++) {
		if ((s = socket(d->cands[i].addr.ss_family, SOCK_DGRAM,
		    0)) == -1)
			continue;
		sl = d->cands[i].addr.ss_family == AF_INET6 ?
		    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
		for (k = 0; k < 64; k++) {
			arc4random_buf(buf, sizeof(buf));
			buf[0] = firsts[k % sizeof(firsts)];
			if (sendto(s, buf, 1 + arc4random_uniform(sizeof(buf)),
			    0, (struct sockaddr *)&d->cands[i].addr, sl) > 0)
				sent++;
		}
		close(s);
	}
	return (sent);
}

/* One line {"sdp":…} from stdin into a description. */
static void
read_sdp(struct media_webrtc_desc *d)
{
	static char	 line[65536];
	const char	*errstr = NULL, *sdp;
	json_t		*o;

	if (fgets(line, sizeof(line), stdin) == NULL)
		errx(1, "no SDP on stdin");
	if ((o = json_loads(line, 0, NULL)) == NULL ||
	    (sdp = json_string_value(json_object_get(o, "sdp"))) == NULL)
		errx(1, "SDP line");
	if (simsdp_parse(sdp, d, &errstr) == -1)
		errx(1, "remote SDP: %s", errstr);
	json_decref(o);
}

static void
run_until(GMainContext *ctx, int *flag, int ms)
{
	gint64	 end = g_get_monotonic_time() + (gint64)ms * 1000;

	while ((flag == NULL || !*flag) && g_get_monotonic_time() < end)
		if (!g_main_context_iteration(ctx, FALSE))
			g_usleep(1000);
}

int
main(int argc, char *argv[])
{
	struct peer			 p;
	struct ice_config		 cfg;
	struct ice_callbacks		 cb = { on_event, on_rtp, on_rtcp, &p };
	struct media_webrtc_desc	 d, rd;
	struct sockaddr_in		*sin;
	struct audio_tone		 t;
	struct ice_cand			 lc, rc;
	GMainContext			*ctx;
	GSource				*src;
	const char			*errstr = NULL;
	const struct ice_leg_stats	*st;
	char				*sdp, *out;
	json_t				*o;
	int				 ch, i, dojunk = 0, junked = -1;
	int				 answerer = 0, alaw = 0;
	int				 seconds = 3;

	memset(&p, 0, sizeof(p));
	while ((ch = getopt(argc, argv, "Aad:f:jr:s:")) != -1) {
		switch (ch) {
		case 'A':
			alaw = 1;
			break;
		case 'a':
			answerer = 1;
			break;
		case 'd':
			strlcpy(p.digits, optarg, sizeof(p.digits));
			break;
		case 'f':
			p.tone_hz = atof(optarg);
			break;
		case 'j':
			dojunk = 1;
			break;
		case 'r':
			if ((p.rec = fopen(optarg, "wb")) == NULL)
				err(1, "%s", optarg);
			break;
		case 's':
			seconds = atoi(optarg);
			break;
		default:
			errx(1, "usage: simpeer [-Aaj] [-d digits] [-f hz] "
			    "[-r file] [-s seconds]");
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	dtls_init();
	srtp_pair_global_init();
	ctx = g_main_context_new();
	memset(&cfg, 0, sizeof(cfg));
	cfg.ctx = ctx;
	cfg.nlocal = 1;
	sin = (struct sockaddr_in *)&cfg.local[0];
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p.ssrc = arc4random() | 1;
	p.seq = arc4random();
	cfg.offerer = !answerer;
	if (answerer)
		read_sdp(&rd);
	if ((p.leg = ice_leg_new(&cfg, &cb)) == NULL ||
	    ice_leg_gather(p.leg) == -1)
		errx(1, "leg");
	run_until(ctx, &p.gathered, 5000);
	if (!p.gathered)
		errx(1, "gathering");
	if (answerer && ice_leg_set_remote(p.leg, &rd) == -1)
		errx(1, "set_remote");
	if (ice_leg_local_desc(p.leg, &d) == -1)
		errx(1, "local description");
	d.dir = MEDIA_SENDRECV;
	d.rtcp_mux = 1;
	d.ssrc = p.ssrc;
	d.ncodecs = 3;
	d.codecs[alaw] = (struct media_codec_desc){ CODEC_PCMU, 0, 1, 8000 };
	d.codecs[!alaw] = (struct media_codec_desc){ CODEC_PCMA, 8, 1, 8000 };
	d.codecs[2] = (struct media_codec_desc){ CODEC_TELEPHONE_EVENT, 101,
	    1, 8000 };
	if (answerer) {
		/* Answer with the offer's first G.711 and its digits. */
		d.ncodecs = 0;
		for (i = 0; i < rd.ncodecs; i++)
			if ((d.ncodecs == 0 &&
			    (rd.codecs[i].codec == CODEC_PCMU ||
			    rd.codecs[i].codec == CODEC_PCMA)) ||
			    rd.codecs[i].codec == CODEC_TELEPHONE_EVENT)
				d.codecs[d.ncodecs++] = rd.codecs[i];
	}
	if ((sdp = simsdp_build(&d, arc4random(), 1, "simpeer",
	    &errstr)) == NULL)
		errx(1, "local SDP: %s", errstr);
	o = json_pack("{s:s}", "sdp", sdp);
	free(sdp);
	out = json_dumps(o, JSON_COMPACT);
	printf("%s\n", out);
	free(out);
	json_decref(o);

	if (!answerer)
		read_sdp(&rd);
	p.audio_pt = -1;
	for (i = 0; i < rd.ncodecs; i++) {
		if (p.audio_pt == -1 && (rd.codecs[i].codec == CODEC_PCMU ||
		    rd.codecs[i].codec == CODEC_PCMA))
			p.audio_pt = rd.codecs[i].pt;
		if (rd.codecs[i].codec == CODEC_TELEPHONE_EVENT &&
		    p.te_pt == 0)
			p.te_pt = rd.codecs[i].pt;
	}
	if (p.audio_pt == -1)
		errx(1, "remote SDP without G.711");
	if (!answerer && ice_leg_set_remote(p.leg, &rd) == -1)
		errx(1, "set_remote");
	run_until(ctx, &p.ready, 15000);

	if (p.ready) {
		src = g_timeout_source_new(20);
		g_source_set_callback(src, frame, &p, NULL);
		g_source_attach(src, ctx);
		for (i = 0; i < seconds * 10; i++) {
			run_until(ctx, NULL, 100);
			if (dojunk && i == seconds * 5)
				junked = junk(&rd);
		}
		g_source_destroy(src);
		g_source_unref(src);
	}
	audio_tone_detect(&p.win, &t);
	st = ice_leg_stats(p.leg);
	o = json_pack("{s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:i, "
	    "s:{s:f, s:f, s:f}, s:I, s:I, s:I}",
	    "ready", p.ready, "failed", p.failed,
	    "tx_audio", (json_int_t)p.tx_audio,
	    "tx_dtmf", (json_int_t)p.tx_dtmf,
	    "rx_audio", (json_int_t)p.rx_audio,
	    "rx_dtmf", (json_int_t)p.rx_dtmf,
	    "echo_exact", (json_int_t)p.echo_exact,
	    "digits_rx", p.digits_rx,
	    "codec", p.audio_pt == 8 ? "PCMA" : "PCMU",
	    "junk_sent", junked,
	    "rx_tone", "hz", t.hz, "power", t.power, "energy", t.energy,
	    "auth_fail", (json_int_t)st->auth_fail,
	    "dropped", (json_int_t)st->dropped,
	    "rtp_in", (json_int_t)st->rtp_in);
	if (ice_leg_selected(p.leg, &lc, &rc) == 0) {
		json_object_set_new(o, "local_type", json_integer(lc.type));
		json_object_set_new(o, "remote_type", json_integer(rc.type));
	}
	out = json_dumps(o, JSON_COMPACT);
	printf("%s\n", out);
	free(out);
	json_decref(o);
	ice_leg_free(p.leg);
	run_until(ctx, NULL, 100);
	if (p.rec != NULL && fclose(p.rec) != 0)
		err(1, "recording");
	return (p.ready ? 0 : 1);
}
